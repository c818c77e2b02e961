"""Benchmark of the RFC2136 provider's point reads (records_at, a query per name) against the zone's whole read
(records, an AXFR), as a change made while the operator starts is planned from one or the other (issue 11 item 1).

BIND serves a zone of N names, each with an A record and its ownership TXT record (2N records, as the TXT
registry leaves them), and a ``*`` record at the apex. For 1, 10 and 100 names (each name asked with its ownership
TXT name, as the planner reads a change: 2, 20, 200 names), the median of a few rounds of:

- ``records_at``: what the provider does, the queries one after another over one TCP connection, in a thread;
- ``records_at`` of as many names that do not exist yet (a change creating them): the wildcard answers for them as
  for any absent name, so each is checked by an UPDATE with only a prerequisite (providers/rfc2136/names.py);
- the same ANY queries through ``dns.asyncquery.tcp``, a connection each, 16 at once (the alternative measured
  and not kept: see bench/README.md, "Point reads (RFC2136)"); the wildcard probes and serial checks are left
  out of it, so it is the cheaper side of the comparison;
- ``records``: the AXFR of the whole zone, parsed.

    .venv/bin/python bench/point_reads.py --names 10000 --rounds 5

Times are wall-clock on the benchmark's own event loop; BIND runs as its own process.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from functools import partial
from pathlib import Path

import dns.asyncquery
import dns.message
import dns.name
import dns.rdatatype

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # `tests.backends` lives at the repository root

from tests.backends.bind import BindServer, named_path  # noqa: E402
from zone_read import provider_for  # noqa: E402  (the operator's provider for the zone, a slow transfer allowed)

from external_dns.model import Zone  # noqa: E402

ZONE = "example.com"
OWNERSHIP = '"heritage=external-dns,external-dns/owner=bench,external-dns/resource=service/default/svc-{i:05d}"'
AT_ONCE = 16


def zone_records(names: int) -> list[str]:
    lines = ["* 300 IN A 10.255.255.254"]
    for i in range(names):
        lines.append(f"svc-{i:05d} 300 IN A 10.0.{i >> 8 & 255}.{i & 255}")
        lines.append(f"a-svc-{i:05d} 300 IN TXT {OWNERSHIP.format(i=i)}")
    return lines


async def concurrent_queries(bind: BindServer, names: list[str]) -> int:
    """The ANY queries alone, a TCP connection each, AT_ONCE at a time; the records received."""
    info = bind.info
    keyring = bind.keyring()
    keyname = next(iter(keyring))
    gate = asyncio.Semaphore(AT_ONCE)

    async def ask(name: str) -> int:
        query = dns.message.make_query(name, dns.rdatatype.ANY, flags=0)
        query.use_tsig(keyring, keyname, algorithm=info.key_algorithm)
        async with gate:
            answer = await dns.asyncquery.tcp(query, info.host, port=info.port, timeout=30)
        return sum(len(rrset) for rrset in answer.answer)

    return sum(await asyncio.gather(*(ask(name) for name in names)))


async def median_of(rounds: int, read: Callable[[], Awaitable[object]]) -> float:
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        await read()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


async def measure(bind: BindServer, total: int, rounds: int) -> None:
    provider = provider_for(bind.info)
    zone = Zone(ZONE, ZONE)
    whole = await median_of(max(1, rounds // 2), lambda: provider.records(zone))
    print(f"zone of {2 * total + 2} records; records() (AXFR, parsed): {whole * 1000:.0f} ms")
    print(
        f"{'changed names':>14} {'names read':>10} {'records_at':>11} {'of new names':>13}"
        f" {'a connection each, 16 at once':>30}"
    )
    for count in (1, 10, 100):
        step = max(1, total // count)
        changed = [f"svc-{i:05d}.{ZONE}" for i in range(0, step * count, step)]
        names = [*changed, *(f"a-{name}" for name in changed)]
        found = await provider.records_at(zone, names)
        assert len(found) == len(names), f"read {len(found)} records at {len(names)} names"
        created = [name.replace("svc-", "new-") for name in names]
        assert await provider.records_at(zone, created) == [], "a name created under the wildcard read as its own"
        point = await median_of(rounds, partial(provider.records_at, zone, names))
        new = await median_of(rounds, partial(provider.records_at, zone, created))
        apart = await median_of(rounds, partial(concurrent_queries, bind, names))
        print(f"{count:>14} {len(names):>10} {point * 1000:>8.1f} ms {new * 1000:>10.1f} ms {apart * 1000:>27.1f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--names", type=int, default=10_000, help="names in the zone (each with A and TXT)")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    if named_path() is None:
        sys.exit("BIND9 `named` is not installed")
    with tempfile.TemporaryDirectory() as directory:
        bind = BindServer()
        bind.start([ZONE], Path(directory), records={ZONE: zone_records(args.names)})
        try:
            asyncio.run(measure(bind, args.names, args.rounds))
        finally:
            bind.stop()


if __name__ == "__main__":
    main()
