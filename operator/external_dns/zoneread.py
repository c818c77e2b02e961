"""How a zone worker reads its zone into its cache (reconciler.ZoneWorker inherits this).

- Whole: the first read, a resync that cannot be cheaper, after an ambiguous failure, and once every
  ``--zone-full-read-interval`` whatever the provider offers (a record edited in place, keeping a zone's record
  count and even its version, is only seen by a whole read).
- By a count (providers/base.CountingRecords, Route 53): the resync reads the zone whole only when the count
  differs from the cache's.
- By what changed since the version read (providers/base.FollowingChanges, RFC2136: a SOA query, and an IXFR when
  the serial moved): a standby follows its zones so, and the leader's resync too, when the changes show every
  value this replica wrote since, as the server applied it (``ZoneCache.confirmed_by``). A server may accept a
  write and drop it: BIND answers NOERROR to an A record where a CNAME stands (RFC 2136 3.4.2.2). Such a write
  never shows among the changes, and following them would keep it in the cache until the hourly whole read;
  unconfirmed, the zone is read whole at once.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable
from typing import TypeVar

from external_dns import metrics
from external_dns.endpoint import Endpoint, normalize_name
from external_dns.errors import ProviderError
from external_dns.model import Zone
from external_dns.providers.base import CountingRecords, FollowingChanges, Provider
from external_dns.zonecache import ZoneCache
from external_dns.zonework import ReconcilerSettings

logger = logging.getLogger("external_dns.reconciler")  # the worker's log, as before these moved here
T = TypeVar("T")


class ZoneReading:
    """The zone worker's reads of its zone; the attributes are the worker's."""

    zone: Zone
    provider: Provider
    settings: ReconcilerSettings
    cache: ZoneCache
    #: An apply failed ambiguously (its answer was lost): the cache may miss what it applied.
    _reload_before_sync: bool
    #: Loop time of the last whole read of the zone (see ReconcilerSettings.full_read_interval).
    _read_at: float

    async def load(self, attempts: int | None = None) -> None:
        """Read the zone from the provider, retrying with backoff until it answers (or ``attempts`` run out)."""
        delay = self.settings.retry_initial
        while True:
            try:
                records = await self._read_whole()
            except ProviderError as error:
                if attempts is not None:
                    attempts -= 1
                    if attempts <= 0:
                        raise
                logger.warning("Zone %s: cannot read records (%s); retrying in %.0fs", self.zone.label, error, delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, self.settings.retry_max)
                continue
            logger.info("Zone %s: %d records read from %s", self.zone.label, len(records), self.provider.name)
            return

    async def _read_whole(self) -> list[Endpoint]:
        """Read the whole zone from the provider into the cache (raises ProviderError when it cannot)."""
        # A read that begins now shows what an apply whose answer was lost did before it (one during it does not).
        reload_before, self._reload_before_sync = self._reload_before_sync, False
        self.cache.read_begins()
        try:
            if isinstance(self.provider, FollowingChanges):  # with its version: the zone can be followed from it
                records, version = await self._timed("records", self.provider.versioned_records(self.zone))
            else:
                records, version = await self._timed("records", self.provider.records(self.zone)), None
            await self.cache.refill(records, version)
        except BaseException:  # a failure or a cancellation: the next read comes after what is applied meanwhile
            self.cache.read_failed()
            self._reload_before_sync = self._reload_before_sync or reload_before
            raise
        self._read_at = asyncio.get_running_loop().time()
        return records

    async def follow(self) -> None:
        """Standing by (zonesahead.py): patch the cache with what changed at the provider since it was read, or read
        the zone whole when the provider cannot tell (raises ProviderError when neither can be done now)."""
        changes = None
        if self.cache.version is not None and isinstance(self.provider, FollowingChanges):
            changes = await self._timed("changes_since", self.provider.changes_since(self.zone, self.cache.version))
        if changes is None or not self.cache.confirmed_by(changes):  # (a standby has written nothing to confirm)
            await self._read_whole()
        else:
            await self.cache.follow(changes)

    def _cheap_resync_allowed(self) -> bool:
        """Neither an ambiguous failure nor the hourly whole read asks for the zone read whole."""
        since_read = asyncio.get_running_loop().time() - self._read_at
        return not self._reload_before_sync and since_read < self.settings.full_read_interval

    async def _nothing_added_or_removed(self) -> bool:
        """Whether a cheap count of the zone's records (when the provider offers one) matches the cache's, so the
        resync can skip reading the zone whole. A record edited in place keeps the count: that waits for the
        whole read every ``full_read_interval``. True when the count cannot be read (the next resync tries again,
        as after a failed whole read)."""
        if not isinstance(self.provider, CountingRecords) or not self._cheap_resync_allowed():
            return False
        try:
            count = await self._timed("record_count", self.provider.record_count(self.zone))
        except ProviderError as error:
            logger.warning("Zone %s: resync could not count records: %s", self.zone.label, error)
            return True
        known = len(self.cache)
        if count == known:
            return True
        logger.info("Zone %s: %s records at the provider, %d known: reading it whole", self.zone.label, count, known)
        return False

    async def _changed_since_read(self) -> set[str] | None:
        """A resync by the zone's changes (see the module docstring): the cache patched with what changed since the
        version read, and the names touched; None when the zone must be read whole instead (no version, a write of
        this replica's not among the changes, the provider cannot tell, or the hourly whole read is due). An empty
        set when the provider cannot be asked now: the next resync asks again, as after a failed whole read."""
        version = self.cache.version
        if version is None or not isinstance(self.provider, FollowingChanges) or not self._cheap_resync_allowed():
            return None
        try:
            changes = await self._timed("changes_since", self.provider.changes_since(self.zone, version))
        except ProviderError as error:
            logger.warning("Zone %s: resync could not ask what changed: %s", self.zone.label, error)
            return set()
        if changes is None or changes.whole is not None:
            return None
        if not self.cache.confirmed_by(changes):
            logger.warning(
                "Zone %s: the server's changes since version %d do not show every record written since (it may have "
                "dropped one it accepted): reading the zone whole",
                self.zone.label,
                version,
            )
            return None
        await self.cache.follow(changes)
        return {normalize_name(record.dns_name) for step in changes.steps for side in step for record in side}

    async def _timed(self, operation: str, call: Awaitable[T]) -> T:
        return await metrics.provider_call(self.provider.name, operation, call)
