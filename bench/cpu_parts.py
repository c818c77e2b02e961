"""The operator's CPU per cold-start part, without servers: derivation of a LIST and the first whole-zone plan.

``bench/reconcile.py --floor`` measures the whole cold start against BIND; what is left there is CPU in the
operator (issue 11, item 2). This measures the two CPU-bound parts alone, in one process, with the real sources,
registry, planner and bookkeeping, so that a cut per record shows in seconds without the noise of three
processes on a shared machine:

- **derive**: N LoadBalancer Services (bench/objects.py, as the seed holds them) taken as LIST pages of 500
  (``Application._take_listed`` through ``on_listing``: pack, store, derive, desired state);
- **plan**: the first sync of the empty zone (``ZoneWorker.sync_all``: slices planned, registry TXT records,
  cache and bookkeeping, RecordReady events recorded), against the in-memory provider with the RFC2136
  provider's canonical form (the provider's own message building and sending are BIND's side of the floor).

    .venv/bin/python bench/cpu_parts.py --objects 10000 --repeat 3

Process CPU seconds of the best of ``--repeat`` runs (each in a fresh application) are printed per part.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import time
from collections.abc import Awaitable, Callable
from typing import Any, cast

from external_dns.app import Application, Wiring
from external_dns.endpoint import Endpoint
from external_dns.events import KubeEventRecorder
from external_dns.kube import KubeClient
from external_dns.kinds import source_kind
from external_dns.plan import PlanSettings
from external_dns.providers.inmemory import InMemoryProvider
from external_dns.providers.rfc2136.rdata import canonical
from external_dns.registry.txt import TXTRegistry
from external_dns.sources.base import SourceSettings
from external_dns.zonework import ReconcilerSettings
from objects import ObjectShape

ZONE = "example.com"
PAGE = 500


class CanonicalProvider(InMemoryProvider):
    """The in-memory provider with the RFC2136 provider's canonical form of endpoints (what it adjusts)."""

    def adjust_endpoints(self, endpoints: list[Endpoint]) -> list[Endpoint]:
        return [ep.with_(targets=tuple(canonical(ep.record_type, t) for t in ep.targets)) for ep in endpoints]


def services(count: int) -> list[dict[str, Any]]:
    shape = ObjectShape("service")
    objects = []
    for index in range(count):
        obj = shape.seed_object(shape.name_of(index), ZONE, f"10.{index // 65536 % 256}.{index // 256 % 256}.{index % 256}")
        obj["metadata"] |= {"uid": f"uid-{index}", "resourceVersion": str(index + 1)}
        objects.append(obj)
    return objects


def application() -> Application:
    """The application as the operator wires it for --source=service, its events held (never posted here)."""
    settings = SourceSettings()
    events = KubeEventRecorder(cast(KubeClient, None))
    events.hold(asyncio.get_running_loop().create_future(), 3600)
    wiring = Wiring(
        provider=CanonicalProvider([ZONE]),
        registry=TXTRegistry("default"),
        sources=[source_kind("service", settings)],
        source_settings=settings,
        plan_settings=PlanSettings(owner_id="default"),
        reconciler_settings=ReconcilerSettings(debounce=0, resync_interval=3600),
        events=events,
    )
    return Application(wiring)


async def cpu(part: Callable[[], Awaitable[object]]) -> float:
    started = time.process_time()
    await part()
    return time.process_time() - started


async def one_run(objects: list[dict[str, Any]]) -> tuple[float, float, int]:
    app = application()
    resource = app.sources["service"].resource
    for name in ("nodes", "pods", "endpointslices"):
        for aux in app.auxiliary.values():
            if aux.plural == name:
                app.on_listing(aux, [], "1")

    async def derive() -> None:
        listed: set[tuple[str, str]] = set()
        for start in range(0, len(objects), PAGE):
            app._take_listed(resource, objects[start : start + PAGE], listed)
        app.on_listing(resource, (), "1", listed)

    results: list[Any] = []

    async def plan() -> None:
        results.extend(await app.sync_once())

    gc.collect()
    gc.disable()  # the operator's start runs under gcpolicy (no full pass): keep the collector out of both
    try:
        derived = await cpu(derive)
        planned = await cpu(plan)
    finally:
        gc.enable()
        await app.close()
    return derived, planned, sum(len(r.applied.create) for r in results)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--objects", type=int, default=10000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    objects = services(args.objects)
    runs = [asyncio.run(one_run(objects)) for _ in range(args.repeat)]
    derive = min(run[0] for run in runs)
    plan = min(run[1] for run in runs)
    created = runs[0][2]
    print(f"objects {args.objects}: derive {derive:.3f} s CPU ({derive / args.objects * 1e6:.0f} us each), "
          f"first sync {plan:.3f} s CPU ({plan / args.objects * 1e6:.0f} us each), {created} records created")


if __name__ == "__main__":
    main()
