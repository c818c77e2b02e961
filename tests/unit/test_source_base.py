"""Shared source machinery: label selectors, filters, hostname validation, lookups and endpoint merging."""

from __future__ import annotations

import ipaddress
from collections import OrderedDict
from types import MappingProxyType
from typing import Any

import pytest

from external_dns.endpoint import Endpoint, ObjectRef, ip_version, is_ipv4_text, merge_endpoints
from external_dns.errors import ConfigError
from external_dns.selectors import parse_selector
from external_dns.sources.base import (
    FieldReader,
    SourceSettings,
    StaticLookups,
    is_mapping,
    object_ref,
    passes_filters,
    validate_hostname,
)

LABELS = {"app": "web", "tier": "front", "team": ""}


@pytest.mark.parametrize(
    ("selector", "matches"),
    [
        pytest.param("", True, id="the empty selector matches everything"),
        pytest.param("app=web", True, id="equality matches"),
        pytest.param("app==web", True, id="double equals is equality"),
        pytest.param("app=db", False, id="equality with another value fails"),
        pytest.param("app!=db", True, id="inequality matches another value"),
        pytest.param("missing!=x", True, id="inequality matches an absent key"),
        pytest.param("app in (db, web)", True, id="in matches a listed value"),
        pytest.param("app in (db)", False, id="in fails for an unlisted value"),
        pytest.param("app notin (db)", True, id="notin matches an unlisted value"),
        pytest.param("missing notin (x)", True, id="notin matches an absent key"),
        pytest.param("app", True, id="a bare key requires the key"),
        pytest.param("missing", False, id="a bare key fails when absent"),
        pytest.param("!missing", True, id="a negated key requires absence"),
        pytest.param("!app", False, id="a negated key fails when present"),
        pytest.param("team=", True, id="an empty value matches an empty label"),
        pytest.param("app=web,tier=front", True, id="comma-separated requirements all hold"),
        pytest.param("app=web, tier=back", False, id="one failing requirement fails the selector"),
        pytest.param("example.com/role=x", False, id="prefixed keys are accepted"),
    ],
)
def test_label_selectors_match_like_kubernetes(selector: str, matches: bool) -> None:
    assert parse_selector(selector).matches(LABELS) is matches


@pytest.mark.parametrize(
    "selector",
    [
        pytest.param("app=web,", id="a trailing comma"),
        pytest.param("app in web", id="in without parentheses"),
        pytest.param("app in (web", id="an unclosed list"),
        pytest.param("app > 3", id="an unsupported operator"),
        pytest.param("=web", id="a value without key"),
        pytest.param("app=web tier=front", id="requirements without a comma"),
    ],
)
def test_label_selector_syntax_errors_raise_config_error(selector: str) -> None:
    with pytest.raises(ConfigError):
        parse_selector(selector)


def service(**metadata: Any) -> dict[str, Any]:
    return {"kind": "Service", "apiVersion": "v1", "metadata": {"name": "web", "namespace": "default", **metadata}}


@pytest.mark.parametrize(
    ("settings", "obj", "skipped"),
    [
        pytest.param(SourceSettings(), service(), False, id="no filters keep everything"),
        pytest.param(SourceSettings(namespace="prod"), service(), True, id="another namespace is skipped"),
        pytest.param(SourceSettings(namespace="default"), service(), False, id="the watched namespace is kept"),
        pytest.param(
            SourceSettings(label_filter="app=web"), service(labels={"app": "web"}), False, id="matching labels pass"
        ),
        pytest.param(SourceSettings(label_filter="app=web"), service(), True, id="non-matching labels are skipped"),
        pytest.param(
            SourceSettings(annotation_filter="kubernetes.io/ingress.class=nginx"),
            service(annotations={"kubernetes.io/ingress.class": "nginx"}),
            False,
            id="the annotation filter reads annotations",
        ),
        pytest.param(
            SourceSettings(annotation_filter="kubernetes.io/ingress.class=nginx"),
            service(labels={"kubernetes.io/ingress.class": "nginx"}),
            True,
            id="the annotation filter ignores labels",
        ),
        pytest.param(
            SourceSettings(),
            service(annotations={"external-dns.alpha.kubernetes.io/controller": "someone-else"}),
            True,
            id="another controller annotation is skipped",
        ),
        pytest.param(
            SourceSettings(),
            service(annotations={"external-dns.kubernetes.io/controller": "dns-controller"}),
            False,
            id="the dns-controller value is ours",
        ),
    ],
)
def test_filters_skip_objects_with_a_reason(settings: SourceSettings, obj: dict[str, Any], skipped: bool) -> None:
    assert bool(passes_filters(obj, settings)) is skipped


def test_the_controller_check_can_be_turned_off() -> None:
    obj = service(annotations={"external-dns.alpha.kubernetes.io/controller": "other"})
    assert passes_filters(obj, SourceSettings(), check_controller=False) == ""


@pytest.mark.parametrize(
    "name",
    [
        pytest.param("example.com", id="a plain name"),
        pytest.param("example.com.", id="a trailing dot"),
        pytest.param("*.example.com", id="a leading wildcard"),
        pytest.param("_sip._tcp.example.com", id="underscores for SRV names"),
        pytest.param("bücher.example", id="an IDNA name"),
        pytest.param("a" * 63 + ".com", id="a 63-character label"),
        pytest.param("localhost", id="a single label"),
    ],
)
def test_valid_hostnames_pass(name: str) -> None:
    assert validate_hostname(name, "f") is None


@pytest.mark.parametrize(
    "name",
    [
        pytest.param("", id="empty"),
        pytest.param("a..example.com", id="an empty label"),
        pytest.param("a" * 64 + ".com", id="a 64-character label"),
        pytest.param(".".join(["abcdefghi"] * 26), id="longer than 253 characters"),
        pytest.param("www.*.example.com", id="a wildcard after the first label"),
        pytest.param("*foo.example.com", id="a partial wildcard label"),
        pytest.param("-bad.example.com", id="a label starting with a hyphen"),
        pytest.param("bad-.example.com", id="a label ending with a hyphen"),
        pytest.param("sp ace.example.com", id="a space"),
        pytest.param("999.1.1.1", id="a numeric top-level label"),
    ],
)
def test_invalid_hostnames_are_problems_naming_the_field(name: str) -> None:
    problem = validate_hostname(name, 'metadata.annotations["x"]')
    assert problem is not None
    assert problem.field == 'metadata.annotations["x"]'


def test_object_ref_reads_the_body_and_falls_back_to_defaults() -> None:
    body = {"metadata": {"name": "web", "namespace": "ns", "uid": "u-1"}}
    assert object_ref(body, kind="Service", api_version="v1") == ObjectRef("Service", "v1", "ns", "web", "u-1")
    assert object_ref({"kind": "Node", "apiVersion": "v1", "metadata": {"name": "n1"}}).namespace is None


def test_static_lookups_find_objects_by_namespace_name_and_service_label() -> None:
    pod = {"metadata": {"name": "p", "namespace": "a"}}
    other = {"metadata": {"name": "p", "namespace": "b"}}
    slice_ = {"metadata": {"namespace": "a", "labels": {"kubernetes.io/service-name": "svc"}}}
    lookups = StaticLookups(nodes=[{"metadata": {"name": "n1"}}], pods=[pod, other], endpoint_slices=[slice_])
    assert lookups.node("n1") is not None and lookups.node("n2") is None
    assert lookups.pod("a", "p") is pod
    assert list(lookups.pods("b")) == [other]
    assert list(lookups.endpoint_slices("a", "svc")) == [slice_]
    assert list(lookups.endpoint_slices("a", "other")) == []


def test_merge_unites_targets_of_same_record_but_keeps_cnames_apart() -> None:
    merged = merge_endpoints(
        [
            Endpoint("a.example.com", "A", ("192.0.2.1",)),
            Endpoint("a.example.com", "A", ("192.0.2.2", "192.0.2.1")),
            Endpoint("c.example.com", "CNAME", ("x.example.com",)),
            Endpoint("c.example.com", "CNAME", ("x.example.com",)),
            Endpoint("c.example.com", "CNAME", ("y.example.com",)),
            Endpoint("a.example.com", "A", ("192.0.2.9",), ttl=60),
        ]
    )
    assert merged == [
        Endpoint("a.example.com", "A", ("192.0.2.1", "192.0.2.2")),
        Endpoint("c.example.com", "CNAME", ("x.example.com",)),
        Endpoint("c.example.com", "CNAME", ("y.example.com",)),
        Endpoint("a.example.com", "A", ("192.0.2.9",), ttl=60),
    ]


@pytest.mark.parametrize(
    ("target", "version"),
    [("192.0.2.1", 4), ("2001:db8::1", 6), ("::ffff:192.0.2.1", 6), ("example.com", 0), ("192.0.2.300", 0), ("", 0)],
)
def test_ip_version_tells_addresses_from_names(target: str, version: int) -> None:
    assert ip_version(target) == version
    assert ip_version(target) == version  # the cached answer is the same


@pytest.mark.parametrize(
    ("value", "is_object"),
    [
        ({"a": 1}, True),
        (MappingProxyType({"a": 1}), True),  # not a dict, still an object (the dict check only comes first)
        (OrderedDict(a=1), True),
        ([("a", 1)], False),
        ("a=1", False),
        (None, False),
    ],
)
def test_an_object_is_any_mapping_not_only_a_dict(value: object, is_object: bool) -> None:
    reader = FieldReader()

    assert is_mapping(value) is is_object
    assert (reader.mapping(value, "spec") == value) is is_object
    assert len(reader.problems) == (0 if is_object or value is None else 1)


TRICKY_TARGETS = [
    "0.0.0.0", "255.255.255.255", "192.0.2.1", "10.0.0.10", "1.2.3.4", "100.64.0.1", "199.200.249.250",
    "256.1.1.1", "1.2.3.256", "01.2.3.4", "1.02.3.4", "1.2.3.004", "00.1.2.3", "1.2.3", "1.2.3.4.5", "1..2.3",
    ".1.2.3.4", "1.2.3.4.", " 1.2.3.4", "1.2.3.4 ", "1.2.3.4\n", "+1.2.3.4", "1.2.3.-4",
    "\u0661.\u0662.\u0663.\u0664", "\uff11.2.3.4",  # digits, but not ASCII ones
    "1.2.3.4/32", "0x1.2.3.4", "2001:db8::1", "::ffff:192.0.2.1", "::", "example.com", "", "1234.1.1.1",
]  # fmt: skip


def ipaddress_version(target: str) -> int:
    try:
        return ipaddress.ip_address(target).version
    except ValueError:
        return 0


@pytest.mark.parametrize("target", TRICKY_TARGETS)
def test_ip_version_matched_or_parsed_is_what_ipaddress_says(target: str) -> None:
    assert ip_version(target) == ipaddress_version(target)
    if is_ipv4_text(target):
        assert str(ipaddress.ip_address(target)) == target  # the one text form: nothing to canonicalise


def test_every_octet_value_and_spelling_is_told_as_ipaddress_does() -> None:
    spellings = [str(n) for n in range(300)] + [f"0{n}" for n in range(10)] + [f"00{n}" for n in range(3)]
    for octet in spellings:
        target = f"10.{octet}.0.1"
        assert ip_version(target) == ipaddress_version(target), target
