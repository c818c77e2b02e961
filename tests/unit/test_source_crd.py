"""The DNSEndpoint source: items used as written, each validated on its own, the bad ones reported."""

from __future__ import annotations

from typing import Any

import pytest

from external_dns.endpoint import Endpoint, ObjectRef
from external_dns.sources.base import EmptyLookups, SourceSettings
from external_dns.sources.crd import dnsendpoint_endpoints

RESOURCE = "crd/default/records"


def dnsendpoint(*items: Any, **metadata: Any) -> dict[str, Any]:
    return {
        "kind": "DNSEndpoint",
        "apiVersion": "externaldns.k8s.io/v1alpha1",
        "metadata": {"name": "records", "namespace": "default", "uid": "u-3", **metadata},
        "spec": {"endpoints": list(items)},
    }


def item(name: str, type_: str, *targets: Any, **extra: Any) -> dict[str, Any]:
    return {"dnsName": name, "recordType": type_, "targets": list(targets), **extra}


def ep(name: str, type_: str, *targets: str, **extra: Any) -> Endpoint:
    labels = {**extra.pop("labels", {}), "resource": RESOURCE}
    return Endpoint(name, type_, targets, labels=labels, **extra)


@pytest.mark.parametrize(
    ("spec_item", "expected"),
    [
        pytest.param(
            item("a.example.com", "A", "192.0.2.1", "192.0.2.2"),
            ep("a.example.com", "A", "192.0.2.1", "192.0.2.2"),
            id="an A record",
        ),
        pytest.param(
            item("a.example.com", "AAAA", "2001:db8::1"),
            ep("a.example.com", "AAAA", "2001:db8::1"),
            id="an AAAA record",
        ),
        pytest.param(
            item("Www.Example.com.", "CNAME", "target.example.org."),
            ep("www.example.com", "CNAME", "target.example.org"),
            id="a CNAME may end with a dot and names are normalised",
        ),
        pytest.param(
            item("txt.example.com", "TXT", '"v=spf1 -all"', "free text."),
            ep("txt.example.com", "TXT", '"v=spf1 -all"', "free text."),
            id="TXT targets are free text",
        ),
        pytest.param(
            item("example.com", "MX", "10 mail.example.com."),
            ep("example.com", "MX", "10 mail.example.com."),
            id="an MX record with preference and host",
        ),
        pytest.param(
            item("_sip._tcp.example.com", "SRV", "0 5 5060 sip.example.com."),
            ep("_sip._tcp.example.com", "SRV", "0 5 5060 sip.example.com."),
            id="an SRV record with an underscore name",
        ),
        pytest.param(
            item("example.com", "NAPTR", '100 10 "u" "E2U+sip" "!^.*$!sip:info@example.com!" .'),
            ep("example.com", "NAPTR", '100 10 "u" "E2U+sip" "!^.*$!sip:info@example.com!" .'),
            id="a NAPTR target ending with a dot",
        ),
        pytest.param(
            item(
                "w.example.com",
                "A",
                "192.0.2.1",
                recordTTL=300,
                setIdentifier="eu",
                labels={"team": "dns"},
                providerSpecific=[{"name": "aws/weight", "value": "10"}, {"name": "alias", "value": "A"}],
            ),
            ep(
                "w.example.com",
                "A",
                "192.0.2.1",
                ttl=300,
                set_identifier="eu",
                labels={"team": "dns"},
                provider_specific={"aws/weight": "10", "alias": "A"},
            ),
            id="ttl set identifier labels and provider specific are carried",
        ),
        pytest.param(
            item("*.example.com", "A", "192.0.2.1", labels={"resource": "spoofed"}),
            ep("*.example.com", "A", "192.0.2.1"),
            id="a wildcard name and the resource label always names the DNSEndpoint",
        ),
    ],
)
def test_valid_items_become_endpoints(spec_item: dict[str, Any], expected: Endpoint) -> None:
    result = dnsendpoint_endpoints(dnsendpoint(spec_item), SourceSettings(), EmptyLookups())
    assert (result.problems, result.endpoints) == ([], [expected])
    assert result.endpoints[0].refs == (
        ObjectRef("DNSEndpoint", "externaldns.k8s.io/v1alpha1", "default", "records", "u-3"),
    )


@pytest.mark.parametrize(
    "targets",
    [
        pytest.param({}, id="no targets key"),
        pytest.param({"targets": None}, id="null"),
        pytest.param({"targets": []}, id="empty"),
    ],
)
def test_an_item_without_targets_passes_through_for_default_targets_else_is_a_problem(targets: dict[str, Any]) -> None:
    obj = dnsendpoint({"dnsName": "empty.example.com", "recordType": "CNAME", **targets})
    with_defaults = dnsendpoint_endpoints(obj, SourceSettings(default_targets=("lb.example.net",)), EmptyLookups())
    assert (with_defaults.problems, with_defaults.endpoints) == ([], [ep("empty.example.com", "CNAME")])
    without = dnsendpoint_endpoints(obj, SourceSettings(), EmptyLookups())
    assert [p.field for p in without.problems] == ["spec.endpoints[0].targets"]
    assert "no --default-targets" in without.problems[0].message


@pytest.mark.parametrize(
    ("bad_item", "field"),
    [
        pytest.param(
            item("a.example.com", "A", "192.0.2.1."),
            "spec.endpoints[1].targets[0]",
            id="an A target with a trailing dot",
        ),
        pytest.param(
            item("a.example.com", "A", "host.example.com"),
            "spec.endpoints[1].targets[0]",
            id="an A target that is not an address",
        ),
        pytest.param(
            item("a.example.com", "AAAA", "192.0.2.1"), "spec.endpoints[1].targets[0]", id="an AAAA target that is IPv4"
        ),
        pytest.param(
            item("a.example.com", "NS", "ns1.example.com."),
            "spec.endpoints[1].targets[0]",
            id="an NS target with a trailing dot",
        ),
        pytest.param(
            item("a.example.com", "NAPTR", "100 10 x"),
            "spec.endpoints[1].targets[0]",
            id="a NAPTR target without a trailing dot",
        ),
        pytest.param(
            item("a.example.com", "MX", "mail.example.com"),
            "spec.endpoints[1].targets[0]",
            id="an MX target without preference",
        ),
        pytest.param(
            item("a.example.com", "SRV", "0 5 sip.example.com"),
            "spec.endpoints[1].targets[0]",
            id="an SRV target missing the port",
        ),
        pytest.param(
            item("a.example.com", "CNAME", "bad..target"), "spec.endpoints[1].targets[0]", id="an invalid CNAME target"
        ),
        pytest.param(
            item("a.example.com", "A", "192.0.2.1", 7), "spec.endpoints[1].targets[1]", id="a number among the targets"
        ),
        pytest.param(
            {"dnsName": "a.example.com", "recordType": "A", "targets": "192.0.2.1"},
            "spec.endpoints[1].targets",
            id="targets given as a string",
        ),
        pytest.param(item("bad..example.com", "A", "192.0.2.1"), "spec.endpoints[1].dnsName", id="an invalid name"),
        pytest.param(item("", "A", "192.0.2.1"), "spec.endpoints[1].dnsName", id="a missing name"),
        pytest.param(
            item("a.example.com", "", "192.0.2.1"), "spec.endpoints[1].recordType", id="a missing record type"
        ),
        pytest.param(
            item("a.example.com", "BOGUS", "192.0.2.1"), "spec.endpoints[1].recordType", id="an unknown record type"
        ),
        pytest.param(
            item("a.example.com", "A", "192.0.2.1", recordTTL="300"),
            "spec.endpoints[1].recordTTL",
            id="a ttl given as a string",
        ),
        pytest.param(
            item("a.example.com", "A", "192.0.2.1", recordTTL=-1), "spec.endpoints[1].recordTTL", id="a negative ttl"
        ),
        pytest.param(
            item("a.example.com", "A", "192.0.2.1", labels=["x"]),
            "spec.endpoints[1].labels",
            id="labels given as a list",
        ),
        pytest.param(
            item("a.example.com", "A", "192.0.2.1", providerSpecific={"alias": "true"}),
            "spec.endpoints[1].providerSpecific",
            id="provider specific given as a map",
        ),
        pytest.param("a.example.com", "spec.endpoints[1]", id="an item that is a string"),
        pytest.param(None, "spec.endpoints[1]", id="an item that is null"),
    ],
)
def test_an_invalid_item_is_skipped_with_a_problem_and_the_others_kept(bad_item: Any, field: str) -> None:
    good_before = item("one.example.com", "A", "192.0.2.10")
    good_after = item("two.example.com", "CNAME", "one.example.com")
    result = dnsendpoint_endpoints(dnsendpoint(good_before, bad_item, good_after), SourceSettings(), EmptyLookups())
    assert [p.field for p in result.problems] == [field]
    assert result.endpoints == [
        ep("one.example.com", "A", "192.0.2.10"),
        ep("two.example.com", "CNAME", "one.example.com"),
    ]


@pytest.mark.parametrize(
    ("obj", "problem_fields"),
    [
        pytest.param(dnsendpoint(), [], id="a DNSEndpoint without endpoints asks for nothing"),
        pytest.param({**dnsendpoint(), "spec": None}, [], id="a DNSEndpoint without spec asks for nothing"),
        pytest.param(
            {**dnsendpoint(), "spec": {"endpoints": {"dnsName": "x"}}},
            ["spec.endpoints"],
            id="endpoints given as a map",
        ),
    ],
)
def test_empty_or_malformed_specs_yield_no_endpoints(obj: dict[str, Any], problem_fields: list[str]) -> None:
    result = dnsendpoint_endpoints(obj, SourceSettings(), EmptyLookups())
    assert result.endpoints == []
    assert [p.field for p in result.problems] == problem_fields


@pytest.mark.parametrize(
    ("obj", "settings", "ignored"),
    [
        pytest.param(
            dnsendpoint(
                item("a.example.com", "A", "192.0.2.1"),
                annotations={"external-dns.alpha.kubernetes.io/controller": "x"},
            ),
            SourceSettings(),
            False,
            id="the controller annotation is not read on DNSEndpoints",
        ),
        pytest.param(
            dnsendpoint(item("a.example.com", "A", "192.0.2.1"), labels={"env": "dev"}),
            SourceSettings(label_filter="env=prod"),
            True,
            id="the label filter applies",
        ),
        pytest.param(
            dnsendpoint(item("a.example.com", "A", "192.0.2.1")),
            SourceSettings(crd_kind="MyEndpoint"),
            True,
            id="another kind than the configured one is skipped",
        ),
        pytest.param(
            dnsendpoint(item("a.example.com", "A", "192.0.2.1")),
            SourceSettings(namespace="other"),
            True,
            id="another namespace is skipped",
        ),
    ],
)
def test_dnsendpoint_filters(obj: dict[str, Any], settings: SourceSettings, ignored: bool) -> None:
    result = dnsendpoint_endpoints(obj, settings, EmptyLookups())
    assert bool(result.ignored_reason) is ignored
    assert len(result.endpoints) == (0 if ignored else 1)
