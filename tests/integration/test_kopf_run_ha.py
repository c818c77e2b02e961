"""``kopf run -m external_dns --peering=NAME``: the same single-writer HA as ``external-dns --peering``.

Two real ``kopf run`` processes, each with its own POD_ID (Kopf's identity, as the downward API sets it in a
pod), against the local API server and a real BIND: one writes, the other stands by and takes over when the
first exits.
"""

from __future__ import annotations

import asyncio
import datetime
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from tests.backends.bind import BindServer, free_port
from tests.harness import wait_for

from external_dns.kopf_peering import parse_peers
from external_dns.testing.cluster import LocalCluster

ZONE = "example.com"
PEERING = "external-dns"


def kopf_command() -> str:
    kopf = shutil.which("kopf", path=str(Path(sys.executable).parent))
    assert kopf is not None, "kopf's command line is installed with the package"
    return kopf


def environment(cluster: LocalCluster, bind: BindServer) -> dict[str, str]:
    info = bind.info
    return {
        **os.environ,
        "KUBECONFIG": str(cluster.kubeconfig),
        "EXTERNAL_DNS_SOURCE": "service",
        "EXTERNAL_DNS_PROVIDER": "rfc2136",
        "EXTERNAL_DNS_RFC2136_HOST": info.host,
        "EXTERNAL_DNS_RFC2136_PORT": str(info.port),
        "EXTERNAL_DNS_RFC2136_ZONE": ZONE,
        "EXTERNAL_DNS_RFC2136_TSIG_KEYNAME": info.key_name,
        "EXTERNAL_DNS_RFC2136_TSIG_SECRET": info.key_secret,
        "EXTERNAL_DNS_TXT_OWNER_ID": "ha",
        "EXTERNAL_DNS_DEBOUNCE": "50ms",
        "EXTERNAL_DNS_PEERING_LIFETIME": "3s",
        "EXTERNAL_DNS_TXT_CACHE_INTERVAL": "1h",  # an ExternalDNS setting with no effect here: named at startup
    }


class KopfReplica:
    """One ``kopf run`` process named by its POD_ID; its output goes to a file the test reads."""

    def __init__(self, pod_id: str, env: dict[str, str], log: Path, peering_args: list[str]) -> None:
        self.pod_id = pod_id
        self.log = log
        env = {**env, "POD_ID": pod_id, "EXTERNAL_DNS_METRICS_ADDRESS": f"127.0.0.1:{free_port()}"}
        argv = [kopf_command(), "run", "-m", "external_dns", "--all-namespaces", *peering_args]
        self.process = subprocess.Popen(argv, env=env, stdout=log.open("w"), stderr=subprocess.STDOUT)

    def lines(self, marker: str) -> list[str]:
        return [line for line in self.log.read_text().splitlines() if marker in line]

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def run(coro: Any) -> Any:
    return asyncio.run(coro)


def a_record(bind: BindServer) -> set[str]:
    return bind.axfr_records_sync(ZONE).get(("web.example.com", "A"), set())


def leader(cluster: LocalCluster) -> str | None:
    """The POD_ID Kopf's rule makes active, once both replicas are in the peering object."""
    peering = run(cluster.get("kopf.dev/v1", "clusterkopfpeerings", PEERING))
    now = datetime.datetime.now(datetime.UTC)
    live = [peer for peer in parse_peers(peering.get("status") or {}) if peer.deadline > now]
    return max(live, key=lambda peer: peer.priority).identity if len(live) == 2 else None


def service_ip(cluster: LocalCluster, ip: str) -> None:
    patch = {"status": {"loadBalancer": {"ingress": [{"ip": ip}]}}}
    run(cluster.patch("v1", "services", "web", patch, "default", subresource="status"))


@pytest.mark.timeout(240)  # two `kopf run` processes start at once: on a loaded machine that alone takes a while
@pytest.mark.parametrize(
    ("peering_args", "peering_env"),
    [
        pytest.param([f"--peering={PEERING}"], {}, id="kopf run --peering"),
        pytest.param([], {"EXTERNAL_DNS_PEERING": PEERING}, id="EXTERNAL_DNS_PEERING under kopf run"),
    ],
)
def test_kopf_run_with_peering_has_one_writer_and_a_standby_that_takes_over(
    cluster: LocalCluster, bind: BindServer, tmp_path: Path, peering_args: list[str], peering_env: dict[str, str]
) -> None:
    run(cluster.create("kopf.dev/v1", "clusterkopfpeerings", {
        "apiVersion": "kopf.dev/v1", "kind": "ClusterKopfPeering", "metadata": {"name": PEERING},
    }))  # fmt: skip
    run(cluster.create("v1", "services", {
        "apiVersion": "v1", "kind": "Service",
        "metadata": {"name": "web", "namespace": "default",
                     "annotations": {"external-dns.alpha.kubernetes.io/hostname": "web.example.com"}},
        "spec": {"type": "LoadBalancer", "ports": [{"port": 80}]},
        "status": {"loadBalancer": {"ingress": [{"ip": "203.0.113.1"}]}},
    }))  # fmt: skip
    env = {**environment(cluster, bind), **peering_env}
    replicas = [KopfReplica(f"external-dns-{i}", env, tmp_path / f"replica{i}.log", peering_args) for i in range(2)]
    try:
        wait_for(lambda: a_record(bind) == {"203.0.113.1"}, 40, "the record from the active replica")
        # Under load the second replica may still be starting (or its 3 s keep-alive late) when the record is in.
        leader_id = wait_for(lambda: leader(cluster), 90, "both replicas in the peering object")
        active = next(r for r in replicas if r.pod_id == leader_id)
        standby = next(r for r in replicas if r is not active)
        wait_for(lambda: active.lines("is now active"), 10, "the leader to say it leads")
        assert not standby.lines("is now active")
        # A replica logs a change once BIND has answered it, so the record can show before the line does.
        wait_for(lambda: active.lines("CREATE A web.example.com"), 10, "the log line of the create")
        assert not standby.lines("CREATE A web.example.com")
        assert len(active.lines("accepted with no effect here: --txt-cache-interval")) == 1

        active.stop()
        stopped_at = time.monotonic()
        service_ip(cluster, "203.0.113.2")
        wait_for(lambda: a_record(bind) == {"203.0.113.2"}, 30, "the record from the replica that took over")
        print(f"\nkopf run --peering: handover after SIGTERM in {time.monotonic() - stopped_at:.2f}s")
        assert standby.lines("is now active")
        assert standby.process.poll() is None

        def writes() -> list[str]:
            return [line for r in replicas for line in r.lines("UPDATE A web.example.com")]

        wait_for(writes, 10, "the log line of the update")  # after BIND's answer, as the create's
        assert len(writes()) == 1, writes()  # the change was written once, by the replica that took over
    finally:
        for replica in replicas:
            replica.stop()


def test_kopf_run_with_peering_but_no_pod_id_stops_with_one_line(cluster: LocalCluster, bind: BindServer) -> None:
    env = {key: value for key, value in environment(cluster, bind).items() if key != "POD_ID"}
    argv = [kopf_command(), "run", "-m", "external_dns", "--all-namespaces", f"--peering={PEERING}"]
    done = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode != 0
    assert "external-dns: error: POD_ID: required with `kopf run --peering`" in done.stderr
    assert "Traceback" not in done.stderr
