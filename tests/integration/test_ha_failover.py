"""High availability: two operator processes with Kopf peering, one reconciles; kill it, the other takes over.

The processes are the real command line (``python -m external_dns ... --peering=external-dns``) against the local
API server and a real BIND. The failover figures are printed (run with ``-s`` to see them).
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from tests.backends.bind import BindServer, free_port
from tests.harness import OperatorThread, operator_settings, wait_for

from external_dns.handlers import running
from external_dns.peering import parse_peers
from external_dns.testing.cluster import LocalCluster

ZONE = "example.com"
LIFETIME = 3


def run(coro: Any) -> Any:
    return asyncio.run(coro)


class Replica:
    """One operator process; its log goes to a file the test reads."""

    def __init__(self, cluster: LocalCluster, bind: BindServer, log: Path, lifetime: int = LIFETIME) -> None:
        info = bind.info
        self.log = log
        args = [
            sys.executable, "-m", "external_dns",
            "--source=service", "--provider=rfc2136", f"--kubeconfig={cluster.kubeconfig}",
            f"--rfc2136-host={info.host}", f"--rfc2136-port={info.port}", f"--rfc2136-zone={ZONE}",
            f"--rfc2136-tsig-keyname={info.key_name}", f"--rfc2136-tsig-secret-alg={info.key_algorithm}",
            "--txt-owner-id=ha", "--peering=external-dns", f"--peering-lifetime={lifetime}s",
            "--debounce=50ms", f"--metrics-address=127.0.0.1:{free_port()}",
        ]  # fmt: skip
        env = {**os.environ, "EXTERNAL_DNS_RFC2136_TSIG_SECRET": info.key_secret}
        self.process = subprocess.Popen(args, stdout=log.open("w"), stderr=subprocess.STDOUT, env=env)

    @property
    def pid(self) -> int:
        return self.process.pid

    def lines(self, marker: str) -> list[str]:
        return [line for line in self.log.read_text().splitlines() if marker in line]

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def service_ip(cluster: LocalCluster, ip: str) -> None:
    run(
        cluster.patch(
            "v1",
            "services",
            "web",
            {"status": {"loadBalancer": {"ingress": [{"ip": ip}]}}},
            "default",
            subresource="status",
        )
    )


def a_record(bind: BindServer) -> set[str]:
    return bind.axfr_records_sync(ZONE).get(("web.example.com", "A"), set())


def active_pid(cluster: LocalCluster) -> int | None:
    peering = run(cluster.get("kopf.dev/v1", "clusterkopfpeerings", "external-dns"))
    peers = parse_peers(peering.get("status") or {})
    import datetime

    live = [p for p in peers if p.deadline > datetime.datetime.now(datetime.UTC)]
    if len(live) < 2:
        return None
    best = max(live, key=lambda p: p.priority)
    return int(best.identity.split("@")[1].split("/")[0])


@pytest.mark.timeout(120)
def test_one_replica_reconciles_and_the_other_takes_over(
    cluster: LocalCluster, bind: BindServer, tmp_path: Path
) -> None:
    run(
        cluster.create(
            "kopf.dev/v1",
            "clusterkopfpeerings",
            {
                "apiVersion": "kopf.dev/v1",
                "kind": "ClusterKopfPeering",
                "metadata": {"name": "external-dns"},
            },
        )
    )
    run(cluster.create("v1", "services", {
        "apiVersion": "v1", "kind": "Service",
        "metadata": {"name": "web", "namespace": "default",
                     "annotations": {"external-dns.alpha.kubernetes.io/hostname": "web.example.com"}},
        "spec": {"type": "LoadBalancer", "ports": [{"port": 80}]},
        "status": {"loadBalancer": {"ingress": [{"ip": "203.0.113.1"}]}},
    }))  # fmt: skip
    replicas = [Replica(cluster, bind, tmp_path / f"replica{i}.log") for i in range(3)]
    try:
        wait_for(lambda: a_record(bind) == {"203.0.113.1"}, 30, "the record from the active replica")
        leader_pid = wait_for(lambda: active_pid(cluster), 30, "both replicas in the peering object")
        leader = next(r for r in replicas if r.pid == leader_pid)
        standbys = [r for r in replicas if r is not leader]
        # A replica logs a change once BIND has answered it, so the record can show before the line does.
        wait_for(lambda: leader.lines("CREATE A web.example.com"), 10, "the log line of the create")
        assert len(leader.lines("CREATE A web.example.com")) == 1
        assert all(not r.lines("CREATE ") and not r.lines("UPDATE ") for r in standbys)

        # A silent death (SIGKILL): the standby waits for the leader's keep-alive to expire.
        leader.stop(signal.SIGKILL)
        killed_at = time.monotonic()
        service_ip(cluster, "203.0.113.2")
        wait_for(lambda: a_record(bind) == {"203.0.113.2"}, LIFETIME + 20, "the record after a silent failover")
        silent_failover = time.monotonic() - killed_at

        # A clean exit (SIGTERM): the leader leaves the peering object, the other replica takes over at once.
        next_leader_pid = wait_for(lambda: active_pid(cluster) if len(standbys) else None, 30, "a new leader")
        next_leader = next(r for r in standbys if r.pid == next_leader_pid)
        last = next(r for r in standbys if r is not next_leader)
        next_leader.stop(signal.SIGTERM)
        stopped_at = time.monotonic()
        service_ip(cluster, "203.0.113.3")
        wait_for(lambda: a_record(bind) == {"203.0.113.3"}, LIFETIME + 20, "the record after a clean handover")
        clean_handover = time.monotonic() - stopped_at
        print(f"\nfailover after SIGKILL: {silent_failover:.2f}s (peering lifetime {LIFETIME}s); "
              f"after SIGTERM: {clean_handover:.2f}s")  # fmt: skip

        def writes() -> list[str]:
            return [line for r in replicas for line in r.lines("UPDATE A web.example.com")]

        # A replica logs the update once BIND answered it, so the record can show before the line does.
        wait_for(lambda: len(writes()) >= 2, 10, "the log line of the second update")
        assert len(writes()) == 2, writes()  # one update per change, never two replicas writing the same change
        assert not [line for r in replicas for line in r.lines("FAILED")]
        assert silent_failover < LIFETIME + 10
        assert clean_handover < silent_failover + 5
        assert last.process.poll() is None
    finally:
        for replica in replicas:
            replica.stop()


def test_a_namespaced_operator_leads_through_its_namespaced_peering_object(cluster: LocalCluster) -> None:
    run(cluster.create("kopf.dev/v1", "kopfpeerings", {
        "apiVersion": "kopf.dev/v1", "kind": "KopfPeering",
        "metadata": {"name": "external-dns", "namespace": "default"},
    }))  # fmt: skip
    run(cluster.create("externaldns.k8s.io/v1alpha1", "dnsendpoints", {
        "apiVersion": "externaldns.k8s.io/v1alpha1", "kind": "DNSEndpoint",
        "metadata": {"name": "api", "namespace": "default"},
        "spec": {"endpoints": [{"dnsName": "api.example.com", "recordType": "A", "targets": ["192.0.2.3"]}]},
    }))  # fmt: skip
    settings = operator_settings(
        cluster.kubeconfig, source=["crd"], provider="inmemory", inmemory_zone=["example.com"],
        namespace="default", peering="external-dns", peering_lifetime=LIFETIME,
    )  # fmt: skip
    with OperatorThread(settings) as op:
        wait_for(lambda: op.app.active, 30, "the only replica to lead")
        op.wait_idle()
        snapshot = op.app.provider.snapshot()  # type: ignore[attr-defined]
        assert [ep.targets for ep in snapshot["example.com"] if ep.dns_name == "api.example.com"] == [("192.0.2.3",)]
        peering = run(cluster.get("kopf.dev/v1", "kopfpeerings", "external-dns", "default"))
        assert running(op.memo).peering_identity in peering["status"]
