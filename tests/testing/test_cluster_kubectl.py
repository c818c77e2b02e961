"""kubectl against the local API server through its kubeconfig: get, -l, --field-selector, -w, describe, apply."""

import asyncio
import json
import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from external_dns.testing import LocalCluster

pytestmark = [
    pytest.mark.kubectl,
    pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl is not on PATH"),
]


@pytest.fixture()
def kubectl_env(cluster: LocalCluster, tmp_path: Path) -> dict[str, str]:
    """kubectl's environment: the cluster's kubeconfig and a throwaway HOME (for its caches)."""
    return {**os.environ, "HOME": str(tmp_path), "KUBECONFIG": str(cluster.kubeconfig)}


def kubectl(env: dict[str, str], *args: str, stdin: str | None = None) -> str:
    """Run kubectl; its stdout (a failure raises with stderr in the message)."""
    result = subprocess.run(["kubectl", *args], env=env, input=stdin, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    return result.stdout


def seed(cluster: LocalCluster) -> None:
    """Two Services and an event about one of them."""

    async def create() -> None:
        web = await cluster.create("v1", "services", {"metadata": {"name": "web", "labels": {"app": "web"}}}, "default")
        await cluster.create("v1", "services", {"metadata": {"name": "db", "labels": {"app": "db"}}}, "default")
        event = {
            "metadata": {"generateName": "web-"},
            "reason": "RecordError",
            "type": "Warning",
            "message": "could not create the record",
            "involvedObject": {
                "kind": "Service",
                "namespace": "default",
                "name": "web",
                "apiVersion": "v1",
                "uid": web["metadata"]["uid"],  # kubectl describe selects events by the uid too
            },
        }
        await cluster.create("v1", "events", event, "default")

    asyncio.run(create())


def test_kubectl_get_lists_objects(cluster: LocalCluster, kubectl_env: dict[str, str]) -> None:
    seed(cluster)
    assert kubectl(kubectl_env, "get", "services", "-o", "name").split() == ["service/db", "service/web"]


def test_kubectl_get_filters_by_label(cluster: LocalCluster, kubectl_env: dict[str, str]) -> None:
    seed(cluster)
    assert kubectl(kubectl_env, "get", "svc", "-l", "app=web", "-o", "name").split() == ["service/web"]


def test_kubectl_get_filters_events_by_field(cluster: LocalCluster, kubectl_env: dict[str, str]) -> None:
    seed(cluster)
    out = kubectl(kubectl_env, "get", "events", "--field-selector", "reason=RecordError", "-o", "json")
    assert [item["reason"] for item in json.loads(out)["items"]] == ["RecordError"]
    none = kubectl(kubectl_env, "get", "events", "--field-selector", "reason=Other", "-o", "json")
    assert json.loads(none)["items"] == []


def test_kubectl_describe_shows_the_object_and_its_events(cluster: LocalCluster, kubectl_env: dict[str, str]) -> None:
    seed(cluster)
    out = kubectl(kubectl_env, "describe", "service", "web")
    assert "Name:" in out and "web" in out
    assert "RecordError" in out


def test_kubectl_apply_creates_then_updates(cluster: LocalCluster, kubectl_env: dict[str, str]) -> None:
    manifest = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cfg"}, "data": {"a": "1"}}
    kubectl(kubectl_env, "apply", "--validate=false", "-f", "-", stdin=json.dumps(manifest))
    manifest["data"] = {"a": "2"}
    kubectl(kubectl_env, "apply", "--validate=false", "-f", "-", stdin=json.dumps(manifest))
    out = kubectl(kubectl_env, "get", "configmap", "cfg", "-o", "json")
    assert json.loads(out)["data"] == {"a": "2"}


def test_kubectl_watch_streams_new_objects(cluster: LocalCluster, kubectl_env: dict[str, str]) -> None:
    command = ["kubectl", "get", "services", "--watch-only", "-o", "name", "--request-timeout=30s"]
    watcher = subprocess.Popen(command, env=kubectl_env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        # kubectl starts the watch after its discovery; wait until the watch is registered.
        deadline = time.monotonic() + 30
        while cluster.emulator.store.watch_count == 0:
            assert time.monotonic() < deadline, "kubectl did not start watching"
            time.sleep(0.05)
        asyncio.run(cluster.create("v1", "services", {"metadata": {"name": "late"}}, "default"))
        assert watcher.stdout is not None
        assert watcher.stdout.readline().strip() == "service/late"
    finally:
        watcher.terminate()
        watcher.wait(timeout=10)


def test_kubectl_create_sends_protobuf_and_the_objects_arrive_whole(
    cluster: LocalCluster, kubectl_env: dict[str, str]
) -> None:
    """kubectl's typed `create` commands send built-in kinds as protobuf, not JSON."""
    kubectl(kubectl_env, "create", "namespace", "shop")
    kubectl(kubectl_env, "-n", "shop", "create", "service", "loadbalancer", "web", "--tcp=80:8080")
    kubectl(kubectl_env, "-n", "shop", "create", "deployment", "web", "--image=nginx:1.27", "--replicas=2", "--port=80")
    service = json.loads(kubectl(kubectl_env, "-n", "shop", "get", "service", "web", "-o", "json"))
    assert service["spec"]["type"] == "LoadBalancer"
    assert service["spec"]["ports"] == [{"name": "80-8080", "port": 80, "protocol": "TCP", "targetPort": 8080}]
    assert service["spec"]["selector"] == {"app": "web"}
    deployment = json.loads(kubectl(kubectl_env, "-n", "shop", "get", "deployment", "web", "-o", "json"))
    assert deployment["spec"]["replicas"] == 2
    (container,) = deployment["spec"]["template"]["spec"]["containers"]
    assert (container["image"], container["ports"]) == ("nginx:1.27", [{"containerPort": 80}])
    namespace = json.loads(kubectl(kubectl_env, "get", "namespace", "shop", "-o", "json"))
    assert namespace["status"] == {"phase": "Active"}
    kubectl(kubectl_env, "-n", "shop", "create", "secret", "generic", "token", "--from-literal=api-token=s3cret")
    secret = json.loads(kubectl(kubectl_env, "-n", "shop", "get", "secret", "token", "-o", "json"))
    assert secret["data"] == {"api-token": "czNjcmV0"}  # bytes fields arrive base64, as in JSON


def test_kubectl_get_prints_a_crds_printer_columns(cluster: LocalCluster, kubectl_env: dict[str, str]) -> None:
    endpoint = {"apiVersion": "externaldns.k8s.io/v1alpha1", "kind": "DNSEndpoint",
                "metadata": {"name": "tunnel", "namespace": "default"}, "spec": {"endpoints": []},
                "status": {"conditions": [{"type": "Programmed", "status": "False", "reason": "ProviderError",
                                           "message": "", "lastTransitionTime": "2026-01-01T00:00:00Z"}]}}  # fmt: skip
    asyncio.run(cluster.create("externaldns.k8s.io/v1alpha1", "dnsendpoints", endpoint))
    header, row = kubectl(kubectl_env, "get", "dnsendpoints").splitlines()
    assert header.split() == ["NAME", "PROGRAMMED", "REASON", "AGE"]
    assert row.split()[:3] == ["tunnel", "False", "ProviderError"]


def test_kubectl_get_events_prints_type_reason_object_and_message(
    cluster: LocalCluster, kubectl_env: dict[str, str]
) -> None:
    seed(cluster)
    header, row = kubectl(kubectl_env, "get", "events").splitlines()
    assert header.split() == ["LAST", "SEEN", "TYPE", "REASON", "OBJECT", "MESSAGE"]
    assert row.split()[1:] == ["Warning", "RecordError", "service/web", "could", "not", "create", "the", "record"]


def test_kubectl_get_services_prints_the_external_ip(cluster: LocalCluster, kubectl_env: dict[str, str]) -> None:
    seed(cluster)
    status = {"status": {"loadBalancer": {"ingress": [{"ip": "203.0.113.4"}]}}}
    kubectl(kubectl_env, "patch", "service", "web", "--subresource=status", "--type=merge", "-p", json.dumps(status))
    rows = {line.split()[0]: line.split() for line in kubectl(kubectl_env, "get", "services").splitlines()}
    assert rows["NAME"] == ["NAME", "TYPE", "CLUSTER-IP", "EXTERNAL-IP", "PORT(S)", "AGE"]
    assert rows["web"][1:5] == ["ClusterIP", "<none>", "203.0.113.4", "<none>"]


def test_kubectl_watch_prints_table_rows(cluster: LocalCluster, kubectl_env: dict[str, str]) -> None:
    command = ["kubectl", "get", "services", "--watch-only", "--request-timeout=30s"]
    watcher = subprocess.Popen(command, env=kubectl_env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 30
        while cluster.emulator.store.watch_count == 0:
            assert time.monotonic() < deadline, "kubectl did not start watching"
            time.sleep(0.05)
        asyncio.run(cluster.create("v1", "services", {"metadata": {"name": "late"}}, "default"))
        assert watcher.stdout is not None
        assert watcher.stdout.readline().split()[:2] == ["NAME", "TYPE"]
        assert watcher.stdout.readline().split()[:2] == ["late", "ClusterIP"]
    finally:
        watcher.terminate()
        watcher.communicate(timeout=30)
