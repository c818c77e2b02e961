"""The webhook protocol's JSON: fixtures of what ExternalDNS sends decode to the expected endpoints and re-encode
byte for byte; keys decode case-insensitively, as Go's encoding/json does."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from external_dns.domain_filter import DomainFilter
from external_dns.endpoint import Endpoint
from external_dns.providers.base import Changes
from external_dns.providers.webhook.wire import (
    WebhookJSONError,
    changes_from_json,
    changes_to_json,
    decode,
    domain_filter_from_json,
    domain_filter_to_json,
    encode,
    endpoint_from_json,
    endpoint_to_json,
    endpoints_from_json,
    endpoints_to_json,
)

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "webhook"

API_TXT = '"heritage=external-dns,external-dns/owner=default,external-dns/resource=service/default/api"'
NEW_TXT = '"heritage=external-dns,external-dns/owner=default,external-dns/resource=ingress/default/new"'
OLD_TXT = '"heritage=external-dns,external-dns/owner=default,external-dns/resource=service/default/old"'


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


EXPECTED_RECORDS = [
    Endpoint("api.example.com", "A", ("203.0.113.10",), ttl=300),
    Endpoint("a-api.example.com", "TXT", (API_TXT,), ttl=300),
    Endpoint(
        "www.example.com",
        "CNAME",
        ("api.example.com",),
        ttl=60,
        set_identifier="eu",
        provider_specific={"webhook/weight": "10", "alias": "false"},
    ),
    Endpoint("_sip._tcp.example.com", "SRV", ("10 5 5060 sip.example.com",), ttl=3600),
    Endpoint("note.example.com", "TXT", ('"a<b & c>d"', '"zürich"')),
]

EXPECTED_CHANGES = Changes(
    create=[
        Endpoint(
            "new.example.com",
            "A",
            ("203.0.113.20",),
            labels={"owner": "default", "resource": "ingress/default/new"},
        ),
        Endpoint("a-new.example.com", "TXT", (NEW_TXT,), labels={"ownedRecord": "new.example.com"}),
    ],
    update_old=[
        Endpoint(
            "api.example.com",
            "A",
            ("203.0.113.10",),
            ttl=300,
            labels={"owner": "default", "resource": "service/default/api"},
        ),
        Endpoint("a-api.example.com", "TXT", (API_TXT,), ttl=300, labels={"ownedRecord": "api.example.com"}),
    ],
    update_new=[
        Endpoint(
            "api.example.com",
            "A",
            ("203.0.113.11",),
            ttl=300,
            labels={"owner": "default", "resource": "service/default/api"},
        ),
        Endpoint("a-api.example.com", "TXT", (API_TXT,), ttl=300, labels={"ownedRecord": "api.example.com"}),
    ],
    delete=[
        Endpoint(
            "old.example.com",
            "CNAME",
            ("lb.example.net",),
            labels={"owner": "default", "resource": "service/default/old"},
        ),
        Endpoint("cname-old.example.com", "TXT", (OLD_TXT,), labels={"ownedRecord": "old.example.com"}),
    ],
)


def test_records_fixture_decodes_into_the_expected_endpoints() -> None:
    assert endpoints_from_json(decode(fixture("records.json"))) == EXPECTED_RECORDS


def test_changes_fixture_decodes_with_ownership_txt_records_and_their_owned_record_labels() -> None:
    assert changes_from_json(decode(fixture("changes.json"))) == EXPECTED_CHANGES


def test_adjustendpoints_fixtures_decode_into_the_expected_endpoints() -> None:
    request = endpoints_from_json(decode(fixture("adjustendpoints_request.json")))
    response = endpoints_from_json(decode(fixture("adjustendpoints_response.json")))
    assert request[0] == Endpoint(
        "api.example.com",
        "A",
        ("203.0.113.10",),
        labels={"resource": "service/default/api"},
        provider_specific={"webhook/proxied": "true"},
    )
    assert response[0] == request[0].with_(ttl=300)
    assert response[1] == request[1] == Endpoint("www.example.com", "CNAME", ("api.example.com",), ttl=60)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        pytest.param(
            "negotiation_response.json",
            DomainFilter(include=("example.com", "example.org"), exclude=("internal.example.com",)),
            id="a domain list with exclusions",
        ),
        pytest.param(
            "negotiation_regex_response.json",
            DomainFilter(regex_include=r"\.example\.(com|org)$", regex_exclude=r"^internal\."),
            id="a regex filter",
        ),
        pytest.param("negotiation_empty_response.json", DomainFilter(), id="no filter at all"),
    ],
)
def test_negotiation_fixture_decodes_into_the_domain_filter(name: str, expected: DomainFilter) -> None:
    domain_filter = domain_filter_from_json(decode(fixture(name)))
    assert domain_filter == expected
    assert encode(domain_filter_to_json(domain_filter)) == fixture(name)


@pytest.mark.parametrize(
    ("name", "codec"),
    [
        pytest.param("records.json", lambda data: endpoints_to_json(endpoints_from_json(data)), id="records"),
        pytest.param("changes.json", lambda data: changes_to_json(changes_from_json(data)), id="changes"),
        pytest.param(
            "adjustendpoints_request.json",
            lambda data: endpoints_to_json(endpoints_from_json(data)),
            id="adjustendpoints request",
        ),
        pytest.param(
            "adjustendpoints_response.json",
            lambda data: endpoints_to_json(endpoints_from_json(data)),
            id="adjustendpoints response",
        ),
    ],
)
def test_fixture_re_encodes_byte_for_byte_as_go_writes_it(name: str, codec: Callable[[object], object]) -> None:
    assert encode(codec(decode(fixture(name)))) == fixture(name)


def test_go_html_escapes_are_written_for_angle_brackets_and_ampersands() -> None:
    encoded = encode(endpoint_to_json(Endpoint("x.example.com", "TXT", ('"a<b&c>"',))))
    assert encoded == b'{"dnsName":"x.example.com","targets":["\\"a\\u003cb\\u0026c\\u003e\\""],"recordType":"TXT"}\n'


def test_empty_fields_are_omitted_and_labels_are_sorted() -> None:
    endpoint = Endpoint("x.example.com", "A", (), labels={"resource": "r", "owner": "o"})
    assert json.dumps(endpoint_to_json(endpoint)) == (
        '{"dnsName": "x.example.com", "recordType": "A", "labels": {"owner": "o", "resource": "r"}}'
    )
    assert changes_to_json(Changes(delete=[endpoint])) == {"delete": [endpoint_to_json(endpoint)]}
    assert changes_to_json(Changes()) == {}


def test_mixed_case_changes_keys_decode_like_go() -> None:
    body = {
        "Create": [{"DNSName": "a.example.com", "RecordType": "A", "Targets": ["192.0.2.1"], "RecordTTL": 30}],
        "UPDATEOLD": [{"dnsname": "b.example.com", "recordtype": "A", "targets": ["192.0.2.2"]}],
        "updatenew": [{"DnsName": "b.example.com", "recordType": "A", "targets": ["192.0.2.3"]}],
        "Delete": [
            {
                "dnsName": "c.example.com",
                "recordType": "CNAME",
                "targets": ["d.example.com"],
                "SetIdentifier": "eu",
                "Labels": {"OwnedRecord": "kept as written"},
                "ProviderSpecific": [{"Name": "alias", "VALUE": "true"}],
            }
        ],
        "unknown": "ignored",
    }
    changes = changes_from_json(body)
    assert changes.create == [Endpoint("a.example.com", "A", ("192.0.2.1",), ttl=30)]
    assert changes.update_old == [Endpoint("b.example.com", "A", ("192.0.2.2",))]
    assert changes.update_new == [Endpoint("b.example.com", "A", ("192.0.2.3",))]
    assert changes.delete == [
        Endpoint(
            "c.example.com",
            "CNAME",
            ("d.example.com",),
            set_identifier="eu",
            labels={"OwnedRecord": "kept as written"},
            provider_specific={"alias": "true"},
        )
    ]


def test_null_fields_decode_as_empty_values() -> None:
    endpoint = endpoint_from_json(
        {"dnsName": "x.example.com.", "recordType": "A", "targets": None, "labels": None, "recordTTL": None}
    )
    assert endpoint == Endpoint("x.example.com", "A", ())
    assert endpoints_from_json(None) == []
    assert changes_from_json({"create": None}) == Changes()
    assert domain_filter_from_json(None) == DomainFilter()


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(b"{not json", id="malformed JSON"),
        pytest.param(b'{"create": {}}', id="a change list that is an object"),
        pytest.param(b'{"create": [{"dnsName": 5}]}', id="a name that is a number"),
        pytest.param(b'{"create": [{"recordTTL": "300"}]}', id="a TTL that is a string"),
        pytest.param(b'{"create": [{"recordTTL": 1.5}]}', id="a TTL that is a fraction"),
        pytest.param(b'{"create": [{"targets": "192.0.2.1"}]}', id="targets that are not an array"),
        pytest.param(b'{"create": [{"labels": {"a": 1}}]}', id="a label value that is not a string"),
        pytest.param(b'{"create": [{"providerSpecific": [5]}]}', id="a property that is not an object"),
        pytest.param(b'{"updateOld": [{"dnsName": "a"}]}', id="an updateOld without its updateNew"),
        pytest.param(b"[]", id="an array where the batch object belongs"),
    ],
)
def test_malformed_changes_are_refused_with_a_webhook_json_error(body: bytes) -> None:
    with pytest.raises(WebhookJSONError):
        changes_from_json(decode(body))


def test_a_domain_filter_with_both_a_list_and_a_regex_is_refused() -> None:
    with pytest.raises(WebhookJSONError, match="both"):
        domain_filter_from_json({"include": ["example.com"], "regexInclude": "x"})


def test_domain_filter_keys_decode_case_insensitively() -> None:
    assert domain_filter_from_json({"Include": ["example.com"], "EXCLUDE": ["a.example.com"]}) == DomainFilter(
        include=("example.com",), exclude=("a.example.com",)
    )
