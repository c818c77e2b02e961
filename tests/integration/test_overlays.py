"""The per-provider installs (manifests/overlays/*): rendered by `kubectl kustomize`, applied with `kubectl apply`
to the local API server, each with exactly the Secret, env and ServiceAccount annotation its provider needs, and
installable beside ExternalDNS's Helm chart (release `external-dns`) without touching the chart's objects.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from external_dns.cli import parse_args
from external_dns.testing import local_cluster_in_thread
from external_dns.testing.cluster import LocalCluster

pytestmark = [
    pytest.mark.kubectl,
    pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl is not on PATH"),
]

ROOT = Path(__file__).resolve().parents[2]
OVERLAYS = ROOT / "manifests" / "overlays"
NAMESPACE = "external-dns"
GOOGLE_SERVICE_ACCOUNT = "external-dns-kopf@my-project.iam.gserviceaccount.com"
#: Per overlay: --provider, the env vars read from a Secret as {name: (secret, key)}, the ServiceAccount's
#: annotations. Nothing else may differ from the base.
EXPECTED: dict[str, tuple[str, dict[str, tuple[str, str]], dict[str, str]]] = {
    "aws": ("aws", {}, {"eks.amazonaws.com/role-arn": "arn:aws:iam::111122223333:role/external-dns-kopf"}),
    "cloudflare": ("cloudflare", {"CF_API_TOKEN": ("external-dns-kopf-cloudflare", "api-token")}, {}),
    "rfc2136": ("rfc2136", {"EXTERNAL_DNS_RFC2136_TSIG_SECRET": ("external-dns-kopf-rfc2136", "tsig-secret")}, {}),
    "pdns": ("pdns", {"EXTERNAL_DNS_PDNS_API_KEY": ("external-dns-kopf-pdns", "api-key")}, {}),
    "webhook": ("webhook", {}, {}),
    "google": ("google", {}, {"iam.gke.io/gcp-service-account": GOOGLE_SERVICE_ACCOUNT}),
    "azure": ("azure", {}, {"azure.workload.identity/client-id": "00000000-0000-0000-0000-000000000000"}),
}

#: What ExternalDNS's Helm chart installs with release name `external-dns` (chart 1.x: names from the
#: fullname template, selector labels name + instance), in the same namespace as ours.
CHART_LABELS = {"app.kubernetes.io/name": "external-dns", "app.kubernetes.io/instance": "external-dns"}
HELM_CHART = [
    {"apiVersion": "v1", "kind": "ServiceAccount",
     "metadata": {"name": "external-dns", "namespace": NAMESPACE, "labels": CHART_LABELS}},
    {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
     "metadata": {"name": "external-dns", "labels": CHART_LABELS},
     "rules": [{"apiGroups": [""], "resources": ["services"], "verbs": ["get", "watch", "list"]}]},
    {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding",
     "metadata": {"name": "external-dns-viewer", "labels": CHART_LABELS},
     "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "external-dns"},
     "subjects": [{"kind": "ServiceAccount", "name": "external-dns", "namespace": NAMESPACE}]},
    {"apiVersion": "apps/v1", "kind": "Deployment",
     "metadata": {"name": "external-dns", "namespace": NAMESPACE, "labels": CHART_LABELS},
     "spec": {"selector": {"matchLabels": CHART_LABELS},
              "template": {"metadata": {"labels": CHART_LABELS},
                           "spec": {"serviceAccountName": "external-dns",
                                    "containers": [{"name": "external-dns",
                                                    "image": "registry.k8s.io/external-dns/external-dns:v0.22.0",
                                                    "args": ["--provider=aws", "--txt-owner-id=default"]}]}}}},
    {"apiVersion": "v1", "kind": "Service",
     "metadata": {"name": "external-dns", "namespace": NAMESPACE, "labels": CHART_LABELS},
     "spec": {"selector": CHART_LABELS, "ports": [{"name": "http", "port": 7979}]}},
]  # fmt: skip


def render(overlay: str) -> list[dict[str, Any]]:
    done = subprocess.run(["kubectl", "kustomize", str(OVERLAYS / overlay)], capture_output=True, text=True,
                          timeout=60, check=False)  # fmt: skip
    assert done.returncode == 0, done.stderr
    return [doc for doc in yaml.safe_load_all(done.stdout) if doc]


def one(documents: list[dict[str, Any]], kind: str) -> dict[str, Any]:
    (found,) = [doc for doc in documents if doc["kind"] == kind]
    return found


@pytest.fixture()
def kubectl_env(cluster: LocalCluster, tmp_path: Path) -> dict[str, str]:
    return {**os.environ, "HOME": str(tmp_path), "KUBECONFIG": str(cluster.kubeconfig)}


@pytest.fixture()
def cluster() -> Iterator[LocalCluster]:
    with local_cluster_in_thread() as running:
        yield running


def kubectl(env: dict[str, str], *args: str, stdin: str | None = None) -> str:
    done = subprocess.run(["kubectl", *args], env=env, input=stdin, capture_output=True, text=True, timeout=60,
                          check=False)  # fmt: skip
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_there_is_one_overlay_per_provider() -> None:
    assert sorted(p.name for p in OVERLAYS.iterdir() if (p / "kustomization.yaml").exists()) == sorted(EXPECTED)


@pytest.mark.parametrize("overlay", sorted(EXPECTED))
def test_each_overlay_adds_exactly_its_providers_flags_secret_and_annotation(overlay: str) -> None:
    provider, secrets, annotations = EXPECTED[overlay]
    documents = render(overlay)
    (container, *sidecars) = one(documents, "Deployment")["spec"]["template"]["spec"]["containers"]
    env = {var["name"]: var for var in container["env"]}
    from_secrets = {
        name: (var["valueFrom"]["secretKeyRef"]["name"], var["valueFrom"]["secretKeyRef"]["key"])
        for name, var in env.items()
        if "secretKeyRef" in var.get("valueFrom", {})
    }
    assert from_secrets == secrets
    assert one(documents, "ServiceAccount")["metadata"].get("annotations", {}) == annotations
    assert [s["name"] for s in sidecars] == (["webhook"] if overlay == "webhook" else [])
    # The flags and env parse with the operator's own CLI (Secrets' values stand in as placeholders).
    values = {name: var.get("value", "c2VjcmV0LWZvci10ZXN0cw==") for name, var in env.items()}
    command, settings, _ = parse_args(container["args"], values)
    assert (command, settings.provider) == ("run", provider)


@pytest.mark.parametrize("overlay", sorted(EXPECTED))
def test_each_overlay_applies_to_an_api_server(
    overlay: str, cluster: LocalCluster, kubectl_env: dict[str, str]
) -> None:
    kubectl(kubectl_env, "apply", "--validate=false", "-k", str(ROOT / "crds"))
    kubectl(kubectl_env, "apply", "--validate=false", "-k", str(OVERLAYS / overlay))
    applied = json.loads(kubectl(kubectl_env, "get", "deployment", "external-dns-kopf", "-n", NAMESPACE, "-o", "json"))
    assert f"--provider={EXPECTED[overlay][0]}" in applied["spec"]["template"]["spec"]["containers"][0]["args"]


def test_the_azure_overlay_mounts_azure_json_from_its_secret_and_uses_workload_identity() -> None:
    documents = render("azure")
    pod = one(documents, "Deployment")["spec"]["template"]
    assert pod["metadata"]["labels"]["azure.workload.identity/use"] == "true"
    container = pod["spec"]["containers"][0]
    (config_flag,) = [arg for arg in container["args"] if arg.startswith("--azure-config-file=")]
    (mount,) = [m for m in container["volumeMounts"] if m["name"] == "azure-config"]
    assert config_flag.split("=", 1)[1] == f"{mount['mountPath']}/azure.json" and mount["readOnly"]
    (volume,) = [v for v in pod["spec"]["volumes"] if v["name"] == "azure-config"]
    assert volume["secret"]["secretName"] == "external-dns-kopf-azure"


def test_an_overlay_installs_beside_externaldns_helm_chart_without_touching_it(
    cluster: LocalCluster, kubectl_env: dict[str, str]
) -> None:
    """Same namespace, chart release `external-dns`: no object of ours replaces one of the chart's, and neither
    Deployment's selector matches the other's pods (selectors are immutable, so a clash could not be fixed)."""
    namespace = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": NAMESPACE}}
    chart = {"apiVersion": "v1", "kind": "List", "items": [namespace, *HELM_CHART]}
    kubectl(kubectl_env, "apply", "--validate=false", "-f", "-", stdin=json.dumps(chart))
    before = chart_objects(kubectl_env)
    kubectl(kubectl_env, "apply", "--validate=false", "-k", str(ROOT / "crds"))
    kubectl(kubectl_env, "apply", "--validate=false", "-k", str(OVERLAYS / "aws"))
    assert chart_objects(kubectl_env) == before
    ours = json.loads(kubectl(kubectl_env, "get", "deployment", "external-dns-kopf", "-n", NAMESPACE, "-o", "json"))
    our_selector = ours["spec"]["selector"]["matchLabels"]
    our_labels = ours["spec"]["template"]["metadata"]["labels"]
    assert not our_selector.items() <= CHART_LABELS.items()
    assert not CHART_LABELS.items() <= our_labels.items()
    for kind in ("service", "poddisruptionbudget"):
        for item in json.loads(kubectl(kubectl_env, "get", kind, "-n", NAMESPACE, "-o", "json"))["items"]:
            selector = item["spec"]["selector"]
            selector = selector.get("matchLabels", selector)
            assert selector.items() <= our_labels.items() or selector.items() <= CHART_LABELS.items(), item
            assert not (selector.items() <= our_labels.items() and selector.items() <= CHART_LABELS.items()), item


def chart_objects(env: dict[str, str]) -> dict[str, str]:
    """The chart's objects by kind/name, with their resourceVersions (any write to one changes it)."""
    result = {}
    for kind in ("serviceaccount", "deployment", "service"):
        for item in json.loads(kubectl(env, "get", kind, "-n", NAMESPACE, "-o", "json"))["items"]:
            if item["metadata"]["name"] == "external-dns":
                result[f"{kind}/external-dns"] = item["metadata"]["resourceVersion"]
    for kind, name in (("clusterrole", "external-dns"), ("clusterrolebinding", "external-dns-viewer")):
        item = json.loads(kubectl(env, "get", kind, name, "-o", "json"))
        result[f"{kind}/{name}"] = item["metadata"]["resourceVersion"]
    assert len(result) == len(HELM_CHART)
    return result


def test_the_readme_switch_steps_add_dry_run_and_the_hand_over_drops_it(
    cluster: LocalCluster, kubectl_env: dict[str, str]
) -> None:
    """README "Migrating from ExternalDNS", steps a and c, with the same kubectl commands."""
    kubectl(kubectl_env, "apply", "--validate=false", "-k", str(ROOT / "crds"))
    kubectl(kubectl_env, "apply", "--validate=false", "-k", str(OVERLAYS / "aws"))
    add_dry_run = [{"op": "add", "path": "/spec/template/spec/containers/0/args/-", "value": "--dry-run"}]
    kubectl(kubectl_env, "-n", NAMESPACE, "patch", "deploy", "external-dns-kopf", "--type=json",
            "-p", json.dumps(add_dry_run))  # fmt: skip
    assert "--dry-run" in our_args(kubectl_env)
    kubectl(kubectl_env, "apply", "--validate=false", "-k", str(OVERLAYS / "aws"))
    args = our_args(kubectl_env)
    assert "--dry-run" not in args and "--provider=aws" in args


def our_args(env: dict[str, str]) -> list[str]:
    deployment = json.loads(kubectl(env, "-n", NAMESPACE, "get", "deploy", "external-dns-kopf", "-o", "json"))
    args: list[str] = deployment["spec"]["template"]["spec"]["containers"][0]["args"]
    return args
