"""The Pod source (reference §3.9): hostname, internal-hostname, target, pod-source-domain, templates."""

from __future__ import annotations

from typing import Any

import pytest

from external_dns.sources.base import SourceSettings, StaticLookups
from external_dns.sources.pod import pod_endpoints

ALPHA = "external-dns.alpha.kubernetes.io/"

NODE = {
    "kind": "Node",
    "metadata": {"name": "worker-1"},
    "status": {
        "addresses": [
            {"type": "ExternalIP", "address": "198.51.100.1"},
            {"type": "InternalIP", "address": "10.0.0.1"},
            {"type": "InternalIP", "address": "2001:db8::1"},
        ]
    },
}
LOOKUPS = StaticLookups(nodes=[NODE])


def pod(
    *, annotations: dict[str, str] | None = None, host_network: bool = False, pod_ip: str = "10.1.0.5"
) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "web-0", "namespace": "default", "annotations": annotations or {}},
        "spec": {"nodeName": "worker-1", "hostNetwork": host_network},
        "status": {"podIP": pod_ip, "podIPs": [{"ip": pod_ip}, {"ip": "fd00::5"}] if pod_ip else []},
    }


def records(result: Any) -> list[tuple[str, str, tuple[str, ...]]]:
    return [(e.dns_name, e.record_type, e.targets) for e in result.endpoints]


@pytest.mark.parametrize(
    ("annotations", "expected"),
    [
        ({f"{ALPHA}internal-hostname": "web.internal.example.com"}, [("web.internal.example.com", "A", ("10.1.0.5",))]),
        (
            {f"{ALPHA}hostname": "web.example.com"},
            [("web.example.com", "A", ("198.51.100.1",)), ("web.example.com", "AAAA", ("2001:db8::1",))],
        ),
        (
            {f"{ALPHA}hostname": "web.example.com", f"{ALPHA}target": "203.0.113.3"},
            [("web.example.com", "A", ("203.0.113.3",))],
        ),
        (
            {f"{ALPHA}internal-hostname": "web.internal.example.com", f"{ALPHA}target": "lb.example.net"},
            [("web.internal.example.com", "CNAME", ("lb.example.net",))],
        ),
    ],
    ids=[
        "internal-hostname points at the pod IP",
        "hostname points at the node's ExternalIP and IPv6 InternalIP",
        "a target annotation replaces the node addresses",
        "a target annotation replaces the pod IP",
    ],
)
def test_pod_annotations(annotations: dict[str, str], expected: list[Any]) -> None:
    result = pod_endpoints(pod(annotations=annotations), SourceSettings(), LOOKUPS)
    assert records(result) == expected
    assert all(e.labels == {} for e in result.endpoints)  # no resource label, as ExternalDNS


def test_ttl_annotation_is_honoured() -> None:
    annotations = {f"{ALPHA}internal-hostname": "web.internal.example.com", f"{ALPHA}ttl": "2m"}
    result = pod_endpoints(pod(annotations=annotations), SourceSettings(), LOOKUPS)
    assert [e.ttl for e in result.endpoints] == [120]


def test_pod_source_domain_publishes_the_pod_name() -> None:
    result = pod_endpoints(pod(), SourceSettings(pod_source_domain="pods.example.com"), LOOKUPS)
    assert records(result) == [("web-0.pods.example.com", "A", ("10.1.0.5",))]


@pytest.mark.parametrize(
    ("host_network", "published"),
    [(False, False), (True, True)],
    ids=["a pod network pod is skipped", "a host network pod is kept"],
)
def test_ignore_non_host_network_pods(host_network: bool, published: bool) -> None:
    annotations = {f"{ALPHA}internal-hostname": "web.internal.example.com"}
    settings = SourceSettings(ignore_non_host_network_pods=True)
    result = pod_endpoints(pod(annotations=annotations, host_network=host_network), settings, LOOKUPS)
    assert bool(result.endpoints) is published


def test_template_names_point_at_every_pod_ip() -> None:
    settings = SourceSettings(fqdn_templates=("{{.Name}}.{{.Namespace}}.pods.example.com",))
    result = pod_endpoints(pod(), settings, LOOKUPS)
    assert records(result) == [
        ("web-0.default.pods.example.com", "A", ("10.1.0.5",)),
        ("web-0.default.pods.example.com", "AAAA", ("fd00::5",)),
    ]


def test_a_pod_without_an_ip_yet_says_why() -> None:
    annotations = {f"{ALPHA}internal-hostname": "web.internal.example.com"}
    result = pod_endpoints(pod(annotations=annotations, pod_ip=""), SourceSettings(), LOOKUPS)
    assert result.endpoints == []
    assert "pod has no address yet" in result.ignored_reason


def test_a_pod_asking_for_nothing_says_so() -> None:
    result = pod_endpoints(pod(), SourceSettings(), LOOKUPS)
    assert result.ignored_reason == "pod asks for no record (no hostname or internal-hostname annotation)"


def test_an_invalid_hostname_annotation_is_a_problem() -> None:
    result = pod_endpoints(pod(annotations={f"{ALPHA}hostname": "bad_!.example.com"}), SourceSettings(), LOOKUPS)
    assert [p.field for p in result.problems] == [f'metadata.annotations["{ALPHA}hostname"]']
