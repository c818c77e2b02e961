"""Discovery on the local API server: /version, /api, /api/v1, /apis, /apis/<group>[/<version>]."""

import pytest

from external_dns.testing import LocalCluster


async def test_version_reports_kubernetes_1_32(api: LocalCluster) -> None:
    version = await api.request("GET", "/version")
    assert (version["major"], version["minor"], version["gitVersion"]) == ("1", "32", "v1.32.0")


async def test_core_discovery_reports_group_version_v1(api: LocalCluster) -> None:
    assert (await api.request("GET", "/api"))["versions"] == ["v1"]
    core = await api.request("GET", "/api/v1")
    assert core["groupVersion"] == "v1"
    names = {resource["name"] for resource in core["resources"]}
    expected = {"services", "services/status", "endpoints", "pods", "nodes", "namespaces", "events", "secrets"}
    assert expected | {"configmaps"} <= names


@pytest.mark.parametrize(
    ("group_version", "plurals"),
    [
        ("discovery.k8s.io/v1", {"endpointslices"}),
        ("events.k8s.io/v1", {"events"}),
        ("networking.k8s.io/v1", {"ingresses", "ingressclasses"}),
        ("gateway.networking.k8s.io/v1", {"gateways", "httproutes", "grpcroutes", "tlsroutes"}),
        ("gateway.networking.k8s.io/v1alpha2", {"tcproutes", "udproutes"}),
        ("externaldns.k8s.io/v1alpha1", {"dnsendpoints", "dnsendpoints/status"}),
        ("kopf.dev/v1", {"clusterkopfpeerings", "kopfpeerings"}),
        ("apiextensions.k8s.io/v1", {"customresourcedefinitions"}),
        ("coordination.k8s.io/v1", {"leases"}),
    ],
    ids=lambda value: value if isinstance(value, str) else "",
)
async def test_group_versions_list_their_resources(api: LocalCluster, group_version: str, plurals: set[str]) -> None:
    body = await api.request("GET", f"/apis/{group_version}")
    assert body["kind"] == "APIResourceList" and body["groupVersion"] == group_version
    assert plurals <= {resource["name"] for resource in body["resources"]}


async def test_group_list_prefers_the_stable_version(api: LocalCluster) -> None:
    groups = {group["name"]: group for group in (await api.request("GET", "/apis"))["groups"]}
    gateway = groups["gateway.networking.k8s.io"]
    assert gateway["preferredVersion"]["version"] == "v1"
    assert {v["version"] for v in gateway["versions"]} == {"v1", "v1alpha2"}
    assert (await api.request("GET", "/apis/gateway.networking.k8s.io"))["kind"] == "APIGroup"


async def test_dnsendpoints_are_namespaced_with_a_status_subresource(api: LocalCluster) -> None:
    body = await api.request("GET", "/apis/externaldns.k8s.io/v1alpha1")
    entry = next(r for r in body["resources"] if r["name"] == "dnsendpoints")
    assert (entry["kind"], entry["namespaced"]) == ("DNSEndpoint", True)
