"""The operator's HTTP endpoint, scraped as Prometheus and the kubelet would: /metrics, /healthz, /readyz."""

from __future__ import annotations

import asyncio
import urllib.request

from tests.backends.bind import free_port
from tests.harness import OperatorThread, operator_settings, wait_for

from external_dns.testing.cluster import LocalCluster


def get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def sample(text: str, name: str, **labels: str) -> float | None:
    """The value of one sample in the Prometheus text format, or None."""
    wanted = ",".join(f'{k}="{v}"' for k, v in sorted(labels.items()))
    for line in text.splitlines():
        if line.startswith("#"):
            continue
        series, _, value = line.rpartition(" ")
        metric, _, label_text = series.partition("{")
        got = ",".join(sorted(label_text.rstrip("}").split(","))) if label_text else ""
        if metric == name and got == wanted:
            return float(value)
    return None


def test_metrics_health_and_readiness_are_served(cluster: LocalCluster) -> None:
    port = free_port()
    asyncio.run(cluster.create("v1", "services", {
        "apiVersion": "v1", "kind": "Service",
        "metadata": {"name": "web", "namespace": "default",
                     "annotations": {"external-dns.alpha.kubernetes.io/hostname": "web.example.com"}},
        "spec": {"type": "LoadBalancer", "ports": [{"port": 80}]},
        "status": {"loadBalancer": {"ingress": [{"ip": "203.0.113.9"}]}},
    }))  # fmt: skip
    settings = operator_settings(
        cluster.kubeconfig, source=["service"], provider="inmemory", inmemory_zone=["example.com"],
        metrics_address=f"127.0.0.1:{port}",
    )  # fmt: skip
    with OperatorThread(settings) as op:
        op.wait_idle()
        base = f"http://127.0.0.1:{port}"
        assert get(f"{base}/healthz") == (200, "OK")
        assert get(f"{base}/readyz")[0] == 200
        status, text = get(f"{base}/metrics")
        assert status == 200
        assert (sample(text, "external_dns_planned_changes_total", zone="example.com", action="create") or 0) >= 1
        assert (
            sample(text, "external_dns_provider_calls_total", provider="inmemory", operation="apply_changes") or 0
        ) >= 1
        assert sample(text, "external_dns_registry_records", zone="example.com", record_type="TXT") == 1
        assert sample(text, "external_dns_source_records", zone="example.com", record_type="A") == 1
        assert sample(text, "external_dns_zone_queue_depth", zone="example.com") == 0
        assert sample(text, "external_dns_controller_last_sync_timestamp_seconds") is not None
        before = sample(text, "external_dns_provider_calls_total", provider="inmemory", operation="records")

        new_status = {"status": {"loadBalancer": {"ingress": [{"ip": "203.0.113.8"}]}}}
        asyncio.run(cluster.patch("v1", "services", "web", new_status, "default", subresource="status"))
        wait_for(lambda: (sample(get(f"{base}/metrics")[1], "external_dns_planned_changes_total", zone="example.com",
                                 action="update") or 0) >= 1, what="the update counted")  # fmt: skip
        # One change costs a write and no listing.
        after = sample(
            get(f"{base}/metrics")[1], "external_dns_provider_calls_total", provider="inmemory", operation="records"
        )
        assert after == before
        assert (sample(get(f"{base}/metrics")[1], "external_dns_change_to_record_latency_seconds_count") or 0) >= 1
