"""Changes made while the operator starts: latency to DNS per start phase (first LIST, first sync, Kopf's replay).

For each ``--objects`` count N: the emulated API server (a subprocess) with N LoadBalancer Services, and BIND
(zone example.com). By default the zone is populated first by a run of the operator that is then stopped, so the
measured start is a restart (``--cold``: the zone starts empty). Then the operator starts, and one Service's
load-balancer IP is changed every ``--every`` seconds, from before the start until ``--after`` changes were made
after Kopf's replay; each change is timed from its PATCH until BIND answers the new IP over UDP (polled 10 ms apart,
up to 100 ms apart for changes slower than 2 s).
A change is filed under the phase the operator was in when it was made:

- while down (``--while-down N``): N changes made one after another before the operator is started at all;
- before the start: Kopf has not called the startup handler yet (the change is in the start-up LIST, found by
  the object's times when its page is listed: recentlychanged.py);
- first LIST: the operator's own paged LIST has not finished;
- first sync: listed, and some zone has not been read and planned whole once yet;
- Kopf's replay: Kopf has handed fewer than N replayed (listed) objects to the handler;
- after: all of it done.

    .venv/bin/python bench/start_changes.py --objects 10000
    .venv/bin/python bench/start_changes.py --objects 10000 50000 --cold
    .venv/bin/python bench/start_changes.py --objects 50000 --while-down 50
    .venv/bin/python bench/start_changes.py --objects 50000 --while-down 50 --clients-apart

``--clients-apart`` runs the changes and BIND's pollers in a process of their own, so that they share no GIL with
the operator; each change is then filed by the moment it was made, against the phases sampled every 5 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import multiprocessing
import random
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import aiohttp
import dns.asyncquery
import dns.exception
import dns.message
import dns.rdatatype
from _common import api_server_process, percentile
from phasewatch import PhaseWatch
from reconcile import ZONE, name_of, seed_services
from stalls import StallSampler

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # `tests.harness` and `tests.backends` live at the repository root

from tests.backends.bind import BindInfo, BindServer  # noqa: E402
from tests.harness import OperatorThread, operator_settings  # noqa: E402

from external_dns import gcpolicy, handlers  # noqa: E402
from external_dns.app import Application  # noqa: E402
from external_dns.kinds import Resource  # noqa: E402
from external_dns.store import Obj  # noqa: E402

PHASES = ("first LIST", "first sync", "Kopf's replay", "after", "before the start", "LIST before its first page",
          "while down")  # fmt: skip
SERVICES = "/api/v1/namespaces/default/services"
#: Every change seen in BIND: (seconds to BIND, phase, perf_counter when made), for the slowest ones' timing.
MADE: list[tuple[float, str, float]] = []
#: At most this many changes waiting for BIND at once (a phase where changes take minutes would pile up pollers).
IN_FLIGHT = 10
#: ``--clients-apart``: a change's phase is not known where it is made; it is filed afterwards by its time.
UNFILED = "unfiled"


class ReplayCounter:
    """Counts the replayed (listed) objects Kopf hands to the application: those come with no event type."""

    def __init__(self) -> None:
        self.replayed = 0

    def install(self) -> None:
        original = Application.on_object

        def counted(app: Application, resource: Resource, event_type: str | None, obj: Obj, **flags: Any) -> None:
            if event_type is None:
                self.replayed += 1
            original(app, resource, event_type, obj, **flags)

        Application.on_object = counted  # type: ignore[method-assign,assignment]


def phase_of(operator: OperatorThread, replay: ReplayCounter, count: int) -> str:
    """The start phase the operator is in now (read from this thread: a coroutine would wait behind the replay)."""
    app = handlers.running(operator.memo).app
    if app is None:
        return PHASES[4]  # Kopf has not called the startup handler yet
    if not app.listed.is_set():
        catch_up = handlers.running(operator.memo).catch_up
        # Until the Services' first page is in, a change is in the LIST itself (the catch-up watch starts there).
        first_page = getattr(catch_up, "listed_at", None) if catch_up is not None else None  # None: older code
        first_page = catch_up.position if catch_up is not None and first_page is None else first_page
        return PHASES[0] if first_page and first_page.get("services") else PHASES[5]
    workers = list(app.workers.values())
    if not workers or not all(worker.first_sync_done.is_set() for worker in workers):
        return PHASES[1]
    if replay.replayed < count:
        return PHASES[2]
    return PHASES[3]


async def changes(
    url: str, bind: BindInfo, count: int, every: float, phase: Any, samples: dict[str, list[float]],
    done: threading.Event, while_down: int = 0, down_made: threading.Event | None = None,
) -> None:  # fmt: skip
    """One change every ``every`` seconds until ``done``, each timed on its own; each object changed once at most
    at a time (a later change of the same object would hide an earlier one's latency). First ``while_down``
    changes of distinct objects, made one after another before ``down_made`` is set (the operator is started
    then), each timed from its own PATCH: changes made while no operator ran, in the start-up LIST's snapshot."""
    rng = random.Random(42)
    busy: set[int] = set()
    timers: set[asyncio.Task[None]] = set()
    down: list[asyncio.Task[None]] = []  # not counted in IN_FLIGHT: the changes during the start go on meanwhile
    async with aiohttp.ClientSession(url) as session:
        for index in rng.sample(range(count), while_down):
            busy.add(index)
            ip = new_ip(rng)
            made = time.perf_counter()
            await patch_ip(session, index, ip)
            down.append(asyncio.create_task(seen(bind, index, ip, made, PHASES[6], samples)))
            down[-1].add_done_callback(lambda _, index=index: busy.discard(index))
        if down_made is not None:
            down_made.set()
        while not done.is_set():
            index = rng.choice([i for i in (rng.randrange(count) for _ in range(8)) if i not in busy] or [-1])
            if index >= 0 and len(timers) < IN_FLIGHT:  # when changes are slow, fewer: the pollers load the machine
                busy.add(index)
                timer = asyncio.create_task(change(session, bind, index, rng, phase, samples))
                timer.add_done_callback(lambda _, index=index: busy.discard(index))
                timers.add(timer)
                timer.add_done_callback(timers.discard)
            await asyncio.sleep(every)
        await asyncio.gather(*timers, *down)


async def change(
    session: aiohttp.ClientSession, bind: BindInfo, index: int, rng: random.Random, phase: Any,
    samples: dict[str, list[float]],
) -> None:  # fmt: skip
    """Patch one Service's IP; the seconds until BIND answers it, filed under the phase it was made in."""
    ip = new_ip(rng)
    made_in = phase()
    started = time.perf_counter()
    await patch_ip(session, index, ip)
    await seen(bind, index, ip, started, made_in, samples)


def new_ip(rng: random.Random) -> str:
    return f"172.{16 + rng.randrange(16)}.{rng.randrange(256)}.{rng.randrange(1, 255)}"


async def patch_ip(session: aiohttp.ClientSession, index: int, ip: str) -> None:
    merge = {"Content-Type": "application/merge-patch+json"}
    body = json.dumps({"status": {"loadBalancer": {"ingress": [{"ip": ip}]}}})
    async with session.patch(f"{SERVICES}/{name_of(index)}/status", data=body, headers=merge) as response:
        await response.read()


async def seen(
    bind: BindInfo, index: int, ip: str, started: float, made_in: str, samples: dict[str, list[float]]
) -> None:
    """Poll BIND until it answers ``ip`` for the Service: the seconds since ``started``, filed under ``made_in``."""
    query = dns.message.make_query(f"{name_of(index)}.{ZONE}", dns.rdatatype.A)
    while (elapsed := time.perf_counter() - started) < 300:
        try:
            answer = await dns.asyncquery.udp(query, bind.host, port=bind.port, timeout=1.0)
        except dns.exception.Timeout:
            continue
        if any(rdata.to_text() == ip for rrset in answer.answer for rdata in rrset):
            samples[made_in].append(time.perf_counter() - started)
            MADE.append((time.perf_counter() - started, made_in, started))
            return
        # A benchmark's poll, nothing to wait on but BIND: 10 ms apart at first, up to 100 ms for slow ones.
        await asyncio.sleep(min(0.1, max(0.01, elapsed / 20)))
    samples[f"{made_in} (not seen in 300 s)"].append(300.0)


#: Where the runs keep how far their watches got, so a restart resumes them (watchpoint.py); ``--no-watch-position``
#: empties it (the restart then finds the changes made while down as the LIST reaches them, or by the first sync).
POSITION = {"watch-position-configmap": "default/external-dns-watch-position"}


def settings_for(kubeconfig: Path, bind: BindServer) -> Any:
    flags = {key.replace("-", "_"): value for key, value in POSITION.items() if value}  # none: older code has none
    return operator_settings(
        kubeconfig, source=["service"], **bind.provider_flags(ZONE), txt_owner_id="bench", debounce=0.2, **flags
    )


def populate(kubeconfig: Path, info: BindInfo, patience: float) -> None:
    """``external-dns --once`` with the same flags, in its own process: the zone holds every record, and the
    measured start is a restart."""
    flags = {
        "kubeconfig": kubeconfig, "source": "service", "provider": "rfc2136", "rfc2136-host": info.host,
        "rfc2136-port": info.port, "rfc2136-zone": ZONE, "rfc2136-tsig-keyname": info.key_name,
        "rfc2136-tsig-secret": info.key_secret, "rfc2136-tsig-secret-alg": info.key_algorithm,
        "txt-owner-id": "bench", **{key: value for key, value in POSITION.items() if value},
    }  # fmt: skip
    command = [sys.executable, "-m", "external_dns", "--once", *(f"--{k}={v}" for k, v in flags.items())]
    subprocess.run(command, check=True, timeout=patience, stdout=subprocess.DEVNULL)


OPERATORS_CONFIGURE_KOPF = handlers.configure_kopf


def tune_kopf(worker_limit: int | None, idle_timeout: float | None, sampler: list[StallSampler]) -> None:
    """Kopf settings to compare, set after the operator's own (handlers.configure_kopf); the stall sampler (if
    any) starts there too, in the operator's loop."""
    configure = OPERATORS_CONFIGURE_KOPF

    def configured(kopf_settings: Any, settings: Any, **options: Any) -> None:
        configure(kopf_settings, settings, **options)
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            return  # runner.kopf_setup, before the loop; start_application calls it again in the loop
        for each in sampler:
            each.start_in_loop()
        if worker_limit is not None:
            kopf_settings.queueing.worker_limit = worker_limit
        if idle_timeout is not None:
            kopf_settings.queueing.idle_timeout = idle_timeout

    handlers.configure_kopf = configured


class FrozenGarbage:
    """``--frozen-garbage``: a full collection right before each freeze of the start's collection policy
    (gcpolicy.StartCollection.end: the startup handler's end, then the catch-up watch's hand-over), timed, with
    what it found unreachable: the cyclic garbage the freeze would otherwise keep for the process's lifetime."""

    def __init__(self) -> None:
        self.found: list[dict[str, float]] = []
        self._end = gcpolicy.StartCollection.end

    def install(self) -> None:
        end, found = self._end, self.found

        def collected_then_ended(collection: gcpolicy.StartCollection) -> None:
            if collection.active:
                started = time.perf_counter()
                unreachable = gc.collect()
                found.append({"unreachable": unreachable, "seconds": round(time.perf_counter() - started, 3)})
            end(collection)

        gcpolicy.StartCollection.end = collected_then_ended  # type: ignore[method-assign]

    def uninstall(self) -> None:
        gcpolicy.StartCollection.end = self._end  # type: ignore[method-assign]


def clients_apart(url: str, bind: BindInfo, count: int, every: float, after: int, while_down: int,
                  down_made: Any, done: Any, after_from: Any, results: Any) -> None:  # fmt: skip
    """The changes and BIND's pollers in a process of their own (they then share no GIL with the operator); done
    once ``after`` changes made after ``after_from`` were seen; what was seen goes back through ``results``."""
    samples: dict[str, list[float]] = defaultdict(list)

    async def enough() -> None:
        while not done.is_set():
            begun = after_from.value
            if begun and sum(1 for _, _, made in MADE if made >= begun) >= after:
                done.set()
            await asyncio.sleep(0.1)

    async def run() -> None:
        stop = asyncio.create_task(enough())
        await changes(url, bind, count, every, lambda: UNFILED, samples, done, while_down, down_made)
        stop.cancel()

    asyncio.run(run())
    results.put((list(MADE), {name: values for name, values in samples.items() if "not seen" in name}))


def measure(count: int, every: float, after: int, cold: bool, kopf: tuple[int | None, float | None], stalls: bool,
            frozen_garbage: bool = False, while_down: int = 0, apart: bool = False) -> dict[str, Any]:  # fmt: skip
    with tempfile.TemporaryDirectory(prefix="bench-start-") as tmp, api_server_process(Path(tmp)) as api:
        bind = BindServer()
        info = bind.start([ZONE], Path(tmp) / "bind")
        try:
            asyncio.run(seed_services(api.url, count))
            patience = max(600.0, count * 0.02)
            if not cold:
                populate(api.kubeconfig, info, patience)
            replay = ReplayCounter()
            replay.install()
            operator = OperatorThread(settings_for(api.kubeconfig, bind))
            samples: dict[str, list[float]] = defaultdict(list)
            done = threading.Event()

            timeline: dict[str, float] = {}
            started = time.perf_counter()  # (again when the operator is started: a change may be made before)

            def phase() -> str:
                now = phase_of(operator, replay, count)
                timeline.setdefault(now, round(time.perf_counter() - started, 2))
                return now

            sampler = [StallSampler(phase)] if stalls else []
            tune_kopf(*kopf, sampler)
            garbage = FrozenGarbage()
            if frozen_garbage:
                garbage.install()

            down_made = threading.Event()

            def run_changes() -> None:
                asyncio.run(changes(api.url, info, count, every, phase, samples, done, while_down, down_made))

            fork = multiprocessing.get_context("fork")  # before the operator starts: no thread of it is copied
            apart_done, after_from, results = fork.Event(), fork.Value("d", 0.0), fork.Queue()
            watch = PhaseWatch(phase, after_from, after=PHASES[3], first=PHASES[4])
            if apart:
                down_made = fork.Event()  # type: ignore[assignment]
                arguments = (api.url, info, count, every, after, while_down, down_made, apart_done, after_from, results)
                clients: Any = fork.Process(target=clients_apart, args=arguments, daemon=True)
            else:
                clients = threading.Thread(target=run_changes, daemon=True)
            clients.start()
            down_made.wait(patience)
            started = time.perf_counter()
            if apart:
                watch.start()
            operator.start(timeout=patience)
            try:
                deadline = time.monotonic() + patience
                while len(samples[PHASES[3]]) < after and not apart_done.is_set():
                    if time.monotonic() > deadline:
                        raise TimeoutError(f"not {after} changes after the start within {patience}s")
                    time.sleep(0.1)
                elapsed = time.perf_counter() - started
                app = handlers.running(operator.memo).app
                planned_early = app.start_changes.planned if app is not None else 0
                # getattr: the bench also runs against code from before recentlychanged.py, to compare
                recent = getattr(app.start_changes, "recently_changed", None) if app is not None else None
                catch_up = handlers.running(operator.memo).catch_up
                resumed = dict(getattr(catch_up, "resumed_from", {}))
            finally:
                done.set()
                apart_done.set()
                if apart:
                    seen, unseen = results.get(timeout=330)
                    for took, made_in, made in seen:
                        filed = watch.phase_at(made) if made_in == UNFILED else made_in
                        samples[filed].append(took)
                        MADE.append((took, filed, made))
                    for name, values in unseen.items():
                        samples[name].extend(values)
                    watch.stop()  # (its samples filled the timeline through phase())
                clients.join(330)
                operator.stop()
                garbage.uninstall()
                for each in sampler:
                    each.stop()
        finally:
            bind.stop()
    figures: dict[str, Any] = {"objects": count, "start": "cold" if cold else "restart", "run_s": round(elapsed, 1)}
    figures["names_planned_during_the_list"] = planned_early  # startchanges.py: before the LIST and zone read ended
    # recentlychanged.py: listed objects that changed just before the LIST (during the start, in the window before)
    if recent is not None:
        taken = {"during": recent.taken_during_start, "before": recent.taken_before_start,
                 "since_last_run": getattr(recent, "taken_since_last_run", None)}  # fmt: skip
        figures["listed_objects_taken_as_changed"] = taken
    figures["watches_resumed_from"] = resumed  # watchpoint.py: the last run's positions
    figures["phase_began_s"] = timeline  # seconds after the operator was started, as the changes saw it
    slowest: dict[str, list[str]] = defaultdict(list)  # the three slowest of each phase
    for took, phase, made in sorted(MADE, reverse=True):
        if len(slowest[phase]) < 3:
            slowest[phase].append(f"{took:.2f} s, made at {made - started:.1f} s")
    figures["slowest"] = slowest
    MADE.clear()
    for name, values in sorted(samples.items()):
        figures[name] = {
            "changes": len(values),
            "p50_s": round(percentile(values, 0.5), 3),
            "p99_s": round(percentile(values, 0.99), 3),
            "max_s": round(max(values), 3),
        }
    for each in sampler:
        figures["stalls"] = each.report()
    if frozen_garbage:
        figures["collected_before_each_freeze"] = garbage.found
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--objects", type=int, nargs="+", default=[10000])
    parser.add_argument("--every", type=float, default=0.1, help="seconds between changes (each timed on its own)")
    parser.add_argument("--after", type=int, default=40, help="stop after this many changes after the start")
    parser.add_argument("--cold", action="store_true", help="start with an empty zone (default: a restart)")
    parser.add_argument("--kopf-worker-limit", type=int, help="Kopf's settings.queueing.worker_limit to compare")
    parser.add_argument("--kopf-idle-timeout", type=float, help="Kopf's settings.queueing.idle_timeout to compare")
    parser.add_argument("--stalls", action="store_true", help="sample the operator loop's stalls (bench/stalls.py)")
    parser.add_argument("--frozen-garbage", action="store_true", help="collect before each freeze: what it finds")
    parser.add_argument("--switch-interval", type=float, help="sys.setswitchinterval of the process, to compare")
    parser.add_argument("--while-down", type=int, default=0, help="changes made before the operator starts")
    parser.add_argument("--clients-apart", action="store_true", help="changes and pollers in their own process")
    parser.add_argument("--no-watch-position", action="store_true", help="restarts do not resume their watches")
    args = parser.parse_args(argv)
    if args.switch_interval is not None:
        sys.setswitchinterval(args.switch_interval)
    kopf = (args.kopf_worker_limit, args.kopf_idle_timeout)
    if args.no_watch_position:
        POSITION["watch-position-configmap"] = ""
    for count in args.objects:
        figures = measure(count, args.every, args.after, args.cold, kopf, args.stalls, args.frozen_garbage,
                          args.while_down, args.clients_apart)  # fmt: skip
        figures["kopf"] = {"worker_limit": args.kopf_worker_limit, "idle_timeout": args.kopf_idle_timeout}
        figures["switch_interval"] = sys.getswitchinterval()
        print(json.dumps(figures), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
