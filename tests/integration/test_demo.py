"""``make demo`` runs ``python -m external_dns.demo``: it must exit 0 and show records and events for examples/."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import IO

import pytest


def test_demo_prints_records_and_events_for_the_examples() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "external_dns.demo"], capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert any(line.split()[1:4] == ["web.example.com", "A", "120"] for line in lines if line.startswith("example.com"))
    assert any("store.example.com" in line and "198.51.100.7" in line for line in lines)
    assert any(line.startswith("Normal") and "RecordReady" in line and "DNSEndpoint/tunnel" in line for line in lines)
    assert any(line.startswith("Warning") and "Service/api" in line and "ttl" in line for line in lines)


def test_the_kept_demo_prints_its_metrics_address_and_takes_kubectl_changes(tmp_path: Path) -> None:
    """What README "The two commands" tells a user to do with `make demo-keep`: kubectl create a LoadBalancer
    Service, annotate it, give it its address with `kubectl patch --subresource=status`; a record appears."""
    if shutil.which("kubectl") is None:
        pytest.skip("kubectl is not on PATH")
    demo = subprocess.Popen([sys.executable, "-u", "-m", "external_dns.demo", "--keep-running"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)  # fmt: skip
    assert demo.stdout is not None
    try:
        metrics = _read_until(demo.stdout, r"Operator metrics: (http://\S+/metrics)")
        kubeconfig = _read_until(demo.stdout, r"export KUBECONFIG=(\S+)")
        with urllib.request.urlopen(metrics, timeout=10) as response:
            assert b"external_dns_controller_last_sync_timestamp_seconds" in response.read()
        env = {**os.environ, "KUBECONFIG": kubeconfig, "HOME": str(tmp_path)}
        for args in (
            ["create", "service", "loadbalancer", "late", "--tcp=80"],
            ["annotate", "service", "late", "external-dns.alpha.kubernetes.io/hostname=late.example.com"],
            ["patch", "service", "late", "--subresource=status", "--type=merge",
             "-p", '{"status":{"loadBalancer":{"ingress":[{"ip":"203.0.113.10"}]}}}'],
        ):  # fmt: skip
            done = subprocess.run(["kubectl", *args], env=env, capture_output=True, text=True, timeout=60, check=False)
            assert done.returncode == 0, done.stderr
        record = _read_until(demo.stdout, r"(late\.example\.com\s+A\s+(?:\d+\s+)?203\.0\.113\.10)")
        assert record
    finally:
        demo.terminate()
        demo.communicate(timeout=60)


def _read_until(stream: IO[str], pattern: str, timeout: float = 90) -> str:
    """The first group of the first line of `stream` that matches (the demo prints as it goes)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = stream.readline()
        if not line:
            break
        if (found := re.search(pattern, line)) is not None:
            return found[1]
    raise AssertionError(f"the demo never printed {pattern!r}")
