"""The Node source (reference §3.8): names, address choice, annotations, unschedulable nodes, templates."""

from __future__ import annotations

from typing import Any

import pytest

from external_dns.sources.base import EmptyLookups, SourceSettings
from external_dns.sources.fqdn_template import compile_templates, with_templates
from external_dns.sources.node import node_endpoints, node_targets

ALPHA = "external-dns.alpha.kubernetes.io/"


def node(
    name: str = "node-1.example.com",
    *,
    addresses: list[tuple[str, str]] | None = None,
    annotations: dict[str, str] | None = None,
    labels: dict[str, str] | None = None,
    unschedulable: bool = False,
) -> dict[str, Any]:
    pairs = addresses if addresses is not None else [("ExternalIP", "198.51.100.1"), ("InternalIP", "10.0.0.1")]
    return {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {"name": name, "annotations": annotations or {}, "labels": labels or {}},
        "spec": {"unschedulable": unschedulable},
        "status": {"addresses": [{"type": t, "address": a} for t, a in pairs]},
    }


def records(result: Any) -> list[tuple[str, str, tuple[str, ...]]]:
    return [(e.dns_name, e.record_type, e.targets) for e in result.endpoints]


V6_INTERNAL = [("ExternalIP", "198.51.100.1"), ("InternalIP", "10.0.0.1"), ("InternalIP", "2001:db8::1")]


@pytest.mark.parametrize(
    ("addresses", "settings", "expected"),
    [
        (None, SourceSettings(), [("node-1.example.com", "A", ("198.51.100.1",))]),
        (
            [("InternalIP", "10.0.0.1"), ("Hostname", "node-1")],
            SourceSettings(),
            [("node-1.example.com", "A", ("10.0.0.1",))],
        ),
        (V6_INTERNAL, SourceSettings(), [("node-1.example.com", "A", ("198.51.100.1",))]),
        (
            V6_INTERNAL,
            SourceSettings(expose_internal_ipv6=True),
            [("node-1.example.com", "A", ("198.51.100.1",)), ("node-1.example.com", "AAAA", ("2001:db8::1",))],
        ),
    ],
    ids=[
        "ExternalIP addresses are preferred",
        "InternalIP addresses are used when there is no ExternalIP",
        "IPv6 InternalIP addresses are not published by default",
        "IPv6 InternalIP addresses join the ExternalIPs with expose-internal-ipv6",
    ],
)
def test_node_addresses(addresses: list[tuple[str, str]] | None, settings: SourceSettings, expected: list[Any]) -> None:
    result = node_endpoints(node(addresses=addresses), settings, EmptyLookups())
    assert records(result) == expected
    assert result.endpoints[0].labels == {"resource": "node/node-1.example.com"}


def test_target_and_ttl_annotations_are_honoured() -> None:
    annotations = {f"{ALPHA}target": "203.0.113.9", f"{ALPHA}ttl": "60", f"{ALPHA}hostname": "ignored.example.com"}
    result = node_endpoints(node(annotations=annotations), SourceSettings(), EmptyLookups())
    assert records(result) == [("node-1.example.com", "A", ("203.0.113.9",))]
    assert result.endpoints[0].ttl == 60


@pytest.mark.parametrize(
    ("exclude", "published"),
    [(True, False), (False, True)],
    ids=["an unschedulable node is skipped by default", "an unschedulable node is kept without exclude-unschedulable"],
)
def test_unschedulable_nodes(exclude: bool, published: bool) -> None:
    result = node_endpoints(node(unschedulable=True), SourceSettings(exclude_unschedulable=exclude), EmptyLookups())
    assert bool(result.endpoints) is published
    assert ("unschedulable" in result.ignored_reason) is not published


def test_a_node_without_addresses_says_why() -> None:
    result = node_endpoints(node(addresses=[]), SourceSettings(), EmptyLookups())
    assert result.endpoints == []
    assert result.ignored_reason == "node has no ExternalIP or InternalIP address yet (status.addresses)"


def test_label_filter_skips_other_nodes() -> None:
    result = node_endpoints(node(), SourceSettings(label_filter="dns=yes"), EmptyLookups())
    assert result.ignored_reason == "labels do not match --label-filter 'dns=yes'"


@pytest.mark.parametrize(
    ("combine", "names"),
    [(False, ["node-1.nodes.example.com"]), (True, ["node-1.example.com", "node-1.nodes.example.com"])],
    ids=["a name template replaces the node name", "with combine-fqdn-annotation both names are published"],
)
def test_fqdn_templates(combine: bool, names: list[str]) -> None:
    settings = SourceSettings(
        fqdn_templates=('{{ trimSuffix .Name ".example.com" }}.nodes.example.com',), combine_fqdn_annotation=combine
    )
    result = node_endpoints(node(), settings, EmptyLookups())
    assert sorted(e.dns_name for e in result.endpoints) == names


def test_node_targets_hook_gives_the_addresses_records_point_at() -> None:
    assert node_targets(node(), SourceSettings(), EmptyLookups()) == ["198.51.100.1"]


def test_wrapping_node_with_templates_adds_no_duplicates() -> None:
    settings = SourceSettings(fqdn_templates=("{{.Name}}",), combine_fqdn_annotation=True)
    wrapped = with_templates(
        node_endpoints, compile_templates(settings.fqdn_templates), settings, targets_for=node_targets
    )
    result = wrapped(node(), settings, EmptyLookups())
    assert records(result) == [("node-1.example.com", "A", ("198.51.100.1",))]
