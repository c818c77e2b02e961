"""Shared by the fault suites (tests/integration/test_fault_*.py): a zone of many names wanted by DNSEndpoints,
foreign records that must survive byte for byte, and the one check every suite ends with.

The check reads BIND by AXFR, as a user would: every wanted name has exactly its A record and one ownership
TXT record of this owner, nothing else of ours is left, no rrset holds a stale or duplicated value, and every
record the operator does not own is byte-identical (name, TTL, class, type, data) to what it was before.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import dns.exception
import dns.message
import dns.query
import dns.rdatatype

from external_dns.testing.cluster import LocalCluster
from tests import builders
from tests.backends.bind import BindServer, running_bind

ZONE = "example.com"
OWNER = "faults"
GROUP, VERSION, PLURAL = "externaldns.k8s.io", "v1alpha1", "dnsendpoints"
API_VERSION = f"{GROUP}/{VERSION}"
#: Records that exist before the operator runs and that it must never change: unowned, another owner's, a TXT.
FOREIGN = [
    "manual 300 IN A 192.0.2.1",
    "theirs 300 IN A 192.0.2.2",
    'a-theirs 300 IN TXT "heritage=external-dns,external-dns/owner=other,external-dns/resource=service/x/y"',
    'note 600 IN TXT "hello" "world"',
    "mail 3600 IN MX 10 mx.example.org.",
]
FOREIGN_NAMES = ("manual.", "theirs.", "a-theirs.", "note.", "mail.")

#: The desired zone: name -> the one address it must have.
Desired = dict[str, str]


def bind_with_foreign_records(directory: Path) -> Iterator[BindServer]:
    with running_bind(directory, [ZONE], records={ZONE: FOREIGN}) as server:
        yield server


def rfc2136_flags(bind: BindServer) -> dict[str, Any]:
    """The operator's flags for this zone (as Settings field names)."""
    return {**bind.provider_flags(ZONE), "source": ["crd"], "txt_owner_id": OWNER}


def name_of(index: int) -> str:
    return f"n{index:04d}.{ZONE}"


def address(index: int, generation: int = 0) -> str:
    return f"10.{generation}.{index // 250}.{index % 250 + 1}"


def dnsendpoint(name: str, records: Mapping[str, str]) -> dict[str, Any]:
    """A DNSEndpoint wanting one A record per entry of ``records`` (name -> address)."""
    return builders.dnsendpoint(name, *(builders.crd_endpoint(host, "A", ip) for host, ip in sorted(records.items())))


def records_of(first: int, count: int, generation: int = 0) -> Desired:
    return {name_of(i): address(i, generation) for i in range(first, first + count)}


def create_objects(cluster: LocalCluster, objects: int, per_object: int) -> dict[str, Desired]:
    """``objects`` DNSEndpoints named obj-NNN with ``per_object`` names each; returns what each wants."""
    wanted = {f"obj-{k:03d}": records_of(k * per_object, per_object) for k in range(objects)}

    async def create_all() -> None:
        for name, records in wanted.items():
            await cluster.create(API_VERSION, PLURAL, dnsendpoint(name, records))

    asyncio.run(create_all())
    return wanted


def flatten(wanted: Mapping[str, Desired]) -> Desired:
    return {host: ip for records in wanted.values() for host, ip in records.items()}


def zone_lines(bind: BindServer) -> list[str]:
    """Every record of the zone as master-file lines (absolute names, TTLs), sorted."""
    info = bind.info
    keyring = bind.keyring()
    transfer = dns.query.xfr(
        info.host, ZONE, port=info.port, keyring=keyring, keyname=next(iter(keyring)), relativize=False, timeout=10
    )
    lines = {line for message in transfer for rrset in message.answer for line in rrset.to_text().splitlines()}
    return sorted(line for line in lines if " SOA " not in line)


def foreign_lines(bind: BindServer) -> list[str]:
    return [line for line in zone_lines(bind) if line.startswith(FOREIGN_NAMES)]


def ours(bind: BindServer) -> tuple[dict[str, set[str]], dict[str, set[str]]]:
    """Our A records (name -> values) and our ownership TXT records (owned name -> values)."""
    records = bind.axfr_records_sync(ZONE)
    addresses = {
        name: values
        for (name, type_), values in records.items()
        if type_ == "A" and not name.startswith(FOREIGN_NAMES) and name != f"ns1.{ZONE}"
    }
    ownership = {
        name.removeprefix("a-"): values
        for (name, type_), values in records.items()
        if type_ == "TXT" and name.startswith("a-") and any(f"owner={OWNER}," in value for value in values)
    }
    return addresses, ownership


def converged(bind: BindServer, desired: Desired) -> bool:
    try:
        addresses, ownership = ours(bind)
    except (OSError, dns.exception.DNSException):
        return False  # the server is restarting
    return addresses == {name: {ip} for name, ip in desired.items()} and set(ownership) == set(desired)


def assert_exact_zone(bind: BindServer, desired: Desired, foreign_before: list[str]) -> None:
    """The zone holds exactly the desired records, each once, each owned once; foreign records untouched."""
    addresses, ownership = ours(bind)
    missing = sorted(set(desired) - set(addresses))
    extra = sorted(set(addresses) - set(desired))
    assert not missing and not extra, f"missing {missing[:5]}, extra {extra[:5]}"
    wrong = {name: values for name, values in addresses.items() if values != {desired[name]}}
    assert not wrong, f"stale or duplicated values: {dict(list(wrong.items())[:5])}"
    assert set(ownership) == set(desired), f"ownership differs: {sorted(set(ownership) ^ set(desired))[:5]}"
    doubled = {name: values for name, values in ownership.items() if len(values) != 1}
    assert not doubled, f"duplicated ownership records: {dict(list(doubled.items())[:5])}"
    assert foreign_lines(bind) == foreign_before


def soa_serial(bind: BindServer) -> int:
    """The zone's serial by one UDP query: cheap enough to poll while updates land."""
    info = bind.info
    answer = dns.query.udp(dns.message.make_query(ZONE, dns.rdatatype.SOA), info.host, port=info.port, timeout=2)
    return int(answer.answer[0][0].serial)


class Stopwatch:
    """Seconds since start, and the figures a suite reports (printed as one JSON line, see README Reliability)."""

    def __init__(self, suite: str) -> None:
        self.suite = suite
        self.started = time.monotonic()
        self.figures: dict[str, Any] = {}

    def lap(self) -> float:
        return round(time.monotonic() - self.started, 2)

    def restart(self) -> None:
        self.started = time.monotonic()

    def report(self, **figures: Any) -> None:
        self.figures.update(figures)
        print(f"FAULT-FIGURES {json.dumps({'suite': self.suite, **self.figures})}")
