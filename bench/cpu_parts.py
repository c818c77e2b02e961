"""The operator's CPU per cold-start part, without servers: derivation of a LIST and the first whole-zone plan.

``bench/reconcile.py --floor`` measures the whole cold start against BIND; what is left there is CPU in the
operator (issue 11, item 2). This measures the two CPU-bound parts alone, in one process, with the real sources,
registry, planner and bookkeeping, so that a cut per record shows in seconds without the noise of three
processes on a shared machine:

- **derive**: N LoadBalancer Services (bench/objects.py, as the seed holds them) taken as LIST pages of 500
  (``Application._take_listed`` through ``on_listing``: pack, store, derive, desired state);
- **plan**: the first sync of the empty zone (``ZoneWorker.sync_all``: slices planned, registry TXT records,
  cache and bookkeeping, RecordReady events recorded, held), with the RFC2136 provider's canonical form;
- **build**: the RFC2136 provider turning those batches into UPDATE messages, rendered and signed (what it does
  in its thread before sending; nothing is sent).

    .venv/bin/python bench/cpu_parts.py --objects 10000 --repeat 3

Process CPU seconds of the best of ``--repeat`` runs (each in a fresh application) are printed per part;
``--profile PREFIX`` adds one more run under cProfile (PREFIX-derive.prof, PREFIX-sync.prof).
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import cProfile
import gc
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, cast

import dns.name
from objects import ObjectShape

from external_dns.app import Application, Wiring
from external_dns.endpoint import Endpoint
from external_dns.events import KubeEventRecorder
from external_dns.kinds import source_kind
from external_dns.kube import KubeClient
from external_dns.model import ApplyOutcome, Changes, Zone
from external_dns.plan import PlanSettings
from external_dns.providers.rfc2136 import RFC2136Config, RFC2136Provider
from external_dns.registry.txt import TXTRegistry
from external_dns.runner import sync_every_zone
from external_dns.sources.base import SourceSettings
from external_dns.zonework import ReconcilerSettings, SyncResult

ZONE = "example.com"
SECRET = base64.b64encode(b"bench-secret-of-32-bytes-length!").decode()
PAGE = 500


class PreparingProvider(RFC2136Provider):
    """The RFC2136 provider with an empty zone that builds (renders, signs) each batch's UPDATE messages and
    sends nothing: every change succeeds. Its CPU in building is counted apart (``prepared``)."""

    def __init__(self) -> None:
        super().__init__(RFC2136Config(host="127.0.0.1", zones=(ZONE,), tsig_keyname="bench.", tsig_secret=SECRET))
        self.prepared = 0.0

    async def records(self, zone: Zone) -> list[Endpoint]:
        return []

    async def versioned_records(self, zone: Zone) -> tuple[list[Endpoint], int]:
        return [], 0  # the zone worker reads a followable zone this way (providers/base.FollowingChanges)

    async def apply_changes(self, zone: Zone, changes: Changes) -> ApplyOutcome:
        outcome = ApplyOutcome()
        started = time.process_time()
        split = getattr(self, "_split", None)
        if split is None:  # the provider before it built each message one ahead of sending (to compare)
            cast(Any, self)._prepare(zone, changes, outcome)
        else:
            origin = dns.name.from_text(zone.name)
            for groups in split(zone, changes, outcome):  # what the provider does in its threads
                self._batch(origin, groups)
        self.prepared += time.process_time() - started
        return outcome


def services(count: int) -> list[dict[str, Any]]:
    shape = ObjectShape("service")
    objects = []
    for index in range(count):
        obj = shape.seed_object(
            shape.name_of(index), ZONE, f"10.{index // 65536 % 256}.{index // 256 % 256}.{index % 256}"
        )
        obj["metadata"] |= {"uid": f"uid-{index}", "resourceVersion": str(index + 1)}
        objects.append(obj)
    return objects


def application() -> Application:
    """The application as the operator wires it for --source=service, its events held (never posted here)."""
    settings = SourceSettings()
    events = KubeEventRecorder(cast(KubeClient, None))
    events.hold(asyncio.get_running_loop().create_future(), 3600)
    wiring = Wiring(
        provider=PreparingProvider(),
        registry=TXTRegistry("default"),
        sources=[source_kind("service", settings)],
        source_settings=settings,
        plan_settings=PlanSettings(owner_id="default"),
        reconciler_settings=ReconcilerSettings(debounce=0, resync_interval=3600),
        events=events,
    )
    return Application(wiring)


@dataclass(frozen=True, slots=True)
class Parts:
    """Process CPU seconds of one run's parts."""

    derive: float
    plan: float  # the first sync without the provider's message building
    build: float  # the provider building the UPDATE messages of that sync
    created: int


async def timed(part: Callable[[], Awaitable[object]], profile: cProfile.Profile | None) -> float:
    started = time.process_time()
    if profile is not None:
        profile.enable()
    try:
        await part()
    finally:
        if profile is not None:
            profile.disable()
    return time.process_time() - started


async def one_run(objects: list[dict[str, Any]], profile: str = "") -> Parts:
    app = application()
    provider = cast(PreparingProvider, app.provider)
    resource = app.sources["service"].resource
    for aux in app.auxiliary.values():
        app.on_listing(aux, [], "1")  # nodes, pods...: nothing in this cluster but the Services

    async def derive() -> None:
        listed: set[tuple[str, str]] = set()
        for start in range(0, len(objects), PAGE):  # as Application.list_resource takes each page
            app._take_listed(resource, objects[start : start + PAGE], listed)
        app.on_listing(resource, (), "1", listed)

    results: list[SyncResult] = []

    async def plan() -> None:
        results.extend(await sync_every_zone(app))

    profiles = [cProfile.Profile(), cProfile.Profile()] if profile else [None, None]
    gc.collect()
    gc.disable()  # the operator's start runs under gcpolicy (no full pass): keep the collector out of both
    try:
        derived = await timed(derive, profiles[0])
        planned = await timed(plan, profiles[1])
    finally:
        gc.enable()
        await app.close()
    for part, stats in zip(("derive", "sync"), profiles, strict=True):
        if stats is not None:
            stats.dump_stats(f"{profile}-{part}.prof")
    created = sum(len(result.applied.create) for result in results)
    return Parts(derived, planned - provider.prepared, provider.prepared, created)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--objects", type=int, default=10000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--profile", default="", help="cProfile the last run into PREFIX-derive/-sync.prof")
    args = parser.parse_args()
    objects = services(args.objects)
    runs = [asyncio.run(one_run(objects)) for _ in range(args.repeat)]
    if args.profile:
        asyncio.run(one_run(objects, args.profile))
    if runs[0].created < args.objects:
        raise SystemExit(f"the first sync created {runs[0].created} records, not one per object: nothing measured")
    per_object = 1e6 / args.objects
    for part in ("derive", "plan", "build"):
        best = min(getattr(run, part) for run in runs)
        print(f"{part:>6}: {best:.3f} s CPU, {best * per_object:.0f} us per object (best of {args.repeat})")
    print(f"records created: {runs[0].created} (one per object, each with its TXT)")


if __name__ == "__main__":
    main()
