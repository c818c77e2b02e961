"""ExternalDNS-compatible DNS operator built on Kopf.

``external-dns ...`` (see :mod:`external_dns.cli`) is the usual entry point. ``kopf run -m external_dns`` works
too: when Kopf's own command line imports this package, the handlers are registered from the ``EXTERNAL_DNS_*``
environment variables. ``kopf run --peering=NAME`` gives the same single-writer HA as ``external-dns --peering``
when ``POD_ID`` is set (Kopf's identity; see handlers.peering_role). Importing the package anywhere else
(tests, scripts) registers nothing.
"""

from __future__ import annotations

import asyncio
import logging
import os
import sys


def _imported_by_kopf_run() -> bool:
    program = os.path.basename(sys.argv[0]) if sys.argv else ""
    return program == "kopf" or (program == "__main__.py" and "kopf" in sys.argv[0].split(os.sep))


def _kopf_run_peering() -> bool:
    """``kopf run`` was given a peering name (``--peering``/``-P`` or its env var): checked early, so that a
    missing POD_ID stops the process with one line instead of a retried startup handler."""
    given = any(arg in ("-P", "--peering") or arg.startswith("--peering=") for arg in sys.argv[1:])
    return given or bool(os.environ.get("KOPF_RUN_PEERING"))


def _register_for_kopf_run() -> None:
    import kopf

    from external_dns import handlers
    from external_dns.compat_flags import ignored_in_env, warning_line
    from external_dns.config import Settings
    from external_dns.errors import ConfigError
    from external_dns.handlers import KOPF_RUN_NEEDS_POD_ID
    from external_dns.kopf_peering import kopf_identity
    from external_dns.logs import setup_logging
    from external_dns.preflight import check_before_start

    try:
        settings = Settings()
        if (settings.peering or _kopf_run_peering()) and kopf_identity() is None:
            raise ConfigError(KOPF_RUN_NEEDS_POD_ID)
        # Kopf's event loop is not running yet while it imports the operator's modules.
        asyncio.run(check_before_start(settings))
    except ConfigError as error:
        raise SystemExit(f"external-dns: error: {error}") from None
    setup_logging(settings.log_level, settings.log_format)
    warning = warning_line(ignored_in_env(os.environ))
    if warning:
        logging.getLogger(__name__).warning("%s", warning)
    handlers.register(kopf.get_default_registry(), settings)


if _imported_by_kopf_run():
    _register_for_kopf_run()
