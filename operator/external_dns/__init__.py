"""ExternalDNS-compatible DNS operator built on Kopf.

``external-dns ...`` (see :mod:`external_dns.cli`) is the usual entry point. ``kopf run -m external_dns`` works
too: when Kopf's own command line imports this package, the handlers are registered from the ``EXTERNAL_DNS_*``
environment variables. Importing the package anywhere else (tests, scripts) registers nothing.
"""

from __future__ import annotations

import asyncio
import os
import sys


def _imported_by_kopf_run() -> bool:
    program = os.path.basename(sys.argv[0]) if sys.argv else ""
    return program == "kopf" or (program == "__main__.py" and "kopf" in sys.argv[0].split(os.sep))


def _register_for_kopf_run() -> None:
    import kopf

    from external_dns import handlers
    from external_dns.config import Settings
    from external_dns.errors import ConfigError
    from external_dns.logs import setup_logging
    from external_dns.preflight import check_before_start

    try:
        settings = Settings()
        if settings.peering:
            raise ConfigError(
                "--peering: use the external-dns command for HA; under `kopf run` the operator cannot know its "
                "peering identity (use kopf's own --standalone or run one replica)"
            )
        # Kopf's event loop is not running yet while it imports the operator's modules.
        asyncio.run(check_before_start(settings))
    except ConfigError as error:
        raise SystemExit(f"external-dns: error: {error}") from None
    setup_logging(settings.log_level, settings.log_format)
    handlers.register(kopf.get_default_registry(), settings)


if _imported_by_kopf_run():
    _register_for_kopf_run()
