"""The running operator: object stores, desired state, zone workers and events, wired together.

Kopf's watch handlers (handlers.py) and the initial paged LIST both call :meth:`Application.on_object`;
everything after that is the same path. Zone workers start only once every enabled source has finished its
initial listing, so a restart never deletes records whose objects simply have not been seen yet.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass, field, replace

from external_dns import metrics
from external_dns.desired import DesiredState, ObjectKey
from external_dns.dnsendpoint_status import StatusRefresher, StatusWriter
from external_dns.endpoint import ObjectRef
from external_dns.events import Action, EventSink, KubeEventRecorder, Reason, RecordEvent
from external_dns.guards.blank_status import BlankStatusHoldDown
from external_dns.guards.clock import Clock, LoopClock
from external_dns.guards.namespace_isolation import NamespaceIsolation, allowed_domains_in, seniority_in
from external_dns.kinds import READ_BY_LABELS, Resource, SourceKind, watched_resources
from external_dns.kube import KubeClient
from external_dns.model import Zone, ZoneRouter
from external_dns.plan import PlanSettings
from external_dns.providers.base import DomainFiltering, FollowingChanges, Provider, ReadingNames
from external_dns.recentlychanged import planned_as
from external_dns.reconciler import ZoneWorker
from external_dns.recordstate import RecordStates
from external_dns.registry import Registry
from external_dns.relist import relist_forever
from external_dns.sources.base import SourceResult, SourceSettings, object_ref, passes_filters
from external_dns.standby import StandbyMemory
from external_dns.startchanges import StartChanges
from external_dns.store import Lookups, Obj, ObjectStore, PackedObject, object_id
from external_dns.tasks import cancel_all
from external_dns.zonesahead import ZonesAhead
from external_dns.zonework import ReconcilerSettings

logger = logging.getLogger(__name__)
Keys = Collection[tuple[str, str]]  # (namespace, name) of stored objects

#: Events wait for the zones' first sync at most this long (a provider that is down must not hold them for ever).
EVENTS_HELD_AT_MOST = 60.0


@dataclass
class Wiring:
    """Everything the application is built from (see factory.py)."""

    provider: Provider
    registry: Registry
    sources: Sequence[SourceKind]
    source_settings: SourceSettings
    plan_settings: PlanSettings
    reconciler_settings: ReconcilerSettings
    events: EventSink = field(default_factory=EventSink)
    #: Writes DNSEndpoint status (None: no status is written, e.g. dry runs and --once).
    status: StatusWriter | None = None
    #: --empty-target-grace: how long records outlive an emptied load-balancer status (0: not at all).
    empty_target_grace: float = 0.0
    #: The clock of the guards that wait (tests move a manual one by hand).
    clock: Clock = field(default_factory=LoopClock)
    #: --namespace-isolation: a name is served from one namespace only (guards/namespace_isolation.py).
    namespace_isolation: bool = False


class Application:
    """The operator's state and workers; one per process."""

    def __init__(self, wiring: Wiring) -> None:
        self.wiring = wiring
        self.provider = wiring.provider
        self.events = wiring.events
        #: What is known about each wanted record and object: workers write it, status and explain read it.
        self.states = RecordStates(track_touched=wiring.status is not None)
        self.desired = DesiredState(self.states)
        self.sources = {kind.name: kind for kind in wiring.sources}
        self._source_by_plural = {kind.resource.plural: kind for kind in wiring.sources}
        self.auxiliary: dict[str, Resource] = {
            resource.plural: resource
            for resource in watched_resources(wiring.sources)
            if resource.plural not in self._source_by_plural
        }
        # An --fqdn-template may read any field of its source's objects: those are then kept whole.
        whole = {kind.resource.plural for kind in wiring.sources if wiring.source_settings.fqdn_templates}
        self.stores = {
            resource.plural: ObjectStore(resource.plural, whole=resource.plural in whole)
            for resource in watched_resources(wiring.sources)
        }
        self.lookups = Lookups(self.stores)
        #: Looked-up resources whose change hands its readers the previous version too (kinds.READ_BY_LABELS).
        self._read_by_labels = READ_BY_LABELS & {plural for kind in wiring.sources for plural in kind.needs}
        self.status_refresher: StatusRefresher | None = None
        self.router = ZoneRouter(())
        self.workers: dict[Zone, ZoneWorker] = {}
        self._tasks: list[asyncio.Task[None]] = []
        #: What a standby remembers for its takeover: Warnings not posted, names changed (standby.py).
        self.standby = StandbyMemory()
        #: Another replica leads (peering.py): no worker runs and no event is posted here.
        self.standing_by = False
        #: Zones read ahead of the start or a takeover, or followed while standing by (zonesahead.py).
        self.zones_ahead = ZonesAhead(self._new_workers)
        #: Names changed during the start-up LIST, planned at once from a point read of them (startchanges.py).
        offered = isinstance(wiring.provider, ReadingNames) and not wiring.namespace_isolation
        self.start_changes = StartChanges(self.zones_ahead.reading, self.wiring.reconciler_settings.debounce, offered)
        #: The periodic re-LIST when it outlives the workers (a warm standby keeps its stores current).
        self._relist_task: asyncio.Task[None] | None = None
        self.listed = asyncio.Event()
        self.changed_in_start: set[str] = set()  # names a watch event changed before the workers existed
        self._changing = False
        self._listed_as_changed = False  # with _changing: a listed object that changed just before the LIST
        #: Per resource plural: the resourceVersion its last LIST began at (a watch resumes from there).
        self.listed_from: dict[str, str] = {}
        self.blank_status = BlankStatusHoldDown(wiring.empty_target_grace, wiring.clock, self.events)
        self.blank_status.on_expiry = self._rederive
        stores_by_kind = {kind.resource.kind: self.stores[kind.resource.plural] for kind in wiring.sources}
        self.isolation = (
            NamespaceIsolation(
                seniority_in(stores_by_kind),
                allowed_domains_in(self.lookups, self.events),
                wiring.plan_settings.owner_id,
            )
            if wiring.namespace_isolation
            else None
        )

    # --- input: objects ------------------------------------------------------------------------------------------

    def on_object(self, resource: Resource, event_type: str | None, obj: Obj, *, missed: bool = False) -> None:
        """One watch event (or one listed object): update the store, re-derive what depends on it. ``missed``: a
        resumed watch's change from before the start-up LIST's snapshot (planned as recentlychanged.py says)."""
        store = self.stores[resource.plural]
        previous = self._previous(store, obj)
        changed = self._changing = store.delete(obj) if event_type == "DELETED" else store.upsert(obj)
        if changed and missed and (recent := self.start_changes.recent) is not None:
            recency = recent.since_last_run()
            self._changing, self._listed_as_changed = planned_as(recency)
        if changed:
            self._follow(resource.plural, obj, deleted=event_type == "DELETED", previous=previous)
        self._changing = self._listed_as_changed = False  # while set, names changed before the workers exist go first

    def on_listing(self, resource: Resource, objects: Iterable[Obj], list_rv: str, listed: Keys = frozenset()) -> None:
        """A complete LIST of the resource (``listed``: keys of the objects taken page by page): the rest is gone."""
        listed = self._take_listed(resource, objects, set(listed))
        for obj in self.stores[resource.plural].forget_unlisted(listed, list_rv):
            self._follow(resource.plural, obj, deleted=True)

    def _take_listed(self, resource: Resource, objects: Iterable[Obj], listed: set[tuple[str, str]],
                     changed_after: str = "") -> Keys:  # fmt: skip
        """Store listed objects (keys added to ``listed``, returned); derive each new one from its slimmed form;
        ``changed_after``: the resourceVersion its watch resumed from (recentlychanged.py)."""
        store = self.stores[resource.plural]
        recent = self.start_changes.recent if resource.plural in self._source_by_plural else None
        for obj in objects:
            packed, slimmed = store.pack_slimmed(obj)
            listed.add(packed.key)
            previous = self._previous(store, packed)
            if store.upsert(packed):
                # Changed since the last run or just before the LIST (its times are dropped by slimming): first.
                recency = recent.classify(obj, changed_after) if recent is not None else None
                self._changing, self._listed_as_changed = planned_as(recency)
                self._follow(resource.plural, slimmed, deleted=False, previous=previous)
                self._changing = self._listed_as_changed = False
        return listed

    def _previous(self, store: ObjectStore, incoming: Obj | PackedObject) -> Obj | None:
        """The version held before ``incoming``, where the readers of its change look at it."""
        if store.kind not in self._read_by_labels or store.holds(incoming):
            return None
        key = incoming.key if isinstance(incoming, PackedObject) else object_id(incoming)
        return store.get(*key)

    def _follow(self, plural: str, obj: Obj, *, deleted: bool, previous: Obj | None = None) -> None:
        """After a stored change: the object's own endpoints, and those of the objects that look it up."""
        kind = self._source_by_plural.get(plural)
        if kind is not None:
            self._derive(kind, obj, deleted=deleted)
        self._rederive_dependents(plural, obj, previous)

    async def list_all(self, kube: KubeClient, first_page: Callable[[Resource, str], None] | None = None,
                       resume: Callable[[Resource], str] = lambda _: "") -> None:  # fmt: skip
        """The initial (or a safety) paged LIST of every watched resource; ``first_page`` as in list_resource;
        ``resume(resource)`` as each one's LIST begins (after the resources its objects look up are listed): the
        resourceVersion its watch resumed from, if any (a listed object newer than that changed since)."""
        for resource in self.resources():
            since = resume(resource)
            self.listed_from[resource.plural] = await self.list_resource(kube, resource, first_page, since)
        self.listed.set()

    def resources(self) -> list[Resource]:
        """Every watched resource: the looked-up ones first, so the sources' first derivation finds them."""
        return [*self.auxiliary.values(), *(kind.resource for kind in self.sources.values())]

    async def list_resource(
        self, kube: KubeClient, resource: Resource, first_page: Callable[[Resource, str], None] | None = None,
        changed_after: str = "",
    ) -> str:  # fmt: skip
        """A paged LIST of one resource into its store; returns the resourceVersion a watch may resume from.

        That is the first page's: a real API server serves every page of one LIST from the first page's snapshot,
        and a server that does not (the local one) then replays what changed during the paging (``first_page``
        is told it at once: a watch from there sees the changes made during the rest of the LIST).
        """
        listed: set[tuple[str, str]] = set()
        since = list_rv = ""
        async for page in kube.list_pages(self.list_path(resource), query=self.list_query(resource)):
            self._take_listed(resource, page.get("items") or [], listed, changed_after)  # the next page is coming
            list_rv = str((page.get("metadata") or {}).get("resourceVersion") or "")
            if not since and first_page is not None:
                first_page(resource, list_rv)
            since = since or list_rv
        logger.info("Listed %d %s", len(listed), resource.plural)
        self.on_listing(resource, (), list_rv, listed)
        return since

    def list_path(self, resource: Resource) -> str:
        """Where the resource's objects are listed and watched (all namespaces or --namespace)."""
        namespace = self.wiring.source_settings.namespace
        if not resource.namespaced or resource.plural == "gateways":
            namespace = ""
        return resource.path(namespace)

    def list_query(self, resource: Resource) -> dict[str, str]:
        """--label-filter applies to the source kinds' own objects only."""
        selector = self.wiring.source_settings.label_filter
        return {"labelSelector": selector} if selector and resource.plural in self._source_by_plural else {}

    def derive(self, kind: SourceKind, obj: Obj) -> SourceResult:
        """What the source makes of the object now, with the current lookups (no state changes)."""
        return kind.derive(obj, self.wiring.source_settings, self.lookups)

    # --- deriving endpoints ----------------------------------------------------------------------------------

    def _derive(self, kind: SourceKind, obj: Obj, *, deleted: bool) -> None:
        namespace, name = object_id(obj)
        key = ObjectKey(kind.name, namespace, name)
        if deleted:
            self.states.forget_object(key)
            self.standby.forget(key)
            self.blank_status.forget(key)
            self._mark(self.desired.remove(key))
            if self.wiring.status is not None:
                self.wiring.status.forget(key)
            return
        try:
            result = self.derive(kind, obj)
        except Exception:  # a source bug must never stop the operator; the object is reported and skipped
            logger.exception("Source %s failed on %s/%s", kind.name, namespace, name)
            return
        problems = [str(problem) for problem in result.problems]
        explained = result.ignored_reason and kind.spec.explains_ignored
        if explained and not passes_filters(obj, self.wiring.source_settings):
            problems.append(f"no record: {result.ignored_reason}")  # ExternalDNS users ask for this (#4439)
        ref_of = functools.partial(object_ref, obj)  # asked only for news to report (the source has its own ref)
        self._report_problems(key, ref_of, problems, kind.name)
        if result.ignored_reason:
            logger.debug("Ignoring %s %s/%s: %s", kind.name, namespace, name, result.ignored_reason)
        endpoints = self.blank_status.endpoints(key, ref_of, obj, result.endpoints, self.desired.endpoints_of(key))
        changed = self.desired.update(key, endpoints)
        self._mark(changed)
        # A zone worker settles the changed names once applied, which refreshes the status; with no change, or a
        # name no worker manages, nothing will, so the object is touched now.
        if kind.spec.writes_status and (not changed or any(not self.router.zones_for(name) for name in changed)):
            self.states.touch_object(key)

    def _rederive(self, key: ObjectKey) -> None:
        """Derive one object again from its store (a guard's hold on it ended)."""
        kind = self.sources.get(key.kind)
        obj = self.stores[kind.resource.plural].get(key.namespace, key.name) if kind is not None else None
        if kind is not None and obj is not None:
            self._derive(kind, obj, deleted=False)

    def _rederive_dependents(self, plural: str, obj: Obj, previous: Obj | None = None) -> None:
        """A node, pod, EndpointSlice, Gateway or Namespace changed: report on it, re-derive its readers."""
        if plural == "namespaces" and self.isolation is not None:  # its allowed-domains annotation may have changed
            keys = [key for key in self.desired.keys() if key.namespace == object_id(obj)[1]]
            self._mark({ep.key.name for key in keys for ep in self.desired.endpoints_of(key)})
        for kind in self.sources.values():
            report = kind.spec.related_reports.get(plural)
            found = report(obj, self.wiring.source_settings) if report is not None else None
            if found is not None:
                self._report_problems(found.key, found.ref, found.problems, found.key.kind)
            if plural in kind.needs:
                for reader in kind.spec.readers(self.stores[kind.resource.plural], plural, obj, previous):
                    self._derive(kind, reader, deleted=False)

    def _report_problems(
        self, key: ObjectKey, ref: ObjectRef | Callable[[], ObjectRef], problems: Sequence[str], source: str
    ) -> None:
        if not self.states.set_problems(key, problems):
            return  # reported already
        ref = ref if isinstance(ref, ObjectRef) else ref()
        warnings = [
            RecordEvent(ref, Reason.ERROR, Action.FAILED_SYNC, m if m.startswith("no record:") else f"Invalid {m}")
            for m in problems
        ]
        if self.events.muted:  # standing by: the object's current Warnings wait for a takeover
            self.standby.hold(key, warnings)
        for message, warning in zip(problems, warnings, strict=True):
            metrics.SOURCE_INVALID_ENDPOINTS.labels(source_type=source).inc()
            logger.warning("Invalid %s: %s", ref.display, message)
            self.events.record(warning)

    # --- zones and workers -----------------------------------------------------------------------------------

    def _mark(self, names: Iterable[str]) -> None:
        if not self.workers:  # no workers yet (or standing by): each plans its whole zone when it starts
            if self.standing_by and self.listed.is_set():
                self.standby.changed(names)
            elif self._changing:  # changed during the start-up LIST (watched), or just before it (listed): first
                names = set(names)
                self.changed_in_start.update(names)
                self.start_changes.mark(names, later=self._listed_as_changed)
            return  # the initial listing is the whole zone's business, not a change
        for name in names:
            for zone in self.router.zones_for(name):
                self.workers[zone].mark((name,))

    async def load_zones(self) -> list[Zone]:
        """Ask the provider for its zones (and a webhook for its domain filter, AND-ed into the plan's)."""
        zones = await self.provider.zones()
        settings = self.wiring.plan_settings
        if isinstance(self.provider, DomainFiltering) and self.provider.domain_filter.is_configured:
            if self.provider.domain_filter not in settings.domain_filters:
                self.wiring.plan_settings = replace(
                    settings, domain_filters=(*settings.domain_filters, self.provider.domain_filter)
                )
        self.router = ZoneRouter(zones)
        return zones

    def begin_preload(self, attempts: int | None = None) -> None:
        """Read every zone ahead of a takeover (peering.py) or of the start (the LIST runs): start reads none again."""
        self.zones_ahead.read_ahead(attempts)

    def discard_preload(self) -> None:
        """The leader spoke again: zones read ahead would go stale."""
        self.zones_ahead.discard()

    def follow_zones(self) -> None:
        """A warm standby keeps its zone caches current while standing by, when the provider can follow changes
        (then its takeover reads no zone whole); otherwise its zones are read ahead when the leader falls silent."""
        if isinstance(self.provider, FollowingChanges) and self.standing_by:
            self.zones_ahead.follow()

    async def build_workers(self) -> None:
        self.workers = await self.zones_ahead.take() or await self._new_workers()
        logger.info("Managing zones: %s", ", ".join(z.name or "." for z in self.workers) or "(none)")

    async def _new_workers(self) -> dict[Zone, ZoneWorker]:
        zones = await self.load_zones()
        return {
            zone: ZoneWorker(
                zone,
                provider=self.provider,
                registry=self.wiring.registry,
                desired=self.desired,
                plan_settings=self.wiring.plan_settings,
                events=self.events,
                settings=self.wiring.reconciler_settings,
                router=self.router,
                isolation=self.isolation,
            )
            for zone in zones
        }

    async def start(self, kube: KubeClient | None = None) -> None:
        """Start one worker task per zone (after the initial listing), and with ``kube`` the periodic re-LIST."""
        await self.build_workers()  # (the zones read ahead: the changes meanwhile are still planned at once)
        await self.start_changes.close()  # the workers plan from here on
        self.standing_by = self.events.muted = False
        held = self.standby.take_warnings()
        self._mark([*self.standby.take_recent_changes(), *self.changed_in_start])  # planned before the whole zone
        self.changed_in_start = set()
        self._tasks = [
            asyncio.create_task(worker.run(), name=f"zone-worker:{worker.label}") for worker in self.workers.values()
        ]
        if isinstance(self.events, KubeEventRecorder):  # the records first (events.py, hold), bounded
            self.events.hold(self.wait_first_sync(), EVENTS_HELD_AT_MOST)
        if kube is not None:
            self._tasks.append(asyncio.create_task(relist_forever(self, kube), name="relist"))
        if held:
            self._tasks.append(asyncio.create_task(self.events.record_missing(held), name="held-warnings"))
        if self.wiring.status is not None:
            kind = next(kind for kind in self.sources.values() if kind.spec.writes_status)
            self.status_refresher = StatusRefresher(
                self.wiring.status, kind.name, self.stores[kind.resource.plural], self.desired, self.states, self.router
            )
            self._tasks.append(asyncio.create_task(self.status_refresher.run(), name="status-refresher"))

    def start_relisting(self, kube: KubeClient) -> None:
        """The periodic re-LIST for the process's lifetime, whether the workers run or not (warm standby)."""
        self._relist_task = asyncio.create_task(relist_forever(self, kube), name="relist")

    def lead(self) -> None:
        """This replica leads (or runs alone) and lists: it posts, and plans changes made meanwhile (startchanges)."""
        self.standing_by = self.events.muted = False
        self.start_changes.begin()

    def stand_by(self) -> None:
        """Another replica leads: post nothing, remember what changes for the takeover."""
        self.standing_by = self.events.muted = True

    async def stop_workers(self) -> None:
        """Stand by (another replica leads): stop writing and posting; names changed meanwhile wait for
        :meth:`start`, which plans every zone whole."""
        self.stand_by()
        await self.start_changes.close()
        tasks, self._tasks = self._tasks, []
        await cancel_all(tasks)
        self.workers = {}
        self.status_refresher = None
        if self._relist_task is not None:  # a warm standby again: its zones are followed again, read whole first
            self.follow_zones()
        else:
            self.listed.clear()  # the stores go stale while Kopf pauses this replica (kopf run --peering)

    @property
    def ready(self) -> bool:
        """The initial listing is complete and every zone has been read from the provider."""
        return self.listed.is_set() and bool(self.workers) and all(w.cache.loaded for w in self.workers.values())

    @property
    def active(self) -> bool:
        """Zone workers are running (standalone, or the active replica under peering)."""
        return bool(self._tasks)

    async def wait_first_sync(self) -> None:
        """Until every zone was read and planned whole once."""
        for worker in self.workers.values():
            await worker.first_sync_done.wait()

    async def wait_idle(self) -> None:
        """Until every worker has nothing left to do (tests, demo)."""
        for worker in self.workers.values():
            await worker.idle.wait()
        if self.status_refresher is not None:
            self.status_refresher.refresh()

    async def close(self) -> None:
        self.zones_ahead.close()
        await self.start_changes.close()
        await cancel_all([*self._tasks, *([self._relist_task] if self._relist_task is not None else [])])
        await self.events.close()
        if self.wiring.status is not None:
            await self.wiring.status.close()
        await self.provider.close()
