"""Annotation parsing: every ExternalDNS annotation, both prefixes, and bad values reported, not fatal."""

from __future__ import annotations

import pytest

from external_dns.sources.annotations import HostnameSource, parse_annotations, parse_go_duration, parse_ttl

ALPHA = "external-dns.alpha.kubernetes.io/"
STABLE = "external-dns.kubernetes.io/"


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        pytest.param("0", 0.0, id="a bare zero is a valid duration"),
        pytest.param("10m", 600.0, id="minutes"),
        pytest.param("1h30m", 5400.0, id="hours and minutes combine"),
        pytest.param("1.5h", 5400.0, id="fractional hours"),
        pytest.param("300ms", 0.3, id="milliseconds"),
        pytest.param("2us", 2e-6, id="microseconds"),
        pytest.param("-1m", -60.0, id="a leading minus sign"),
        pytest.param(".5s", 0.5, id="a fraction without integer part"),
    ],
)
def test_go_durations_parse_like_go(text: str, seconds: float) -> None:
    assert parse_go_duration(text) == pytest.approx(seconds)


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("600", id="a number without unit is not a duration"),
        pytest.param("", id="empty text"),
        pytest.param("10x", id="an unknown unit"),
        pytest.param("m", id="a unit without number"),
        pytest.param(".s", id="a lone dot"),
        pytest.param("10m ", id="trailing space"),
    ],
)
def test_invalid_go_durations_raise_value_error(text: str) -> None:
    with pytest.raises(ValueError):
        parse_go_duration(text)


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        pytest.param("600", 600, id="plain seconds"),
        pytest.param("10m", 600, id="a go duration"),
        pytest.param("90.9s", 90, id="fractions of a second are truncated"),
        pytest.param("ten", None, id="words are neither"),
    ],
)
def test_ttl_reads_seconds_or_durations(text: str, seconds: int | None) -> None:
    assert parse_ttl(text) == seconds


@pytest.mark.parametrize(
    ("value", "ttl"),
    [
        pytest.param("300", 300, id="seconds"),
        pytest.param("1h", 3600, id="a duration"),
        pytest.param("2147483647", 2147483647, id="the largest allowed TTL"),
    ],
)
def test_a_valid_ttl_annotation_sets_the_ttl(value: str, ttl: int) -> None:
    parsed = parse_annotations({ALPHA + "ttl": value})
    assert (parsed.ttl, parsed.problems) == (ttl, ())


@pytest.mark.parametrize(
    "value",
    [
        pytest.param("0", id="zero is below the minimum"),
        pytest.param("2147483648", id="above the 32-bit maximum"),
        pytest.param("-5", id="negative"),
        pytest.param("soon", id="not a number"),
        pytest.param("500ms", id="a duration under one second"),
    ],
)
def test_an_invalid_ttl_is_a_problem_naming_the_annotation_and_leaves_ttl_unset(value: str) -> None:
    parsed = parse_annotations({ALPHA + "ttl": value, ALPHA + "hostname": "a.example.com"})
    assert parsed.ttl == 0
    assert parsed.hostnames == ("a.example.com",)
    assert [p.field for p in parsed.problems] == [f'metadata.annotations["{ALPHA}ttl"]']


def test_hostnames_are_split_on_commas_with_spaces_and_trailing_dots_removed() -> None:
    parsed = parse_annotations({ALPHA + "hostname": " a.example.com., b.example.com ,,a.example.com"})
    assert parsed.hostnames == ("a.example.com", "b.example.com")


def test_an_invalid_hostname_is_a_problem_and_the_valid_ones_are_kept() -> None:
    parsed = parse_annotations({ALPHA + "hostname": "good.example.com,bad..example.com,a*b.example.com"})
    assert parsed.hostnames == ("good.example.com",)
    assert [p.field for p in parsed.problems] == [f'metadata.annotations["{ALPHA}hostname"]'] * 2


def test_targets_are_split_and_invalid_ones_reported() -> None:
    parsed = parse_annotations({ALPHA + "target": "203.0.113.1, lb.example.com., not a target!"})
    assert parsed.targets == ("203.0.113.1", "lb.example.com")
    assert len(parsed.problems) == 1
    assert "not a target!" not in parsed.targets


def test_the_stable_prefix_is_read_when_the_alpha_prefix_is_configured() -> None:
    parsed = parse_annotations({STABLE + "hostname": "new.example.com", STABLE + "ttl": "60"}, ALPHA)
    assert (parsed.hostnames, parsed.ttl) == (("new.example.com",), 60)


def test_the_configured_prefix_wins_when_both_prefixes_carry_a_key() -> None:
    raw = {ALPHA + "hostname": "alpha.example.com", STABLE + "hostname": "stable.example.com"}
    assert parse_annotations(raw, ALPHA).hostnames == ("alpha.example.com",)
    assert parse_annotations(raw, STABLE).hostnames == ("stable.example.com",)


def test_a_custom_prefix_is_read_and_the_stable_prefix_still_works() -> None:
    raw = {"dns.example.org/hostname": "custom.example.com", STABLE + "ttl": "30"}
    parsed = parse_annotations(raw, "dns.example.org/")
    assert (parsed.hostnames, parsed.ttl) == (("custom.example.com",), 30)


def test_simple_value_annotations_are_parsed() -> None:
    parsed = parse_annotations(
        {
            ALPHA + "controller": "dns-controller",
            ALPHA + "access": "private",
            ALPHA + "endpoints-type": "NodeExternalIP",
            ALPHA + "set-identifier": "eu-west",
            ALPHA + "record-type": "ptr",
            ALPHA + "ingress": "gw/ingress",
            ALPHA + "internal-hostname": "internal.example.com",
            ALPHA + "ingress-hostname-source": "Annotation-Only",
            ALPHA + "gateway-hostname-source": "defined-hosts-only",
        }
    )
    assert parsed.controller == "dns-controller"
    assert parsed.access == "private"
    assert parsed.endpoints_type == "NodeExternalIP"
    assert parsed.set_identifier == "eu-west"
    assert parsed.record_type == "ptr"
    assert parsed.ingress == "gw/ingress"
    assert parsed.internal_hostnames == ("internal.example.com",)
    assert parsed.ingress_hostname_source is HostnameSource.ANNOTATION_ONLY
    assert parsed.gateway_hostname_source is HostnameSource.DEFINED_HOSTS_ONLY
    assert parsed.record_options.set_identifier == "eu-west"


def test_an_unknown_hostname_source_is_flagged_invalid() -> None:
    parsed = parse_annotations({ALPHA + "ingress-hostname-source": "everything"})
    assert parsed.ingress_hostname_source is HostnameSource.INVALID


@pytest.mark.parametrize(
    ("suffix", "value", "expected"),
    [
        pytest.param("aws-weight", "10", {"aws/weight": "10"}, id="aws annotations become aws slash names"),
        pytest.param(
            "aws-geolocation-country-code", "DE", {"aws/geolocation-country-code": "DE"}, id="aws multi-dash names"
        ),
        pytest.param("scw-foo", "x", {"scw/foo": "x"}, id="scaleway annotations"),
        pytest.param("webhook-anything", "y", {"webhook/anything": "y"}, id="webhook annotations"),
        pytest.param("coredns-group", "g", {"coredns/group": "g"}, id="coredns annotations"),
        pytest.param("azure-tags", "a=b", {"azure/tags": "a=b"}, id="azure tags"),
        pytest.param(
            "cloudflare-proxied",
            "true",
            {STABLE + "cloudflare-proxied": "true"},
            id="cloudflare properties keep the full stable annotation key",
        ),
        pytest.param("alias", "true", {"alias": "true"}, id="alias true becomes alias=true"),
        pytest.param("alias", "A", {}, id="alias other than true is not forwarded"),
        pytest.param("cloudflare-unknown", "1", {}, id="unknown cloudflare keys are ignored"),
    ],
)
def test_provider_specific_annotations_are_named_as_external_dns_names_them(
    suffix: str, value: str, expected: dict[str, str]
) -> None:
    parsed = parse_annotations({ALPHA + suffix: value})
    assert dict(parsed.provider_specific) == expected


def test_provider_specific_from_the_configured_prefix_wins() -> None:
    parsed = parse_annotations({ALPHA + "aws-weight": "1", STABLE + "aws-weight": "2"}, ALPHA)
    assert dict(parsed.provider_specific) == {"aws/weight": "1"}


@pytest.mark.parametrize(
    ("raw", "field"),
    [
        pytest.param(["not", "a", "map"], "metadata.annotations", id="annotations that are a list"),
        pytest.param({ALPHA + "ttl": 300}, f'metadata.annotations["{ALPHA}ttl"]', id="a number instead of a string"),
    ],
)
def test_wrongly_typed_annotations_are_problems_not_crashes(raw: object, field: str) -> None:
    parsed = parse_annotations(raw)
    assert [p.field for p in parsed.problems] == [field]
    assert parsed.ttl == 0


def test_no_annotations_parse_to_empty_defaults() -> None:
    parsed = parse_annotations(None)
    assert (parsed.hostnames, parsed.targets, parsed.ttl, parsed.controller, parsed.problems) == ((), (), 0, None, ())
