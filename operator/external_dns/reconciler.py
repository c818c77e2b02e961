"""One worker per zone: wait for dirty names, plan only them, apply one batch, report on the objects.

How a change flows (shared/design.md): a source object changes -> the desired state marks the names whose
wanted records changed -> the zone worker of each name wakes, waits a short debounce to batch what arrives
together, plans those names against its cached view of the zone, adds the ownership TXT records, sends one
batched change to the provider, patches its cache, and turns each result into events. Failed names are retried
with exponential backoff; other zones carry on. A slower periodic resync re-reads the zone and plans it whole,
unless a cheaper check says what changed (zoneread.py).
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections.abc import Iterable
from typing import TypeVar

from external_dns import metrics
from external_dns.desired import DesiredState
from external_dns.endpoint import Endpoint, normalize_name
from external_dns.errors import AmbiguousProviderError, ProviderBusy, ProviderError
from external_dns.events import EventSink
from external_dns.guards.before_listed import before_listed
from external_dns.guards.mass_deletion import MassDeletionGuard, count_owned
from external_dns.guards.namespace_isolation import NamespaceIsolation
from external_dns.model import ApplyOutcome, Changes, Zone, ZoneRouter
from external_dns.plan import Plan, PlanSettings
from external_dns.providers.base import Provider, ReadingNames, RemotelyAdjusting
from external_dns.registry import Registry
from external_dns.reporting import ZoneReporter, describe_changes
from external_dns.zonecache import ZoneCache
from external_dns.zoneplan import PlanCheck, ZonePlan, names_read, plan_zone, provider_adjust, types_owned
from external_dns.zoneread import ZoneReading
from external_dns.zonework import DependsOnApply, ReconcilerSettings, SyncResult, resync_delay, unapplied

logger = logging.getLogger(__name__)
T = TypeVar("T")


class ZoneWorker(ZoneReading):
    """Keeps one zone in step with the desired state."""

    def __init__(
        self,
        zone: Zone,
        *,
        provider: Provider,
        registry: Registry,
        desired: DesiredState,
        plan_settings: PlanSettings,
        events: EventSink,
        settings: ReconcilerSettings,
        router: ZoneRouter | None = None,
        isolation: NamespaceIsolation | None = None,
    ) -> None:
        self.zone = zone
        self.provider = provider
        self.registry = registry
        self.desired = desired
        self.plan_settings = plan_settings
        self.events = events
        self.settings = settings
        self.cache = ZoneCache()
        self._provider_adjust = provider_adjust(provider)
        #: Where this worker writes what it learns about each name (read by status, explain): the desired
        #: state's record-state store.
        self.states = desired.states
        #: Which zones hold a name: a wanted name is this worker's when the router sends it here.
        self.router = router if router is not None else ZoneRouter([zone])
        self._dirty: set[str] = set()
        self._retry: set[str] = set()
        self._retry_at = math.inf
        self._backoff = settings.retry_initial
        self._wake = asyncio.Event()
        self.reporter = ZoneReporter(self.label, events, self.states)
        self.isolation = isolation
        self.deletion_guard = MassDeletionGuard(
            self.label, settings.deletion_limit, plan_settings.owner_id, events, desired
        )
        self._dirty_since: dict[str, float] = {}
        self.idle = asyncio.Event()
        #: Set once the zone was read and planned whole for the first time (whatever the outcome).
        self.first_sync_done = asyncio.Event()
        self.syncs = 0
        #: An apply failed ambiguously (its answer was lost): the cache may miss what it applied.
        self._reload_before_sync = False
        #: Loop time of the last whole read of the zone (see ReconcilerSettings.full_read_interval).
        self._read_at = -math.inf

    @property
    def label(self) -> str:
        return self.zone.label

    def mark(self, names: Iterable[str]) -> None:
        names = set(names)
        now = time.monotonic()
        for name in names:
            self._dirty.add(name)
            self._dirty_since.setdefault(name, now)
        self.states.queued(self.label, names)
        metrics.QUEUE_DEPTH.labels(zone=self.label).set(len(self._dirty) + len(self._retry))
        self.idle.clear()
        self._wake.set()

    @property
    def pending(self) -> int:
        return len(self._dirty) + len(self._retry)

    async def run(self) -> None:
        """The worker's life: load, then sync dirty names, retries and periodic resyncs until cancelled.

        Names marked before it runs or while the zone is read (a standby's latest changes, app.py; changes made
        during the start) are planned before the whole zone, so the newest change waits for no whole-zone pass; a
        zone read in advance (a preload) is not read again.
        """
        if not self.cache.loaded:
            await self.load()
        if self._dirty:
            first, self._dirty = self._dirty, set()
            await self.sync(first)
        await self.sync_all()
        if not self._dirty:
            self._wake.clear()  # the marks made before this point are planned
        self.first_sync_done.set()
        loop = asyncio.get_running_loop()
        next_resync = loop.time() + self._resync_delay()
        while True:
            if not self._dirty and not self._retry:
                self.idle.set()
            due = min(next_resync, self._retry_at)
            try:
                # asyncio.timeout, not wait_for: Python 3.11's wait_for, cancelled in the turn the wake-up came,
                # returns instead of raising (stop_workers' cancel then lands late: tasks.cancel_all).
                async with asyncio.timeout(max(0.0, due - loop.time())):
                    await self._wake.wait()
                now = loop.time()
            except TimeoutError:
                # A timer due within the clock's resolution runs a hair early; a fake clock would then spin here.
                now = max(loop.time(), due)
            if self._wake.is_set():
                if len(self._dirty) < self.settings.batch_names:
                    await asyncio.sleep(self.settings.debounce)
                    now = loop.time()
                self._wake.clear()
            if now >= self._retry_at:
                self._dirty |= self._retry
                self._retry.clear()
                self._retry_at = math.inf
            if now >= next_resync:
                await self._resync()
                next_resync = loop.time() + self._resync_delay()
            elif self._dirty:
                names, self._dirty = self._dirty, set()
                await self.sync(names)

    def _resync_delay(self) -> float:
        return resync_delay(self.settings)

    async def _resync(self) -> None:
        """Read the zone again and plan it whole, unless a cheaper check says what changed (zoneread.py)."""
        changed = await self._changed_since_read()
        if changed is not None or await self._nothing_added_or_removed():
            # The names that woke the worker at this moment are not left for the next wake.
            names, self._dirty = self._dirty | (changed or set()), set()
            if names:
                await self.sync(names)
            return
        try:
            await self._read_whole()
        except ProviderError as error:
            logger.warning("Zone %s: resync could not read records: %s", self.label, error)
            return
        stale, self._dirty = self._dirty, set()
        await self.sync_all()
        self.states.settled(self.label, stale, set())  # those the whole-zone pass did not cover need nothing

    async def sync_all(self) -> SyncResult:
        """Plan the whole zone: every name the provider holds and every name wanted in it."""
        wanted = {name for name in self.desired.names() if self.zone in self.router.zones_for(name)}
        names = self.cache.names() | wanted
        if len(names) <= self.settings.slice_names:
            self._dirty -= names  # all planned at once now; a longer pass plans the names changed meanwhile first
        result = await self.sync(names)
        metrics.count_records(self.label, self.cache.all(), self.desired.endpoints_at(wanted))
        return result

    def _may_delete_en_masse(self, names: set[str]) -> bool:
        """Whether planning ``names`` could delete enough for the mass-deletion guard to act: such a pass is planned
        whole, so the guard judges all its deletes at once instead of letting the first slices through.

        An upper bound: every record at a name in the zone that nobody wants counts, owned or not, except the
        registry's own ownership records, which the guard does not count either (they go with their records).
        """
        present = self.cache.names()
        unwanted = [name for name in names if name in present and not self.desired.wanted_by(name)]
        records = [record for record in self.cache.at(unwanted) if not self.registry.is_registry_record(record)]
        return self.settings.deletion_limit.may_exceed(len(records))

    async def _sync_in_slices(self, names: set[str]) -> SyncResult:
        """:meth:`sync` one slice of names at a time (in name order), giving the event loop a turn in between.

        Names marked meanwhile are synced before the next slice: a change made during a long pass (the first
        sync at 50,000 objects takes tens of seconds) must not wait for the rest of the pass.

        While one slice's changes are on their way to the provider, the next slice is planned when its plan
        cannot depend on them (:meth:`_plan_ahead`): the provider applies one batch after another, and this
        keeps it busy while the operator plans, instead of each waiting for the other.
        """
        ordered = sorted(names)
        size = self.settings.slice_names
        slices = [set(ordered[start : start + size]) for start in range(0, len(ordered), size)]
        total = SyncResult(planned=len(names))
        ahead: ZonePlan | None = None
        for index, part in enumerate(slices):
            if self._dirty:
                changed, self._dirty = self._dirty, set()
                await self.sync(changed)
                ahead = None  # planned before those changes were applied
            following = slices[index + 1] if index + 1 < len(slices) else set()
            result, ahead = await self._sync_slice(part, ahead, following)
            total.applied.create += result.applied.create
            total.applied.update_old += result.applied.update_old
            total.applied.update_new += result.applied.update_new
            total.applied.delete += result.applied.delete
            total.failed += result.failed
            total.skipped += result.skipped
            await asyncio.sleep(0)
        return total

    async def sync(self, names: set[str]) -> SyncResult:
        """Plan and apply the given names; failed names are kept for a retry with backoff."""
        if len(names) > self.settings.slice_names and not self._may_delete_en_masse(names):
            return await self._sync_in_slices(names)
        result, _ = await self._sync_slice(names, None, set())
        return result

    async def _sync_slice(
        self, names: set[str], planned: ZonePlan | None, following: set[str]
    ) -> tuple[SyncResult, ZonePlan | None]:
        """Plan ``names`` (unless ``planned`` ahead) and apply them; meanwhile plan ``following`` if that is safe
        (returned with what the pass did)."""
        result = SyncResult(planned=len(names))
        if not names:
            return result, None
        self.syncs += 1
        if planned is None:
            if not await self._reload_after_ambiguous_failure():
                self._settled(names, failed_names=names)
                result.error = "the zone could not be re-read after an ambiguous provider failure"
                return result, None
            try:
                planned = await self._plan(
                    names, lambda plan: self.deletion_guard.check(plan, names, self._owned_records)
                )
            except ProviderError as error:  # only a remote adjust can fail here
                wanted = Changes(create=self.desired.endpoints_at(names))
                outcome = ApplyOutcome(failed=[(ep, f"the provider cannot check it: {error}") for ep in wanted.create])
                result.failed = self.reporter.failed(wanted, outcome, names)
                self._settled(names, failed_names=names)
                return result, None
        self.reporter.skipped(names, planned.skipped, self.plan_settings.owner_id, ignored=planned.ignored)
        result.skipped = len(planned.skipped)
        metrics.record_plan(self.label, planned.changes)
        if not planned.batch.has_changes():
            self._settled(names, failed_names=set())
            return result, None
        if self.settings.dry_run:
            self._log_dry_run(planned.changes)
            self._settled(names, failed_names=set())
            result.applied = planned.changes
            return result, None
        applying = asyncio.ensure_future(self._apply(planned.batch))
        await asyncio.sleep(0)  # let the apply start (hand its batch to the provider) before planning ahead
        try:
            ahead = await self._plan_ahead(following, planned.batch)
        finally:
            outcome = await applying
        error_names, deferred_names = self._took(planned.batch, outcome)
        failed_names = error_names | deferred_names
        applied = planned.changes.without(failed_names)
        self.deletion_guard.record_applied(len(applied.delete))
        self.reporter.applied(applied)
        result.applied = applied
        result.failed = self.reporter.failed(planned.changes, outcome, error_names)
        self._settled(names, failed_names)
        # After an ambiguous failure the zone is re-read before planning again: a plan made before is void.
        return result, None if self._reload_before_sync else ahead

    async def sync_before_listed(self, names: set[str]) -> None:
        """Plan and apply ``names`` while the start-up LIST runs, from a point read of them (startchanges.py): only
        what the complete LIST could not undo (guards/before_listed.py). What is left out, or fails, waits for the
        first whole-zone sync, which plans these names before the rest."""
        if not isinstance(self.provider, ReadingNames):
            return
        try:
            read = names_read(self.registry, names, types_owned(self.plan_settings))
            at_names = ZoneCache()
            at_names.replace(await self._timed("records_at", self.provider.records_at(self.zone, read)))
            endpoints = self.desired.endpoints_at(names)
            settings = self.plan_settings
            planned = await plan_zone(
                self.zone, at_names, self.registry, endpoints, names, settings, self._adjust, check=before_listed
            )
        except ProviderError as error:
            logger.info(
                "Zone %s: %d names changed during the start wait for its first sync: %s", self.label, len(names), error
            )
            return
        if not planned.batch.has_changes():
            return
        if self.settings.dry_run:
            self._log_dry_run(planned.changes)
            return
        error_names, deferred_names = self._took(planned.batch, await self._apply(planned.batch))
        self.reporter.applied(planned.changes.without(error_names | deferred_names))

    def _took(self, batch: Changes, outcome: ApplyOutcome) -> tuple[set[str], set[str]]:
        """What the provider did with ``batch``, into the cache; the names that failed, and those deferred."""
        self._reload_before_sync = self._reload_before_sync or outcome.ambiguous
        failed_keys, error_names = unapplied(ep for ep, _ in outcome.failed)
        deferred_keys, deferred_names = unapplied(outcome.deferred)
        self.cache.apply(batch, failed_keys | deferred_keys)
        return error_names, deferred_names

    def _log_dry_run(self, changes: Changes) -> None:
        for line in describe_changes(changes):
            logger.info("DRY-RUN %s (zone %s)", line, self.label)

    async def _plan(self, names: set[str], check: PlanCheck) -> ZonePlan:
        return await plan_zone(
            self.zone,
            self.cache,
            self.registry,
            self.desired.endpoints_at(names),
            names,
            self.plan_settings,
            self._adjust,
            screen=self.isolation,
            check=check,
        )

    async def _plan_ahead(self, names: set[str], applying: Changes) -> ZonePlan | None:
        """Plan ``names`` while ``applying`` is being sent, when the plan cannot depend on how that apply ends.

        It cannot when the apply touches none of the names the plan reads (the names and every TXT name that
        can own records there), and neither deletes anything (the mass-deletion guard counts applied deletes
        and the records owned): the plan is then the one that would be made once the apply is done. Otherwise,
        and with a remote canonical form (webhooks, whose calls are not overlapped with writes), None: the
        names are planned after the apply, as usual.
        """
        if not names or applying.delete or isinstance(self.provider, RemotelyAdjusting):
            return None
        touched = {normalize_name(record.dns_name) for record in applying.records()}  # no EndpointKey needed
        if not touched.isdisjoint(names_read(self.registry, names)):
            return None

        def check(plan: Plan) -> Plan:
            if plan.changes.delete:
                raise DependsOnApply  # before the guard sees it: a held delete must be judged after the apply
            return self.deletion_guard.check(plan, names, self._owned_records)

        try:
            return await self._plan(names, check)
        except DependsOnApply:
            return None

    async def _apply(self, batch: Changes) -> ApplyOutcome:
        """Send the batch; a failure of the whole call fails every change in it (ambiguously if it may have landed)."""
        try:
            return await self._timed("apply_changes", self.provider.apply_changes(self.zone, batch))
        except ProviderBusy as error:  # "come back later": the names wait for a retry, no error on the objects
            waiting = batch.records()
            logger.info("Zone %s: %s; %d changes wait for a retry", self.label, error, len(waiting))
            return ApplyOutcome(deferred=waiting, ambiguous=isinstance(error, AmbiguousProviderError))
        except ProviderError as error:
            ambiguous = isinstance(error, AmbiguousProviderError)
            return ApplyOutcome(failed=[(ep, str(error)) for ep in batch.records()], ambiguous=ambiguous)

    async def _reload_after_ambiguous_failure(self) -> bool:
        """After an apply whose answer was lost, re-read the zone before planning again: creates the provider
        applied must not be sent a second time (a provider that accepts duplicates would keep them for ever).
        False when the zone cannot be read (the names then wait for a retry)."""
        if not self._reload_before_sync:
            return True
        try:
            records = await self._read_whole()
        except ProviderError as error:
            logger.warning("Zone %s: cannot re-read records after an ambiguous failure: %s", self.label, error)
            return False
        logger.info("Zone %s: re-read %d records after an ambiguous failure", self.label, len(records))
        return True

    def _owned_records(self) -> int:
        """How many records of the zone this owner holds (the mass-deletion guard's denominator)."""
        return count_owned(self.registry.read(self.cache.all()).records, self.plan_settings)

    async def _adjust(self, endpoints: list[Endpoint]) -> list[Endpoint]:
        adjusting = self._provider_adjust(endpoints)
        if isinstance(self.provider, RemotelyAdjusting):  # only a remote call is a provider call worth timing
            return await self._timed("adjust_endpoints", adjusting)
        return await adjusting

    def _settled(self, names: set[str], failed_names: set[str]) -> None:
        done = names - failed_names
        self._retry -= done  # a failed name applied since (by a newer change) no longer waits for its retry
        now = time.monotonic()
        for name in done:
            since = self._dirty_since.pop(name, None)
            if since is not None:
                metrics.CHANGE_LATENCY.observe(now - since)
        if failed_names:
            self._retry |= failed_names & names
            if self._retry_at == math.inf:
                # One step of backoff per retry round: twenty passes refused in the same second (a throttled
                # burst) are one failure, not twenty, or the retry would wait the maximum after a short outage.
                self._retry_at = asyncio.get_running_loop().time() + self._backoff
                self._backoff = min(self._backoff * 2, self.settings.retry_max)
            metrics.CONSECUTIVE_SOFT_ERRORS.inc()
        else:
            self._backoff = self.settings.retry_initial
            metrics.CONSECUTIVE_SOFT_ERRORS.set(0)
            metrics.LAST_SYNC.set(time.time())
        metrics.QUEUE_DEPTH.labels(zone=self.label).set(len(self._dirty) + len(self._retry))
        self.states.settled(self.label, names, failed_names & names)
