"""Kopf's replay of existing objects alone: what it costs, what its public settings change, who waits behind it.

Kopf lists every watched object when its watch starts and hands each one through its per-object machinery
(a worker task, the processor, the handler) before it reads its watch stream. This bench runs Kopf alone, with
one ``@kopf.on.event`` handler that does nothing (the operator's store drops those replays), against the
emulated API server holding N Services, and for each variant of Kopf's public settings reports:

- replay: Kopf started until the handler has seen all N listed objects;
- loop lag max / p99: how late a 10 ms timer in the same loop fires while the replay runs (anything else in the
  process, such as a watch of our own, waits that long for its turn);
- change via Kopf: a Service patched once a tenth of the replay is delivered, until Kopf's handler sees it;
- change via a plain watch: the same change, seen by a watch of our own (one aiohttp stream in the same loop,
  from the resourceVersion of a LIST made before Kopf started), i.e. a light watch beside Kopf.

    .venv/bin/python bench/kopf_replay.py --objects 10000
    .venv/bin/python bench/kopf_replay.py --objects 10000 --variants default idle0.5 --profile /tmp/replay
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import json
import pstats
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import kopf
from _common import api_server_process, percentile
from reconcile import seed_services

SERVICES = "/api/v1/namespaces/default/services"


def set_idle(seconds: float) -> Callable[[kopf.OperatorSettings], None]:
    def apply(settings: kopf.OperatorSettings) -> None:
        settings.queueing.idle_timeout = seconds

    return apply


def set_many(*changes: Callable[[kopf.OperatorSettings], None]) -> Callable[[kopf.OperatorSettings], None]:
    def apply(settings: kopf.OperatorSettings) -> None:
        for change in changes:
            change(settings)

    return apply


def set_limit(workers: int) -> Callable[[kopf.OperatorSettings], None]:
    def apply(settings: kopf.OperatorSettings) -> None:
        settings.queueing.worker_limit = workers

    return apply


def set_batch(window: float) -> Callable[[kopf.OperatorSettings], None]:
    def apply(settings: kopf.OperatorSettings) -> None:
        settings.batching.batch_window = window

    return apply


def set_chunk(size: int) -> Callable[[kopf.OperatorSettings], None]:
    def apply(settings: kopf.OperatorSettings) -> None:
        settings.watching.chunk_size = size  # Kopf's LIST in pages instead of one response of every object

    return apply


#: The variants measured: Kopf's defaults, the operator's current settings, and what its public settings allow.
VARIANTS: dict[str, Callable[[kopf.OperatorSettings], None]] = {
    "default": lambda settings: None,
    "idle0.5": set_idle(0.5),  # the operator's setting today (handlers.configure_kopf)
    "idle0.5+batch0": set_many(set_idle(0.5), set_batch(0.0)),
    "idle0.01": set_idle(0.01),
    "idle0.01+limit5": set_many(set_idle(0.01), set_limit(5)),
    "idle0.01+limit20": set_many(set_idle(0.01), set_limit(20)),
    "idle0.5+chunk500": set_many(set_idle(0.5), set_chunk(500)),
    "idle0.01+limit100": set_many(set_idle(0.01), set_limit(100)),
    "idle0.5+limit100": set_many(set_idle(0.5), set_limit(100)),
}


@dataclass
class Run:
    """What one Kopf run saw (perf_counter times)."""

    count: int
    delivered: int = 0
    all_delivered_at: float = 0.0
    tenth_delivered: threading.Event = field(default_factory=threading.Event)
    probe_name: str = ""
    probe_ip: str = ""
    probe_by_kopf_at: float = 0.0
    probe_by_watch_at: float = 0.0
    lags: list[float] = field(default_factory=list)


async def list_rv(url: str) -> str:
    async with aiohttp.ClientSession(url) as session, session.get(SERVICES, params={"limit": "1"}) as response:
        return str((await response.json())["metadata"]["resourceVersion"])


async def plain_watch(url: str, since: str, run: Run) -> None:
    """A watch of our own from ``since``: notes when the probe change arrives."""
    params = {"watch": "true", "resourceVersion": since, "allowWatchBookmarks": "true"}
    timeout = aiohttp.ClientTimeout(total=None, sock_read=None)
    async with aiohttp.ClientSession(url, timeout=timeout) as session, session.get(SERVICES, params=params) as response:
        async for line in response.content:
            event = json.loads(line)
            obj = event.get("object") or {}
            if (obj.get("metadata") or {}).get("name") == run.probe_name and _has_ip(obj, run.probe_ip):
                run.probe_by_watch_at = time.perf_counter()
                return


def _has_ip(obj: dict[str, Any], ip: str) -> bool:
    ingress = ((obj.get("status") or {}).get("loadBalancer") or {}).get("ingress") or []
    return any(entry.get("ip") == ip for entry in ingress)


async def lag_probe(run: Run, stop: asyncio.Event) -> None:
    """How late a 10 ms timer fires while the loop is busy."""
    loop = asyncio.get_running_loop()
    while not stop.is_set():
        planned = loop.time() + 0.01
        await asyncio.sleep(0.01)
        run.lags.append(max(0.0, loop.time() - planned))


def kopf_thread(url: str, run: Run, variant: str, stop: threading.Event, profile: cProfile.Profile | None) -> None:
    registry = kopf.OperatorRegistry()
    since_holder: list[str] = []

    @kopf.on.startup(registry=registry)
    async def startup(settings: kopf.OperatorSettings, **_: Any) -> None:
        settings.posting.enabled = False
        settings.peering.standalone = True
        VARIANTS[variant](settings)
        since_holder.append(await list_rv(url))
        lag_stop = asyncio.Event()
        asyncio.get_running_loop().create_task(lag_probe(run, lag_stop))
        asyncio.get_running_loop().create_task(plain_watch(url, since_holder[0], run))

    @kopf.on.login(registry=registry)
    async def login(**_: Any) -> kopf.ConnectionInfo:
        return kopf.ConnectionInfo(server=url)

    @kopf.on.event("", "v1", "services", registry=registry)
    async def on_event(event: kopf.RawEvent, **_: Any) -> None:
        obj = event["object"]
        if event.get("type") is None:
            run.delivered += 1
            if run.delivered == run.count // 10:
                run.tenth_delivered.set()
            if run.delivered == run.count:
                run.all_delivered_at = time.perf_counter()
        if obj["metadata"]["name"] == run.probe_name and _has_ip(obj, run.probe_ip):
            run.probe_by_kopf_at = time.perf_counter()

    if profile is not None:
        profile.enable()
    try:
        asyncio.run(kopf.operator(registry=registry, standalone=True, clusterwide=True, stop_flag=stop))
    finally:
        if profile is not None:
            profile.disable()


def measure(url: str, count: int, variant: str, profile_path: Path | None) -> dict[str, Any]:
    # The last object listed: the worst place in the replay; a new IP per run.
    run = Run(count, probe_name=f"svc-{count - 1:05d}", probe_ip=f"192.0.2.{list(VARIANTS).index(variant) + 1}")
    stop = threading.Event()
    profile = cProfile.Profile() if profile_path is not None else None
    thread = threading.Thread(target=kopf_thread, args=(url, run, variant, stop, profile), daemon=True)
    started = time.perf_counter()
    thread.start()
    if not run.tenth_delivered.wait(600):
        raise TimeoutError("Kopf delivered less than a tenth of the objects in 600 s")
    changed_at = time.perf_counter()
    asyncio.run(patch_probe(url, run.probe_name, run.probe_ip))
    deadline = time.monotonic() + 900
    while not (run.all_delivered_at and run.probe_by_kopf_at and run.probe_by_watch_at):
        if time.monotonic() > deadline:
            raise TimeoutError(f"{variant}: not all seen: {run}")
        time.sleep(0.05)
    stop.set()
    thread.join(60)
    if profile is not None and profile_path is not None:
        path = profile_path.with_name(f"{profile_path.name}-{variant}-{count}.prof")
        profile.dump_stats(path)
        pstats.Stats(str(path)).sort_stats("tottime").print_stats(25)
    lags = run.lags or [0.0]
    return {
        "variant": variant,
        "objects": count,
        "replay_s": round(run.all_delivered_at - started, 2),
        "per_object_ms": round((run.all_delivered_at - started) / count * 1000, 3),
        "loop_lag_max_s": round(max(lags), 3),
        "loop_lag_p99_s": round(percentile(lags, 0.99), 3),
        "change_via_kopf_s": round(run.probe_by_kopf_at - changed_at, 3),
        "change_via_plain_watch_s": round(run.probe_by_watch_at - changed_at, 3),
    }


async def patch_probe(url: str, name: str, ip: str) -> None:
    merge = {"Content-Type": "application/merge-patch+json"}
    body = json.dumps({"status": {"loadBalancer": {"ingress": [{"ip": ip}]}}})
    async with aiohttp.ClientSession(url) as session:
        async with session.patch(f"{SERVICES}/{name}/status", data=body, headers=merge) as response:
            await response.read()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--objects", type=int, default=10000)
    parser.add_argument("--variants", nargs="+", choices=sorted(VARIANTS), default=list(VARIANTS))
    parser.add_argument("--profile", type=Path, help="cProfile each Kopf run into PREFIX-VARIANT-N.prof")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bench-kopf-replay-") as tmp, api_server_process(Path(tmp)) as api:
        asyncio.run(seed_services(api.url, args.objects))
        for variant in args.variants:
            print(json.dumps(measure(api.url, args.objects, variant, args.profile)), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
