"""Benchmark of the whole operator against BIND: cold-start convergence, change latency, provider calls, memory.

For each ``--objects`` count N, a fresh child process (so memory figures do not carry over between runs):

1. starts the emulated API server as a subprocess and BIND (zone example.com) on loopback, and creates N
   LoadBalancer Services with a hostname annotation, then their status (the emulator drops status on create);
2. starts the real operator in a thread (rfc2136 provider, source=service, default debounce) and times how long
   until every record is in BIND (the zone worker reports idle, then one AXFR checks every name and IP), how
   long until Kopf has replayed the N existing objects to the handlers, and until the event queue is drained;
3. patches one Service's status IP ``--changes`` times, one after another, and times each until BIND answers
   the new IP over UDP (5 ms poll), counting the UPDATE messages and AXFRs the provider sent meanwhile;
4. reports the benchmark process's RSS (the operator's, as the API server runs elsewhere) before and after.

    .venv/bin/python bench/reconcile.py --objects 1000 10000 --changes 200
    .venv/bin/python bench/reconcile.py --objects 10000 --profile /tmp/reconcile   # cProfile of the operator
    .venv/bin/python bench/reconcile.py --objects 20000 --changes 20 --floor       # converged / floor (floor.py)
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import ctypes
import gc
import json
import pstats
import random
import resource
import subprocess
import sys
import tempfile
import threading
import time
import tracemalloc
from collections import Counter
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import aiohttp
import dns.asyncquery
import dns.exception
import dns.message
import dns.rdatatype
from prometheus_client import REGISTRY

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # `tests.harness` and `tests.backends` live at the repository root

from _common import api_server_process, memory_of, percentile  # noqa: E402
from floor import floor_zone, largest_batch, records_of, timed_list, update_floor  # noqa: E402
from objects import ObjectShape  # noqa: E402
from tests.backends.bind import BindServer, named_path  # noqa: E402
from tests.harness import OperatorThread, operator_settings  # noqa: E402

from external_dns import gcpolicy, handlers  # noqa: E402
from external_dns.app import Application  # noqa: E402
from external_dns.events import KubeEventRecorder  # noqa: E402
from external_dns.kinds import Resource  # noqa: E402
from external_dns.providers.rfc2136.provider import RFC2136Provider  # noqa: E402
from external_dns.store import Obj  # noqa: E402

ZONE = "example.com"
HOSTNAME_ANNOTATION = "external-dns.alpha.kubernetes.io/hostname"
SERVICES = "/api/v1/namespaces/default/services"
SERVICES_SHAPE = ObjectShape()
#: Concurrent HTTP clients used to seed the Services (the API server is single-threaded anyway).
SEED_CLIENTS = 8


@dataclass(frozen=True, slots=True)
class Figures:
    """Everything one run measured (seconds, MiB, counts)."""

    objects: int
    seed_s: float
    ready_s: float
    converged_s: float
    converge_updates: int
    converge_axfrs: int
    kopf_replay_s: float
    events_drained_s: float
    final_axfr_s: float
    changes: int
    failed_changes: int
    p50_s: float
    p90_s: float
    p99_s: float
    max_s: float
    updates_per_change: float
    axfrs_per_change: float
    rss_before_mib: float
    rss_converged_mib: float
    rss_after_mib: float
    peak_rss_mib: float
    api_server_rss_mib: float
    events_recorded: int
    events_created: int
    events_folded: int
    events_shed: int
    objects_with_ready_event: int
    #: --rfc2136-batch-change-size the operator ran with.
    batch_change_size: int = 50
    #: The floor (bench/floor.py, with --floor): the paged LIST, and the UPDATE stream at the operator's batch
    #: size and at the largest one a message holds. Zero when not measured.
    floor_list_s: float = 0.0
    floor_update_s: float = 0.0
    floor_updates: int = 0
    floor_best_batch: int = 0
    floor_best_update_s: float = 0.0
    floor_best_updates: int = 0


def name_of(index: int) -> str:
    return f"svc-{index:05d}"


def seed_ip(index: int) -> str:
    return f"10.{(index >> 16) & 255}.{(index >> 8) & 255}.{index & 255}"


def changed_ip(iteration: int) -> str:
    return f"172.16.{(iteration >> 8) & 255}.{iteration & 255}"


def status_patch(ip: str) -> dict[str, Any]:
    return {"status": {"loadBalancer": {"ingress": [{"ip": ip}]}}}


async def seed_services(url: str, count: int, shape: ObjectShape = SERVICES_SHAPE) -> None:
    """Create ``count`` objects (Services by default), then set each one's IP through /status."""
    numbers = iter(range(count))
    merge = {"Content-Type": "application/merge-patch+json"}

    async def client() -> None:
        async with aiohttp.ClientSession(url) as session:
            for number in numbers:
                name = shape.name_of(number)
                async with session.post(shape.collection, json=shape.body(name, ZONE)) as response:
                    await response.read()
                    if response.status != 201:
                        raise RuntimeError(f"create {name}: HTTP {response.status}")
                status = shape.status(seed_ip(number))
                status["status"] |= shape.realistic_status_extra()
                patch = json.dumps(status)
                async with session.patch(f"{shape.collection}/{name}/status", data=patch, headers=merge) as response:
                    await response.read()
                    if response.status != 200:
                        raise RuntimeError(f"status of {name}: HTTP {response.status}")

    await asyncio.gather(*(client() for _ in range(SEED_CLIENTS)))


def write_seed_file(path: Path, count: int, shape: ObjectShape = SERVICES_SHAPE) -> Path:
    """The objects ``seed_services`` would create, with their status, as a seed file for the API server.

    The server stores them before it serves (external_dns.testing.seed): 100,000 objects in about a minute where
    two HTTP requests per object took 20 minutes under load. The operator still LISTs and watches over HTTP.
    """
    with path.open("w", encoding="utf-8") as out:
        for number in range(count):
            out.write(json.dumps(shape.seed_object(shape.name_of(number), ZONE, seed_ip(number))) + "\n")
    return path


class DeliveryCounter:
    """Counts the watch events Kopf hands to the application (the initial LIST goes through on_listing)."""

    def __init__(self) -> None:
        self.by_plural: Counter[str] = Counter()
        self.last_at = 0.0

    def install(self) -> None:
        original = Application.on_object

        def counted(self_: Application, resource: Resource, event_type: str | None, obj: Obj, **flags: Any) -> None:
            self.by_plural[resource.plural] += 1
            self.last_at = time.perf_counter()
            original(self_, resource, event_type, obj, **flags)

        Application.on_object = counted  # type: ignore[method-assign,assignment]


class ProfiledOperatorThread(OperatorThread):
    """The test harness's operator thread with cProfile on in that thread (it profiles only its own thread)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.profile = cProfile.Profile()
        #: Profiles of the phases ended by :meth:`next_phase` (name, profile), in order.
        self.phases: list[tuple[str, cProfile.Profile]] = []

    def _main(self) -> None:
        self.profile.enable()
        try:
            super()._main()
        finally:
            self.profile.disable()

    def next_phase(self, ended: str) -> None:
        """From another thread: keep the profile so far as phase ``ended`` and profile on into a new one."""
        done = threading.Event()

        def swap() -> None:
            self.profile.disable()
            self.phases.append((ended, self.profile))
            self.profile = cProfile.Profile()
            self.profile.enable()
            done.set()

        assert self._loop is not None
        self._loop.call_soon_threadsafe(swap)
        done.wait(60)

    def stop_profile(self) -> None:
        """Stop profiling from another thread (the profiler belongs to the operator's thread)."""
        done = threading.Event()

        def disable() -> None:
            self.profile.disable()
            done.set()

        assert self._loop is not None
        self._loop.call_soon_threadsafe(disable)
        done.wait(60)


class CollectorTime:
    """Wall seconds the cyclic garbage collector ran, per generation, as printed per phase (gc.callbacks)."""

    def __init__(self) -> None:
        self.seconds = [0.0, 0.0, 0.0]
        self.passes = [0, 0, 0]
        self._began = 0.0
        gc.callbacks.append(self._callback)
        used = resource.getrusage(resource.RUSAGE_SELF)
        self._cpu, self._wall = used.ru_utime + used.ru_stime, time.perf_counter()

    def _callback(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self._began = time.perf_counter()
        else:
            self.seconds[info["generation"]] += time.perf_counter() - self._began
            self.passes[info["generation"]] += 1

    def report(self, phase: str) -> None:
        """Print what was counted since the last report (and the process's CPU seconds), and start again."""
        used = resource.getrusage(resource.RUSAGE_SELF)
        cpu = used.ru_utime + used.ru_stime
        wall = time.perf_counter()
        progress(f"process CPU during {phase}: {cpu - self._cpu:.2f}s in {wall - self._wall:.2f}s wall")
        self._cpu, self._wall = cpu, wall
        spent = ", ".join(
            f"gen{g} {n} passes {s:.2f}s" for g, (n, s) in enumerate(zip(self.passes, self.seconds, strict=True))
        )
        progress(f"collector during {phase}: {sum(self.seconds):.2f}s ({spent})")
        self.seconds, self.passes = [0.0, 0.0, 0.0], [0, 0, 0]


def wait_until(condition: Any, timeout: float, what: str, interval: float = 0.05) -> float:
    """Poll ``condition`` until truthy; the perf_counter time it became so."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(interval)
    return time.perf_counter()


def workers_idle(operator: OperatorThread) -> bool:
    """Every zone worker has synced and has nothing dirty.

    Read from this thread on purpose: a coroutine sent into the operator's loop (OperatorThread.wait_idle)
    waits its turn behind Kopf's replay of every object, which added seconds to the measured convergence.
    """
    workers = operator.app.workers.values()
    return bool(workers) and all(worker.idle.is_set() and not worker.pending for worker in workers)


def events_posted(operator: OperatorThread) -> bool:
    """The event recorder has nothing waiting and nothing in flight."""
    events = operator.app.events
    return not isinstance(events, KubeEventRecorder) or events.idle


def metric_total(name: str) -> int:
    """The sum of a counter over its labels (the operator runs in this process)."""
    return int(sum(s.value for m in REGISTRY.collect() for s in m.samples if s.name == name))


async def objects_with_ready_event(url: str) -> int:
    """How many distinct objects have a RecordReady event on the server."""
    names: set[str] = set()
    token = ""
    async with aiohttp.ClientSession(url) as session:  # in pages: 100,000 events at once would swell this RSS
        while True:
            query = {"limit": "1000", **({"continue": token} if token else {})}
            async with session.get("/api/v1/namespaces/default/events", params=query) as response:
                page = await response.json()
            names.update(e["involvedObject"]["name"] for e in page["items"] if e["reason"] == "RecordReady")
            token = (page.get("metadata") or {}).get("continue") or ""
            if not token:
                return len(names)


def missing_records(bind: BindServer, count: int, shape: ObjectShape) -> int:
    """How many of the N names lack their A record (with the seeded IP) or ownership TXT in BIND."""
    records = bind.axfr_records_sync(ZONE)
    missing = 0
    for index in range(count):
        host = f"{shape.name_of(index)}.{ZONE}"
        if records.get((host, "A")) != {seed_ip(index)} or (f"a-{host}", "TXT") not in records:
            missing += 1
    return missing


async def change_latencies(
    url: str, host: str, port: int, count: int, changes: int, shape: ObjectShape
) -> tuple[list[float], int]:
    """Patch one Service's IP at a time; the seconds until BIND answers it, and how many never did (30 s)."""
    rng = random.Random(42)
    latencies: list[float] = []
    failed = 0
    merge = {"Content-Type": "application/merge-patch+json"}
    async with aiohttp.ClientSession(url) as session:
        for iteration in range(changes):
            index = rng.randrange(count)
            name, ip = shape.name_of(index), changed_ip(iteration)
            query = dns.message.make_query(f"{name}.{ZONE}", dns.rdatatype.A)
            started = time.perf_counter()
            async with session.patch(
                f"{shape.collection}/{name}/status", data=json.dumps(shape.status(ip)), headers=merge
            ) as response:
                await response.read()
                if response.status != 200:
                    raise RuntimeError(f"status of {name}: HTTP {response.status}")
            deadline = started + 30.0
            while True:
                try:
                    answer = await dns.asyncquery.udp(query, host, port=port, timeout=1.0)
                except dns.exception.Timeout:  # a lost datagram on a loaded machine: ask again
                    continue
                if any(rdata.to_text() == ip for rrset in answer.answer for rdata in rrset):
                    latencies.append(time.perf_counter() - started)
                    break
                if time.perf_counter() > deadline:
                    failed += 1
                    break
                await asyncio.sleep(0.005)  # a benchmark's tight poll; nothing to wait on but BIND itself
    return latencies, failed


def measure(
    count: int,
    changes: int,
    debounce: float,
    profile: Path | None,
    trace: bool = False,
    shape: ObjectShape = SERVICES_SHAPE,
    batch_change_size: int = 50,
    floor: bool = False,
    profile_cold: bool = False,
    events: bool = True,
    cold_only: bool = False,
) -> Figures:
    """One complete run for N = ``count`` objects (see the module docstring)."""
    if named_path() is None:
        raise SystemExit("BIND9 `named` is not installed")
    changes = 0 if cold_only else changes
    seeding_started = time.perf_counter()
    with (
        tempfile.TemporaryDirectory(prefix="bench-reconcile-") as tmp,
        api_server_process(Path(tmp), write_seed_file(Path(tmp) / "seed.jsonl", count, shape)) as api,
    ):
        seed_s = time.perf_counter() - seeding_started  # the seed file written, then stored by the server
        bind = BindServer()
        floor_sizes: list[int] = []
        if floor:
            best = largest_batch(floor_records(count, shape))
            # A batch larger than a message holds is cut at 64 KiB by the provider too.
            floor_sizes = [min(batch_change_size, best)] + ([best] if best > batch_change_size else [])
        info = bind.start([ZONE, *map(floor_zone, floor_sizes)], Path(tmp) / "bind")
        floors = FloorFigures()
        operator: OperatorThread | None = None
        try:
            progress(f"N={count}: seeded in {seed_s:.1f}s")
            if floor:
                floors = measure_floor(bind, api.kubeconfig, count, shape, floor_sizes)

            counter = DeliveryCounter()
            counter.install()
            settings = operator_settings(
                api.kubeconfig,
                source=[shape.kind],
                **bind.provider_flags(ZONE),
                txt_owner_id="bench",
                debounce=debounce,
                rfc2136_batch_change_size=batch_change_size,
                **({} if events else {"events_emit": []}),
            )
            operator = ProfiledOperatorThread(settings) if profile else OperatorThread(settings)
            rss_before = memory_of().rss
            patience = max(600.0, count * 0.02)  # 100,000 objects on a loaded machine take more than 10 minutes
            if trace:
                tracemalloc.start(6)  # deep enough to reach the operator's line behind most library allocations
            phases = PhaseMemory(trace)
            collector = CollectorTime()
            started = time.perf_counter()
            operator.start(timeout=patience)
            ready_s = time.perf_counter() - started
            phases.mark("ready (LIST + zone read)")
            collector.report("ready")
            if profile_cold and isinstance(operator, ProfiledOperatorThread):
                operator.next_phase("ready")  # the start profiled per phase: ready, then the sync
            converged_at = wait_until(lambda: workers_idle(operator), patience, "the zone workers to be idle", 0.01)
            collector.report("the first sync")  # before the verifying AXFR, which this thread parses
            provider = operator.app.provider
            assert isinstance(provider, RFC2136Provider)
            converge_updates, converge_axfrs = provider.stats.updates_sent, provider.stats.axfrs
            axfr_started = time.perf_counter()
            missing = missing_records(bind, count, shape)
            final_axfr_s = time.perf_counter() - axfr_started
            while missing:  # not expected: idle should mean applied; keep the figure honest if it is not
                progress(f"N={count}: {missing} names still missing in BIND after idle")
                wait_until(lambda: workers_idle(operator), patience, "the zone workers to be idle")
                missing = missing_records(bind, count, shape)
                converged_at = time.perf_counter()
            converged_s = converged_at - started
            phases.mark("converged")
            if profile_cold and isinstance(operator, ProfiledOperatorThread):
                operator.stop_profile()
                operator.phases.append(("sync", operator.profile))
            progress(f"N={count}: ready {ready_s:.1f}s, converged {converged_s:.1f}s")
            if floor:
                progress(f"N={count}: converged / floor = {converged_s / floors.total_s:.2f}")

            kopf_replay_s = events_drained_s = float("nan")
            with_event = 0
            if not cold_only:
                replayed_at = wait_until(lambda: counter.by_plural[shape.plural] >= count, patience, "Kopf's replay")
                kopf_replay_s = max(replayed_at, counter.last_at) - started
                phases.mark("Kopf replay done")
                events_drained_s = wait_until(lambda: events_posted(operator), patience, "the events") - started
                phases.mark("events drained")
            if PhaseMemory.trim:
                ctypes.CDLL("libc.so.6").malloc_trim(0)
                phases.mark("glibc malloc_trim(0)")
            phases.report(count, rss_before)
            rss_converged = memory_of().rss
            if trace:
                report_allocations(tracemalloc.take_snapshot(), count)
                tracemalloc.stop()
            if not cold_only:
                with_event = asyncio.run(objects_with_ready_event(api.url))
            progress(f"N={count}: {with_event} objects have their RecordReady event")
            progress(f"N={count}: Kopf replayed in {kopf_replay_s:.1f}s, events drained {events_drained_s:.1f}s")

            updates_before, axfrs_before = provider.stats.updates_sent, provider.stats.axfrs
            latencies, failed = asyncio.run(change_latencies(api.url, info.host, info.port, count, changes, shape))
            # BIND answers the new IP before the provider has counted that UPDATE's response: let it finish.
            wait_until(lambda: workers_idle(operator), 60, "the zone workers to be idle", 0.01)
            updates = provider.stats.updates_sent - updates_before
            axfrs = provider.stats.axfrs - axfrs_before
            rss_after = memory_of()
            api_rss = memory_of(api.pid).rss
            operator.stop()
            if isinstance(operator, ProfiledOperatorThread) and profile is not None:
                for phase, phase_profile in operator.phases or [("", operator.profile)]:
                    suffix = f"-{phase}" if phase else ""
                    write_profile(phase_profile, profile.with_name(f"{profile.name}-{count}{suffix}.prof"))
        finally:
            if operator is not None:
                operator.stop()  # also on failure: a live operator would keep retrying a stopped API server
            bind.stop()
    return Figures(
        objects=count,
        seed_s=seed_s,
        ready_s=ready_s,
        converged_s=converged_s,
        converge_updates=converge_updates,
        converge_axfrs=converge_axfrs,
        kopf_replay_s=kopf_replay_s,
        events_drained_s=events_drained_s,
        final_axfr_s=final_axfr_s,
        changes=changes,
        failed_changes=failed,
        p50_s=percentile(latencies, 0.50) if latencies else float("nan"),
        p90_s=percentile(latencies, 0.90) if latencies else float("nan"),
        p99_s=percentile(latencies, 0.99) if latencies else float("nan"),
        max_s=max(latencies, default=float("nan")),
        updates_per_change=updates / changes if changes else 0.0,
        axfrs_per_change=axfrs / changes if changes else 0.0,
        rss_before_mib=rss_before,
        rss_converged_mib=rss_converged,
        rss_after_mib=rss_after.rss,
        peak_rss_mib=rss_after.peak,
        api_server_rss_mib=api_rss,
        events_recorded=metric_total("external_dns_events_recorded_total"),
        events_created=metric_total("external_dns_events_posted_total"),
        events_folded=metric_total("external_dns_events_folded_total"),
        events_shed=metric_total("external_dns_events_shed_total"),
        objects_with_ready_event=with_event,
        batch_change_size=batch_change_size,
        floor_list_s=floors.list_s,
        floor_update_s=floors.update_s,
        floor_updates=floors.updates,
        floor_best_batch=floors.best_batch,
        floor_best_update_s=floors.best_update_s,
        floor_best_updates=floors.best_updates,
    )


class PhaseMemory:
    """The RSS (and, under --tracemalloc, the live and peak traced bytes) at the end of each start-up phase.

    RSS keeps the high-water mark of what each phase allocated and freed; the traced peak of a phase says how
    high its transient objects went, the traced live bytes what it kept.
    """

    #: --trim: after the events are drained, hand glibc's free pages back to the system and measure again.
    trim = False

    def __init__(self, trace: bool) -> None:
        self.trace = trace
        self.marks: list[tuple[str, float, float, int, int]] = []  # phase, RSS, peak RSS, traced live, peak

    def mark(self, phase: str) -> None:
        live, peak = tracemalloc.get_traced_memory() if self.trace and tracemalloc.is_tracing() else (0, 0)
        if self.trace and tracemalloc.is_tracing():
            tracemalloc.reset_peak()
        memory = memory_of()
        self.marks.append((phase, memory.rss, memory.peak, live, peak))

    def report(self, count: int, rss_before: float) -> None:
        for phase, rss, peak_rss, live, peak in self.marks:
            line = f"  after {phase:<26} RSS {rss - rss_before:6.0f} MiB over before (peak {peak_rss:.0f} MiB)"
            if self.trace:
                line += f"; traced live {live / count:6.0f} B/object, phase peak {peak / count:6.0f} B/object"
            progress(line)


@dataclass(frozen=True, slots=True)
class FloorFigures:
    """The floor's parts (bench/floor.py); the first stream is at the operator's batch size."""

    list_s: float = 0.0
    update_s: float = 0.0
    updates: int = 0
    best_batch: int = 0
    best_update_s: float = 0.0
    best_updates: int = 0

    @property
    def total_s(self) -> float:
        return self.list_s + self.update_s


def floor_records(count: int, shape: ObjectShape) -> list[Any]:
    names = [shape.name_of(index) for index in range(count)]
    return records_of(names, [seed_ip(index) for index in range(count)], "bench", shape.kind)


def measure_floor(bind: BindServer, kubeconfig: Path, count: int, shape: ObjectShape, sizes: list[int]) -> FloorFigures:
    """The floor, before the operator starts: a paged LIST of the objects, then one UPDATE stream per batch size."""
    list_s, listed = timed_list(str(kubeconfig), f"/api/v1/{shape.plural}")
    if listed != count:
        raise RuntimeError(f"the floor's LIST found {listed} {shape.plural}, not {count}")
    progress(f"floor: LIST of {listed} {shape.plural}: {list_s:.2f}s")
    info = bind.info
    streams = update_floor(info.host, info.port, floor_records(count, shape), sizes, bind.keyring(), progress)
    best = streams[-1]
    return FloorFigures(list_s, streams[0].seconds, streams[0].messages, best.batch_size, best.seconds, best.messages)


def report_allocations(snapshot: tracemalloc.Snapshot, count: int) -> None:
    """Where the operator's live bytes are, per object: by package, by file, and the top lines (to stderr)."""
    by_file = snapshot.statistics("filename")
    total = sum(stat.size for stat in by_file)
    packages: Counter[str] = Counter()
    for stat in by_file:
        packages[package_of(stat.traceback[0].filename)] += stat.size
    progress(f"tracemalloc: {total / 2**20:.1f} MiB live = {total / count:.0f} B per object")
    for package, size in packages.most_common(12):
        progress(f"  {size / count:8.0f} B/object  {package}")
    for stat in by_file[:15]:
        progress(f"  {stat.size / count:8.0f} B/object  {stat.traceback[0].filename}")
    for stat in snapshot.statistics("lineno")[:20]:
        frame = stat.traceback[0]
        progress(f"  {stat.size / count:8.0f} B/object  line {frame.filename.rsplit('/', 2)[-1]}:{frame.lineno}")
    # By the first frame in this project's code: which of our lines keep the bytes alive (via any library).
    ours: Counter[str] = Counter()
    for stat in snapshot.statistics("traceback"):
        frame = next((f for f in stat.traceback if "external_dns" in f.filename), stat.traceback[0])
        ours[f"{frame.filename.rsplit('/', 2)[-1]}:{frame.lineno}"] += stat.size
    for where, size in ours.most_common(20):
        progress(f"  {size / count:8.0f} B/object  first project frame {where}")


def package_of(filename: str) -> str:
    """``.../site-packages/kopf/_core/x.py`` -> ``kopf``; the project's own files -> ``external_dns``."""
    parts = filename.split("/")
    for marker in ("site-packages", "external_dns"):
        if marker in parts:
            index = parts.index(marker)
            return marker if marker == "external_dns" else parts[index + 1]
    return parts[-2] if len(parts) > 1 else filename


def write_profile(profile: cProfile.Profile, path: Path) -> None:
    """Save the operator thread's profile and print its top 25 by own time to stderr."""
    profile.dump_stats(str(path))
    stats = pstats.Stats(str(path), stream=sys.stderr)
    stats.sort_stats("tottime").print_stats(25)
    stats.sort_stats("cumulative").print_stats(25)
    progress(f"profile written to {path}")


def progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def table(results: list[Figures]) -> str:
    """The figures of every run as a text table, one column per N."""
    rows: list[tuple[str, str]] = [
        ("objects", "{objects}"),
        ("seed: create + status (s)", "{seed_s:.1f}"),
        ("operator ready: LIST + zone AXFR (s)", "{ready_s:.2f}"),
        ("converged: every record in BIND (s)", "{converged_s:.2f}"),
        ("  UPDATE messages / AXFRs to converge", "{converge_updates} / {converge_axfrs}"),
        ("  verifying AXFR took (s)", "{final_axfr_s:.2f}"),
        ("  --rfc2136-batch-change-size", "{batch_change_size}"),
        ("floor: paged LIST of the objects (s)", "{floor_list_s:.2f}"),
        ("floor: UPDATE stream, operator's batch (s)", "{floor_update_s:.2f}"),
        ("  UPDATE messages", "{floor_updates}"),
        ("converged / floor (LIST + that stream)", "{ratio:.2f}"),
        ("floor: UPDATE stream, largest batch (s)", "{floor_best_update_s:.2f}"),
        ("  groups per UPDATE / messages", "{floor_best_batch} / {floor_best_updates}"),
        ("converged / floor with the largest batch", "{best_ratio:.2f}"),
        ("Kopf replay of existing objects done (s)", "{kopf_replay_s:.2f}"),
        ("events queue drained (s)", "{events_drained_s:.2f}"),
        ("  events recorded / written", "{events_recorded} / {events_created}"),
        ("  events folded / shed", "{events_folded} / {events_shed}"),
        ("  objects with their RecordReady event", "{objects_with_ready_event}"),
        ("change latency p50 (s)", "{p50_s:.3f}"),
        ("change latency p90 (s)", "{p90_s:.3f}"),
        ("change latency p99 (s)", "{p99_s:.3f}"),
        ("change latency max (s)", "{max_s:.3f}"),
        ("changes (not seen in 30 s)", "{changes} ({failed_changes})"),
        ("UPDATE messages per change", "{updates_per_change:.2f}"),
        ("AXFRs per change", "{axfrs_per_change:.2f}"),
        ("bench RSS before operator (MiB)", "{rss_before_mib:.0f}"),
        ("bench RSS converged (MiB)", "{rss_converged_mib:.0f}"),
        ("bench RSS after changes (MiB)", "{rss_after_mib:.0f}"),
        ("  operator's share (after - before)", "{share:.0f}"),
        ("bench peak RSS (MiB)", "{peak_rss_mib:.0f}"),
        ("API server RSS (MiB, separate process)", "{api_server_rss_mib:.0f}"),
    ]
    values = [{**asdict(r), "share": r.rss_after_mib - r.rss_before_mib, **ratios(r)} for r in results]
    width = max(len(label) for label, _ in rows)
    lines = []
    for label, template in rows:
        cells = "".join(f"{template.format(**v):>14}" for v in values)
        lines.append(f"{label:<{width}}{cells}")
    return "\n".join(lines)


def ratios(figures: Figures) -> dict[str, float]:
    """converged / floor, at the operator's batch size and at the largest (NaN without --floor)."""
    floor = figures.floor_list_s + figures.floor_update_s
    best = figures.floor_list_s + figures.floor_best_update_s
    nan = float("nan")
    return {
        "ratio": figures.converged_s / floor if floor else nan,
        "best_ratio": figures.converged_s / best if figures.floor_best_update_s else nan,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--objects", type=int, nargs="+", default=[1000, 10000], help="object counts to run")
    parser.add_argument("--changes", type=int, default=200, help="single changes timed per run")
    parser.add_argument("--debounce", type=float, default=0.2, help="--debounce of the operator (its default)")
    parser.add_argument("--profile", type=Path, help="cProfile the operator thread into PREFIX-N.prof")
    parser.add_argument("--cold-only", action="store_true", help="stop once converged (no replay, events, changes)")
    parser.add_argument("--no-events", action="store_true", help="run the operator with --events-emit=none")
    parser.add_argument("--profile-cold", action="store_true", help="with --profile: only until converged, per phase")
    parser.add_argument("--kind", choices=["service", "pod"], default="service", help="objects to create")
    parser.add_argument("--realistic", action="store_true", help="objects as a real API server returns them")
    parser.add_argument("--tracemalloc", action="store_true", help="report where the operator's bytes are")
    parser.add_argument("--kopf-chunk", type=int, help="Kopf's watching.chunk_size (0: unchunked; default: ours)")
    parser.add_argument("--trim", action="store_true", help="also measure RSS after glibc's malloc_trim(0)")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON lines, not a table")
    parser.add_argument("--floor", action="store_true", help="measure the cold start's floor first (bench/floor.py)")
    parser.add_argument("--batch-change-size", type=int, default=50, help="the operator's --rfc2136-batch-change-size")
    parser.add_argument("--default-gc", action="store_true", help="keep CPython's collector thresholds at the start")
    parser.add_argument("--single", action="store_true", help=argparse.SUPPRESS)  # one run, in this process
    args = parser.parse_args(argv)

    if args.single:
        (count,) = args.objects
        shape = ObjectShape(args.kind, args.realistic)
        if args.kopf_chunk is not None:  # read by handlers.configure_kopf when the operator starts
            handlers.KOPF_LIST_CHUNK = args.kopf_chunk or None
        PhaseMemory.trim = args.trim
        if args.default_gc:  # measure without the start's collector policy (operator/external_dns/gcpolicy.py)
            gcpolicy.START_THRESHOLDS = gc.get_threshold()
        figures = measure(
            count,
            args.changes,
            args.debounce,
            args.profile,
            args.tracemalloc,
            shape,
            args.batch_change_size,
            args.floor,
            args.profile_cold,
            not args.no_events,
            args.cold_only,
        )
        print("RESULT " + json.dumps(asdict(figures)), flush=True)
        return 0

    results: list[Figures] = []
    for count in args.objects:
        command = [sys.executable, __file__, "--single", "--objects", str(count), "--changes", str(args.changes)]
        command += ["--debounce", str(args.debounce)]
        if args.profile:
            command += ["--profile", str(args.profile)]
        if args.tracemalloc:
            command += ["--tracemalloc"]
        command += ["--kind", args.kind] + (["--realistic"] if args.realistic else [])
        command += ["--kopf-chunk", str(args.kopf_chunk)] if args.kopf_chunk is not None else []
        command += ["--trim"] if args.trim else []
        command += ["--batch-change-size", str(args.batch_change_size)] + (["--floor"] if args.floor else [])
        command += ["--profile-cold"] if args.profile_cold else []
        command += ["--no-events"] if args.no_events else []
        command += ["--cold-only"] if args.cold_only else []
        command += ["--default-gc"] if args.default_gc else []
        done = subprocess.run(command, stdout=subprocess.PIPE, text=True, check=True)
        line = next(line for line in done.stdout.splitlines() if line.startswith("RESULT "))
        results.append(Figures(**json.loads(line.removeprefix("RESULT "))))
    if args.json:
        for figures in results:
            print(json.dumps(asdict(figures)))
    else:
        print(table(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
