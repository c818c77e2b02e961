"""What one object asking for many names costs on each stage of its path, in process (no servers).

A LoadBalancer Service whose hostname annotation lists N names goes through: the source (derive, with the
checks every source gets), the desired state (first update, then an update that moves every target), the zone
router, and a zone worker's sync of its names and a whole-zone pass (TXT registry, in-memory provider, events
recorded in memory). ``--unlimited`` lifts the per-object name limit, to measure the cost of the code paths
rather than the limit.

    .venv/bin/python bench/big_object.py --names 500 2000 5000 --unlimited
"""

from __future__ import annotations

import argparse
import asyncio
import time
from collections.abc import Callable
from typing import Any, TypeVar

from external_dns.desired import DesiredState, ObjectKey
from external_dns.events import EventSink
from external_dns.kinds import source_kind
from external_dns.plan import PlanSettings
from external_dns.providers.inmemory import InMemoryProvider
from external_dns.reconciler import ZoneRouter, ZoneWorker
from external_dns.registry import TXTRegistry
from external_dns.sources import annotations, checks
from external_dns.sources.base import EmptyLookups, SourceSettings
from external_dns.zonework import ReconcilerSettings

T = TypeVar("T")
KEY = ObjectKey("service", "default", "big")


def big_service(names: int) -> dict[str, Any]:
    hostnames = ",".join(f"h{i}.example.com" for i in range(names))
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {
            "name": "big",
            "namespace": "default",
            "uid": "u1",
            "annotations": {"external-dns.alpha.kubernetes.io/hostname": hostnames},
        },
        "spec": {"type": "LoadBalancer"},
        "status": {"loadBalancer": {"ingress": [{"ip": "203.0.113.9"}]}},
    }


def timed(figures: dict[str, float], stage: str, call: Callable[[], T]) -> T:
    started = time.perf_counter()
    result = call()
    figures[stage] = time.perf_counter() - started
    return result


async def measure(names: int) -> dict[str, float]:
    figures: dict[str, float] = {}
    settings = SourceSettings()
    derive = source_kind("service", settings).derive
    result = timed(figures, "derive", lambda: derive(big_service(names), settings, EmptyLookups()))
    desired = DesiredState()
    changed = timed(figures, "desired (new)", lambda: desired.update(KEY, result.endpoints))
    moved = [ep.with_(targets=("203.0.113.77",)) for ep in result.endpoints]
    timed(figures, "desired (moved)", lambda: desired.update(KEY, moved))
    provider = InMemoryProvider(["example.com"])
    zones = await provider.zones()
    router = ZoneRouter(zones)
    timed(figures, "router", lambda: [router.zones_for(name) for name in changed])
    worker = ZoneWorker(
        zones[0],
        provider=provider,
        registry=TXTRegistry("bench"),
        desired=desired,
        plan_settings=PlanSettings(owner_id="bench"),
        events=EventSink(),
        settings=ReconcilerSettings(),
    )
    await worker.load()
    started = time.perf_counter()
    await worker.sync(set(changed))
    figures["sync (create)"] = time.perf_counter() - started
    started = time.perf_counter()
    await worker.sync_all()
    figures["whole-zone pass"] = time.perf_counter() - started
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--names", type=int, nargs="+", default=[500, 2000, 5000])
    parser.add_argument("--unlimited", action="store_true", help="lift the per-object name limit")
    options = parser.parse_args()
    if options.unlimited:
        annotations.MAX_NAMES_PER_OBJECT = checks.MAX_NAMES_PER_OBJECT = 10**9
    for names in options.names:
        figures = asyncio.run(measure(names))
        print(f"N={names:>6} " + "  ".join(f"{stage} {seconds:.3f}s" for stage, seconds in figures.items()))


if __name__ == "__main__":
    main()
