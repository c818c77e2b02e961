"""The Kopf registrations: one watch per enabled kind, feeding the application; startup and cleanup.

At startup the application LISTs every watched resource itself (paged, fast, and it knows exactly when the
initial listing is complete), starts the zone workers, lets them finish their first whole-zone sync, and only
then lets Kopf's watch streams carry changes. Kopf replays every object when a stream starts; the object stores
drop those replays by resourceVersion. From the start-up LIST until Kopf's streams have caught up, a watch of the
operator's own carries changes (catchup.py), so none waits behind the first sync or Kopf's replay. Under
--peering the zone workers run only on the active replica (peering.py): with ``external-dns --peering`` every
replica lists and watches from the start (a warm standby, whose takeover only starts the workers); under
``kopf run --peering`` Kopf pauses the standby, which lists when it takes over.
Handlers use ``@kopf.on.event`` only: no finalizers, no annotations written, so the operator needs nothing but
read access to the objects it watches.
"""

from __future__ import annotations

import asyncio
import gc
import logging
from dataclasses import dataclass
from typing import Any

import kopf
from aiohttp import web

from external_dns import factory, gcpolicy, memtrim, status_server
from external_dns.app import Application
from external_dns.catchup import COLLECTION_HELD_AT_MOST, CatchUpWatch
from external_dns.config import Settings
from external_dns.dnsendpoint_status import StatusWriter
from external_dns.events import KubeEventRecorder
from external_dns.kinds import Resource, watched_resources
from external_dns.kopf_peering import IDENTITY_VARIABLE, kopf_identity
from external_dns.kube import KubeClient, load_configuration
from external_dns.looplag import sample_loop_lag
from external_dns.peering import PeeringGate, random_priority
from external_dns.store import resource_version
from external_dns.tasks import cancel_all
from external_dns.watchpoint import WatchPositions, watch_positions

logger = logging.getLogger(__name__)


KOPF_RUN_NEEDS_POD_ID = (
    f"{IDENTITY_VARIABLE}: required with `kopf run --peering`: Kopf takes its peering identity from it "
    "(set it to the pod's name with the downward API, as manifests/ does)"
)

#: Objects per page of Kopf's own LIST when a watch starts (see configure_kopf).
KOPF_LIST_CHUNK = 500
#: How long the first whole-zone sync may run before Kopf's watch streams start (see start_application).
FIRST_SYNC_HEAD_START = 60.0


@dataclass
class Running:
    """What the Kopf handlers share, kept in Kopf's memo as one typed object (see :func:`running`)."""

    settings: Settings
    #: Under --peering: who this replica is in Kopf's peering object, and its priority there (runner.py).
    peering_identity: str = ""
    peering_priority: int = 0
    kube: KubeClient | None = None
    app: Application | None = None
    status_server: web.AppRunner | None = None
    gate: PeeringGate | None = None
    gate_task: asyncio.Task[None] | None = None
    #: Our own watch from the start-up LIST until Kopf's streams have caught up (catchup.py).
    catch_up: CatchUpWatch | None = None
    #: How far the watches got, kept for the next start (watchpoint.py); None when off.
    positions: WatchPositions | None = None
    #: Measures how long work holds the event loop (looplag.py).
    loop_sampler: asyncio.Task[None] | None = None
    #: Gives the start's freed heap back to the system once Kopf's replay is over (memtrim.py).
    heap_trim: asyncio.Task[int | None] | None = None


_MEMO_KEY = "running"


def new_memo(settings: Settings) -> kopf.Memo:
    """Kopf's memo for one operator process: it holds a :class:`Running` and nothing else."""
    return kopf.Memo({_MEMO_KEY: Running(settings)})


def running(memo: kopf.Memo, settings: Settings | None = None) -> Running:
    """The memo's :class:`Running`; with ``settings``, created when missing (``kopf run`` brings its own memo)."""
    if _MEMO_KEY not in memo and settings is not None:
        memo[_MEMO_KEY] = Running(settings)
    state: Running = memo[_MEMO_KEY]
    return state


def configure_kopf(kopf_settings: kopf.OperatorSettings, settings: Settings, *, kopf_peering: bool = False) -> None:
    """Kopf settings this operator relies on.

    ``kopf_peering``: Kopf's own peering carries ``--peering`` (``kopf run``, which pauses standbys); otherwise
    Kopf runs standalone and the peering gate keeps the replica's keep-alive itself (``external-dns --peering``).
    """
    kopf_settings.posting.enabled = False  # our own events carry a real action; Kopf's would be noise
    # Kopf keeps one worker per object alive for idle_timeout after its last event. Its replay of 10,000
    # existing objects at startup then holds 10,000 workers at once: RSS measured 286 MiB with the default 5 s,
    # 215 MiB with 0.5 s (bench/reconcile.py). Our handlers are cheap, so short-lived workers cost nothing.
    kopf_settings.queueing.idle_timeout = 0.5
    # Kopf LISTs every object again when its watch starts; unchunked, that one response (and every full object
    # parsed from it) is held at once: at 100,000 Pods, gigabytes. 500 per page, as kubectl and our own LIST.
    kopf_settings.watching.chunk_size = KOPF_LIST_CHUNK
    kopf_settings.watching.server_timeout = 300
    kopf_settings.watching.client_timeout = 330
    kopf_settings.networking.request_timeout = settings.request_timeout
    if not settings.peering and not kopf_settings.peering.mandatory:
        kopf_settings.peering.standalone = True  # no --peering here, and none given to `kopf run` either
    if settings.peering and kopf_peering:
        kopf_settings.peering.standalone = False
        kopf_settings.peering.name = settings.peering
        kopf_settings.peering.mandatory = True
        kopf_settings.peering.clusterwide = not settings.namespace  # the gate reads the same object
    # Also under `kopf run --peering`: --peering-lifetime bounds the failover time there too.
    kopf_settings.peering.lifetime = max(2, int(settings.peering_lifetime))


def peering_role(state: Running, kopf_settings: kopf.OperatorSettings, config: Settings) -> tuple[str, str, int] | None:
    """(peering name, this replica's identity, its priority) when peering, else None (standalone).

    ``external-dns --peering`` chose the identity and priority itself (runner.kopf_arguments, in ``state``).
    Under ``kopf run --peering=NAME`` Kopf chose them: the identity is ``POD_ID`` (Kopf's documented
    in-cluster setup), and Kopf's default priority 0 would tie every replica (Kopf then pauses them all), so
    a replica given no ``--priority`` gets a random one here, before Kopf's first keep-alive reads it.
    """
    if state.peering_identity:
        return config.peering, state.peering_identity, state.peering_priority
    if kopf_settings.peering.standalone or not kopf_settings.peering.mandatory:
        return None
    identity = kopf_identity()
    if identity is None:
        raise kopf.PermanentError(KOPF_RUN_NEEDS_POD_ID)
    if kopf_settings.peering.priority == 0:
        kopf_settings.peering.priority = random_priority()
    return kopf_settings.peering.name, identity, kopf_settings.peering.priority


def register(registry: kopf.OperatorRegistry, config: Settings) -> None:
    """Register the startup/cleanup activities and one event handler per watched resource."""
    sources = factory.sources(config)

    @kopf.on.startup(registry=registry)
    # No full collection while the handler runs, and what it built frozen out of later full passes when it returns
    # (what was imported before it too): they would rescan it all on the event loop (gcpolicy.py).
    @gcpolicy.during_start
    async def start_application(memo: kopf.Memo, settings: kopf.OperatorSettings, **_: Any) -> None:
        state = running(memo, config)
        try:
            await start(state, settings)
        except BaseException:
            # Kopf runs the cleanup handlers only once every startup handler has returned: an operator stopped
            # (or failing) during its start would leave the catch-up watch, the workers and the connections open.
            await release(state)
            raise

    async def start(state: Running, settings: kopf.OperatorSettings) -> None:
        state.loop_sampler = asyncio.create_task(sample_loop_lag(), name="loop-lag")
        # external-dns --peering chose its identity (runner.kopf_arguments) and keeps its own keep-alive.
        warm_standby = bool(state.peering_identity)
        configure_kopf(settings, config, kopf_peering=not warm_standby)
        kube = await KubeClient.connect(config.kubeconfig, config.master)
        wiring = factory.wiring(config, KubeEventRecorder(kube, config.events_emit), sources)
        with_status = next((kind for kind in sources if kind.spec.writes_status), None)
        if with_status is not None and not config.dry_run:
            wiring.status = StatusWriter(kube, with_status.resource)
        app = Application(wiring)
        state.kube = kube
        state.app = app
        state.positions = watch_positions(kube, config.watch_position_configmap)
        if state.positions is not None:
            state.positions.keep(lambda: positions_settled(app))
        role = peering_role(state, settings, config)
        gate: PeeringGate | None = None
        if role is not None:
            name, identity, priority = role
            namespace = "" if settings.peering.clusterwide else config.namespace
            gate = PeeringGate(
                kube,
                name,
                identity,
                priority,
                namespace=namespace,
                lifetime=config.peering_lifetime,
                keepalive=warm_standby,
            )
            app.stand_by()  # until this replica leads: the active one posts
        # A standby replica is ready: ready to take over is what a rollout should wait for.
        state.status_server = await status_server.serve(
            config.metrics_address,
            lambda: app.ready or (gate is not None and not gate.active and (app.listed.is_set() or not warm_standby)),
        )

        async def activate() -> None:
            if state.catch_up is not None:  # a replica that leads again (kopf run --peering)
                await state.catch_up.close()
            # Changes made from the LIST's first page on must not wait for Kopf's streams (see catchup.py), nor for
            # the LIST and the zone reads (startchanges.py); the zones are read while the LIST runs (once: a zone
            # that fails is read again by its worker).
            catch_up = state.catch_up = CatchUpWatch(app, kube, positions=state.positions)
            app.begin_preload(attempts=1)
            app.lead()
            await list_resuming(app, kube, catch_up, state.positions)
            await app.start(kube)
            logger.info("Initial listing done: %d objects want records", len(app.desired))

        if gate is None:
            await activate()
            # Kopf starts its watch streams when the startup handlers return, and first replays every object
            # (about 1 ms each, all dropped by the stores). Letting the first whole-zone sync finish before
            # that halves a cold start at 10,000 objects (bench/reconcile.py). Bounded: a provider that is down
            # must not keep the watches from starting.
            try:
                async with asyncio.timeout(FIRST_SYNC_HEAD_START):  # not wait_for: see reconciler.ZoneWorker.run
                    await app.wait_first_sync()
            except TimeoutError:
                logger.warning("First sync not done after %.0fs; starting the watches anyway", FIRST_SYNC_HEAD_START)
            # The LIST's pages, the first sync's plan and Kopf's replay are freed once the catch-up watch has
            # handed over: glibc's free pages back to the system then (once).
            handed_over = state.catch_up.handed_over if state.catch_up is not None else asyncio.Event()
            state.heap_trim = asyncio.create_task(
                memtrim.trim_when(handed_over, "Kopf's replay", COLLECTION_HELD_AT_MOST), name="heap-trim"
            )
        elif warm_standby:
            # Every replica lists now, before Kopf's streams start (their replay is dropped), and then follows
            # them: the standby's stores and desired state stay current, so taking over starts the workers only.
            # Until Kopf's replay is through, the catch-up watch keeps them current (a takeover may come meanwhile).
            catch_up = state.catch_up = CatchUpWatch(app, kube, positions=state.positions)
            await list_resuming(app, kube, catch_up, state.positions)
            app.start_relisting(kube)
            app.follow_zones()  # its zone caches too, where the provider can follow changes (zonesahead.py)
            state.gate = gate
            app.standby.recent_window = 2 * config.peering_lifetime  # what a leader that died may not have written

            async def take_over() -> None:
                await app.start()
                await app.wait_first_sync()
                gc.freeze()  # the zones read and planned at the takeover live on, as what the start built does

            state.gate_task = asyncio.create_task(
                gate.run(
                    take_over,
                    app.stop_workers,
                    on_leader_silent=app.begin_preload,
                    on_leader_back=app.discard_preload,
                ),
                name="peering-gate",
            )
        else:
            state.gate = gate
            state.gate_task = asyncio.create_task(gate.run(activate, app.stop_workers), name="peering-gate")

    @kopf.on.login(registry=registry)
    async def login(memo: kopf.Memo, **_: Any) -> kopf.ConnectionInfo:
        """Kopf connects with the same credentials as everything else: --kubeconfig, KUBECONFIG or in-cluster."""
        configuration = await load_configuration(config.kubeconfig, config.master)
        api_key = configuration.api_key or {}
        # kubernetes-asyncio keeps the token under "BearerToken" (older versions: "authorization").
        authorization = api_key.get("BearerToken") or api_key.get("authorization") or ""
        return kopf.ConnectionInfo(
            server=configuration.host or "",
            ca_path=configuration.ssl_ca_cert,
            insecure=not configuration.verify_ssl,
            token=authorization.removeprefix("Bearer ").strip() or None,
            certificate_path=configuration.cert_file,
            private_key_path=configuration.key_file,
        )

    @kopf.on.cleanup(registry=registry)
    async def stop_application(memo: kopf.Memo, **_: Any) -> None:
        await release(running(memo))

    for resource in watched_resources(sources):
        _register_watch(registry, resource)


async def list_resuming(
    app: Application, kube: KubeClient, catch_up: CatchUpWatch, positions: WatchPositions | None
) -> None:
    """The start-up LIST, each resource's catch-up watch resumed first from where the last run had got to."""
    resume_from = await positions.load() if positions is not None else {}

    def resume(resource: Resource) -> str:
        if since := resume_from.get(resource.plural, ""):
            catch_up.resume(resource, since)
        return since

    await app.list_all(kube, first_page=catch_up.follow, resume=resume)
    if positions is not None:
        for plural, listed_at in app.listed_from.items():
            positions.note(plural, listed_at)


def positions_settled(app: Application) -> bool:
    """Whether the positions seen may be written: this replica leads and has planned every zone whole once since
    its LIST (what a position marks as seen then was planned too, except what came since)."""
    workers = list(app.workers.values())
    return not app.standing_by and bool(workers) and all(worker.first_sync_done.is_set() for worker in workers)


async def release(state: Running) -> None:
    """Stop and close everything the start made, in order; each part once (a failed start, then Kopf's cleanup)."""
    catch_up, state.catch_up = state.catch_up, None
    if catch_up is not None:
        await catch_up.close()
    heap_trim, state.heap_trim = state.heap_trim, None
    if heap_trim is not None:
        heap_trim.cancel()
    gate_task, state.gate_task = state.gate_task, None
    if gate_task is not None:
        gate_task.cancel()
        await asyncio.gather(gate_task, return_exceptions=True)
    app, state.app = state.app, None
    settled = app is not None and positions_settled(app)
    if app is not None:
        await app.close()
    gate, state.gate = state.gate, None
    if gate is not None:
        await gate.leave()  # only once nothing writes any more: the standby may start at once
    positions, state.positions = state.positions, None
    if positions is not None:
        await positions.close(write=settled)  # where the next start resumes its watches
    kube, state.kube = state.kube, None
    if kube is not None:
        await kube.close()
    status, state.status_server = state.status_server, None
    if status is not None:
        await status.cleanup()
    sampler, state.loop_sampler = state.loop_sampler, None
    if sampler is not None:
        await cancel_all([sampler])


def _register_watch(registry: kopf.OperatorRegistry, resource: Resource) -> None:
    @kopf.on.event(resource.group, resource.version, resource.plural, registry=registry, id=f"watch-{resource.plural}")
    async def on_event(event: kopf.RawEvent, memo: kopf.Memo, **_: Any) -> None:
        state = running(memo)
        if state.app is None:
            return
        if state.catch_up is not None:
            state.catch_up.kopf_delivered(resource, event.get("type"), event["object"])
        if state.positions is not None and event.get("type") is not None:  # not Kopf's replay of its LIST
            state.positions.note(resource.plural, resource_version(event["object"]))
        state.app.on_object(resource, event.get("type"), event["object"])
