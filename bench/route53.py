"""Benchmark of the operator against Route 53's real limits: moto behind a rate-limiting front (route53_front.py).

1. Converge: N LoadBalancer Services (one A + one ownership TXT each) reach an empty hosted zone through the front
   (5 requests/s, batch limits). Reported: time and API calls by operation, beside the floor the limits allow:
   the fewest ChangeResourceRecordSets that can carry these records (1,000 changes, 1,000 values, 32,000
   characters each) plus the reads a start needs (ListHostedZones, one ListResourceRecordSets page), at 5/s.
2. Steady state: with the zone converged, the calls of one periodic re-read (``--interval``) and of one change
   are counted; calls per hour with one change a minute follow for any interval, beside ExternalDNS's loop
   (ListHostedZones + ListTagsForResources + every ListResourceRecordSets page, every --interval, default 1m).

    .venv/bin/python bench/route53.py --objects 2000
    .venv/bin/python bench/route53.py --objects 10000 --batch-interval 0
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
from reconcile import SERVICES, ZONE, name_of, seed_services, status_patch, wait_until, workers_idle  # noqa: E402
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


def measure(count: int, batch_interval: float, resync: float) -> dict[str, Any]:
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
        print(f"N={count}: seeded", file=sys.stderr, flush=True)
        with Route53FrontThread(Route53Front(moto.url, rate=RATE, burst=RATE)) as front:
            settings = operator_settings(
                api.kubeconfig,
                source=["service"],
                provider="aws",
                aws_endpoint_url=front.url,
                aws_batch_change_interval=batch_interval,
                domain_filter=[ZONE],
                txt_owner_id="bench",
                debounce=0.2,
                interval=resync,
            )
            with OperatorThread(settings) as operator:
                started = time.perf_counter()
                # Idle is read in-process: polling moto's whole zone would compete with the operator for it.
                converged_at = wait_until(lambda: workers_idle(operator), 3600, "the zone worker to be idle", 0.05)
                missing = 2 * count + 2 - len(zone_records(moto.url))
                if missing > 0:
                    raise RuntimeError(f"{missing} record sets missing after the worker went idle")
                converge_s = converged_at - started
                api_s = front.last_change_at - front.first_at
                converge_calls = dict(front.calls)
                accepted, refused = front.accepted(), front.refused()
                rrsets = zone_records(moto.url)
                batches = fewest_batches(rrsets)
                floor_calls = batches + 2  # + ListHostedZones + one page of the empty zone
                print(f"N={count}: converged in {converge_s:.1f}s", file=sys.stderr, flush=True)

                # One change: the calls it costs.
                before = front.accepted()
                asyncio.run(patch_ip(api.url, name_of(0), "172.16.0.1"))
                wait_until(lambda: a_record(moto.url, f"{name_of(0)}.{ZONE}.") == "172.16.0.1", 120, "the change", 0.5)
                wait_until(lambda: workers_idle(operator), 60, "idle")
                per_change = front.accepted() - before

                # One periodic re-read: wait for the next one and count it.
                before = front.accepted("ListResourceRecordSets")
                wait_until(lambda: front.accepted("ListResourceRecordSets") > before, resync * 1.2 + 600, "a resync")
                pages = math.ceil(len(rrsets) / PAGE)
                wait_until(lambda: front.accepted("ListResourceRecordSets") - before >= pages, 600, "the re-read")
                wait_until(lambda: workers_idle(operator), 600, "idle")
                reread = front.accepted("ListResourceRecordSets") - before
    return {
        "objects": count,
        "record_sets": len(rrsets),
        "converge_s": converge_s,
        "api_s": api_s,
        "converge_calls": {f"{op} {outcome}": n for (op, outcome), n in sorted(converge_calls.items())},
        "accepted": accepted,
        "refused": refused,
        "floor_calls": floor_calls,
        "floor_s": max(floor_calls - RATE, 0) / RATE,  # the first RATE calls are the bucket's burst
        "calls_per_change": per_change,
        "pages_per_reread": reread,
        "pages_expected": pages,
    }


def hourly(figures: dict[str, Any], interval_s: float, record_sets: int) -> tuple[float, float]:
    """(this operator, ExternalDNS) API calls per hour at ``record_sets`` with one change a minute."""
    pages = math.ceil(record_sets / PAGE)
    rereads = 3600 / interval_s
    ours = 60 * figures["calls_per_change"] + rereads * pages
    external_dns = 60 * (1 + 1 + pages) + 60  # its loop every minute, and each change's ChangeResourceRecordSets
    return ours, external_dns


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--objects", type=int, default=2000)
    parser.add_argument("--batch-interval", type=float, default=1.0, help="--aws-batch-change-interval (its default)")
    parser.add_argument("--resync", type=float, default=60.0, help="--interval of the operator during the run")
    args = parser.parse_args()
    figures = measure(args.objects, args.batch_interval, args.resync)
    print(json.dumps(figures, indent=1))
    converge, api, floor = figures["converge_s"], figures["api_s"], figures["floor_s"]
    print(f"converge: {converge:.1f} s (first API call to last change batch: {api:.1f} s)")
    print(f"  calls: {figures['accepted']} accepted, {figures['refused']} refused (throttled, prior request, invalid)")
    ratio = f"{api / floor:.2f}x" if floor >= 1 else "n/a (within the burst)"
    print(f"  floor at 5 requests/s: {figures['floor_calls']} calls, {floor:.1f} s; API part / floor: {ratio}")
    for interval in (60.0, 600.0, 3600.0):
        ours, theirs = hourly(figures, interval, 20_000)
        print(f"20,000 record sets, 1 change/min, --interval {interval:.0f}s: {ours:.0f} calls/h", end="")
        print(f" (ExternalDNS at its defaults: {theirs:.0f})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
