"""``external-dns --once`` (and ``--dry-run``): one pass over everything, the exit code says how it went."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pytest
from tests.backends.bind import BindServer

from external_dns.testing import local_cluster_in_thread
from external_dns.testing.cluster import LocalCluster

ZONE = "example.com"


@pytest.fixture
def cluster() -> Iterator[LocalCluster]:
    with local_cluster_in_thread() as running:
        asyncio.run(running.create("v1", "services", {
            "apiVersion": "v1", "kind": "Service",
            "metadata": {"name": "web", "namespace": "default",
                         "annotations": {"external-dns.alpha.kubernetes.io/hostname": "web.example.com"}},
            "spec": {"type": "LoadBalancer", "ports": [{"port": 80}]},
            "status": {"loadBalancer": {"ingress": [{"ip": "203.0.113.4"}]}},
        }))  # fmt: skip
        yield running


def external_dns(cluster: LocalCluster, bind: BindServer, *flags: str) -> subprocess.CompletedProcess[str]:
    info = bind.info
    args = [
        sys.executable, "-m", "external_dns", "--once", "--source=service", "--provider=rfc2136",
        f"--kubeconfig={cluster.kubeconfig}", f"--rfc2136-host={info.host}", f"--rfc2136-port={info.port}",
        f"--rfc2136-zone={ZONE}", f"--rfc2136-tsig-keyname={info.key_name}", *flags,
    ]  # fmt: skip
    env: dict[str, Any] = {**os.environ, "EXTERNAL_DNS_RFC2136_TSIG_SECRET": info.key_secret}
    return subprocess.run(args, capture_output=True, text=True, env=env, timeout=60, check=False)


def test_dry_run_prints_the_plan_and_writes_nothing(cluster: LocalCluster, bind: BindServer) -> None:
    done = external_dns(cluster, bind, "--dry-run")
    assert done.returncode == 0, done.stderr
    assert "DRY-RUN CREATE A web.example.com -> 203.0.113.4" in done.stdout
    assert ("web.example.com", "A") not in bind.axfr_records_sync(ZONE)
    assert not asyncio.run(cluster.list("v1", "events"))  # a dry run posts no events either


def test_once_applies_everything_then_a_second_pass_has_nothing_to_do(cluster: LocalCluster, bind: BindServer) -> None:
    first = external_dns(cluster, bind)
    assert first.returncode == 0, first.stderr
    assert "CREATE A web.example.com -> 203.0.113.4" in first.stdout
    assert bind.axfr_records_sync(ZONE)[("web.example.com", "A")] == {"203.0.113.4"}
    events = asyncio.run(cluster.list("v1", "events", field_selector="reason=RecordReady"))
    assert [e["involvedObject"]["name"] for e in events] == ["web"]
    second = external_dns(cluster, bind)
    assert second.returncode == 0, second.stderr
    assert second.stdout.strip() == ""


def test_once_exits_non_zero_when_the_dns_server_refuses(cluster: LocalCluster, bind: BindServer) -> None:
    done = external_dns(cluster, bind, "--rfc2136-zone=example.org")  # a zone BIND does not serve
    assert done.returncode == 1
    errors = [line for line in done.stderr.splitlines() if line.startswith("external-dns: error: ")]
    assert len(errors) == 1 and "Traceback" not in done.stderr
    assert errors[0].startswith("external-dns: error: --rfc2136-zone: zone example.org: cannot read records")
