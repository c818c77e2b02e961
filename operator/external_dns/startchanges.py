"""Changes made while the operator starts, planned at once instead of after the start-up LIST and the zone reads.

The operator plans nothing whole until every object is listed and every zone read (shared/design.md: a restart
must never delete records whose objects have not been listed yet). At 50,000 objects the LIST and an AXFR take
seconds each, and a change the catch-up watch brings meanwhile (catchup.py) would wait for both. Instead, its
names are planned alone, from a point read of those names (providers/base.ReadingNames), keeping only what the
complete LIST could not undo (guards/before_listed.py), by the zone workers being read ahead (zonesahead.py),
which also keep what was written for their caches. The names stay marked for the first sync, which plans them
first and completes what was left out (deletes, values replaced in merged records).

Changes made just before the LIST's first page are in its snapshot, not in a watch event: the listed objects
that changed recently, by the API server's own times, are marked here too (recentlychanged.py). They are planned
only when no watched change waits, ``LATER_PER_PASS`` names at a time, so that however many there are (a restart
right after a mass change) they never hold back a change watched meanwhile by more than one small pass.

Not offered (the names then wait for the first sync, as before) when the provider cannot read names, and under
--namespace-isolation, whose guard needs the age of every object in a namespace.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Iterable

from external_dns.model import Zone
from external_dns.recentlychanged import RecentlyChanged
from external_dns.reconciler import ZoneWorker

logger = logging.getLogger(__name__)

#: Names of listed objects changed just before the LIST planned in one pass (each pass reads its names).
LATER_PER_PASS = 16


class StartChanges:
    """Plans the names changed during the start-up LIST (and while the zones' reads end after it), a debounce window
    at a time, until :meth:`close`."""

    def __init__(
        self,
        workers: Callable[[], Awaitable[dict[Zone, ZoneWorker]]],
        debounce: float,
        offered: bool = True,
    ) -> None:
        #: The workers reading their zones ahead, once they exist (zonesahead.ZonesAhead.reading).
        self._workers = workers
        self._debounce = debounce
        #: False: the provider cannot read names, or a guard needs the whole LIST (see the module docstring).
        self.offered = offered
        self._names: set[str] = set()
        self._later: dict[str, None] = {}  # listed as changed: planned when nothing else waits, in order
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        #: Held while a pass writes: :meth:`close` waits for it (a write cut off midway is an ambiguous failure).
        self._writing = asyncio.Lock()
        #: How many names were planned here (tests, the bench).
        self.planned = 0
        #: Which listed objects changed just before the last start-up LIST, and how many were taken.
        self.recently_changed: RecentlyChanged | None = None

    def begin(self) -> None:
        """The start-up LIST begins: from now on :meth:`mark` plans names (until :meth:`close`)."""
        if self.offered and self._task is None:
            self.recently_changed = RecentlyChanged(time.time())
            self._task = asyncio.create_task(self._run(), name="start-changes")

    @property
    def recent(self) -> RecentlyChanged | None:
        """While the start-up LIST runs: which listed objects changed just before it (None otherwise)."""
        return self.recently_changed if self._task is not None else None

    def mark(self, names: Iterable[str], later: bool = False) -> None:
        """Names changed by a watch event while the start-up LIST runs, or (``later``) by a listed object that
        changed just before it."""
        if self._task is None:
            return
        if later:
            self._later.update((name, None) for name in names if name not in self._names)
        else:
            names = set(names)
            self._names.update(names)
            for name in names:
                self._later.pop(name, None)
        self._wake.set()

    async def close(self) -> None:
        """The LIST is done, the zones read, and the workers start: no more passes; one under way finishes its
        write first."""
        task, self._task = self._task, None
        if task is None:
            return
        recent = self.recently_changed
        if recent is not None and recent.taken:
            logger.info(
                "Objects taken as changed: %d since the last run's watch position (listed or replayed); listed as "
                "changed just before the start-up LIST, %d during the start and %d before it (%d of their names "
                "left for the first sync)",
                recent.taken_since_last_run, recent.taken_during_start, recent.taken_before_start, len(self._later),
            )  # fmt: skip
        async with self._writing:
            task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        # What no pass took is the first sync's (Application.changed_in_start holds every marked name).
        self._names, self._later = set(), {}

    async def _run(self) -> None:
        debounce = True
        while True:
            await self._wake.wait()
            if debounce:
                await asyncio.sleep(self._debounce)
            self._wake.clear()
            workers = await self._workers()  # once the provider has listed its zones
            names, self._names = self._names, set()
            if not names:
                names = set(list(self._later)[:LATER_PER_PASS])
                for name in names:
                    del self._later[name]
            async with self._writing:
                try:
                    await self._pass(workers, names)
                except Exception:  # a defect here must not cost more than the early pass: the first sync plans them
                    logger.exception("Planning %d names changed during the start-up LIST failed", len(names))
            # Names that came during the pass have waited as long as it took (seconds while an AXFR is parsed): the
            # next pass goes at once, as do the listed ones left (a debounce only gathers a burst of watched ones).
            debounce = not self._wake.is_set() and not self._later
            if self._later:
                self._wake.set()

    async def _pass(self, workers: dict[Zone, ZoneWorker], names: set[str]) -> None:
        began = time.monotonic()
        for worker in workers.values():
            mine = {name for name in names if worker.zone in worker.router.zones_for(name)}
            if mine:
                await worker.sync_before_listed(mine)
                self.planned += len(mine)
        took = time.monotonic() - began
        logger.info("Planned %d names changed during the start-up LIST in %.3fs", len(names), took)
