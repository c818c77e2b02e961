"""Zones read before their workers run: ahead of the start or of a takeover, or followed while standing by.

Two ways, by provider:

- Read ahead (any provider): at the start while the LIST runs, or when the leader falls silent (peering.py: past
  its fence nobody writes, so the read is exact), each zone is read whole once; the workers that start next take
  those caches instead of reading again. What a zone read costs at a takeover is what a whole read costs
  (README, "High availability": Route 53 pages, a PowerDNS GET, an AXFR).
- Followed (a provider that can say what changed since a version: providers/base.FollowingChanges, RFC2136): a
  warm standby reads each zone whole once, then every ``follow_every`` seconds brings its caches up to what the
  leader (or anyone) changed since, and once more at the takeover, when nobody writes any more. A takeover then
  reads only the leader's last changes (an IXFR of a few records), whatever the zone's size. The caches cost the
  standby what they cost the leader (about 0.4 KiB per record: bench/README.md, "Memory per object").
"""

from __future__ import annotations

import asyncio
import gc
import logging
from collections.abc import Awaitable, Callable

from external_dns.errors import ProviderError
from external_dns.model import Zone
from external_dns.reconciler import ZoneWorker
from external_dns.zonecache import ZoneCache

logger = logging.getLogger(__name__)

#: How often a standby brings the zones it follows up to date: as often as the peering gate polls, so that the
#: last step at a takeover has at most a second of the leader's writes left to read (one SOA query when none).
FOLLOW_EVERY = 1.0

Workers = dict[Zone, ZoneWorker]


class ZonesAhead:
    """The workers of the zones read (or followed) ahead, until the workers start (:meth:`take`)."""

    def __init__(self, new_workers: Callable[[], Awaitable[Workers]], follow_every: float = FOLLOW_EVERY) -> None:
        self._new_workers = new_workers
        self.follow_every = follow_every
        #: The zones are followed while standing by (see :meth:`follow`): neither read ahead nor discarded.
        self.following = False
        self._workers: Workers = {}
        self._task: asyncio.Task[None] | None = None
        self._stop = asyncio.Event()
        #: Zones whose last step failed (said once until one succeeds).
        self._failing: set[Zone] = set()
        #: The workers of the read ahead under way, once the provider has listed its zones (:meth:`reading`).
        self._reading: asyncio.Future[Workers] | None = None

    def read_ahead(self, attempts: int | None = None) -> None:
        """Read every zone once now (``attempts``: at most so many tries a zone; None: until it answers)."""
        if self.following:
            return  # the followed caches are current: reading them again would only cost
        self.discard()
        self._task = asyncio.create_task(self._read(attempts), name="zone-preload")

    async def reading(self) -> Workers:
        """The workers reading their zones ahead now, once they exist (before their reads are done): the start's
        changes are planned by them meanwhile (startchanges.py)."""
        return await asyncio.shield(self._reading_future())

    def _reading_future(self) -> asyncio.Future[Workers]:
        if self._reading is None:
            self._reading = asyncio.get_running_loop().create_future()
        return self._reading

    def discard(self) -> None:
        """The leader spoke again: zones read ahead would go stale (followed ones do not)."""
        if not self.following:
            self._cancel()

    def follow(self) -> None:
        """Stand by following the zones: read each whole once, then only what changed, until :meth:`take`."""
        self._cancel()
        self.following = True
        self._stop = asyncio.Event()
        self._task = asyncio.create_task(self._follow(), name="zone-follow")

    async def take(self) -> Workers:
        """The workers read ahead (their read finished first; none if nothing was read ahead), each followed zone
        brought up to date once more (a zone that cannot be is read whole by its worker)."""
        following, self.following = self.following, False
        self._stop.set()
        task, self._task = self._task, None
        if task is not None:
            (outcome,) = await asyncio.gather(task, return_exceptions=True)
            if isinstance(outcome, Exception):  # the workers read the zones themselves
                logger.error("Reading the zones ahead failed: %r", outcome)
        workers, self._workers = self._workers, {}
        self._reading = None  # the next read ahead's
        if following:
            await asyncio.gather(*(self._last_step(worker) for worker in workers.values()))
        return workers

    def caches(self) -> dict[Zone, ZoneCache]:
        """What is held of each zone read or followed so far (none while the first reads run)."""
        return {zone: worker.cache for zone, worker in self._workers.items()}

    def close(self) -> None:
        self.following = False
        self._cancel()

    def _cancel(self) -> None:
        if self._task is not None:
            self._task.cancel()
            self._task = None
        self._workers = {}

    async def _read(self, attempts: int | None) -> None:
        workers = await self._new_workers()
        if not self._reading_future().done():
            self._reading_future().set_result(workers)
        await asyncio.gather(*(worker.load(attempts) for worker in workers.values()), return_exceptions=True)
        self._workers = workers
        logger.info("Zones read ahead of the start or a takeover: %s", ", ".join(w.label for w in workers.values()))

    async def _follow(self) -> None:
        workers = await self._new_workers()
        await asyncio.gather(*(worker.load() for worker in workers.values()))
        self._workers = workers
        gc.freeze()  # the caches live as long as the objects listed: out of the collector's full passes, as those
        labels = ", ".join(worker.label for worker in workers.values())
        logger.info("Zones read; following their changes while standing by: %s", labels)
        while not self._stop.is_set():
            try:
                async with asyncio.timeout(self.follow_every):  # not wait_for: see reconciler.ZoneWorker.run
                    await self._stop.wait()
            except TimeoutError:
                for worker in workers.values():
                    await self._step(worker)

    async def _step(self, worker: ZoneWorker) -> None:
        """One step; a failure is said once (the next step tries again: every second, the log would fill up), and
        so is the recovery."""
        try:
            await worker.follow()
        except ProviderError as error:
            if worker.zone not in self._failing:
                self._failing.add(worker.zone)
                logger.warning("Zone %s: cannot follow its changes (%s); trying again every step", worker.label, error)
            return
        if worker.zone in self._failing:
            self._failing.discard(worker.zone)
            logger.info("Zone %s: following its changes again", worker.label)

    async def _last_step(self, worker: ZoneWorker) -> None:
        try:
            await worker.follow()
        except ProviderError as error:
            logger.warning("Zone %s: cannot follow its changes (%s); its worker reads it whole", worker.label, error)
            worker.cache.loaded = False
            return
        cache = worker.cache
        logger.info("Zone %s: followed up to version %s, %d records", worker.label, cache.version, len(cache))
