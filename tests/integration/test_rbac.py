"""The ClusterRole in manifests/ against what the real operator asks of the API server.

The operator (Kopf, our handlers, --peering, the service/ingress/crd sources, the inmemory provider) runs against
the local API server behind an RBAC gate: requests made with the operator's token are checked against the
ClusterRole's rules, journaled, and answered 403 when the rules do not allow them, as a real API server would.
The test then creates, updates and deletes objects, and checks that nothing was denied and that every rule was
used, except the grants listed in UNUSED_GRANTS with the reason they are not exercised here.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp.web
import pytest
import yaml
from tests.builders import lb_service
from tests.harness import OperatorThread, operator_settings, wait_for

from external_dns.config import Settings
from external_dns.testing import ApiServerEmulator, local_cluster_in_thread
from external_dns.testing.cluster import LocalCluster, write_kubeconfig
from external_dns.testing.emulator import json_response, parse_api_path

ROOT = Path(__file__).resolve().parents[2]
OPERATOR_NAMESPACE = "external-dns"
OPERATOR_TOKEN = f"system:serviceaccount:{OPERATOR_NAMESPACE}:external-dns-kopf"
DEFAULT_POSITION = Settings.model_fields["watch_position_configmap"].default
ZONE = "example.com"
#: LocalCluster's helpers send no token, and aiohttp's default User-Agent ("Python/3.11 aiohttp/3.x").
TEST_CLIENT_AGENT = "Python/"

GATEWAY_KINDS = ("gateways", "httproutes", "grpcroutes", "tlsroutes", "tcproutes", "udproutes")
WATCHED_KINDS = (
    ("", "services"),
    ("", "pods"),
    ("", "nodes"),
    ("", "namespaces"),
    ("discovery.k8s.io", "endpointslices"),
    ("networking.k8s.io", "ingresses"),
    *(("gateway.networking.k8s.io", kind) for kind in GATEWAY_KINDS),
    ("externaldns.k8s.io", "dnsendpoints"),
)


def _unused_grants() -> dict[tuple[str, str, str], str]:
    """(group, resource, verb) granted but not used by this test's run, and why."""
    reasons: dict[tuple[str, str, str], str] = {}
    for group, resource in WATCHED_KINDS:
        reasons[(group, resource, "get")] = "sources read from watch caches; get matches ExternalDNS's ClusterRole"
    for kind in GATEWAY_KINDS:
        for verb in ("list", "watch"):
            reasons[("gateway.networking.k8s.io", kind, verb)] = "the gateway-* sources are not enabled here"
    for verb in ("list", "watch"):
        reasons[("", "namespaces", verb)] = "read only by the Gateway route sources' namespace selectors"
        reasons[("kopf.dev", "clusterkopfpeerings", verb)] = (
            "Kopf's own peering (kopf run --peering) watches the object; external-dns --peering gets and patches it"
        )
    reasons[("", "events", "list")] = (
        "only a standby taking over with Warnings held lists them (tests/integration/test_warm_standby.py)"
    )
    return reasons


#: Grants not exercised by this run (the test fails if anything else in the ClusterRole goes unused).
UNUSED_GRANTS = _unused_grants()


@dataclass(frozen=True, slots=True)
class Access:
    """One resource request as RBAC sees it: verb, API group, resource (``plural`` or ``plural/subresource``)."""

    verb: str
    group: str
    resource: str


@dataclass(frozen=True, slots=True)
class PolicyRule:
    """One rule of a ClusterRole, or of a Role (``namespace``): resource rules only (the manifests grant no
    nonResourceURLs), kept to ``names`` when the rule has resourceNames."""

    api_groups: frozenset[str]
    resources: frozenset[str]
    verbs: frozenset[str]
    namespace: str | None = None
    names: frozenset[str] = frozenset()

    def allows(self, access: Access, namespace: str | None = None, name: str | None = None) -> bool:
        """Whether the rule allows the access, made in ``namespace`` to the object ``name`` (None: a collection)."""
        if self.namespace is not None and namespace != self.namespace:
            return False
        if self.names and name not in self.names:
            return False
        return access.group in self.api_groups and access.resource in self.resources and access.verb in self.verbs

    def grants(self) -> set[tuple[str, str, str]]:
        """Every (group, resource, verb) this rule allows."""
        return {(g, r, v) for g in self.api_groups for r in self.resources for v in self.verbs}


def load_cluster_role(path: Path = ROOT / "manifests" / "base" / "clusterrole.yaml") -> list[PolicyRule]:
    """The rules of the operator's ClusterRole, or of a Role (kept to its namespace)."""
    role = yaml.safe_load(path.read_text())
    namespace = role["metadata"].get("namespace") if role["kind"] == "Role" else None
    return [
        PolicyRule(
            frozenset(rule["apiGroups"]),
            frozenset(rule["resources"]),
            frozenset(rule["verbs"]),
            namespace,
            frozenset(rule.get("resourceNames") or ()),
        )
        for rule in role["rules"]
    ]


def access_of(method: str, path: str, query: Mapping[str, str]) -> Access | None:
    """The RBAC verb and resource of a request, as the API server's request-info resolver derives them.

    None for non-resource URLs (/api, /apis/<group>/<version> discovery, /version).
    """
    parsed = parse_api_path(path)
    if parsed is None or parsed.plural is None:
        return None
    named = parsed.name is not None
    if method == "GET":
        verb = "watch" if query.get("watch") in ("true", "1") else ("get" if named else "list")
    else:
        verb = {"POST": "create", "PUT": "update", "PATCH": "patch"}.get(method) or (
            "delete" if named else "deletecollection"
        )
    resource = f"{parsed.plural}/{parsed.subresource}" if parsed.subresource else parsed.plural
    return Access(verb, parsed.group, resource)


def namespace_and_name(path: str) -> tuple[str | None, str | None]:
    parsed = parse_api_path(path)
    return (parsed.namespace, parsed.name) if parsed is not None else (None, None)


@dataclass
class RbacGate:
    """An aiohttp handler in front of the emulator: authorises and journals the operator's requests."""

    emulator: ApiServerEmulator
    rules: list[PolicyRule]
    token: str
    granted: list[Access] = field(default_factory=list)
    denied: list[tuple[Access | None, str]] = field(default_factory=list)
    discovery: set[str] = field(default_factory=set)
    anonymous: list[str] = field(default_factory=list)

    async def __call__(self, request: aiohttp.web.BaseRequest) -> aiohttp.web.StreamResponse:
        authorization = request.headers.get("Authorization", "")
        if not authorization and request.headers.get("User-Agent", "").startswith(TEST_CLIENT_AGENT):
            return await self.emulator(request)  # the test's own requests (fixtures, assertions)
        access = access_of(request.method, request.path, request.query)
        if authorization != f"Bearer {self.token}":
            # A real API server maps a missing token to system:anonymous, which RBAC denies.
            self.anonymous.append(f"{request.headers.get('User-Agent')}: {request.method} {request.path_qs}")
            return self._deny(access, f"{request.method} {request.path}", user="system:anonymous")
        if access is None:
            if request.method != "GET":
                return self._deny(None, f"{request.method} {request.path}")
            self.discovery.add(request.path)  # allowed to every authenticated user (system:discovery)
        elif any(rule.allows(access, *namespace_and_name(request.path)) for rule in self.rules):
            self.granted.append(access)
        else:
            return self._deny(access, f"{request.method} {request.path}")
        return await self.emulator(request)

    def check_nothing_denied(self) -> None:
        """Fail with the denied requests, those without the operator's token first."""
        assert not self.anonymous, f"requests without the operator's token: {sorted(set(self.anonymous))[:5]}"
        assert not self.denied, f"requests the ClusterRole does not allow: {self.denied[:10]}"

    def _deny(self, access: Access | None, what: str, user: str = OPERATOR_TOKEN) -> aiohttp.web.Response:
        self.denied.append((access, what))
        status = {"kind": "Status", "apiVersion": "v1", "status": "Failure", "reason": "Forbidden", "code": 403}
        return json_response({**status, "message": f"{user} cannot {what}"}, 403)


def operator_kubeconfig(path: Path, url: str) -> Path:
    """A kubeconfig like the test's, but with the operator's own token (what RBAC keys on)."""
    config = json.loads(write_kubeconfig(path, url).read_text())
    config["users"][0]["user"]["token"] = OPERATOR_TOKEN
    path.write_text(json.dumps(config))
    return path


def yaml_documents(*paths: Path) -> list[dict[str, Any]]:
    return [doc for path in paths for doc in yaml.safe_load_all(path.read_text()) if doc]


def run(coro: Any) -> Any:
    return asyncio.run(coro)


def ingress() -> dict[str, Any]:
    return {
        "metadata": {"name": "shop", "namespace": "default"},
        "spec": {"rules": [{"host": f"shop.{ZONE}"}]},
        "status": {"loadBalancer": {"ingress": [{"ip": "203.0.113.20"}]}},
    }


def dns_endpoint(target: str) -> dict[str, Any]:
    return {
        "apiVersion": "externaldns.k8s.io/v1alpha1",
        "kind": "DNSEndpoint",
        "metadata": {"name": "api", "namespace": "default"},
        "spec": {"endpoints": [{"dnsName": f"api.{ZONE}", "recordType": "A", "targets": [target]}]},
    }


def event_counts(cluster: LocalCluster, reason: str, name: str) -> list[int]:
    selector = f"reason={reason},involvedObject.name={name}"
    return [event.get("count", 1) for event in run(cluster.list("v1", "events", field_selector=selector))]


def programmed(cluster: LocalCluster, name: str) -> str | None:
    """The status of a DNSEndpoint's Programmed condition (written through dnsendpoints/status)."""
    obj = run(cluster.get("externaldns.k8s.io/v1alpha1", "dnsendpoints", name, "default"))
    conditions = (obj.get("status") or {}).get("conditions") or []
    return next((c["status"] for c in conditions if c["type"] == "Programmed"), None)


@pytest.fixture
def gate() -> RbacGate:
    rules = load_cluster_role() + load_cluster_role(ROOT / "manifests" / "base" / "role.yaml")
    return RbacGate(ApiServerEmulator(), rules, OPERATOR_TOKEN)


@pytest.fixture
def cluster(gate: RbacGate, tmp_path: Path) -> Iterator[LocalCluster]:
    """The gated cluster with the CRDs and the peering object of crds/ and manifests/ applied."""
    with local_cluster_in_thread(emulator=gate.emulator, handler=gate, kubeconfig=tmp_path / "kubeconfig") as running:
        crds = yaml_documents(*sorted((ROOT / "crds").glob("*.k8s.io.yaml")), ROOT / "crds" / "kopf-peering.yaml")
        for crd in crds:
            run(running.create("apiextensions.k8s.io/v1", "customresourcedefinitions", crd))
        peering = yaml_documents(ROOT / "manifests/base/peering.yaml")[0]
        run(running.create("kopf.dev/v1", "clusterkopfpeerings", peering))
        run(running.create_namespace(OPERATOR_NAMESPACE))
        yield running


def test_operator_needs_exactly_the_cluster_role(gate: RbacGate, cluster: LocalCluster, tmp_path: Path) -> None:
    run(cluster.create("v1", "services", lb_service("web", f"web.{ZONE}", "203.0.113.10")))
    run(cluster.create("networking.k8s.io/v1", "ingresses", ingress()))
    run(cluster.create("externaldns.k8s.io/v1alpha1", "dnsendpoints", dns_endpoint("203.0.113.30")))
    settings = operator_settings(
        operator_kubeconfig(tmp_path / "operator-kubeconfig", cluster.url),
        source=["service", "ingress", "crd"],
        provider="inmemory",
        inmemory_zone=[ZONE],
        peering="external-dns",
        watch_position_configmap=f"{OPERATOR_NAMESPACE}/{DEFAULT_POSITION}",  # read at the start, written at the end
    )

    def until(condition: Callable[[], object], what: str) -> None:
        """Wait for the condition, failing at once (not after a timeout) when a request was denied."""
        wait_for(lambda: gate.denied or condition(), what=what)
        gate.check_nothing_denied()

    with OperatorThread(settings) as op:
        wanted = {(f"web.{ZONE}", "A"), (f"shop.{ZONE}", "A"), (f"api.{ZONE}", "A")}
        until(lambda: wanted <= op.provider_records().keys(), "records of all three sources")

        # Watches carry updates and deletes.
        status = {"status": {"loadBalancer": {"ingress": [{"ip": "203.0.113.11"}]}}}
        run(cluster.patch("v1", "services", "web", status, "default", subresource="status"))
        until(lambda: op.provider_records().get((f"web.{ZONE}", "A")) == ("203.0.113.11",), "the updated record")
        run(cluster.delete("networking.k8s.io/v1", "ingresses", "shop", "default"))
        until(lambda: (f"shop.{ZONE}", "A") not in op.provider_records(), "the deleted ingress's record to go")

        # The same RecordError twice on one object is one Event whose count is patched, not a second Event.
        def set_target(target: str) -> None:
            patch = {"spec": dns_endpoint(target)["spec"]}
            run(cluster.patch("externaldns.k8s.io/v1alpha1", "dnsendpoints", "api", patch, "default"))

        set_target("not-an-address")
        until(lambda: event_counts(cluster, "RecordError", "api") == [1], "a RecordError event")
        set_target("203.0.113.31")
        until(lambda: op.provider_records().get((f"api.{ZONE}", "A")) == ("203.0.113.31",), "the fixed record")
        until(lambda: programmed(cluster, "api") == "True", "the DNSEndpoint's Programmed condition")
        set_target("not-an-address")
        until(lambda: event_counts(cluster, "RecordError", "api") == [2], "the event's count patched to 2")
        until(lambda: event_counts(cluster, "RecordReady", "web"), "a RecordReady event on the service")

    gate.check_nothing_denied()
    assert all(path in ("/api", "/apis", "/version") or path.count("/") <= 3 for path in gate.discovery)

    used = {(access.group, access.resource, access.verb) for access in gate.granted}
    granted = set().union(*(rule.grants() for rule in gate.rules))
    unexplained = sorted(granted - used - UNUSED_GRANTS.keys())
    assert not unexplained, f"granted but never used (drop them, or list them in UNUSED_GRANTS): {unexplained}"
    stale = sorted(used & UNUSED_GRANTS.keys())
    assert not stale, f"used now, so remove them from UNUSED_GRANTS: {stale}"


@pytest.mark.parametrize(
    ("method", "path", "query", "expected"),
    [
        ("GET", "/api/v1/services", {}, Access("list", "", "services")),
        ("GET", "/api/v1/namespaces/default/services", {"watch": "true"}, Access("watch", "", "services")),
        ("GET", "/api/v1/nodes/n1", {}, Access("get", "", "nodes")),
        ("POST", "/api/v1/namespaces/default/events", {}, Access("create", "", "events")),
        ("PATCH", "/api/v1/namespaces/default/events/e1", {}, Access("patch", "", "events")),
        (
            "PUT",
            "/apis/externaldns.k8s.io/v1alpha1/namespaces/default/dnsendpoints/api/status",
            {},
            Access("update", "externaldns.k8s.io", "dnsendpoints/status"),
        ),
        ("DELETE", "/api/v1/namespaces/default/pods", {}, Access("deletecollection", "", "pods")),
        ("GET", "/apis/kopf.dev/v1", {}, None),
    ],
    ids=[
        "a GET of a collection is a list",
        "a GET with watch=true is a watch",
        "a GET of one object is a get",
        "a POST is a create",
        "a PATCH is a patch",
        "a PUT of a status subresource is an update of resource/status",
        "a DELETE of a collection is a deletecollection",
        "discovery of a group version is not a resource request",
    ],
)
def test_requests_map_to_rbac_verbs_like_the_api_server(
    method: str, path: str, query: dict[str, str], expected: Access | None
) -> None:
    assert access_of(method, path, query) == expected


def test_cluster_role_denies_what_it_does_not_list() -> None:
    rules = load_cluster_role()
    assert not any(rule.allows(Access("get", "", "secrets")) for rule in rules)
    assert not any(rule.allows(Access("update", "externaldns.k8s.io", "dnsendpoints")) for rule in rules)
    assert not any(rule.allows(Access("update", "externaldns.k8s.io", "dnsendpoints/status")) for rule in rules)
    assert any(rule.allows(Access("patch", "externaldns.k8s.io", "dnsendpoints/status")) for rule in rules)


def test_the_role_allows_its_configmap_alone_and_only_in_the_operators_namespace() -> None:
    rules = load_cluster_role(ROOT / "manifests" / "base" / "role.yaml")
    get, create = Access("get", "", "configmaps"), Access("create", "", "configmaps")
    assert any(rule.allows(get, OPERATOR_NAMESPACE, DEFAULT_POSITION) for rule in rules)
    assert not any(rule.allows(get, OPERATOR_NAMESPACE, "another") for rule in rules)
    assert not any(rule.allows(get, "default", DEFAULT_POSITION) for rule in rules)
    assert any(rule.allows(create, OPERATOR_NAMESPACE) for rule in rules)
    assert not any(rule.allows(create, "kube-system") for rule in rules)
