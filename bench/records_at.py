"""Benchmark of a point read (ReadingNames.records_at) against the whole read (records) on the cloud providers.

A change made while the operator starts is planned from the records at its names (startchanges.py), read with
``records_at``, instead of waiting for the zone's whole read. This measures what each costs, per provider, on a
zone of N names holding an A record and its ownership TXT each (2N records, as the TXT registry leaves them):

* Route 53: moto's server (ThreadedMotoServer), requests counted by the provider; the time at Route 53's own
  limit (5 requests/s per account) is the request count over 5;
* PowerDNS: a real pdns_server (gsqlite3), requests counted by an aiohttp trace;
* Cloudflare: the KMock fake of tests/backends (records per page: ExternalDNS's default, 100);
* Azure DNS: the ARM fake of tests/backends (record sets per page: the API's default ``$top``, 100), the point read
  a record-set list per name filtered by ``$recordsetnamesuffix``; requests counted by the fake.

For each: the whole read (time, requests), and the point read of one change's names (the record's name and its
``a-`` and ``cname-`` ownership TXT names), repeated over ``--changes`` names spread over the zone (median time,
requests per read). On Route 53 also, at its 5 requests/s while the zone is read whole (a start), a change's
point read and write timed from the change, with its names read one after another or together (``--paced``).

    .venv/bin/python bench/records_at.py --names 2000
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import re
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import aiohttp
import kmock

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # `tests.backends` lives at the repository root

from tests.backends.azure import FakeAzure  # noqa: E402
from tests.backends.cloudflare import TOKEN, ZONE, FakeCloudflare  # noqa: E402
from tests.backends.moto import MotoServer  # noqa: E402
from tests.backends.pdns import PowerDNSServer, pdns_missing_reason  # noqa: E402
from tests.integration.test_aws_provider import create_zone  # noqa: E402
from tests.integration.test_azure_provider import make_provider as azure_provider  # noqa: E402

from external_dns.endpoint import OWNED_RECORD_LABEL, Endpoint  # noqa: E402
from external_dns.providers import pointreads  # noqa: E402
from external_dns.providers.aws.provider import AWSConfig, AWSProvider  # noqa: E402
from external_dns.providers.base import Changes, Zone  # noqa: E402
from external_dns.providers.cloudflare.provider import CloudflareConfig, CloudflareProvider  # noqa: E402
from external_dns.providers.pdns.provider import PDNSConfig, PDNSProvider  # noqa: E402

OWNERSHIP = '"heritage=external-dns,external-dns/owner=bench,external-dns/resource=service/default/svc-{i:05d}"'
ROUTE53_RATE = 5.0
#: Record sets per page of an Azure listing without ``$top``.
AZURE_PAGE = 100

Reader = Callable[[], Awaitable[object]]


def zone_endpoints(zone: str, names: int) -> list[Endpoint]:
    endpoints = []
    for i in range(names):
        name = f"svc-{i:05d}.{zone}"
        endpoints.append(Endpoint(name, "A", (f"10.0.{i >> 8 & 255}.{i & 255}",), ttl=300))
        endpoints.append(
            Endpoint(f"a-{name}", "TXT", (OWNERSHIP.format(i=i),), ttl=300, labels={OWNED_RECORD_LABEL: name})
        )
    return endpoints


def change_names(zone: str, names: int, changes: int) -> list[set[str]]:
    """The names one change reads, for ``changes`` records spread over the zone."""
    step = max(1, names // changes)
    picked = [f"svc-{i:05d}.{zone}" for i in range(0, names, step)][:changes]
    return [{name, f"a-{name}", f"cname-{name}"} for name in picked]


async def measure(
    label: str, whole: Reader, point: Callable[[set[str]], Reader], requests: Callable[[], int], reads: list[set[str]]
) -> dict[str, float]:
    before = requests()
    started = time.perf_counter()
    await whole()
    whole_seconds = time.perf_counter() - started
    whole_requests = requests() - before
    times = []
    before = requests()
    for names in reads:
        started = time.perf_counter()
        await point(names)()
        times.append(time.perf_counter() - started)
    point_requests = (requests() - before) / len(reads)
    figures = {
        "whole s": whole_seconds,
        "whole requests": whole_requests,
        "point s (median)": statistics.median(times),
        "point requests": point_requests,
    }
    print(f"{label}: {figures}", flush=True)
    return figures


async def route53(names: int, reads: list[set[str]], paced: int) -> dict[str, float]:
    os.environ.update(
        AWS_ACCESS_KEY_ID="AKIABENCH",
        AWS_SECRET_ACCESS_KEY="bench",
        AWS_SHARED_CREDENTIALS_FILE="/nonexistent",
        AWS_CONFIG_FILE="/nonexistent",
    )
    with MotoServer() as moto:
        provider = AWSProvider(AWSConfig(endpoint_url=moto.url, batch_change_interval=0.0, api_rate_limit=0))
        try:
            await create_zone(moto.url, "example.com")
            zone = next(z for z in await provider.zones() if z.name == "example.com")  # the client made, untimed
            outcome = await provider.apply_changes(zone, Changes(create=zone_endpoints(zone.name, names)))
            assert outcome.failed == []
            figures = await measure(
                "route53",
                lambda: provider.records(zone),
                lambda wanted: lambda: provider.records_at(zone, wanted),
                lambda: provider.api_calls["ListResourceRecordSets"],
                reads,
            )
            if paced:
                figures.update(await changes_during_a_whole_read(moto.url, zone, reads[:paced]))
        finally:
            await provider.close()
    figures["whole s at 5/s"] = figures["whole requests"] / ROUTE53_RATE
    figures["point s at 5/s"] = figures["point requests"] / ROUTE53_RATE
    return figures


async def changes_during_a_whole_read(url: str, zone: Zone, reads: list[set[str]]) -> dict[str, float]:
    """At Route 53's 5 requests/s (the provider's budget), while the zone is read whole: a change's point read and
    its write, timed, with the names read one after another and together (providers/pointreads.py)."""
    figures: dict[str, float] = {}
    for label, at_once in (("one at a time", 1), ("together", pointreads.NAMES_AT_ONCE)):
        pointreads.NAMES_AT_ONCE = at_once  # the bench compares the two; the operator keeps the module's value
        times = []
        for number, names in enumerate(reads):
            provider = AWSProvider(AWSConfig(endpoint_url=url, api_rate_limit=ROUTE53_RATE))
            try:
                await provider.zones()
                whole = asyncio.create_task(provider.records(zone))
                await asyncio.sleep(1.0)  # the whole read under way: a few of its pages have had their turns
                started = time.perf_counter()
                await provider.records_at(zone, names)
                change = Endpoint(f"new-{at_once}-{number}.{zone.name}", "A", ("192.0.2.1",))
                assert (await provider.apply_changes(zone, Changes(create=[change]))).failed == []
                times.append(time.perf_counter() - started)
                await whole
            finally:
                await provider.close()
        figures[f"change at 5/s, {label} (median s)"] = statistics.median(times)
        print(f"route53 at 5/s during a whole read, names {label}: {[round(t, 2) for t in times]}", flush=True)
    return figures


async def powerdns(names: int, reads: list[set[str]]) -> dict[str, float] | None:
    if (reason := pdns_missing_reason()) is not None:
        print(f"pdns: skipped ({reason})")
        return None
    count = [0]

    async def started(session: object, context: object, params: aiohttp.TraceRequestStartParams) -> None:
        count[0] += 1

    trace = aiohttp.TraceConfig()
    trace.on_request_start.append(started)
    with tempfile.TemporaryDirectory() as workdir, PowerDNSServer(Path(workdir)) as server:
        server.create_zone("example.com")
        zone = Zone("example.com", "example.com.")
        async with aiohttp.ClientSession(trace_configs=[trace]) as session:
            provider = PDNSProvider(PDNSConfig(server=server.url, api_key=server.api_key), session=session)
            outcome = await provider.apply_changes(zone, Changes(create=zone_endpoints(zone.name, names)))
            assert outcome.failed == []
            return await measure(
                "pdns",
                lambda: provider.records(zone),
                lambda wanted: lambda: provider.records_at(zone, wanted),
                lambda: count[0],
                reads,
            )


async def cloudflare(names: int, reads: list[set[str]]) -> dict[str, float]:
    fake = FakeCloudflare()
    async with kmock.RawHandler() as handler, kmock.Server(handler):
        handler[re.compile(".*")] << fake.serve
        provider = CloudflareProvider(CloudflareConfig(api_token=TOKEN, api_url=f"{handler.url}/client/v4"))
        try:
            outcome = await provider.apply_changes(ZONE, Changes(create=zone_endpoints(ZONE.name, names)))
            assert outcome.failed == []
            return await measure(
                "cloudflare",
                lambda: provider.records(ZONE),
                lambda wanted: lambda: provider.records_at(ZONE, wanted),
                lambda: len(fake.listings),
                reads,
            )
        finally:
            await provider.close()


async def azure(names: int, reads: list[set[str]]) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as workdir:
        fake = FakeAzure(Path(workdir))
        await fake.start()
        fake.page_size = AZURE_PAGE
        held = fake.add_zone("example.com").record_sets
        # Written into the fake directly: a PUT per record set through the provider measures nothing read here.
        for endpoint in zone_endpoints("example.com", names):
            relative = endpoint.dns_name.removesuffix(".example.com")
            values = (
                {"ARecords": [{"ipv4Address": endpoint.targets[0]}]}
                if endpoint.record_type == "A"
                else {"TXTRecords": [{"value": [endpoint.targets[0]]}]}
            )
            held[(relative, endpoint.record_type)] = {"etag": f"etag-{relative}", "properties": {"TTL": 300, **values}}
        provider = azure_provider(fake)
        try:
            (zone,) = await provider.zones()
            return await measure(
                "azure",
                lambda: provider.records(zone),
                lambda wanted: lambda: provider.records_at(zone, wanted),
                lambda: len(fake.listings),
                reads,
            )
        finally:
            await provider.close()
            await fake.stop()


def table(results: dict[str, dict[str, float] | None]) -> None:
    rows = ["whole s", "whole requests", "point s (median)", "point requests", "whole s at 5/s", "point s at 5/s"]
    rows += [row for figures in results.values() for row in figures or {} if row not in rows]
    print(f"\n{'':40}" + "".join(f"{name:>14}" for name in results))
    for row in rows:
        cells = []
        for figures in results.values():
            value = (figures or {}).get(row)
            cells.append(
                f"{value:>14.3f}" if isinstance(value, float) else f"{value if value is not None else '-':>14}"
            )
        print(f"{row:40}" + "".join(cells))


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--names", type=int, default=2000, help="names in the zone (2 records each)")
    parser.add_argument("--changes", type=int, default=20, help="point reads measured (one change's names each)")
    parser.add_argument("--paced", type=int, default=3, help="changes timed at 5/s during a whole read (each way)")
    providers = ["route53", "pdns", "cloudflare", "azure"]
    parser.add_argument("--only", choices=providers, action="append", help="these providers alone (repeatable)")
    args = parser.parse_args()
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # moto's server logs every request otherwise
    print(f"zone of {args.names} names ({2 * args.names} records); {args.changes} point reads of 3 names each")
    results: dict[str, dict[str, float] | None] = {}
    reads = change_names("example.com", args.names, args.changes)
    wanted = args.only or providers
    if "route53" in wanted:
        results["route53"] = await route53(args.names, reads, args.paced)
    if "pdns" in wanted:
        results["pdns"] = await powerdns(args.names, change_names("example.com", args.names, args.changes))
    if "cloudflare" in wanted:
        results["cloudflare"] = await cloudflare(args.names, change_names(ZONE.name, args.names, args.changes))
    if "azure" in wanted:
        results["azure"] = await azure(args.names, change_names("example.com", args.names, args.changes))
    table(results)


if __name__ == "__main__":
    asyncio.run(main())
