"""Namespace isolation's rule (pure): which namespace holds a name, what the others are told, allowed domains."""

from __future__ import annotations

import random
from typing import Any

import pytest
from prometheus_client import REGISTRY

from external_dns.endpoint import OWNER_LABEL, RESOURCE_LABEL, Endpoint, ObjectRef
from external_dns.guards.namespace_isolation import (
    NamespaceIsolation,
    allowed_domains_of,
    isolate,
    parse_allowed_domains,
)

NAME = "shared.example.com"


def ref(namespace: str, name: str = "web", kind: str = "Service") -> ObjectRef:
    return ObjectRef(kind, "v1", namespace or None, name, f"uid-{namespace}-{name}")


def wanted(namespace: str, target: str, name: str = NAME, obj: str = "web") -> Endpoint:
    resource = f"service/{namespace}/{obj}" if namespace else f"node/{obj}"
    return Endpoint(name, "A", (target,), labels={RESOURCE_LABEL: resource}, refs=(ref(namespace, obj),))


def held_by(namespace: str, owner: str = "me", name: str = NAME) -> Endpoint:
    labels = {OWNER_LABEL: owner, RESOURCE_LABEL: f"service/{namespace}/web"}
    return Endpoint(name, "A", ("192.0.2.1",), labels=labels)


#: team-b's object is the oldest.
AGES = {"team-a": "2026-12-01T10:00:00Z", "team-b": "2026-11-01T10:00:00Z", "team-c": "2026-12-01T10:00:00Z"}


def seniority(r: ObjectRef) -> tuple[str, str]:
    return AGES.get(r.namespace or "", "~"), r.uid


def unrestricted(namespace: str) -> tuple[str, ...] | None:
    return None


def namespaces(endpoints: list[Endpoint]) -> list[str]:
    return sorted(ep.refs[0].namespace or "" for ep in endpoints)


def test_the_oldest_object_holds_a_name_nobody_holds_yet() -> None:
    kept, skipped = isolate([wanted("team-a", "1.1.1.1"), wanted("team-b", "2.2.2.2")], [], seniority, unrestricted)
    assert namespaces(kept) == ["team-b"]
    (skip,) = skipped
    assert skip.endpoint.refs[0].namespace == "team-a"
    assert "already served by Service team-b/web in namespace team-b" in skip.reason
    assert "--namespace-isolation" in skip.reason


def test_the_namespace_holding_the_record_keeps_it_against_an_older_object() -> None:
    both = [wanted("team-a", "1.1.1.1"), wanted("team-b", "2.2.2.2")]
    kept, _ = isolate(both, [held_by("team-a")], seniority, unrestricted)
    assert namespaces(kept) == ["team-a"]


def test_a_holder_that_no_longer_asks_lets_the_oldest_asker_in() -> None:
    askers = [wanted("team-a", "1.1.1.1"), wanted("team-c", "3.3.3.3")]
    kept, _ = isolate(askers, [held_by("team-b")], seniority, unrestricted)
    assert namespaces(kept) == ["team-a"]  # team-a and team-c are as old: the uid decides, every time


def test_objects_of_one_namespace_still_share_a_name() -> None:
    same = [wanted("team-a", "1.1.1.1", obj="one"), wanted("team-a", "2.2.2.2", obj="two")]
    kept, skipped = isolate(same, [], seniority, unrestricted)
    assert kept == same and skipped == []


def test_cluster_scoped_objects_count_as_a_namespace_of_their_own() -> None:
    endpoints = [wanted("", "1.1.1.1", obj="node1"), wanted("team-a", "2.2.2.2")]
    kept, skipped = isolate(endpoints, [], seniority, unrestricted)
    assert namespaces(kept) == ["team-a"] and "(cluster-scoped)" in skipped[0].reason


def test_the_decision_does_not_depend_on_the_order_of_the_objects() -> None:
    endpoints = [wanted(ns, f"192.0.2.{i}") for i, ns in enumerate(["team-a", "team-b", "team-c"])]
    results = set()
    for seed in range(10):
        random.Random(seed).shuffle(endpoints)
        kept, _ = isolate(endpoints, [], seniority, unrestricted)
        results.add(tuple(namespaces(kept)))
    assert results == {("team-b",)}


@pytest.mark.parametrize(
    ("annotation", "expected"),
    [
        (None, None),
        ("team-a.example.com", ("team-a.example.com",)),
        (" Team-A.example.com. , team-a.example.org\n", ("team-a.example.com", "team-a.example.org")),
        ("", ()),
    ],
    ids=["no annotation: unrestricted", "one domain", "spaces, case and final dots are ignored", "empty: nothing"],
)
def test_the_allowed_domains_annotation(annotation: str | None, expected: tuple[str, ...] | None) -> None:
    annotations = {} if annotation is None else {"external-dns.kubernetes.io/allowed-domains": annotation}
    namespace: dict[str, Any] = {"metadata": {"name": "team-a", "annotations": annotations}}
    assert allowed_domains_of(namespace) == expected
    assert allowed_domains_of(None) is None


def test_a_namespace_publishes_only_under_its_allowed_domains() -> None:
    def allowed(namespace: str) -> tuple[str, ...] | None:
        return {"team-a": ("team-a.example.com",), "team-c": ()}.get(namespace)

    endpoints = [
        wanted("team-a", "1.1.1.1", name="api.team-a.example.com"),
        wanted("team-a", "1.1.1.2", name="team-a.example.com"),
        wanted("team-a", "1.1.1.3", name="api.team-b.example.com", obj="grab"),
        wanted("team-a", "1.1.1.4", name="xteam-a.example.com", obj="lookalike"),
        wanted("team-b", "2.2.2.2", name="anything.example.org"),
        wanted("team-c", "3.3.3.3", name="c.example.com"),
    ]
    kept, skipped = isolate(endpoints, [], seniority, allowed)
    published = sorted(ep.dns_name for ep in kept)
    assert published == ["anything.example.org", "api.team-a.example.com", "team-a.example.com"]
    reasons = {s.endpoint.dns_name: s.reason for s in skipped}
    assert set(reasons) == {"api.team-b.example.com", "xteam-a.example.com", "c.example.com"}
    assert "may publish only under team-a.example.com" in reasons["api.team-b.example.com"]
    assert "external-dns.kubernetes.io/allowed-domains on Namespace team-a" in reasons["api.team-b.example.com"]
    assert "no domain at all" in reasons["c.example.com"]


def test_a_refused_object_cannot_hold_the_name() -> None:
    def allowed(namespace: str) -> tuple[str, ...] | None:
        return ("team-b.example.com",) if namespace == "team-b" else None

    kept, _ = isolate([wanted("team-a", "1.1.1.1"), wanted("team-b", "2.2.2.2")], [], seniority, allowed)
    assert namespaces(kept) == ["team-a"]


def test_another_owners_record_does_not_make_a_holder_and_refusals_are_counted_once() -> None:
    guard = NamespaceIsolation(seniority, unrestricted, owner_id="me")
    before = REGISTRY.get_sample_value("external_dns_guard_actions_total", {"guard": "namespace_isolation"}) or 0
    both = [wanted("team-a", "1.1.1.1"), wanted("team-b", "2.2.2.2")]
    for _ in range(3):
        kept, _ = guard.apply(both, [held_by("team-a", owner="someone-else")])
        assert namespaces(kept) == ["team-b"]
    after = REGISTRY.get_sample_value("external_dns_guard_actions_total", {"guard": "namespace_isolation"})
    assert after == before + 1


def test_entries_that_are_not_domains_are_left_out_and_named() -> None:
    domains, problems = parse_allowed_domains("team-a.example.com, not a domain!, *.team-a.example.org,,a..b")
    assert domains == ("team-a.example.com",)
    assert len(problems) == 3
    assert all(p.field == 'metadata.annotations["external-dns.kubernetes.io/allowed-domains"]' for p in problems)
    assert "without a wildcard" in str(problems[1])
