"""The Service source: every Service type, the annotations that shape it, and malformed Services."""

from __future__ import annotations

from typing import Any

import pytest

from external_dns.endpoint import Endpoint, ObjectRef
from external_dns.sources.base import EmptyLookups, SourceSettings, StaticLookups
from external_dns.sources.service import service_endpoints

P = "external-dns.alpha.kubernetes.io/"
RESOURCE = {"resource": "service/default/web"}


def svc(
    type_: str = "LoadBalancer",
    *,
    annotations: dict[str, Any] | None = None,
    spec: dict[str, Any] | None = None,
    lb: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    return {
        "kind": "Service",
        "apiVersion": "v1",
        "metadata": {
            "name": "web",
            "namespace": "default",
            "uid": "uid-1",
            "annotations": {P + "hostname": "web.example.com", **(annotations or {})},
        },
        "spec": {"type": type_, "clusterIP": "10.0.0.10", "selector": {"app": "web"}, **(spec or {})},
        "status": {"loadBalancer": {"ingress": lb or []}},
    }


def ep(name: str, type_: str, *targets: str, ttl: int = 0, **extra: Any) -> Endpoint:
    return Endpoint(name, type_, targets, ttl=ttl, labels=extra.pop("labels", RESOURCE), **extra)


def node(name: str, *addresses: tuple[str, str], unschedulable: bool = False) -> dict[str, Any]:
    return {
        "metadata": {"name": name},
        "spec": {"unschedulable": unschedulable},
        "status": {"addresses": [{"type": t, "address": a} for t, a in addresses]},
    }


def pod(
    name: str,
    *,
    node_name: str = "n1",
    labels: dict[str, str] | None = None,
    ready: bool = True,
    phase: str = "Running",
    hostname: str = "",
    host_ip: str = "192.0.2.100",
    annotations: dict[str, str] | None = None,
    terminating: bool = False,
) -> dict[str, Any]:
    metadata: dict[str, Any] = {
        "name": name,
        "namespace": "default",
        "labels": {"app": "web"} if labels is None else labels,
        "annotations": annotations or {},
    }
    if terminating:
        metadata["deletionTimestamp"] = "2024-01-01T00:00:00Z"
    return {
        "metadata": metadata,
        "spec": {"nodeName": node_name, **({"hostname": hostname} if hostname else {})},
        "status": {
            "phase": phase,
            "hostIP": host_ip,
            "conditions": [{"type": "Ready", "status": "True" if ready else "False"}],
        },
    }


def endpoint_slice(*entries: dict[str, Any], address_type: str = "IPv4") -> dict[str, Any]:
    return {
        "metadata": {"namespace": "default", "labels": {"kubernetes.io/service-name": "web"}},
        "addressType": address_type,
        "endpoints": list(entries),
    }


def slice_entry(address: str, pod_name: str, ready: bool | None = True, kind: str = "Pod") -> dict[str, Any]:
    entry: dict[str, Any] = {"addresses": [address], "targetRef": {"kind": kind, "name": pod_name}}
    if ready is not None:
        entry["conditions"] = {"ready": ready}
    return entry


NODES = [
    node("n1", ("ExternalIP", "203.0.113.1"), ("InternalIP", "10.1.0.1"), ("InternalIP", "2001:db8::1")),
    node("n2", ("ExternalIP", "203.0.113.2"), ("InternalIP", "10.1.0.2")),
    node("n3", ("ExternalIP", "203.0.113.3"), ("InternalIP", "10.1.0.3"), unschedulable=True),
]
INTERNAL_ONLY_NODES = [node("n1", ("InternalIP", "10.1.0.1")), node("n2", ("InternalIP", "10.1.0.2"))]

HEADLESS = {"clusterIP": "None"}
HEADLESS_LOOKUPS = StaticLookups(
    nodes=NODES,
    pods=[pod("web-0", hostname="web-0"), pod("web-1", node_name="n2", ready=False), pod("other", labels={})],
    endpoint_slices=[
        endpoint_slice(
            slice_entry("10.2.0.1", "web-0"),
            slice_entry("10.2.0.2", "web-1", ready=False),
            slice_entry("10.2.0.3", "other"),
            slice_entry("10.2.0.4", "not-a-pod", kind="Node"),
        )
    ],
)

CASES = [
    pytest.param(
        svc(lb=[{"ip": "203.0.113.10"}]),
        SourceSettings(),
        EmptyLookups(),
        [ep("web.example.com", "A", "203.0.113.10")],
        id="a load balancer IP becomes an A record",
    ),
    pytest.param(
        svc(lb=[{"hostname": "lb.cloud.example."}, {"ip": "2001:db8::10"}]),
        SourceSettings(),
        EmptyLookups(),
        [ep("web.example.com", "AAAA", "2001:db8::10"), ep("web.example.com", "CNAME", "lb.cloud.example")],
        id="load balancer hostnames become CNAMEs and IPv6 becomes AAAA",
    ),
    pytest.param(
        svc(lb=[{"ip": "203.0.113.10"}], spec={"externalIPs": ["198.51.100.1"]}),
        SourceSettings(),
        EmptyLookups(),
        [ep("web.example.com", "A", "198.51.100.1")],
        id="external IPs take precedence over the load balancer status",
    ),
    pytest.param(
        svc(lb=[{"ip": "203.0.113.10"}], annotations={P + "internal-hostname": "web.internal.example.com"}),
        SourceSettings(),
        EmptyLookups(),
        [ep("web.example.com", "A", "203.0.113.10"), ep("web.internal.example.com", "A", "10.0.0.10")],
        id="an internal hostname on a load balancer points at the cluster IP",
    ),
    pytest.param(
        svc(lb=[{"ip": "203.0.113.10"}], annotations={P + "target": "lb.example.net, 192.0.2.7"}),
        SourceSettings(),
        EmptyLookups(),
        [ep("web.example.com", "A", "192.0.2.7"), ep("web.example.com", "CNAME", "lb.example.net")],
        id="the target annotation overrides the derived targets",
    ),
    pytest.param(
        svc(lb=[]),
        SourceSettings(),
        EmptyLookups(),
        [],
        id="a load balancer without status publishes nothing yet",
    ),
    pytest.param(
        svc("ClusterIP"),
        SourceSettings(),
        EmptyLookups(),
        [],
        id="a cluster IP service is not published by default",
    ),
    pytest.param(
        svc("ClusterIP"),
        SourceSettings(publish_internal_services=True),
        EmptyLookups(),
        [ep("web.example.com", "A", "10.0.0.10")],
        id="a cluster IP service is published with publish internal services",
    ),
    pytest.param(
        svc("ClusterIP", annotations={P + "hostname": "", P + "internal-hostname": "web.internal.example.com"}),
        SourceSettings(),
        EmptyLookups(),
        [ep("web.internal.example.com", "A", "10.0.0.10")],
        id="an internal hostname on a cluster IP service points at the cluster IP",
    ),
    pytest.param(
        svc("ExternalName", spec={"externalName": "db.example.org."}),
        SourceSettings(),
        EmptyLookups(),
        [ep("web.example.com", "CNAME", "db.example.org")],
        id="an external name service becomes a CNAME",
    ),
    pytest.param(
        svc("ExternalName", spec={"externalName": "db.example.org", "externalIPs": ["198.51.100.5"]}),
        SourceSettings(),
        EmptyLookups(),
        [ep("web.example.com", "A", "198.51.100.5")],
        id="an external name service with external IPs publishes the IPs",
    ),
    pytest.param(
        svc(
            "LoadBalancer",
            lb=[{"ip": "203.0.113.10"}],
            annotations={P + "ttl": "5m", P + "set-identifier": "eu", P + "aws-weight": "10", P + "alias": "true"},
        ),
        SourceSettings(),
        EmptyLookups(),
        [
            ep(
                "web.example.com",
                "A",
                "203.0.113.10",
                ttl=300,
                set_identifier="eu",
                provider_specific={"alias": "true", "aws/weight": "10"},
            )
        ],
        id="ttl set identifier and provider specific annotations are carried",
    ),
    pytest.param(
        svc(lb=[{"ip": "203.0.113.10"}], annotations={P + "hostname": "A.Example.COM., b.example.com"}),
        SourceSettings(),
        EmptyLookups(),
        [ep("a.example.com", "A", "203.0.113.10"), ep("b.example.com", "A", "203.0.113.10")],
        id="several hostnames are normalised and each gets the targets",
    ),
]

NODE_PORT = {"ports": [{"port": 80, "nodePort": 30080, "protocol": "TCP"}]}
NODE_PORT_CASES = [
    pytest.param(
        svc("NodePort", spec=NODE_PORT),
        SourceSettings(),
        StaticLookups(nodes=NODES),
        [
            ep("_web._tcp.web.example.com", "SRV", "0 50 30080 web.example.com."),
            ep("web.example.com", "A", "203.0.113.1", "203.0.113.2"),
        ],
        id="a node port service publishes schedulable node external IPs and an SRV record",
    ),
    pytest.param(
        svc("NodePort", spec=NODE_PORT),
        SourceSettings(exclude_unschedulable=False),
        StaticLookups(nodes=NODES),
        [
            ep("_web._tcp.web.example.com", "SRV", "0 50 30080 web.example.com."),
            ep("web.example.com", "A", "203.0.113.1", "203.0.113.2", "203.0.113.3"),
        ],
        id="unschedulable nodes are kept when not excluded",
    ),
    pytest.param(
        svc("NodePort", spec=NODE_PORT),
        SourceSettings(),
        StaticLookups(nodes=INTERNAL_ONLY_NODES),
        [
            ep("_web._tcp.web.example.com", "SRV", "0 50 30080 web.example.com."),
            ep("web.example.com", "A", "10.1.0.1", "10.1.0.2"),
        ],
        id="internal IPs are used when no node has an external IP",
    ),
    pytest.param(
        svc("NodePort", spec=NODE_PORT, annotations={P + "access": "private"}),
        SourceSettings(),
        StaticLookups(nodes=NODES),
        [
            ep("_web._tcp.web.example.com", "SRV", "0 50 30080 web.example.com."),
            ep("web.example.com", "A", "10.1.0.1", "10.1.0.2"),
            ep("web.example.com", "AAAA", "2001:db8::1"),
        ],
        id="private access publishes internal IPs",
    ),
    pytest.param(
        svc("NodePort", spec=NODE_PORT, annotations={P + "access": "public"}),
        SourceSettings(expose_internal_ipv6=True),
        StaticLookups(nodes=NODES),
        [
            ep("_web._tcp.web.example.com", "SRV", "0 50 30080 web.example.com."),
            ep("web.example.com", "A", "203.0.113.1", "203.0.113.2"),
            ep("web.example.com", "AAAA", "2001:db8::1"),
        ],
        id="public access adds internal IPv6 with expose internal ipv6",
    ),
    pytest.param(
        svc(
            "NodePort",
            spec={
                "ports": [
                    {"port": 53, "nodePort": 30053, "protocol": "UDP"},
                    {"port": 80, "nodePort": 30080},
                    {"port": 443, "nodePort": 30443, "protocol": "TCP"},
                    {"port": 9, "protocol": "TCP"},
                ]
            },
        ),
        SourceSettings(),
        StaticLookups(nodes=NODES[:1]),
        [
            ep("_web._udp.web.example.com", "SRV", "0 50 30053 web.example.com."),
            ep("_web._tcp.web.example.com", "SRV", "0 50 30080 web.example.com.", "0 50 30443 web.example.com."),
            ep("web.example.com", "A", "203.0.113.1"),
        ],
        id="one SRV per protocol collects every node port and tcp is the default protocol",
    ),
    pytest.param(
        svc("NodePort", spec={**NODE_PORT, "externalTrafficPolicy": "Local"}),
        SourceSettings(),
        StaticLookups(
            nodes=NODES,
            pods=[pod("a", node_name="n1", ready=False), pod("b", node_name="n2", ready=True)],
        ),
        [
            ep("_web._tcp.web.example.com", "SRV", "0 50 30080 web.example.com."),
            ep("web.example.com", "A", "203.0.113.2"),
        ],
        id="local traffic policy prefers nodes with ready pods",
    ),
    pytest.param(
        svc("NodePort", spec={**NODE_PORT, "externalTrafficPolicy": "Local"}),
        SourceSettings(),
        StaticLookups(
            nodes=NODES,
            pods=[
                pod("a", node_name="n1", ready=True, terminating=True),
                pod("b", node_name="n2", phase="Pending"),
            ],
        ),
        [
            ep("_web._tcp.web.example.com", "SRV", "0 50 30080 web.example.com."),
            ep("web.example.com", "A", "203.0.113.1"),
        ],
        id="local traffic policy falls back to nodes with terminating ready pods and ignores pending pods",
    ),
    pytest.param(
        svc("NodePort", spec=NODE_PORT, annotations={P + "target": "198.51.100.9"}),
        SourceSettings(),
        StaticLookups(nodes=NODES),
        [ep("web.example.com", "A", "198.51.100.9")],
        id="a target annotation on a node port service replaces node IPs and SRV records",
    ),
]

HEADLESS_CASES = [
    pytest.param(
        svc("ClusterIP", spec=HEADLESS),
        SourceSettings(),
        HEADLESS_LOOKUPS,
        [ep("web-0.web.example.com", "A", "10.2.0.1"), ep("web.example.com", "A", "10.2.0.1")],
        id="a headless service publishes ready selected pods and pod hostname sub records",
    ),
    pytest.param(
        svc("ClusterIP", spec={**HEADLESS, "publishNotReadyAddresses": True}),
        SourceSettings(),
        HEADLESS_LOOKUPS,
        [ep("web-0.web.example.com", "A", "10.2.0.1"), ep("web.example.com", "A", "10.2.0.1", "10.2.0.2")],
        id="publish not ready addresses includes not ready pods",
    ),
    pytest.param(
        svc("ClusterIP", spec=HEADLESS),
        SourceSettings(always_publish_not_ready_addresses=True),
        HEADLESS_LOOKUPS,
        [ep("web-0.web.example.com", "A", "10.2.0.1"), ep("web.example.com", "A", "10.2.0.1", "10.2.0.2")],
        id="always publish not ready addresses includes not ready pods",
    ),
    pytest.param(
        svc("ClusterIP", spec=HEADLESS, annotations={P + "endpoints-type": "NodeExternalIP"}),
        SourceSettings(),
        HEADLESS_LOOKUPS,
        [ep("web-0.web.example.com", "A", "203.0.113.1"), ep("web.example.com", "A", "203.0.113.1")],
        id="endpoints type node external IP publishes the pod node external IPs",
    ),
    pytest.param(
        svc("ClusterIP", spec=HEADLESS, annotations={P + "endpoints-type": "HostIP"}),
        SourceSettings(),
        HEADLESS_LOOKUPS,
        [ep("web-0.web.example.com", "A", "192.0.2.100"), ep("web.example.com", "A", "192.0.2.100")],
        id="endpoints type host IP publishes the pod host IP",
    ),
    pytest.param(
        svc("ClusterIP", spec=HEADLESS),
        SourceSettings(publish_host_ip=True),
        HEADLESS_LOOKUPS,
        [ep("web-0.web.example.com", "A", "192.0.2.100"), ep("web.example.com", "A", "192.0.2.100")],
        id="publish host IP publishes the pod host IP",
    ),
    pytest.param(
        svc("ClusterIP", spec=HEADLESS, annotations={P + "ttl": "60"}),
        SourceSettings(),
        StaticLookups(
            pods=[pod("web-0", annotations={P + "target": "198.51.100.20"}), pod("web-1")],
            endpoint_slices=[
                endpoint_slice(slice_entry("2001:db8::5", "web-1", ready=None), address_type="IPv6"),
                endpoint_slice(slice_entry("10.2.0.1", "web-0")),
            ],
        ),
        [
            ep("web.example.com", "A", "198.51.100.20", ttl=60),
            ep("web.example.com", "AAAA", "2001:db8::5", ttl=60),
        ],
        id="a pod target annotation wins and an absent ready condition counts as ready",
    ),
]


@pytest.mark.parametrize(("service", "settings", "lookups", "expected"), CASES + NODE_PORT_CASES + HEADLESS_CASES)
def test_service_endpoints(
    service: dict[str, Any], settings: SourceSettings, lookups: Any, expected: list[Endpoint]
) -> None:
    result = service_endpoints(service, settings, lookups)
    assert result.problems == []
    assert result.ignored_reason == ""
    assert sorted(result.endpoints, key=_order) == sorted(expected, key=_order)


def _order(endpoint: Endpoint) -> tuple[str, str]:
    return endpoint.dns_name, endpoint.record_type


def test_every_endpoint_refers_to_the_service() -> None:
    result = service_endpoints(svc(lb=[{"ip": "203.0.113.10"}]), SourceSettings(), EmptyLookups())
    assert result.endpoints[0].refs == (ObjectRef("Service", "v1", "default", "web", "uid-1"),)


@pytest.mark.parametrize(
    ("service", "settings"),
    [
        pytest.param(
            svc(lb=[{"ip": "203.0.113.10"}], annotations={P + "controller": "other"}),
            SourceSettings(),
            id="another controller annotation skips the service",
        ),
        pytest.param(
            svc(lb=[{"ip": "203.0.113.10"}]),
            SourceSettings(service_type_filter=frozenset({"NodePort"})),
            id="a type outside the service type filter skips the service",
        ),
        pytest.param(
            svc(lb=[{"ip": "203.0.113.10"}]),
            SourceSettings(label_filter="team=dns"),
            id="the label filter skips the service",
        ),
    ],
)
def test_skipped_services_say_why(service: dict[str, Any], settings: SourceSettings) -> None:
    result = service_endpoints(service, settings, EmptyLookups())
    assert result.endpoints == [] and result.problems == []
    assert result.ignored_reason


def test_ignore_hostname_annotation_publishes_nothing_from_annotations() -> None:
    result = service_endpoints(
        svc(lb=[{"ip": "203.0.113.10"}]), SourceSettings(ignore_hostname_annotation=True), EmptyLookups()
    )
    assert (result.endpoints, result.problems, result.ignored_reason) == ([], [], "")


@pytest.mark.parametrize(
    ("service", "problem_fields", "expected"),
    [
        pytest.param(
            svc(lb=[{"ip": "203.0.113.10"}], annotations={P + "ttl": "forever"}),
            [f'metadata.annotations["{P}ttl"]'],
            [ep("web.example.com", "A", "203.0.113.10")],
            id="a bad ttl is reported and the record is published without a ttl",
        ),
        pytest.param(
            svc(lb=[{"ip": "203.0.113.10"}], annotations={P + "hostname": "web.example.com,bad_.-x..com"}),
            [f'metadata.annotations["{P}hostname"]'],
            [ep("web.example.com", "A", "203.0.113.10")],
            id="an invalid hostname is reported and the valid one published",
        ),
        pytest.param(
            svc(lb=[{"ip": "203.0.113.10"}], spec={"externalIPs": "198.51.100.1"}),
            ["spec.externalIPs"],
            [ep("web.example.com", "A", "203.0.113.10")],
            id="external IPs given as a string are reported and the status is used",
        ),
        pytest.param(
            svc(lb=[{"ip": "not-an-ip!"}, {"hostname": "lb.example.net"}]),
            ["status.loadBalancer.ingress[0].ip"],
            [ep("web.example.com", "CNAME", "lb.example.net")],
            id="a bad load balancer address is reported and the good one kept",
        ),
        pytest.param(
            svc("NodePort", spec={"ports": [{"nodePort": "30080"}, {"nodePort": 30081}]}),
            ["spec.ports[0].nodePort"],
            [
                ep("_web._tcp.web.example.com", "SRV", "0 50 30081 web.example.com."),
                ep("web.example.com", "A", "203.0.113.1"),
            ],
            id="a node port given as a string is reported and the other port kept",
        ),
        pytest.param(
            {"metadata": {"name": "web", "namespace": "default", "annotations": {P + "hostname": "x.example.com"}}},
            [],
            [],
            id="a service without spec publishes nothing and does not fail",
        ),
        pytest.param(
            {**svc(), "spec": ["not", "a", "spec"]},
            ["spec"],
            [],
            id="a spec that is a list is reported",
        ),
    ],
)
def test_malformed_services_report_problems_and_keep_the_good_parts(
    service: dict[str, Any], problem_fields: list[str], expected: list[Endpoint]
) -> None:
    result = service_endpoints(service, SourceSettings(), StaticLookups(nodes=NODES[:1]))
    assert [p.field for p in result.problems] == problem_fields
    assert sorted(result.endpoints, key=_order) == sorted(expected, key=_order)
