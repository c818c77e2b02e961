"""Logging setup: --log-level and --log-format (text or one JSON object per line)."""

from __future__ import annotations

import json
import logging
import sys


class JSONFormatter(logging.Formatter):
    """One JSON object per line, with the fields log pipelines index: time, level, logger, msg."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        if record.exc_info:
            entry["error"] = self.formatException(record.exc_info)
        return json.dumps(entry)


#: ExternalDNS's (logrus) levels that Python's logging does not have.
_LEVELS = {"trace": "DEBUG", "fatal": "ERROR", "panic": "ERROR"}
#: Loggers kept at WARNING or above whatever the level: Kopf logs every handler invocation at INFO (one line per
#: watch event drowns the record changes); botocore and aiohttp's access log chatter per request.
QUIETED = ("kopf.objects", "aiobotocore", "botocore", "aiohttp.access")


def setup_logging(level: str = "info", log_format: str = "text") -> None:
    handler = logging.StreamHandler(sys.stderr)
    if log_format == "json":
        handler.setFormatter(JSONFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)-7s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(_LEVELS.get(level, level.upper()))
    for noisy in QUIETED:
        logging.getLogger(noisy).setLevel(max(logging.WARNING, root.level))
