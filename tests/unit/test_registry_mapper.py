"""The ownership TXT names, as ExternalDNS's AffixNameMapper computes them (reference §1.2, §1.3, §1.6)."""

from __future__ import annotations

import pytest

from external_dns.endpoint import normalize_name
from external_dns.errors import ConfigError
from external_dns.registry.mapper import SUPPORTED_TYPES, AffixNameMapper
from external_dns.registry.txt import TXTRegistry


@pytest.mark.parametrize(
    ("prefix", "suffix", "wildcard", "dns_name", "record_type", "txt_name"),
    [
        ("", "", "", "api.example.com", "A", "a-api.example.com"),
        ("", "", "", "app.example.com", "CNAME", "cname-app.example.com"),
        ("txt.", "", "", "app.example.com", "CNAME", "txt.cname-app.example.com"),
        ("", "-%{record_type}", "", "app.example.com", "CNAME", "app-cname.example.com"),
        ("", "-txt", "", "app.example.com", "CNAME", "cname-app-txt.example.com"),
        ("", "", "", "example.com", "A", "a-example.com"),
        ("_extdns.", "", "", "example.com", "A", "_extdns.a-example.com"),
        ("extdns-%{record_type}.", "", "", "example.com", "A", "extdns-a.example.com"),
        ("", "-.%{record_type}", "", "example.com", "A", "example-.a.com"),
        ("", "", "", "*.apps.example.com", "A", "a-*.apps.example.com"),
        ("", "", "wildcard", "*.apps.example.com", "A", "a-wildcard.apps.example.com"),
        ("txt.", "", "wc", "*.apps.example.com", "CNAME", "txt.cname-wc.apps.example.com"),
        ("", "", "", "ds.example.com", "AAAA", "aaaa-ds.example.com"),
        ("", "", "", "_app._tcp.app.example.com", "SRV", "srv-_app._tcp.app.example.com"),
        ("TXT.", "", "WC", "*.example.com", "A", "txt.a-wc.example.com"),
        ("", "", "", "localhost", "A", "a-localhost"),
    ],
    ids=[
        "an A record gets a- before its first label",
        "a CNAME record gets cname- before its first label",
        "a plain prefix goes before the type marker",
        "a templated suffix replaces the type marker",
        "a plain suffix goes after the label, the type before it",
        "an apex name gets a sibling of the zone",
        "a plain prefix with a dot still leaves the apex TXT outside the zone",
        "a templated prefix ending in a dot keeps the apex TXT inside the zone",
        "a templated suffix with a dot splits the apex name",
        "a wildcard without replacement keeps its asterisk",
        "a wildcard replacement replaces the leading asterisk",
        "a prefix and a wildcard replacement combine",
        "an AAAA record has its own TXT name",
        "an SRV record gets srv- before its service label",
        "affixes and the replacement are lower-cased",
        "a single-label name has no rest",
    ],
)
def test_txt_name_matches_externaldns(
    prefix: str, suffix: str, wildcard: str, dns_name: str, record_type: str, txt_name: str
) -> None:
    assert AffixNameMapper(prefix, suffix, wildcard).to_txt_name(dns_name, record_type) == txt_name


AFFIXES = [
    ("", ""),
    ("txt.", ""),
    ("txt-", ""),
    ("extdns-%{record_type}.", ""),
    ("%{record_type}-", ""),
    ("", "-txt"),
    ("", "-%{record_type}"),
    ("", "-.%{record_type}"),
]


@pytest.mark.parametrize(("prefix", "suffix"), AFFIXES, ids=[f"prefix {p!r} suffix {s!r}" for p, s in AFFIXES])
@pytest.mark.parametrize("record_type", SUPPORTED_TYPES)
@pytest.mark.parametrize("dns_name", ["api.example.com", "deep.sub.example.org", "_svc._tcp.example.com"])
def test_txt_name_maps_back_to_the_record_it_owns(prefix: str, suffix: str, record_type: str, dns_name: str) -> None:
    mapper = AffixNameMapper(prefix, suffix)
    assert mapper.to_endpoint_name(mapper.to_txt_name(dns_name, record_type)) == (dns_name, record_type)


def test_wildcard_txt_maps_back_to_the_replacement_name() -> None:
    mapper = AffixNameMapper("", "", "wc")
    assert mapper.to_endpoint_name(mapper.to_txt_name("*.apps.example.com", "A")) == ("wc.apps.example.com", "A")


@pytest.mark.parametrize(
    ("prefix", "suffix", "txt_name", "expected"),
    [
        ("", "", "api.example.com", ("api.example.com", "")),
        ("txt.", "", "txt.api.example.com", ("api.example.com", "")),
        ("", "-txt", "api-txt.example.com", ("api.example.com", "")),
        ("extdns-%{record_type}.", "", "extdns-.api.example.com", ("api.example.com", "")),
        ("", "", "a-team.example.com", ("team.example.com", "A")),
        ("", "", "API.Example.COM", ("api.example.com", "")),
        ("txt.", "", "other.example.com", ("", "")),
        ("", "-txt", "api-other.example.com", ("", "")),
        ("", "-.%{record_type}", "api.com", ("", "")),
    ],
    ids=[
        "a type-less TXT without affix is legacy ownership of its own name",
        "a type-less TXT after the prefix is legacy ownership",
        "a type-less TXT before the suffix is legacy ownership",
        "a legacy TXT under a templated prefix is read with the template dropped",
        "a legacy TXT whose label starts with a type and a dash reads as new-format ownership",
        "TXT names are lower-cased",
        "a name without the prefix owns nothing",
        "a name without the suffix owns nothing",
        "a name with too few labels for the suffix owns nothing",
    ],
)
def test_txt_name_read_back(prefix: str, suffix: str, txt_name: str, expected: tuple[str, str]) -> None:
    assert AffixNameMapper(prefix, suffix).to_endpoint_name(txt_name) == expected


@pytest.mark.parametrize(
    ("prefix", "suffix", "wildcard", "dns_name", "legacy"),
    [
        ("", "", "", "app.example.com", "app.example.com"),
        ("txt.", "", "", "app.example.com", "txt.app.example.com"),
        ("", "-txt", "", "app.example.com", "app-txt.example.com"),
        ("extdns-%{record_type}.", "", "", "app.example.com", "extdns-.app.example.com"),
        ("", "", "wc", "*.example.com", "wc.example.com"),
    ],
    ids=[
        "without affix the legacy TXT sits on the record's own name",
        "a plain prefix goes before the label",
        "a plain suffix goes after the label",
        "the template is dropped from the affix",
        "the wildcard replacement applies",
    ],
)
def test_legacy_txt_name_as_written_by_v017(
    prefix: str, suffix: str, wildcard: str, dns_name: str, legacy: str
) -> None:
    assert AffixNameMapper(prefix, suffix, wildcard).to_legacy_txt_name(dns_name) == legacy


def test_prefix_and_suffix_together_are_a_startup_error_naming_both_flags() -> None:
    with pytest.raises(ConfigError, match="--txt-prefix") as caught:
        AffixNameMapper("txt.", "-txt")
    assert "--txt-suffix" in str(caught.value)


@pytest.mark.parametrize(
    "mapper",
    [
        AffixNameMapper(),
        AffixNameMapper(prefix="TXT."),
        AffixNameMapper(prefix="%{record_type}-own."),
        AffixNameMapper(suffix="-txt"),
        AffixNameMapper(suffix=".%{record_type}-own"),
        AffixNameMapper(prefix="x-", wildcard_replacement="Wild"),
    ],
)
@pytest.mark.parametrize("name", ["api.example.com", "*.apps.example.com", "example", "a.b.c.example.org"])
def test_txt_names_are_every_types_name_then_the_legacy_one(mapper: AffixNameMapper, name: str) -> None:
    expected = [mapper.to_txt_name(name, kind) for kind in SUPPORTED_TYPES] + [mapper.to_legacy_txt_name(name)]
    assert mapper.txt_names(name) == expected


@pytest.mark.parametrize(
    "affixes",
    [
        {},
        {"prefix": "TXT."},
        {"prefix": "%{record_type}-own."},
        {"suffix": "-txt"},
        {"suffix": ".%{record_type}-own"},
        {"prefix": "x-", "wildcard_replacement": "Wild"},
        {"suffix": "-own."},  # ends a one-label name with a dot
        {"prefix": " pad-"},  # a space normalize_name strips at the front
        {"suffix": "-tail "},
        {"prefix": "ü-"},  # not ASCII: normalize_name spells it in punycode
        {"wildcard_replacement": "stern-ß"},
    ],
)
@pytest.mark.parametrize(
    "name", ["api.example.com", "*.apps.example.com", "example", "a.b.c.example.org", "API.Example.com."]
)
def test_related_names_are_the_normalised_txt_names(affixes: dict[str, str], name: str) -> None:
    registry = TXTRegistry("default", **affixes)
    mapper = registry.mapper

    assert registry.related_names(name) == {normalize_name(txt) for txt in mapper.txt_names(name)}
    if mapper.keeps_names_normal and normalize_name(name) == name:
        assert all(normalize_name(txt) == txt for txt in mapper.txt_names(name))
