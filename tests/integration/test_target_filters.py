"""--target-net-filter, --exclude-target-net and --min-ttl through the real command (``--once --dry-run``)."""

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


def service(name: str, ip: str, ttl: str = "") -> dict[str, Any]:
    annotations = {"external-dns.alpha.kubernetes.io/hostname": f"{name}.example.com"}
    if ttl:
        annotations["external-dns.alpha.kubernetes.io/ttl"] = ttl
    return {
        "apiVersion": "v1", "kind": "Service",
        "metadata": {"name": name, "namespace": "default", "annotations": annotations},
        "spec": {"type": "LoadBalancer", "ports": [{"port": 80}]},
        "status": {"loadBalancer": {"ingress": [{"ip": ip}]}},
    }  # fmt: skip


@pytest.fixture
def cluster() -> Iterator[LocalCluster]:
    with local_cluster_in_thread() as running:
        for obj in (
            service("public", "203.0.113.4"),
            service("private", "10.1.2.3"),
            service("set", "203.0.113.5", "30"),
        ):
            asyncio.run(running.create("v1", "services", obj))
        yield running


def plan(cluster: LocalCluster, bind: BindServer, *flags: str) -> list[str]:
    info = bind.info
    args = [
        sys.executable, "-m", "external_dns", "--once", "--dry-run", "--source=service", "--provider=rfc2136",
        f"--kubeconfig={cluster.kubeconfig}", f"--rfc2136-host={info.host}", f"--rfc2136-port={info.port}",
        f"--rfc2136-zone={ZONE}", f"--rfc2136-tsig-keyname={info.key_name}", *flags,
    ]  # fmt: skip
    env: dict[str, Any] = {**os.environ, "EXTERNAL_DNS_RFC2136_TSIG_SECRET": info.key_secret}
    done = subprocess.run(args, capture_output=True, text=True, env=env, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    return sorted(line for line in done.stdout.splitlines() if " A " in line)


def test_target_net_filter_keeps_only_targets_in_its_networks(cluster: LocalCluster, bind: BindServer) -> None:
    lines = plan(cluster, bind, "--target-net-filter=203.0.113.0/24")
    assert [line.split()[3] for line in lines] == ["public.example.com", "set.example.com"]


def test_exclude_target_net_drops_targets_in_its_networks(cluster: LocalCluster, bind: BindServer) -> None:
    lines = plan(cluster, bind, "--exclude-target-net=203.0.113.4/32", "--exclude-target-net=10.0.0.0/8")
    assert [line.split()[3] for line in lines] == ["set.example.com"]


def test_min_ttl_fills_only_records_whose_source_set_none(cluster: LocalCluster, bind: BindServer) -> None:
    lines = plan(cluster, bind, "--min-ttl=5m")
    assert "DRY-RUN CREATE A public.example.com -> 203.0.113.4 ttl=300" in lines
    assert "DRY-RUN CREATE A set.example.com -> 203.0.113.5 ttl=30" in lines
