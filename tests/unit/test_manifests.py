"""The deployment artefacts in crds/ and manifests/base: they parse, the DNSEndpoint CRD matches ExternalDNS's, the
kustomization lists everything, the Deployment is hardened and its flags are accepted by the real CLI, and the
ClusterRole is exactly the least-privilege rule set (tests/integration/test_rbac.py checks it against a run).
The per-provider overlays are tested in tests/integration/test_overlays.py.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from external_dns.cli import parse_args
from external_dns.config import Settings

ROOT = Path(__file__).resolve().parents[2]
CRDS = ROOT / "crds"
MANIFESTS = ROOT / "manifests" / "base"
DEFAULT_POSITION = Settings.model_fields["watch_position_configmap"].default
EXAMPLES = ROOT / "manifests" / "examples"
NAMESPACE = "external-dns"
#: Not ExternalDNS's chart's (app.kubernetes.io/name: external-dns), so the two never select each other's pods.
POD_LABELS = {"app.kubernetes.io/name": "external-dns-kopf"}


def documents(path: Path) -> list[dict[str, Any]]:
    return [doc for doc in yaml.safe_load_all(path.read_text()) if doc is not None]


def yaml_files() -> list[Path]:
    return sorted([*CRDS.rglob("*.yaml"), *MANIFESTS.rglob("*.yaml"), *EXAMPLES.rglob("*.yaml")])


def objects() -> Iterator[dict[str, Any]]:
    for path in yaml_files():
        if path.name != "kustomization.yaml":
            yield from documents(path)


def find(kind: str, name: str | None = None) -> dict[str, Any]:
    matches = [obj for obj in objects() if obj["kind"] == kind and name in (None, obj["metadata"]["name"])]
    assert len(matches) == 1, f"expected one {kind} {name or ''}, found {len(matches)}"
    return matches[0]


def dnsendpoint_crd() -> dict[str, Any]:
    return find("CustomResourceDefinition", "dnsendpoints.externaldns.k8s.io")


def dnsendpoint_version() -> dict[str, Any]:
    (version,) = dnsendpoint_crd()["spec"]["versions"]
    result: dict[str, Any] = version
    return result


def schema_at(*path: str) -> dict[str, Any]:
    """The OpenAPI schema node at ``spec``/``endpoints``/... (array items are stepped into with "[]")."""
    node: dict[str, Any] = dnsendpoint_version()["schema"]["openAPIV3Schema"]
    for part in path:
        node = node["items"] if part == "[]" else node["properties"][part]
    return node


def container() -> dict[str, Any]:
    (only,) = find("Deployment", "external-dns-kopf")["spec"]["template"]["spec"]["containers"]
    result: dict[str, Any] = only
    return result


# --- every file ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", yaml_files(), ids=lambda p: f"{p.relative_to(ROOT)} parses as Kubernetes objects")
def test_every_yaml_file_parses_into_named_objects(path: Path) -> None:
    docs = documents(path)
    assert docs
    for doc in docs:
        assert doc.get("apiVersion") and doc.get("kind")
        if doc["kind"] != "Kustomization":
            assert doc["metadata"]["name"]


def test_namespaced_objects_live_in_the_operators_namespace() -> None:
    cluster_scoped = {
        "Namespace",
        "ClusterRole",
        "ClusterRoleBinding",
        "CustomResourceDefinition",
        "ClusterKopfPeering",
    }
    for obj in objects():
        expected = None if obj["kind"] in cluster_scoped else NAMESPACE
        assert obj["metadata"].get("namespace") == expected, f"{obj['kind']} {obj['metadata']['name']}"


# --- the DNSEndpoint CRD ---------------------------------------------------------------------------------------


def test_dnsendpoint_crd_names_scope_and_version_match_externaldns() -> None:
    crd = dnsendpoint_crd()
    spec = crd["spec"]
    assert crd["apiVersion"] == "apiextensions.k8s.io/v1"
    annotation = "https://github.com/kubernetes-sigs/external-dns/pull/2007"
    assert crd["metadata"]["annotations"]["api-approved.kubernetes.io"] == annotation
    assert spec["group"] == "externaldns.k8s.io"
    assert spec["scope"] == "Namespaced"
    assert spec["names"] == {
        "kind": "DNSEndpoint",
        "listKind": "DNSEndpointList",
        "plural": "dnsendpoints",
        "singular": "dnsendpoint",
    }
    version = dnsendpoint_version()
    assert (version["name"], version["served"], version["storage"]) == ("v1alpha1", True, True)
    assert version["subresources"] == {"status": {}}


@pytest.mark.parametrize(
    ("field", "expected"),
    [
        ("dnsName", {"type": "string"}),
        ("targets", {"type": "array", "items": {"type": "string"}}),
        ("recordType", {"type": "string"}),
        ("setIdentifier", {"type": "string"}),
        ("recordTTL", {"type": "integer", "format": "int64"}),
        ("labels", {"type": "object", "additionalProperties": {"type": "string"}}),
        (
            "providerSpecific",
            {
                "type": "array",
                "items": {"type": "object", "properties": {"name": {"type": "string"}, "value": {"type": "string"}}},
            },
        ),
    ],
    ids=lambda value: f"spec.endpoints[].{value} is typed as in ExternalDNS" if isinstance(value, str) else "schema",
)
def test_dnsendpoint_spec_endpoint_fields_match_externaldns(field: str, expected: dict[str, Any]) -> None:
    node = schema_at("spec", "endpoints", "[]", field)
    assert _without_descriptions(node) == expected


def test_dnsendpoint_spec_has_exactly_externaldns_fields_and_no_validation() -> None:
    item = schema_at("spec", "endpoints", "[]")
    fields = {"dnsName", "targets", "recordType", "setIdentifier", "recordTTL", "labels", "providerSpecific"}
    assert set(item["properties"]) == fields
    assert "required" not in item and "required" not in schema_at("spec")
    assert schema_at("spec", "endpoints")["type"] == "array"


def test_dnsendpoint_status_has_observed_generation_conditions_and_endpoints() -> None:
    status = schema_at("status")
    assert set(status["properties"]) == {"observedGeneration", "conditions", "endpoints"}
    assert _without_descriptions(schema_at("status", "observedGeneration")) == {"type": "integer", "format": "int64"}
    condition = schema_at("status", "conditions", "[]")
    assert set(condition["properties"]) == {
        "type",
        "status",
        "reason",
        "message",
        "lastTransitionTime",
        "observedGeneration",
    }
    assert set(condition["required"]) == {"type", "status", "reason", "message", "lastTransitionTime"}
    assert condition["properties"]["status"]["enum"] == ["True", "False", "Unknown"]
    assert condition["properties"]["lastTransitionTime"]["format"] == "date-time"
    assert schema_at("status", "conditions")["x-kubernetes-list-map-keys"] == ["type"]
    endpoint = schema_at("status", "endpoints", "[]")
    assert {name: node["type"] for name, node in endpoint["properties"].items()} == {
        "dnsName": "string",
        "recordType": "string",
        "programmed": "boolean",
        "message": "string",
    }


def test_kubectl_get_dnsendpoints_shows_programmed_reason_and_age() -> None:
    columns = {col["name"]: (col["type"], col["jsonPath"]) for col in dnsendpoint_version()["additionalPrinterColumns"]}
    assert columns == {
        "Programmed": ("string", '.status.conditions[?(@.type=="Programmed")].status'),
        "Reason": ("string", '.status.conditions[?(@.type=="Programmed")].reason'),
        "Age": ("date", ".metadata.creationTimestamp"),
    }


def test_the_status_the_operator_writes_is_valid_under_the_crd_schema() -> None:
    jsonschema = pytest.importorskip("jsonschema")
    from external_dns.dnsendpoint_status import EndpointState, build_status
    from external_dns.endpoint import Endpoint

    states = [
        EndpointState(Endpoint("api.example.com", "A", ("192.0.2.1",)), programmed=True),
        EndpointState(Endpoint("www.example.com", "CNAME", ("api.example.com",)), False, "zone not managed"),
    ]
    status = build_status(3, states, ())
    for condition in status["conditions"]:
        condition.setdefault("lastTransitionTime", "2026-11-22T00:00:00Z")
    jsonschema.validate(status, _as_json_schema(schema_at("status")))
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({"conditions": [{"type": "Programmed"}]}, _as_json_schema(schema_at("status")))


# --- Kopf's peering CRDs ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "kind", "scope"),
    [
        ("clusterkopfpeerings.kopf.dev", "ClusterKopfPeering", "Cluster"),
        ("kopfpeerings.kopf.dev", "KopfPeering", "Namespaced"),
    ],
    ids=["the cluster-wide peering CRD is Kopf's", "the namespaced peering CRD is Kopf's"],
)
def test_peering_crds_are_what_kopf_looks_for(name: str, kind: str, scope: str) -> None:
    from kopf._cogs.structs import references

    crd = find("CustomResourceDefinition", name)
    spec = crd["spec"]
    (version,) = spec["versions"]
    selector = references.CLUSTER_PEERINGS_K if scope == "Cluster" else references.NAMESPACED_PEERINGS_K
    assert (spec["group"], version["name"], spec["names"]["plural"]) == (
        selector.group,
        selector.version,
        selector.any_name,
    )
    assert (spec["names"]["kind"], spec["scope"]) == (kind, scope)
    status = version["schema"]["openAPIV3Schema"]["properties"]["status"]
    assert status["x-kubernetes-preserve-unknown-fields"] is True
    # Kopf writes its heartbeats with a plain PATCH of the object: a status subresource would drop them.
    assert "subresources" not in version


def test_the_peering_object_is_named_by_the_deployments_peering_flag() -> None:
    peering = find("ClusterKopfPeering")
    assert peering["apiVersion"] == "kopf.dev/v1"
    assert f"--peering={peering['metadata']['name']}" in container()["args"]


# --- kustomizations --------------------------------------------------------------------------------------------


def test_crds_kustomization_lists_every_crd_file() -> None:
    (kustomization,) = documents(CRDS / "kustomization.yaml")
    files = {p.name for p in CRDS.glob("*.yaml") if p.name != "kustomization.yaml"}
    assert sorted(kustomization["resources"]) == sorted(files)


def test_manifests_kustomization_lists_every_manifest_and_the_crds_but_not_the_examples() -> None:
    (kustomization,) = documents(MANIFESTS / "kustomization.yaml")
    files = {p.name for p in MANIFESTS.glob("*.yaml") if p.name != "kustomization.yaml"}
    assert sorted(kustomization["resources"]) == sorted({"../../crds", *files})
    assert not any("examples" in entry for entry in kustomization["resources"])
    assert {p.name for p in EXAMPLES.glob("*.yaml")} == {"secret.yaml", "servicemonitor.yaml"}


@pytest.mark.kubectl
def test_kubectl_kustomize_renders_everything_without_the_prometheus_operator() -> None:
    kubectl = shutil.which("kubectl")
    if kubectl is None:
        pytest.skip("kubectl is not on PATH")
    rendered = subprocess.run(
        [kubectl, "kustomize", str(MANIFESTS)], capture_output=True, text=True, check=True, timeout=60
    ).stdout
    kinds = sorted(doc["kind"] for doc in yaml.safe_load_all(rendered) if doc)
    assert kinds == sorted(
        [
            "Namespace",
            "ServiceAccount",
            "ClusterRole",
            "ClusterRoleBinding",
            "Role",
            "RoleBinding",
            "Deployment",
            "PodDisruptionBudget",
            "Service",
            "ClusterKopfPeering",
            "CustomResourceDefinition",
            "CustomResourceDefinition",
            "CustomResourceDefinition",
        ]
    )
    assert "image: external-dns-kopf:0.1.0" in rendered


# --- the Deployment --------------------------------------------------------------------------------------------


def test_deployment_runs_two_replicas_as_the_service_account() -> None:
    deployment = find("Deployment", "external-dns-kopf")
    pod = deployment["spec"]["template"]
    assert deployment["spec"]["replicas"] == 2
    assert deployment["spec"]["selector"]["matchLabels"] == POD_LABELS
    assert pod["metadata"]["labels"] == POD_LABELS
    assert pod["spec"]["serviceAccountName"] == find("ServiceAccount")["metadata"]["name"]


def test_deployment_flags_are_accepted_by_the_operators_cli_and_name_no_provider() -> None:
    """The base is provider-neutral: an overlay adds the provider (the CLI's default, inmemory, stands in here)."""
    command, settings, _ = parse_args([*container()["args"], "--provider=inmemory"], {})
    assert command == "run"
    assert settings.peering == "external-dns"
    assert set(settings.source) == {"service", "ingress", "crd"}
    assert settings.metrics_address.endswith(":7979")
    assert not any(arg.startswith("--provider") or "-tsig-" in arg for arg in container()["args"])


def test_the_peer_id_comes_from_the_pod_name_and_no_secret_is_required() -> None:
    env = {var["name"]: var for var in container()["env"]}
    assert set(env) == {"POD_ID", "POD_NAMESPACE"}
    assert env["POD_ID"]["valueFrom"]["fieldRef"]["fieldPath"] == "metadata.name"
    assert env["POD_NAMESPACE"]["valueFrom"]["fieldRef"]["fieldPath"] == "metadata.namespace"  # watchpoint.py
    assert container()["envFrom"] == [{"secretRef": {"name": "external-dns-env", "optional": True}}]


@pytest.mark.parametrize(
    ("probe", "path"),
    [("livenessProbe", "/healthz"), ("readinessProbe", "/readyz")],
    ids=["liveness is GET /healthz on the http port", "readiness is GET /readyz on the http port"],
)
def test_probes_hit_the_status_server(probe: str, path: str) -> None:
    assert container()[probe]["httpGet"] == {"path": path, "port": "http"}
    assert container()["ports"] == [{"name": "http", "containerPort": 7979, "protocol": "TCP"}]


def test_container_has_requests_and_limits_for_cpu_and_memory() -> None:
    resources = container()["resources"]
    for bound in ("requests", "limits"):
        assert set(resources[bound]) == {"cpu", "memory"}


def test_pod_and_container_meet_the_restricted_pod_security_standard() -> None:
    pod = find("Deployment", "external-dns-kopf")["spec"]["template"]["spec"]
    security = container()["securityContext"]
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["runAsUser"] == 65532
    assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
    assert security["runAsNonRoot"] is True
    assert security["runAsUser"] == 65532
    assert security["readOnlyRootFilesystem"] is True
    assert security["allowPrivilegeEscalation"] is False
    assert security["capabilities"] == {"drop": ["ALL"]}
    assert security["seccompProfile"] == {"type": "RuntimeDefault"}
    assert find("Namespace")["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "restricted"


def test_replicas_spread_over_nodes_and_a_disruption_budget_keeps_one() -> None:
    pod = find("Deployment", "external-dns-kopf")["spec"]["template"]["spec"]
    spread = {c["topologyKey"]: c for c in pod["topologySpreadConstraints"]}
    assert spread["kubernetes.io/hostname"]["labelSelector"]["matchLabels"] == POD_LABELS
    (anti,) = pod["affinity"]["podAntiAffinity"]["preferredDuringSchedulingIgnoredDuringExecution"]
    assert anti["podAffinityTerm"]["topologyKey"] == "kubernetes.io/hostname"
    budget = find("PodDisruptionBudget")
    assert budget["spec"] == {"minAvailable": 1, "selector": {"matchLabels": POD_LABELS}}


def test_metrics_service_and_service_monitor_point_at_the_http_port() -> None:
    service = find("Service", "external-dns-kopf-metrics")
    assert service["spec"]["selector"] == POD_LABELS
    assert service["spec"]["ports"] == [{"name": "http", "port": 7979, "targetPort": "http", "protocol": "TCP"}]
    (monitor,) = documents(EXAMPLES / "servicemonitor.yaml")
    assert monitor["apiVersion"] == "monitoring.coreos.com/v1"
    assert monitor["spec"]["selector"]["matchLabels"] == service["metadata"]["labels"]
    assert monitor["spec"]["endpoints"][0]["port"] == "http"


# --- RBAC ------------------------------------------------------------------------------------------------------

EXPECTED_RULES = [
    ({""}, {"services", "pods", "nodes", "namespaces"}, {"get", "list", "watch"}),
    ({"discovery.k8s.io"}, {"endpointslices"}, {"get", "list", "watch"}),
    ({"networking.k8s.io"}, {"ingresses"}, {"get", "list", "watch"}),
    (
        {"gateway.networking.k8s.io"},
        {"gateways", "httproutes", "grpcroutes", "tlsroutes", "tcproutes", "udproutes"},
        {"get", "list", "watch"},
    ),
    ({"externaldns.k8s.io"}, {"dnsendpoints"}, {"get", "list", "watch"}),
    ({"externaldns.k8s.io"}, {"dnsendpoints/status"}, {"patch"}),
    ({""}, {"events"}, {"create", "patch", "list"}),
    ({"apiextensions.k8s.io"}, {"customresourcedefinitions"}, {"list", "watch"}),
    ({"kopf.dev"}, {"clusterkopfpeerings"}, {"get", "list", "watch", "patch"}),
]


def cluster_role_rules() -> list[dict[str, Any]]:
    rules: list[dict[str, Any]] = find("ClusterRole", "external-dns-kopf")["rules"]
    return rules


def test_cluster_role_is_exactly_the_least_privilege_rules() -> None:
    actual = [(set(r["apiGroups"]), set(r["resources"]), set(r["verbs"])) for r in cluster_role_rules()]
    assert actual == EXPECTED_RULES
    assert all(set(rule) == {"apiGroups", "resources", "verbs"} for rule in cluster_role_rules())


def test_cluster_role_has_no_wildcards_and_no_secrets() -> None:
    for rule in cluster_role_rules():
        for key in ("apiGroups", "resources", "verbs"):
            assert not any("*" in value for value in rule[key]), rule
        assert not {"secrets", "configmaps"} & set(rule["resources"])
        assert not {"escalate", "bind", "impersonate", "delete", "deletecollection"} & set(rule["verbs"])


def test_cluster_role_binding_grants_the_role_to_the_service_account() -> None:
    binding = find("ClusterRoleBinding", "external-dns-kopf")
    account = find("ServiceAccount")
    assert binding["roleRef"] == {
        "apiGroup": "rbac.authorization.k8s.io",
        "kind": "ClusterRole",
        "name": "external-dns-kopf",
    }
    assert binding["subjects"] == [
        {"kind": "ServiceAccount", "name": account["metadata"]["name"], "namespace": account["metadata"]["namespace"]}
    ]


def test_the_role_grants_only_the_watch_position_configmap_in_the_operators_namespace() -> None:
    role, binding, account = find("Role", "external-dns-kopf"), find("RoleBinding"), find("ServiceAccount")
    namespace = account["metadata"]["namespace"]
    assert role["metadata"]["namespace"] == binding["metadata"]["namespace"] == namespace
    named = {"apiGroups": [""], "resources": ["configmaps"], "resourceNames": [DEFAULT_POSITION]}
    assert role["rules"] == [
        {**named, "verbs": ["get", "patch"]},
        {**without(named, "resourceNames"), "verbs": ["create"]},
    ]
    assert binding["roleRef"] == {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "external-dns-kopf"}
    assert binding["subjects"] == [
        {"kind": "ServiceAccount", "name": account["metadata"]["name"], "namespace": namespace}
    ]


def without(mapping: dict[str, Any], key: str) -> dict[str, Any]:
    return {k: v for k, v in mapping.items() if k != key}


# --- helpers ---------------------------------------------------------------------------------------------------


def _without_descriptions(node: Any) -> Any:
    if isinstance(node, dict):
        return {key: _without_descriptions(value) for key, value in node.items() if key != "description"}
    if isinstance(node, list):
        return [_without_descriptions(value) for value in node]
    return node


def _as_json_schema(node: Any) -> Any:
    """An OpenAPI v3 structural schema as JSON Schema: drop the Kubernetes extensions and int32/int64 formats."""
    if isinstance(node, dict):
        return {key: _as_json_schema(value) for key, value in node.items() if not key.startswith("x-kubernetes-")}
    if isinstance(node, list):
        return [_as_json_schema(value) for value in node]
    return node


def test_the_local_api_servers_dnsendpoint_printer_columns_are_the_crds() -> None:
    """The local cluster serves DNSEndpoints before any CRD is applied; `kubectl get` must show the same columns."""
    from external_dns.testing.emulator import bundled_printer_columns

    bundled = bundled_printer_columns()[("externaldns.k8s.io", "v1alpha1", "dnsendpoints")]
    assert bundled == dnsendpoint_version()["additionalPrinterColumns"]
