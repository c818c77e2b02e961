"""The periodic re-LIST: a full LIST of every watched resource every resync interval, under the watch streams.

When a watch stream breaks and Kopf re-lists, objects deleted in the gap are never reported as deleted; the
periodic LIST finds them (and anything else a stream missed). A LIST of 10,000 objects costs well under a second,
once per interval.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

from external_dns.kube import KubeAPIError, KubeClient

if TYPE_CHECKING:
    from external_dns.app import Application

logger = logging.getLogger(__name__)


async def relist_forever(app: Application, kube: KubeClient) -> None:
    """The application's re-LIST loop (until cancelled)."""
    while True:
        await asyncio.sleep(app.wiring.reconciler_settings.resync_interval)
        if app.standing_by:
            # A warm standby follows the watch streams only: its re-LIST would cost the API server one more
            # LIST of every source per interval and this loop seconds at 50,000 objects (bench/README.md).
            # What a broken stream missed meanwhile is found by the first re-LIST after a takeover.
            continue
        try:
            await app.list_all(kube)
        except (TimeoutError, KubeAPIError, OSError) as error:
            logger.warning("Periodic re-list failed (the watch streams carry on): %s", error)
