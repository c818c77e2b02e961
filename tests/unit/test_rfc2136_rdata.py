"""The RFC2136 provider's sizing of records in an UPDATE message (rdata.wire_size): worked out from labels and
rdata fields, it must stay an upper bound of what the provider renders (wire.py), for names in the zone, at its
apex, outside it and in another case, and for every record type the provider writes."""

from __future__ import annotations

import dns.exception
import dns.name
import dns.rdataclass
import dns.rdatatype
import dns.rdtypes.ANY.TXT
import pytest

from external_dns.endpoint import Endpoint
from external_dns.providers.rfc2136.rdata import (
    Action,
    Operation,
    absolute_labels,
    operations_for,
    rdata_wire,
    target_text,
    wire_size,
)
from external_dns.providers.rfc2136.wire import render_update

ORIGIN = dns.name.from_text("example.com.")


def rendered_size(op: Operation) -> int:
    """The bytes one RR adds to an UPDATE of the zone (its name compressed against the zone section's)."""
    return len(render_update(ORIGIN, [op], None).wire) - len(render_update(ORIGIN, [], None).wire)


def op(name: str, record_type: str, target: str) -> Operation:
    (operation,) = operations_for(Action.ADD, Endpoint(name, record_type, (target,)), 300)
    return operation


@pytest.mark.parametrize(
    ("name", "record_type", "target", "expected"),
    [
        # owner: "svc" (3 + 1) + pointer 2; type, class, TTL, length 10; rdata 4
        ("svc.example.com", "A", "192.0.2.1", 6 + 10 + 4),
        ("svc.example.com", "AAAA", "2001:db8::1", 6 + 10 + 16),
        # "a-svc" (5 + 1) + 2; one string of 3 with its length byte
        ("a-svc.example.com", "TXT", '"abc"', 8 + 10 + 4),
        # the apex: only the pointer
        ("example.com", "A", "192.0.2.1", 2 + 10 + 4),
        # two labels below the zone; the target uncompressed: target(6+1) example(7+1) org(3+1) root(1)
        ("a.b.example.com", "CNAME", "target.example.org", 6 + 10 + 20),
        # outside the zone: every label, the root's too
        ("other.org", "A", "192.0.2.1", (6 + 4 + 1) + 10 + 4),
    ],
)
def test_wire_size_is_the_owner_below_the_zone_fixed_fields_and_rdata(
    name: str, record_type: str, target: str, expected: int
) -> None:
    assert wire_size(op(name, record_type, target), ORIGIN) == expected


def test_a_name_in_another_case_is_still_below_the_zone() -> None:
    upper = Operation(Action.ADD, dns.name.from_text("SVC.Example.COM.").labels, 300, *rdata_wire("A", "192.0.2.1"))

    assert wire_size(upper, ORIGIN) == 6 + 10 + 4


@pytest.mark.parametrize(
    ("name", "record_type", "target"),
    [
        ("svc.example.com", "A", "192.0.2.1"),
        ("svc.example.com", "AAAA", "2001:db8::1"),
        ("a-svc.example.com", "TXT", '"heritage=external-dns,external-dns/owner=default"'),
        ("a-long.example.com", "TXT", '"' + "x" * 600 + '"'),
        ("www.example.com", "CNAME", "lb.example.net"),
        ("example.com", "MX", "10 mail.example.com"),
        ("_sip._tcp.example.com", "SRV", "10 5 5060 sip.example.com"),
        ("other.org", "A", "192.0.2.1"),
    ],
)
def test_wire_size_is_never_below_what_is_rendered(name: str, record_type: str, target: str) -> None:
    operation = op(name, record_type, target)

    assert wire_size(operation, ORIGIN) >= rendered_size(operation)


@pytest.mark.parametrize(
    "name",
    [
        "svc.example.com",
        "example.com.",
        "*.apps.example.com",
        "_sip._tcp.example.com",
        "a..b.example.com",  # an empty label in the middle is dropped, as before
        "x" * 63 + ".example.com",
        "x" * 64 + ".example.com",  # a label too long
        ".".join(["y" * 63] * 4),  # 4 x 64 + 1 = 257 bytes: a name too long
        ".".join(["y" * 63] * 3) + "." + "z" * 61,  # exactly 255
        "dotted\\.label.example.com",  # escapes go through dnspython's parser
    ],
)
def test_absolute_labels_are_dnspythons_and_refuse_what_it_refuses(name: str) -> None:
    plain = [label.encode() for label in name.split(".") if label] + [b""]
    try:
        expected: object = dns.name.from_text(name, origin=dns.name.root).labels if "\\" in name else None
        if expected is None:
            expected = dns.name.Name(plain).labels
    except dns.exception.DNSException as error:
        expected = type(error)

    try:
        got: object = absolute_labels(name)
    except dns.exception.DNSException as error:
        got = type(error)

    assert got == expected


@pytest.mark.parametrize(
    "value",
    [
        b"",
        b"heritage=external-dns,external-dns/owner=default,external-dns/resource=service/default/web",
        b'a "quoted" word',
        b"back\\slash",
        b"tab\there",
        b"caf\xc3\xa9",
        b"\x00\x1f\x7f\xff",
        bytes(range(255)),
    ],
)
def test_a_txt_string_prints_as_dnspython_prints_it(value: bytes) -> None:
    rdata = dns.rdtypes.ANY.TXT.TXT(dns.rdataclass.IN, dns.rdatatype.TXT, [value])

    assert target_text(rdata) == rdata.to_text()
