"""The leader's periodic resync against BIND: the zone read whole and planned whole (what every resync did), against
the changes since the version read (a SOA query, and an IXFR when another writer moved the serial).

BIND serves a zone of N names, each an A record and its ownership TXT (owner ``bench``), all wanted by a zone
worker with that owner (so a plan changes nothing). Each resync is timed (wall, and process CPU: the AXFR's
parsing runs in a thread) in four cases: nothing changed since the read; another writer changed K names; the
worker itself wrote K names (its writes confirmed by the changes); no version to follow from (read whole).

    .venv/bin/python bench/resync.py --names 9999 50000 --changed 10
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from pathlib import Path

import dns.query
import dns.update

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # `tests.backends` lives at the repository root

from tests.backends.bind import BindInfo, BindServer, named_path  # noqa: E402
from zone_read import ZONE, provider_for, zone_records  # noqa: E402

from external_dns.desired import DesiredState, ObjectKey  # noqa: E402
from external_dns.endpoint import RESOURCE_LABEL, Endpoint, ObjectRef  # noqa: E402
from external_dns.events import EventSink  # noqa: E402
from external_dns.model import Zone  # noqa: E402
from external_dns.plan import PlanSettings  # noqa: E402
from external_dns.reconciler import ZoneWorker  # noqa: E402
from external_dns.registry.txt import TXTRegistry  # noqa: E402
from external_dns.zonework import ReconcilerSettings  # noqa: E402


def wanted(desired: DesiredState, names: int) -> None:
    for i in range(names):
        ref = ObjectRef("Service", "v1", "default", f"svc-{i:05d}", f"uid-{i}")
        labels = {RESOURCE_LABEL: f"service/default/svc-{i:05d}"}
        endpoint = Endpoint(f"svc-{i:05d}.{ZONE}", "A", (f"10.0.{i >> 8 & 255}.{i & 255}",), 300, labels=labels)
        desired.update(ObjectKey("service", "default", f"svc-{i:05d}"), [endpoint.with_(refs=(ref,))])


def changed_by_another(bind: BindServer, info: BindInfo, count: int) -> None:
    update = dns.update.UpdateMessage(ZONE, keyring=bind.keyring(), keyalgorithm=info.key_algorithm.lower())
    for i in range(count):
        update.replace(f"svc-{i:05d}", 300, "A", f"172.16.0.{i & 255}")
    dns.query.tcp(update, info.host, port=info.port, timeout=30)


async def timed_resync(worker: ZoneWorker) -> tuple[float, float]:
    wall, cpu = time.perf_counter(), time.process_time()
    await worker._resync()
    return time.perf_counter() - wall, time.process_time() - cpu


async def run(bind: BindServer, info: BindInfo, names: int, changed: int) -> None:
    provider = provider_for(info)
    worker = ZoneWorker(
        Zone(ZONE, ZONE),
        provider=provider,
        registry=TXTRegistry("bench"),
        desired=DesiredState(),
        plan_settings=PlanSettings(owner_id="bench"),
        events=EventSink(),
        settings=ReconcilerSettings(),
    )
    wanted(worker.desired, names)
    await worker.load()

    async def worker_writes() -> None:
        for i in range(changed):
            key = ObjectKey("service", "default", f"svc-{i:05d}")
            (endpoint,) = worker.desired.endpoints_of(key)
            await worker.sync(worker.desired.update(key, [endpoint.with_(targets=(f"172.17.0.{i & 255}",))]))

    async def nothing() -> None:
        return None

    async def another_writer() -> None:
        changed_by_another(bind, info, changed)

    async def version_dropped() -> None:
        worker.cache.version = None  # as after more writes than the cache remembers, or an unconfirmed one

    cases = {
        "nothing changed": nothing,
        f"another writer changed {changed} names": another_writer,
        f"the worker itself wrote {changed} names": worker_writes,
        "no version to follow from (read whole)": version_dropped,
    }
    for case, before in cases.items():
        await before()
        axfrs, ixfrs = provider.stats.axfrs, provider.stats.ixfrs
        wall, cpu = await timed_resync(worker)
        print(
            f"{names} names, {case}: resync {wall:.3f} s wall, {cpu:.3f} s CPU; "
            f"AXFRs {provider.stats.axfrs - axfrs}, IXFRs {provider.stats.ixfrs - ixfrs}",
            flush=True,
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--names", type=int, nargs="+", default=[9999])
    parser.add_argument("--changed", type=int, default=10)
    args = parser.parse_args()
    if named_path() is None:
        raise SystemExit("BIND9 `named` is not installed")
    for names in args.names:
        with tempfile.TemporaryDirectory(prefix="bench-resync-") as tmp:
            bind = BindServer()
            info = bind.start([ZONE], Path(tmp) / "bind", records={ZONE: zone_records(names)})
            try:
                asyncio.run(run(bind, info, names, args.changed))
            finally:
                bind.stop()


if __name__ == "__main__":
    main()
