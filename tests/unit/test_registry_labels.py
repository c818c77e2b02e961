"""The TXT value format: ExternalDNS's label serialisation and parsing (reference §1.1, §1.9)."""

from __future__ import annotations

import pytest

from external_dns.endpoint import NONCE_LABEL, RAW_TXT_LABEL
from external_dns.registry.labels import InvalidHeritageError, parse_labels, serialize_labels, serialize_plain_labels


@pytest.mark.parametrize(
    ("labels", "value"),
    [
        (
            {"owner": "default", "resource": "ingress/default/web"},
            '"heritage=external-dns,external-dns/owner=default,external-dns/resource=ingress/default/web"',
        ),
        (
            {"team": "blue", "resource": "crd/ns1/rec", "owner": "default"},
            '"heritage=external-dns,external-dns/owner=default,external-dns/resource=crd/ns1/rec,'
            'external-dns/team=blue"',
        ),
        ({"owner": "default"}, '"heritage=external-dns,external-dns/owner=default"'),
        ({}, '"heritage=external-dns"'),
        ({"b": "1", "B": "2", "a": "3"}, '"heritage=external-dns,external-dns/B=2,external-dns/a=3,external-dns/b=1"'),
        (
            {"owner": "o", NONCE_LABEL: "h8UQ6jelUFUsEIn7", RAW_TXT_LABEL: '"old"'},
            '"heritage=external-dns,external-dns/owner=o"',
        ),
    ],
    ids=[
        "an ingress record names owner and resource",
        "user labels of a DNSEndpoint follow in key order",
        "a pod record has no resource",
        "no labels leaves only the heritage",
        "keys sort in byte order, upper case first",
        "the nonce and the raw value are never written",
    ],
)
def test_serialised_value_matches_externaldns(labels: dict[str, str], value: str) -> None:
    assert serialize_labels(labels) == value


def test_value_to_encrypt_has_no_quotes() -> None:
    assert serialize_plain_labels({"owner": "owner"}) == "heritage=external-dns,external-dns/owner=owner"


def test_serialised_labels_parse_back() -> None:
    labels = {"owner": "default", "resource": "service/ns/app", "team": "blue"}
    assert parse_labels(serialize_labels(labels)) == labels


@pytest.mark.parametrize(
    ("value", "labels"),
    [
        ("heritage=external-dns,external-dns/owner=a", {"owner": "a"}),
        ('"heritage=external-dns,novalue,external-dns/owner=a"', {"owner": "a"}),
        ('"heritage=external-dns,external-dns/owner=a=b,external-dns/resource=r"', {"resource": "r"}),
        ('"heritage=external-dns,other/key=x,external-dns/owner=a"', {"owner": "a"}),
        ('"heritage=external-dns,external-dns/txt-raw-value=x,external-dns/owner=a"', {"owner": "a"}),
    ],
    ids=[
        "a value without quotes parses",
        "tokens without an equals sign are skipped",
        "tokens with two equals signs are skipped",
        "keys of other heritages are skipped",
        "bookkeeping labels are never taken from the value",
    ],
)
def test_parse_is_lenient_like_externaldns(value: str, labels: dict[str, str]) -> None:
    assert parse_labels(value) == labels


@pytest.mark.parametrize(
    "value",
    [
        '"v=spf1 include:_spf.example.com ~all"',
        '"heritage=someone-else,external-dns/owner=a"',
        '"heritage=external-dns,heritage=other,external-dns/owner=a"',
        '""',
    ],
    ids=[
        "an SPF record has no heritage",
        "another heritage is not ours",
        "a second, different heritage invalidates the value",
        "an empty value has no heritage",
    ],
)
def test_value_without_our_heritage_is_not_a_registry_value(value: str) -> None:
    with pytest.raises(InvalidHeritageError):
        parse_labels(value)
