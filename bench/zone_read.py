"""Benchmark of a zone read at a takeover: the whole zone (AXFR, what the operator does today) against the
changes since a serial the standby last saw (IXFR from BIND's journal, the option issue 11 item 4 weighs).

BIND serves a zone of N names, each with an A record and its ownership TXT record (2N records, as the TXT
registry leaves them); then K names are changed by dynamic UPDATEs (100 a message, as the operator batches)
and the zone is read both ways, each parsed to the end by dnspython as the operator's read path does:

    .venv/bin/python bench/zone_read.py --names 9999 --changes 10 100 1000

Times are wall-clock on the benchmark's own thread; BIND runs as its own process.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from pathlib import Path

import dns.message
import dns.name
import dns.query
import dns.rdatatype
import dns.update

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # `tests.backends` lives at the repository root

from tests.backends.bind import BindInfo, BindServer, named_path  # noqa: E402

from external_dns.model import Zone  # noqa: E402
from external_dns.providers.rfc2136.provider import RFC2136Config, RFC2136Provider  # noqa: E402

ZONE = "example.com"
OWNERSHIP = '"heritage=external-dns,external-dns/owner=bench,external-dns/resource=service/default/svc-{i:05d}"'


def zone_records(names: int) -> list[str]:
    lines = []
    for i in range(names):
        lines.append(f"svc-{i:05d} 300 IN A 10.0.{i >> 8 & 255}.{i & 255}")
        lines.append(f"a-svc-{i:05d} 300 IN TXT {OWNERSHIP.format(i=i)}")
    return lines


def serial(bind: BindServer, info: BindInfo) -> int:
    answer = dns.query.tcp(dns.message.make_query(ZONE, "SOA"), info.host, port=info.port, timeout=10)
    return int(answer.answer[0][0].serial)


def change(bind: BindServer, info: BindInfo, count: int, round_: int) -> None:
    """Move ``count`` names to a new address, 100 a message."""
    for start in range(0, count, 100):
        update = dns.update.UpdateMessage(ZONE, keyring=bind.keyring(), keyalgorithm=info.key_algorithm.lower())
        for i in range(start, min(start + 100, count)):
            update.replace(f"svc-{i:05d}", 300, "A", f"172.16.{round_}.{i & 255}")
        dns.query.tcp(update, info.host, port=info.port, timeout=30)


def transfer(bind: BindServer, info: BindInfo, rdtype: str, since: int = 0) -> tuple[float, int]:
    """Seconds to transfer and parse the zone, and the resource records received."""
    started = time.perf_counter()
    messages = dns.query.xfr(
        info.host,
        dns.name.from_text(ZONE),
        rdtype=dns.rdatatype.from_text(rdtype),
        serial=since,
        port=info.port,
        keyring=bind.keyring(),
        keyalgorithm=info.key_algorithm.lower(),
        relativize=False,
        timeout=120,
    )
    received = sum(len(rrset) for message in messages for rrset in message.answer)
    return time.perf_counter() - started, received


def provider_for(info: BindInfo) -> RFC2136Provider:
    """The operator's RFC2136 provider for the zone, with room for a slow transfer."""
    return RFC2136Provider(
        RFC2136Config(
            host=info.host,
            port=info.port,
            zones=(ZONE,),
            tsig_keyname=info.key_name,
            tsig_secret=info.key_secret,
            tsig_secret_alg=info.key_algorithm,
            timeout=120,
        )
    )


def provider_read(info: BindInfo) -> tuple[float, int]:
    """Seconds for the operator's own read path (RFC2136Provider.records: AXFR, parse, endpoints)."""
    provider = provider_for(info)
    started = time.perf_counter()
    endpoints = asyncio.run(provider.records(Zone(ZONE)))
    return time.perf_counter() - started, len(endpoints)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--names", type=int, default=9999)
    parser.add_argument("--changes", type=int, nargs="+", default=[10, 100, 1000])
    options = parser.parse_args()
    if named_path() is None:
        raise SystemExit("BIND9 `named` is not installed")
    with tempfile.TemporaryDirectory(prefix="bench-zone-read-") as tmp:
        bind = BindServer()
        info = bind.start([ZONE], Path(tmp) / "bind", records={ZONE: zone_records(options.names)})
        try:
            seconds, received = provider_read(info)
            print(f"operator's read (AXFR + endpoints): {seconds:.2f} s, {received} endpoints")
            print(f"{'changed names':>14} {'AXFR s':>8} {'AXFR RRs':>9} {'IXFR s':>8} {'IXFR RRs':>9}")
            for round_, count in enumerate(options.changes, start=1):
                before = serial(bind, info)
                change(bind, info, count, round_)
                axfr_s, axfr_rrs = transfer(bind, info, "AXFR")
                ixfr_s, ixfr_rrs = transfer(bind, info, "IXFR", before)
                print(f"{count:>14} {axfr_s:>8.2f} {axfr_rrs:>9} {ixfr_s:>8.3f} {ixfr_rrs:>9}")
        finally:
            bind.stop()


if __name__ == "__main__":
    main()
