"""The checks every source's result goes through: type-aware name rules, forged ownership TXT, per-object limits."""

from __future__ import annotations

from typing import Any

import pytest

from external_dns.kinds import source_kind
from external_dns.registry.crypto import encrypt_text, generate_nonce
from external_dns.sources.annotations import parse_ttl
from external_dns.sources.base import EmptyLookups, SourceResult, SourceSettings
from external_dns.sources.checks import claimed_owner
from external_dns.sources.limits import MAX_ENDPOINTS_PER_OBJECT, MAX_NAMES_PER_OBJECT, MAX_TARGETS_PER_RECORD

HOSTNAME = 'metadata.annotations["external-dns.alpha.kubernetes.io/hostname"]'
TTL = 'metadata.annotations["external-dns.alpha.kubernetes.io/ttl"]'
KEY = b"0123456789abcdef0123456789abcdef"


def derive(kind: str, obj: dict[str, Any], settings: SourceSettings | None = None) -> SourceResult:
    settings = settings or SourceSettings()
    return source_kind(kind, settings).derive(obj, settings, EmptyLookups())


def service(hostnames: str, target: str = "203.0.113.9", **annotations: str) -> dict[str, Any]:
    status = {"ip": target} if target[0].isdigit() else {"hostname": target}
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {
            "name": "web",
            "namespace": "default",
            "annotations": {"external-dns.alpha.kubernetes.io/hostname": hostnames, **annotations},
        },
        "spec": {"type": "LoadBalancer"},
        "status": {"loadBalancer": {"ingress": [status]}},
    }


def dnsendpoint(*items: dict[str, Any]) -> dict[str, Any]:
    return {
        "apiVersion": "externaldns.k8s.io/v1alpha1",
        "kind": "DNSEndpoint",
        "metadata": {"name": "records", "namespace": "default"},
        "spec": {"endpoints": list(items)},
    }


def txt(name: str, value: str) -> dict[str, Any]:
    return {"dnsName": name, "recordType": "TXT", "targets": [value]}


def names(result: SourceResult) -> set[str]:
    return {ep.dns_name for ep in result.endpoints}


def test_an_address_record_name_with_an_underscore_is_refused_naming_the_field_and_rule() -> None:
    result = derive("service", service("bad_host0.example.com,good.example.com"))
    assert names(result) == {"good.example.com"}
    (problem,) = result.problems
    assert problem.field == HOSTNAME
    assert "hostname rule" in problem.message and "bad_host0" in problem.message and "A record" in problem.message


def test_an_underscore_is_allowed_where_dns_allows_it() -> None:
    cname = derive("service", service("_dmarc-alias.example.com", target="lb.example.net"))
    assert (names(cname), cname.problems) == ({"_dmarc-alias.example.com"}, [])
    records = dnsendpoint(
        txt("_acme-challenge.example.com", "token"),
        {"dnsName": "_sip._tcp.example.com", "recordType": "SRV", "targets": ["0 5 5060 sip.example.com"]},
    )
    result = derive("crd", records)
    assert (names(result), result.problems) == ({"_acme-challenge.example.com", "_sip._tcp.example.com"}, [])


def test_an_srv_target_host_breaking_the_hostname_rule_is_refused() -> None:
    record = {"dnsName": "_sip._tcp.example.com", "recordType": "SRV", "targets": ["0 5 5060 bad_host.example.com"]}
    result = derive("crd", dnsendpoint(record))
    assert result.endpoints == []
    assert [p.field for p in result.problems] == ["spec.endpoints[0].targets[0]"]


@pytest.mark.parametrize(
    ("value", "owner"),
    [
        pytest.param('"heritage=external-dns,external-dns/owner=bars"', "bars", id="quoted, naming an owner"),
        pytest.param("heritage=external-dns,external-dns/owner=other-cluster", "other-cluster", id="unquoted"),
        pytest.param("heritage=external-dns", "", id="heritage alone"),
        pytest.param(" HERITAGE = External-DNS ,external-dns/owner=x", "x", id="odd spacing and case"),
    ],
)
def test_a_txt_value_that_reads_as_an_ownership_record_is_refused_naming_the_owner(value: str, owner: str) -> None:
    result = derive("crd", dnsendpoint(txt("a-victim.example.com", value), txt("ok.example.com", "v=spf1 -all")))
    assert names(result) == {"ok.example.com"}
    (problem,) = result.problems
    assert problem.field == "spec.endpoints[0].targets[0]"
    assert "ownership record" in problem.message
    assert (f"claiming owner {owner!r}" in problem.message) == bool(owner)


def test_an_encrypted_ownership_value_is_refused_when_the_key_is_known() -> None:
    sealed = encrypt_text("heritage=external-dns,external-dns/owner=other", KEY, generate_nonce())
    obj = dnsendpoint(txt("a-victim.example.com", f'"{sealed}"'))
    assert claimed_owner(sealed) is None  # without the key it is just base64 text
    result = derive("crd", obj, SourceSettings(ownership_aes_key=KEY))
    assert result.endpoints == []
    assert "claiming owner 'other'" in result.problems[0].message


def test_ordinary_txt_values_pass() -> None:
    for value in ("v=spf1 include:_spf.example.com -all", "google-site-verification=abc", "heritage=ours"):
        assert claimed_owner(value) is None


def test_names_over_the_limit_keep_the_first_ones_with_a_warning_naming_the_limit() -> None:
    hostnames = ",".join(f"h{i}.example.com" for i in range(MAX_NAMES_PER_OBJECT + 7))
    result = derive("service", service(hostnames))
    assert names(result) == {f"h{i}.example.com" for i in range(MAX_NAMES_PER_OBJECT)}
    (problem,) = result.problems
    assert problem.field == HOSTNAME
    assert str(MAX_NAMES_PER_OBJECT) in problem.message and str(MAX_NAMES_PER_OBJECT + 7) in problem.message


def test_endpoints_and_targets_over_the_limit_keep_the_first_ones_with_warnings() -> None:
    many_targets = [f"10.0.{i // 256}.{i % 256}" for i in range(MAX_TARGETS_PER_RECORD + 1)]
    items = [{"dnsName": "wide.example.com", "recordType": "A", "targets": many_targets}]
    items += [txt(f"t{i}.example.com", "x") for i in range(MAX_ENDPOINTS_PER_OBJECT)]
    result = derive("crd", dnsendpoint(*items))
    assert len(result.endpoints) == MAX_ENDPOINTS_PER_OBJECT
    assert len(result.endpoints[0].targets) == MAX_TARGETS_PER_RECORD
    assert sorted(p.field for p in result.problems) == ["spec.endpoints", "spec.endpoints[0].targets"]


@pytest.mark.parametrize("value", ["300\n", " 300", "+300", "3_00", "\u0663\u0660\u0660", "0300", "300 ", "1h\n"])
def test_a_ttl_that_is_not_written_canonically_is_a_warning(value: str) -> None:
    assert parse_ttl(value) is None
    result = derive("service", service("web.example.com", **{"external-dns.alpha.kubernetes.io/ttl": value}))
    assert [p.field for p in result.problems] == [TTL]


@pytest.mark.parametrize(("value", "seconds"), [("300", 300), ("0", 0), ("10m", 600), ("1h30m", 5400)])
def test_canonical_ttls_parse(value: str, seconds: int) -> None:
    assert parse_ttl(value) == seconds


def test_a_name_with_two_trailing_dots_is_a_warning_not_silently_published() -> None:
    result = derive("service", service("trail0.example.com..,fine.example.com."))
    assert names(result) == {"fine.example.com"}
    assert [p.field for p in result.problems] == [HOSTNAME]
    crd = derive("crd", dnsendpoint({"dnsName": "trail0.example.com..", "recordType": "A", "targets": ["192.0.2.1"]}))
    assert crd.endpoints == [] and [p.field for p in crd.problems] == ["spec.endpoints[0].dnsName"]
