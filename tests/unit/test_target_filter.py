"""The target-net filter and --min-ttl steps, with ExternalDNS's rules (source/wrappers in v0.22)."""

from __future__ import annotations

import datetime

import pytest

from external_dns.domain_filter import DomainFilter
from external_dns.endpoint import Endpoint
from external_dns.providers.aws.session import AssumedRole
from external_dns.sources.target_filter import TargetNetFilter, filter_targets, with_min_ttl


@pytest.mark.parametrize(
    ("include", "exclude", "target", "kept"),
    [
        pytest.param([], [], "anything.example.com", True, id="no filter keeps every target"),
        pytest.param(["10.0.0.0/8"], [], "10.1.2.3", True, id="a target in an included net is kept"),
        pytest.param(["10.0.0.0/8"], [], "192.0.2.1", False, id="a target outside the included nets is dropped"),
        pytest.param(["10.0.0.0/8"], [], "lb.example.com", False, id="a hostname is in no included net"),
        pytest.param([], ["10.0.0.0/8"], "lb.example.com", True, id="a hostname is in no excluded net either"),
        pytest.param(["10.0.0.0/8"], ["10.1.0.0/16"], "10.1.2.3", False, id="exclusion wins over inclusion"),
        pytest.param(["2001:db8::/32"], [], "2001:db8::1", True, id="IPv6 networks work"),
        pytest.param(["2001:db8::/32"], [], "10.0.0.1", False, id="an IPv4 target is in no IPv6 net"),
    ],
)
def test_target_net_filter(include: list[str], exclude: list[str], target: str, kept: bool) -> None:
    assert TargetNetFilter.from_cidrs(include, exclude).matches(target) is kept


def test_endpoints_keep_their_matching_targets_and_those_left_with_none_are_dropped() -> None:
    endpoints = [
        Endpoint("a.example.com", "A", ("10.0.0.1", "192.0.2.1")),
        Endpoint("b.example.com", "A", ("192.0.2.2",)),
    ]
    result = filter_targets(endpoints, TargetNetFilter.from_cidrs(["10.0.0.0/8"], []))
    assert result == [Endpoint("a.example.com", "A", ("10.0.0.1",))]


def test_min_ttl_only_fills_unset_ttls() -> None:
    endpoints = [Endpoint("a.example.com", "A", ("10.0.0.1",)), Endpoint("b.example.com", "A", ("10.0.0.2",), ttl=30)]
    assert [ep.ttl for ep in with_min_ttl(endpoints, 300)] == [300, 30]
    assert [ep.ttl for ep in with_min_ttl(endpoints, 0)] == [0, 30]


@pytest.mark.parametrize(
    ("include", "exclude", "zone", "parent"),
    [
        pytest.param(["app.example.com"], [], "example.com", True, id="a parent of a filter entry"),
        pytest.param(["app.example.com"], [], "com", True, id="a grandparent too"),
        pytest.param(["app.example.com"], [], "app.example.com", False, id="the entry itself is no parent"),
        pytest.param(["app.example.com"], [], "example.org", False, id="an unrelated zone"),
        pytest.param([".app.example.com"], [], "example.com", False, id="dotted entries are not expanded"),
        pytest.param(["app.example.com"], ["example.com"], "example.com", False, id="exclusions still apply"),
    ],
)
def test_match_parent(include: list[str], exclude: list[str], zone: str, parent: bool) -> None:
    assert DomainFilter(include=tuple(include), exclude=tuple(exclude)).match_parent(zone) is parent


def test_match_parent_in_regex_mode_matches_nothing() -> None:
    assert not DomainFilter(regex_include=r"\.example\.com$").match_parent("com")


def test_assumed_role_credentials_are_renewed_five_minutes_before_they_expire() -> None:
    expires = datetime.datetime(2026, 12, 1, 12, 0, tzinfo=datetime.UTC)
    role = AssumedRole("ASIA1", "secret", "token", expires)
    assert not role.expires_soon(expires - datetime.timedelta(minutes=6))
    assert role.expires_soon(expires - datetime.timedelta(minutes=5))
    assert role.client_arguments()["aws_session_token"] == "token"
