"""--log-level and --log-format: one JSON object per line, levels honoured, Kopf's per-object chatter quieted."""

from __future__ import annotations

import json
import logging

import pytest

from external_dns.logs import setup_logging


def test_json_format_writes_one_object_per_line(capsys: pytest.CaptureFixture[str]) -> None:
    setup_logging("info", "json")
    logging.getLogger("external_dns.reconciler").info(
        "CREATE %s (zone %s)", "A web.example.com -> 1.2.3.4", "example.com"
    )
    logging.getLogger("external_dns.reconciler").debug("not shown at info")
    (line,) = capsys.readouterr().err.splitlines()
    entry = json.loads(line)
    assert entry["level"] == "info"
    assert entry["logger"] == "external_dns.reconciler"
    assert entry["msg"] == "CREATE A web.example.com -> 1.2.3.4 (zone example.com)"
    assert "time" in entry


def test_json_format_carries_the_traceback(capsys: pytest.CaptureFixture[str]) -> None:
    setup_logging("info", "json")
    try:
        raise ValueError("boom")
    except ValueError:
        logging.getLogger("external_dns").exception("failed")
    entry = json.loads(capsys.readouterr().err)
    assert entry["level"] == "error" and "ValueError: boom" in entry["error"]


def test_text_format_and_kopf_object_logs_at_warning(capsys: pytest.CaptureFixture[str]) -> None:
    setup_logging("debug", "text")
    logging.getLogger("kopf.objects").info("Handler 'watch-services' succeeded.")
    logging.getLogger("external_dns.app").debug("Listed 3 services")
    output = capsys.readouterr().err
    assert "Handler 'watch-services'" not in output
    assert "DEBUG   external_dns.app: Listed 3 services" in output
