"""Benchmark of the operator against Route 53's real limits: moto behind a rate-limiting front (route53_front.py).

1. Converge: N LoadBalancer Services (one A + one ownership TXT each) reach an empty hosted zone through the front
   (5 requests/s, batch limits). Reported: time and API calls by operation, beside the floor the limits allow:
   the fewest ChangeResourceRecordSets that can carry these records (1,000 changes, 1,000 values, 32,000
   characters each) plus the reads a start needs (ListHostedZones, one ListResourceRecordSets page), at 5/s.
2. Steady state: one hour at the defaults (--interval 1m, --zone-full-read-interval 1h) with one Service change a
   minute, run ``--scale`` times faster (every interval, change and whole read of the hour happens, closer
   together); its calls by operation are the calls of one hour, beside ExternalDNS's loop computed for the same
   zone (ListHostedZones + ListTagsForResources + every ListResourceRecordSets page, every 1m, + the changes).

    .venv/bin/python bench/route53.py --objects 200 --scale 60       # a quick look (one-minute hour)
    .venv/bin/python bench/route53.py --objects 10000 --scale 20     # 20,000 record sets (see bench/README.md)
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import aiohttp
import boto3

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from _common import api_server_process  # noqa: E402
from reconcile import SERVICES, ZONE, name_of, seed_ip, seed_services, status_patch, wait_until, workers_idle  # noqa: E402
from route53_front import MAX_CHANGES, MAX_VALUE_CHARACTERS, MAX_VALUES, Route53Front, Route53FrontThread  # noqa: E402
from tests.backends.moto import MotoServer  # noqa: E402
from tests.harness import OperatorThread, operator_settings  # noqa: E402

#: Route 53 returns at most 300 record sets per ListResourceRecordSets page.
PAGE = 300
RATE = 5.0


def credentials() -> None:
    """Fake credentials for moto; nothing here reaches AWS."""
    os.environ.update(
        AWS_ACCESS_KEY_ID="AKIABENCH",
        AWS_SECRET_ACCESS_KEY="bench",
        AWS_SHARED_CREDENTIALS_FILE="/nonexistent",
        AWS_CONFIG_FILE="/nonexistent",
        AWS_DEFAULT_REGION="us-east-1",
    )


def zone_records(moto_url: str) -> list[dict[str, Any]]:
    """Every record set of the zone, read from moto directly (not through the front, not counted)."""
    client = boto3.client("route53", endpoint_url=moto_url, region_name="us-east-1")
    zone_id = client.list_hosted_zones()["HostedZones"][0]["Id"]
    paginator = client.get_paginator("list_resource_record_sets")
    return [rrset for page in paginator.paginate(HostedZoneId=zone_id) for rrset in page["ResourceRecordSets"]]


def a_record(moto_url: str, name: str) -> str:
    """The first value of ``name``'s A record in moto ("" when absent), read with one small request."""
    client = boto3.client("route53", endpoint_url=moto_url, region_name="us-east-1")
    zone_id = client.list_hosted_zones()["HostedZones"][0]["Id"]
    start = {"StartRecordName": name, "StartRecordType": "A", "MaxItems": "1"}
    page = client.list_resource_record_sets(HostedZoneId=zone_id, **start)
    found = [r for r in page["ResourceRecordSets"] if r["Name"] == name and r["Type"] == "A"]
    return str(found[0]["ResourceRecords"][0]["Value"]) if found else ""


def fewest_batches(rrsets: list[dict[str, Any]]) -> int:
    """The fewest ChangeResourceRecordSets that can create these record sets within Route 53's batch limits."""
    created = [r for r in rrsets if r["Type"] not in ("SOA", "NS")]
    values = [len(v["Value"]) for r in created for v in r.get("ResourceRecords", [])]
    return max(
        math.ceil(len(created) / MAX_CHANGES),
        math.ceil(len(values) / MAX_VALUES),
        math.ceil(sum(values) / MAX_VALUE_CHARACTERS),
    )


async def patch_ip(url: str, name: str, ip: str) -> None:
    merge = {"Content-Type": "application/merge-patch+json"}
    async with aiohttp.ClientSession(url) as session:
        async with session.patch(f"{SERVICES}/{name}/status", data=json.dumps(status_patch(ip)), headers=merge) as r:
            await r.read()


def operator_flags(api: Any, front: Route53Front, batch_interval: float | None, **flags: Any) -> Any:
    extra = {} if batch_interval is None else {"aws_batch_change_interval": batch_interval}
    return operator_settings(
        api.kubeconfig,
        source=["service"],
        provider="aws",
        aws_endpoint_url=front.url,
        domain_filter=[ZONE],
        txt_owner_id="bench",
        debounce=0.2,
        **extra,
        **flags,
    )


def converge(
    api: Any, moto: MotoServer, front: Route53Front, count: int, batch_interval: float | None
) -> dict[str, Any]:
    """Phase 1: N Services into the empty zone at the defaults (--interval 1m); then the calls of one change."""
    with OperatorThread(operator_flags(api, front, batch_interval)) as operator:
        started = time.perf_counter()
        # Idle is read in-process: polling moto's whole zone would compete with the operator for it.
        converged_at = wait_until(lambda: workers_idle(operator), 3600, "the zone worker to be idle", 0.05)
        missing = 2 * count + 2 - len(zone_records(moto.url))
        if missing > 0 and not front.sink_changes:
            raise RuntimeError(f"{missing} record sets missing after the worker went idle")
        converge_s = converged_at - started
        api_s = front.last_change_at - front.first_at
        calls = dict(front.calls)
        accepted, refused = front.accepted(), front.refused()
        moto_s = front.upstream_seconds["ChangeResourceRecordSets"]
        rrsets = zone_records(moto.url) if not front.sink_changes else sunk_records(count)
        progress(f"N={count}: converged in {converge_s:.1f}s")
        if front.sink_changes:
            per_change = 0  # nothing was written: a change would be planned against an empty zone
            floor_calls = fewest_batches(rrsets) + 2
            return summary(count, rrsets, converge_s, api_s, moto_s, calls, accepted, refused, floor_calls, per_change)

        before = front.accepted()
        asyncio.run(patch_ip(api.url, name_of(0), "172.16.0.1"))
        wait_until(lambda: a_record(moto.url, f"{name_of(0)}.{ZONE}.") == "172.16.0.1", 120, "the change", 0.5)
        wait_until(lambda: workers_idle(operator), 60, "idle")
        per_change = front.accepted() - before
    floor_calls = fewest_batches(rrsets) + 2  # + ListHostedZones + one page of the empty zone
    return summary(count, rrsets, converge_s, api_s, moto_s, calls, accepted, refused, floor_calls, per_change)


def sunk_records(count: int) -> list[dict[str, Any]]:
    """The record sets a run with the front's sink would have written (the bench's A + ownership TXT shape)."""
    txt = '"heritage=external-dns,external-dns/owner=bench,external-dns/resource=service/default/{name}"'
    return [
        rrset
        for index in range(count)
        for rrset in (
            {"Type": "A", "ResourceRecords": [{"Value": seed_ip(index)}]},
            {"Type": "TXT", "ResourceRecords": [{"Value": txt.format(name=name_of(index))}]},
        )
    ]


def summary(
    count: int,
    rrsets: list[dict[str, Any]],
    converge_s: float,
    api_s: float,
    moto_s: float,
    calls: dict[tuple[str, str], int],
    accepted: int,
    refused: int,
    floor_calls: int,
    per_change: int,
) -> dict[str, Any]:
    return {
        "objects": count,
        "record_sets": len(rrsets),
        "converge_s": converge_s,
        "api_s": api_s,
        "moto_change_s": moto_s,
        "converge_calls": {f"{op} {outcome}": n for (op, outcome), n in sorted(calls.items())},
        "accepted": accepted,
        "refused": refused,
        "floor_calls": floor_calls,
        "floor_s": max(floor_calls - RATE, 0) / RATE,  # the first RATE calls are Route 53's burst
        "calls_per_change": per_change,
    }


def steady(api: Any, front: Route53Front, scale: float, batch_interval: float | None) -> dict[str, Any]:
    """Phase 2: one hour at the defaults (--interval 1m, --zone-full-read-interval 1h, one change a minute) run
    ``scale`` times faster: every interval, every change and every whole read happens, only closer together."""
    interval, hour = 60.0 / scale, 3600.0 / scale
    flags = {"interval": interval, "zone_full_read_interval": hour}
    before = dict(front.calls)  # the hour starts with the operator: its whole first read is in it
    operator = OperatorThread(operator_flags(api, front, batch_interval, **flags))
    started = time.perf_counter()
    operator.start(timeout=3600)  # its start includes the whole first read: 67 pages at 20,000 record sets
    try:
        wait_until(lambda: workers_idle(operator), 3600, "the restarted worker to be idle", 0.05)
        for minute in range(60):
            asyncio.run(patch_ip(api.url, name_of(1 + minute), f"172.17.{minute // 250}.{minute % 250 + 1}"))
            wait_until(lambda: time.perf_counter() - started >= (minute + 1) * interval, hour, "the next minute", 0.05)  # noqa: B023
        wait_until(lambda: workers_idle(operator), 600, "idle")
        window = time.perf_counter() - started
    finally:
        operator.stop()
    calls = {key: n - before.get(key, 0) for key, n in front.calls.items() if n - before.get(key, 0)}
    return {
        "scale": scale,
        "window_s": window,
        "calls_per_hour": {f"{op} {outcome}": n for (op, outcome), n in sorted(calls.items())},
        "total_per_hour": sum(calls.values()),
    }


def measure(count: int, batch_interval: float | None, scale: float, sink: bool = False) -> dict[str, Any]:
    credentials()
    with (
        tempfile.TemporaryDirectory(prefix="bench-route53-") as tmp,
        api_server_process(Path(tmp)) as api,
        MotoServer() as moto,
    ):
        boto3.client("route53", endpoint_url=moto.url, region_name="us-east-1").create_hosted_zone(
            Name=ZONE, CallerReference="bench"
        )
        asyncio.run(seed_services(api.url, count))
        progress(f"N={count}: seeded")
        with Route53FrontThread(Route53Front(moto.url, rate=RATE, burst=RATE, sink_changes=sink)) as front:
            figures = converge(api, moto, front, count, batch_interval)
            progress(json.dumps(figures))  # kept should the steady phase fail
            if scale > 0:
                figures["steady"] = steady(api, front, scale, batch_interval)
    return figures


def progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def external_dns_per_hour(record_sets: int) -> int:
    """ExternalDNS at its defaults: every 1m ListHostedZones + ListTagsForResources + every page; + 60 changes."""
    return 60 * (1 + 1 + math.ceil(record_sets / PAGE)) + 60


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--objects", type=int, default=2000)
    parser.add_argument(
        "--batch-interval", type=float, default=None, help="--aws-batch-change-interval (default: not set)"
    )
    parser.add_argument(
        "--sink", action="store_true", help="the front accepts change batches without moto (converge only)"
    )
    parser.add_argument(
        "--scale", type=float, default=20.0, help="run the steady-state hour this many times faster (0: skip it)"
    )
    args = parser.parse_args()
    figures = measure(args.objects, args.batch_interval, 0.0 if args.sink else args.scale, args.sink)
    print(json.dumps(figures, indent=1))
    converge_s, api, floor, moto_s = (
        figures["converge_s"],
        figures["api_s"],
        figures["floor_s"],
        figures["moto_change_s"],
    )
    print(
        f"converge: {converge_s:.1f} s (first API call to last change batch: {api:.1f} s, of which moto "
        f"answering change batches: {moto_s:.1f} s)"
    )
    print(f"  calls: {figures['accepted']} accepted, {figures['refused']} refused (throttled, prior request, invalid)")
    print(
        f"  floor at 5 requests/s: {figures['floor_calls']} calls, {floor:.1f} s; "
        f"calls / floor: {figures['accepted'] / figures['floor_calls']:.2f}x"
    )
    if "steady" in figures:
        steady_figures = figures["steady"]
        theirs = external_dns_per_hour(figures["record_sets"])
        ours = steady_figures["total_per_hour"]
        print(
            f"steady state, {figures['record_sets']} record sets, 1 change/min, defaults, one hour run "
            f"{steady_figures['scale']:.0f}x faster ({steady_figures['window_s']:.0f} s): {ours} calls/h; "
            f"ExternalDNS at its defaults: {theirs} ({ours / theirs:.1%})"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
