"""The Gateway API route sources: parent matching (reference §3.7) one rule at a time, and the seed scenario."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from external_dns.endpoint import Endpoint
from external_dns.sources.base import SourceSettings
from external_dns.sources.gateway import (
    ROUTE_KINDS,
    StaticGatewayLookups,
    gateway_problems,
    grpcroute_endpoints,
    httproute_endpoints,
    matching_host,
    tcproute_endpoints,
    tlsroute_endpoints,
    udproute_endpoints,
)

GROUP = "gateway.networking.k8s.io"
ALPHA = "external-dns.alpha.kubernetes.io/"


def gateway(
    name: str = "gw",
    namespace: str = "default",
    *,
    listeners: list[dict[str, Any]] | None = None,
    addresses: tuple[str, ...] = ("203.0.113.10",),
    labels: dict[str, str] | None = None,
    annotations: dict[str, str] | None = None,
) -> dict[str, Any]:
    return {
        "apiVersion": f"{GROUP}/v1",
        "kind": "Gateway",
        "metadata": {"name": name, "namespace": namespace, "labels": labels or {}, "annotations": annotations or {}},
        "spec": {
            "gatewayClassName": "example",
            "listeners": listeners if listeners is not None else [{"name": "http", "protocol": "HTTP", "port": 80}],
        },
        "status": {"addresses": [{"type": "IPAddress", "value": a} for a in addresses]},
    }


def route(
    name: str = "web",
    namespace: str = "default",
    *,
    kind: str = "HTTPRoute",
    hostnames: list[str] | None = None,
    parent: dict[str, Any] | None = None,
    status_parent: dict[str, Any] | None = None,
    accepted: str = "True",
    annotations: dict[str, str] | None = None,
    labels: dict[str, str] | None = None,
) -> dict[str, Any]:
    parent = parent if parent is not None else {"name": "gw"}
    return {
        "apiVersion": f"{GROUP}/v1",
        "kind": kind,
        "metadata": {"name": name, "namespace": namespace, "annotations": annotations or {}, "labels": labels or {}},
        "spec": {"parentRefs": [parent], "hostnames": hostnames if hostnames is not None else ["app.example.com"]},
        "status": {
            "parents": [
                {
                    "parentRef": status_parent if status_parent is not None else parent,
                    "controllerName": "example.com/gateway",
                    "conditions": [{"type": "Accepted", "status": accepted, "reason": "Whatever"}],
                }
            ]
        },
    }


def records(endpoints: list[Endpoint]) -> list[tuple[str, str, tuple[str, ...]]]:
    return [(e.dns_name, e.record_type, e.targets) for e in endpoints]


SETTINGS = SourceSettings()


def test_an_accepted_route_publishes_its_hostname_with_the_gateway_addresses() -> None:
    lookups = StaticGatewayLookups(gateways=[gateway(addresses=("203.0.113.10", "2001:db8::1", "203.0.113.10"))])
    result = httproute_endpoints(route(), SETTINGS, lookups)
    assert records(result.endpoints) == [
        ("app.example.com", "A", ("203.0.113.10",)),
        ("app.example.com", "AAAA", ("2001:db8::1",)),
    ]
    assert result.endpoints[0].labels == {"resource": "httproute/default/web"}
    assert result.endpoints[0].refs[0].display == "HTTPRoute default/web"
    assert not result.problems and not result.ignored_reason


def listener(**fields: Any) -> dict[str, Any]:
    return {"name": "http", "protocol": "HTTP", "port": 80, **fields}


NS_LABELLED = {"metadata": {"name": "team", "labels": {"gateway-access": "yes"}}}
NS_PLAIN = {"metadata": {"name": "other", "labels": {}}}

# (id, route, gateway, expected hostnames, expected reason fragment)
PARENT_CASES: list[tuple[str, dict[str, Any], dict[str, Any], list[str], str]] = [
    (
        "a status parent missing from spec.parentRefs is not used",
        route(status_parent={"name": "other-gw"}),
        gateway(),
        [],
        "status.parents[0] names Gateway default/other-gw, which is not in spec.parentRefs",
    ),
    (
        "group and kind default to the Gateway API Gateway",
        route(parent={"name": "gw"}, status_parent={"name": "gw", "group": GROUP, "kind": "Gateway"}),
        gateway(),
        ["app.example.com"],
        "",
    ),
    (
        "a parent of another kind is not supported",
        route(parent={"name": "gw", "kind": "Service", "group": ""}),
        gateway(),
        [],
        "parent kind gateway.networking.k8s.io/Service is not supported",
    ),
    (
        "the parent namespace defaults to the route's namespace",
        route(namespace="team", parent={"name": "gw"}),
        gateway(namespace="default"),
        [],
        "gateway team/gw not found",
    ),
    (
        "a route not accepted by the parent publishes nothing",
        route(accepted="False"),
        gateway(),
        [],
        "parent gateway default/gw has not accepted this route (status.parents[0] Accepted=False",
    ),
    (
        "sectionName selects one listener",
        route(parent={"name": "gw", "sectionName": "b"}, hostnames=[]),
        gateway(listeners=[listener(name="a", hostname="a.example.com"), listener(name="b", hostname="b.example.com")]),
        ["b.example.com"],
        "",
    ),
    (
        "an unknown sectionName matches nothing",
        route(parent={"name": "gw", "sectionName": "nope"}),
        gateway(),
        [],
        "gateway default/gw has no listener named 'nope'",
    ),
    (
        "without sectionName every listener is tried",
        route(hostnames=[]),
        gateway(listeners=[listener(name="a", hostname="a.example.com"), listener(name="b", hostname="b.example.com")]),
        ["a.example.com", "b.example.com"],
        "",
    ),
    (
        "the parentRef port must equal the listener port",
        route(parent={"name": "gw", "port": 8080}),
        gateway(),
        [],
        "listener http is on port 80, not the parentRef port 8080",
    ),
    (
        "an HTTP route attaches to an HTTPS listener",
        route(),
        gateway(listeners=[listener(protocol="HTTPS", port=443)]),
        ["app.example.com"],
        "",
    ),
    (
        "an HTTP route does not attach to a TLS listener",
        route(),
        gateway(listeners=[listener(protocol="TLS", port=443)]),
        [],
        "listener http speaks TLS, not HTTP (HTTPRoute)",
    ),
    (
        "allowedRoutes Same refuses a route from another namespace",
        route(namespace="team", parent={"name": "gw", "namespace": "default"}),
        gateway(),
        [],
        "no listener of gateway default/gw matches: listener http allows routes from namespace default only",
    ),
    (
        "allowedRoutes All takes a route from any namespace",
        route(namespace="team", parent={"name": "gw", "namespace": "default"}),
        gateway(listeners=[listener(allowedRoutes={"namespaces": {"from": "All"}})]),
        ["app.example.com"],
        "",
    ),
    (
        "allowedRoutes Selector takes a route from a namespace with matching labels",
        route(namespace="team", parent={"name": "gw", "namespace": "default"}),
        gateway(
            listeners=[
                listener(
                    allowedRoutes={
                        "namespaces": {"from": "Selector", "selector": {"matchLabels": {"gateway-access": "yes"}}}
                    }
                )
            ]
        ),
        ["app.example.com"],
        "",
    ),
    (
        "allowedRoutes Selector refuses a namespace without the labels",
        route(namespace="other", parent={"name": "gw", "namespace": "default"}),
        gateway(
            listeners=[
                listener(
                    allowedRoutes={
                        "namespaces": {
                            "from": "Selector",
                            "selector": {"matchExpressions": [{"key": "gateway-access", "operator": "Exists"}]},
                        }
                    }
                )
            ]
        ),
        [],
        "does not select namespace other",
    ),
    (
        "allowedRoutes kinds must list the route kind",
        route(),
        gateway(listeners=[listener(allowedRoutes={"kinds": [{"kind": "GRPCRoute"}]})]),
        [],
        "allows route kinds GRPCRoute, not HTTPRoute",
    ),
    (
        "a route without hostnames takes the listener wildcard",
        route(hostnames=[]),
        gateway(listeners=[listener(hostname="*.example.com")]),
        ["*.example.com"],
        "",
    ),
    (
        "a route host under a listener wildcard is published as is",
        route(hostnames=["app.example.com", "app.other.org"]),
        gateway(listeners=[listener(hostname="*.example.com")]),
        ["app.example.com"],
        "",
    ),
    (
        "neither route nor listener hostnames means no record",
        route(hostnames=[]),
        gateway(),
        [],
        "matches none of ''",
    ),
    (
        "a gateway without addresses yet publishes nothing",
        route(),
        gateway(addresses=()),
        [],
        "gateway default/gw has no addresses yet (status.addresses is empty)",
    ),
    (
        "a missing gateway is named",
        route(parent={"name": "ghost"}),
        gateway(),
        [],
        "gateway default/ghost not found",
    ),
]


@pytest.mark.parametrize(
    ("route_obj", "gateway_obj", "hostnames", "reason"),
    [case[1:] for case in PARENT_CASES],
    ids=[case[0] for case in PARENT_CASES],
)
def test_parent_matching(
    route_obj: dict[str, Any], gateway_obj: dict[str, Any], hostnames: list[str], reason: str
) -> None:
    lookups = StaticGatewayLookups(gateways=[gateway_obj], namespaces=[NS_LABELLED, NS_PLAIN])
    result = httproute_endpoints(route_obj, SETTINGS, lookups)
    assert sorted({e.dns_name for e in result.endpoints}) == hostnames
    assert not result.problems
    if reason:
        assert reason in result.ignored_reason
    else:
        assert result.ignored_reason == ""


@pytest.mark.parametrize(
    ("listener_host", "route_host", "expected"),
    [
        ("", "a.example.com", "a.example.com"),
        ("a.example.com", "", "a.example.com"),
        ("A.Example.com", "a.example.com", "a.example.com"),
        ("*.example.com", "a.b.example.com", "a.b.example.com"),
        ("a.example.com", "*.example.com", "a.example.com"),
        ("*.example.com", "example.com", None),
        ("*.example.com", "*.a.example.com", "*.a.example.com"),
        ("a.example.com", "b.example.com", None),
        ("", "203.0.113.1", None),
        ("", "under_score.example.com", None),
    ],
    ids=[
        "an empty listener hostname takes the route's",
        "an empty route hostname takes the listener's",
        "equal names match case-insensitively",
        "a wildcard covers deeper names",
        "a name matches a wildcard on either side",
        "a wildcard does not cover its own apex",
        "two wildcards give the more specific",
        "different names do not match",
        "IP addresses never match",
        "non RFC 1123 names never match",
    ],
)
def test_hostname_intersection(listener_host: str, route_host: str, expected: str | None) -> None:
    assert matching_host(listener_host, route_host) == expected


def test_target_annotation_on_the_gateway_replaces_its_addresses() -> None:
    gw = gateway(annotations={f"{ALPHA}target": "lb.example.net"})
    result = httproute_endpoints(route(), SETTINGS, StaticGatewayLookups(gateways=[gw]))
    assert records(result.endpoints) == [("app.example.com", "CNAME", ("lb.example.net",))]


def test_a_malformed_gateway_target_annotation_is_a_gateway_problem() -> None:
    gw = gateway(annotations={f"{ALPHA}target": "not a host!"})
    problems = gateway_problems(gw)
    assert [p.field for p in problems] == [f'metadata.annotations["{ALPHA}target"]']


def test_route_annotations_set_ttl_set_identifier_and_extra_hostnames() -> None:
    annotations = {
        f"{ALPHA}ttl": "5m",
        f"{ALPHA}set-identifier": "blue",
        f"{ALPHA}hostname": "extra.example.com",
        f"{ALPHA}aws-weight": "10",
    }
    result = httproute_endpoints(route(annotations=annotations), SETTINGS, StaticGatewayLookups(gateways=[gateway()]))
    assert sorted(e.dns_name for e in result.endpoints) == ["app.example.com", "extra.example.com"]
    assert {(e.ttl, e.set_identifier) for e in result.endpoints} == {(300, "blue")}
    assert all(e.provider_specific == {"aws/weight": "10"} for e in result.endpoints)


@pytest.mark.parametrize(
    ("source", "hostnames"),
    [("annotation-only", ["extra.example.com"]), ("defined-hosts-only", ["app.example.com"])],
    ids=["annotation-only keeps only the hostname annotation", "defined-hosts-only ignores the annotation"],
)
def test_gateway_hostname_source(source: str, hostnames: list[str]) -> None:
    annotations = {f"{ALPHA}hostname": "extra.example.com", f"{ALPHA}gateway-hostname-source": source}
    result = httproute_endpoints(route(annotations=annotations), SETTINGS, StaticGatewayLookups(gateways=[gateway()]))
    assert [e.dns_name for e in result.endpoints] == hostnames


def test_an_invalid_spec_hostname_is_a_problem_naming_the_field() -> None:
    result = httproute_endpoints(
        route(hostnames=["bad_host!.example.com", "app.example.com"]),
        SETTINGS,
        StaticGatewayLookups(gateways=[gateway()]),
    )
    assert [p.field for p in result.problems] == ["spec.hostnames[0]"]
    assert [e.dns_name for e in result.endpoints] == ["app.example.com"]


def test_gateway_name_filter_keeps_only_that_gateway() -> None:
    lookups = StaticGatewayLookups(gateways=[gateway()])
    result = httproute_endpoints(route(), SourceSettings(gateway_name="public"), lookups)
    assert result.endpoints == []
    assert result.ignored_reason == "gateway default/gw is not --gateway-name 'public'"


def test_gateway_namespace_filter_excludes_gateways_elsewhere() -> None:
    lookups = StaticGatewayLookups(gateways=[gateway()])
    result = httproute_endpoints(route(), SourceSettings(gateway_namespace="infra"), lookups)
    assert "outside --gateway-namespace 'infra'" in result.ignored_reason


def test_templates_apply_to_a_route_without_hostnames_through_listener_matching() -> None:
    settings = SourceSettings(fqdn_templates=("{{.Name}}.example.com,{{.Name}}.other.org",))
    lookups = StaticGatewayLookups(gateways=[gateway(listeners=[listener(hostname="*.example.com")])])
    result = httproute_endpoints(route(hostnames=[]), settings, lookups)
    assert sorted(e.dns_name for e in result.endpoints) == ["*.example.com", "web.example.com"]


@pytest.mark.parametrize(
    ("function", "kind", "protocol", "hostnames", "expected"),
    [
        (grpcroute_endpoints, "GRPCRoute", "HTTPS", ["grpc.example.com"], ["grpc.example.com"]),
        (tlsroute_endpoints, "TLSRoute", "TLS", ["tls.example.com"], ["tls.example.com"]),
        (tcproute_endpoints, "TCPRoute", "TLS", ["ignored.example.com"], ["l.example.com"]),
        (udproute_endpoints, "UDPRoute", "UDP", ["ignored.example.com"], ["l.example.com"]),
    ],
    ids=[
        "a GRPCRoute attaches to an HTTPS listener",
        "a TLSRoute attaches to a TLS listener",
        "a TCPRoute attaches to a TLS listener and takes the listener hostname",
        "a UDPRoute has no spec hostnames and takes the listener hostname",
    ],
)
def test_each_route_kind(function: Any, kind: str, protocol: str, hostnames: list[str], expected: list[str]) -> None:
    gw = gateway(
        listeners=[listener(protocol=protocol, hostname="l.example.com" if kind in ("TCPRoute", "UDPRoute") else None)]
    )
    if kind not in ("TCPRoute", "UDPRoute"):
        del gw["spec"]["listeners"][0]["hostname"]
    result = function(route(kind=kind, hostnames=hostnames), SETTINGS, StaticGatewayLookups(gateways=[gw]))
    assert [e.dns_name for e in result.endpoints] == expected
    assert result.endpoints[0].labels["resource"] == f"{kind.lower()}/default/web"


def test_route_kinds_are_registered_under_their_source_names() -> None:
    assert {name: (k.version, k.plural, k.kind) for name, k in ROUTE_KINDS.items()} == {
        "gateway-httproute": ("v1", "httproutes", "HTTPRoute"),
        "gateway-grpcroute": ("v1", "grpcroutes", "GRPCRoute"),
        "gateway-tlsroute": ("v1", "tlsroutes", "TLSRoute"),
        "gateway-tcproute": ("v1alpha2", "tcproutes", "TCPRoute"),
        "gateway-udproute": ("v1alpha2", "udproutes", "UDPRoute"),
    }


def test_seed_scenario_label_filter_controller_none_and_cloudflare_proxied() -> None:
    """A labelled and an unlabelled Gateway with --gateway-label-filter, a route on each, and a redirect route
    that belongs to another controller; per-route cloudflare-proxied is carried as a provider property."""
    public = gateway("public", labels={"dns": "public"}, addresses=("198.51.100.7",))
    internal = gateway("internal", addresses=("10.0.0.7",))
    lookups = StaticGatewayLookups(gateways=[public, internal])
    settings = SourceSettings(gateway_label_filter="dns=public")
    proxied = {f"{ALPHA}cloudflare-proxied": "true"}
    shop = route("shop", hostnames=["shop.example.com"], parent={"name": "public"}, annotations=proxied)
    intranet = route("intranet", hostnames=["intranet.example.com"], parent={"name": "internal"})
    redirect = route(
        "redirect",
        hostnames=["www.example.com"],
        parent={"name": "public"},
        annotations={f"{ALPHA}controller": "none"},
    )

    shop_result = httproute_endpoints(shop, settings, lookups)
    assert records(shop_result.endpoints) == [("shop.example.com", "A", ("198.51.100.7",))]
    assert shop_result.endpoints[0].provider_specific == {"external-dns.kubernetes.io/cloudflare-proxied": "true"}

    intranet_result = httproute_endpoints(intranet, settings, lookups)
    assert intranet_result.endpoints == []
    assert (
        intranet_result.ignored_reason == "gateway default/internal does not match --gateway-label-filter 'dns=public'"
    )

    redirect_result = httproute_endpoints(redirect, settings, lookups)
    assert redirect_result.endpoints == []
    assert "names another controller" in redirect_result.ignored_reason


def test_a_route_accepted_by_two_gateways_unites_their_addresses() -> None:
    first = gateway("a", addresses=("203.0.113.2",))
    second = gateway("b", addresses=("203.0.113.1",))
    obj = route(parent={"name": "a"})
    obj["spec"]["parentRefs"].append({"name": "b"})
    obj["status"]["parents"].append(copy.deepcopy(obj["status"]["parents"][0]) | {"parentRef": {"name": "b"}})
    result = httproute_endpoints(obj, SETTINGS, StaticGatewayLookups(gateways=[first, second]))
    assert records(result.endpoints) == [("app.example.com", "A", ("203.0.113.1", "203.0.113.2"))]
