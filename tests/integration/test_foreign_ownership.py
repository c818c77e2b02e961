"""Another owner's records stay theirs, even when TXT is a managed type and an object forges ownership (issue 9.1).

The real operator against the local API server and a real BIND: a DNSEndpoint asks for a value in another
owner's ownership TXT record set and a Service asks for the record that TXT owns. Nothing of the other owner's
may change, before or after both objects are deleted, and the objects are told who holds the records.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from tests.backends.bind import BindServer, running_bind
from tests.harness import OperatorThread, operator_settings, wait_for

from external_dns.testing.cluster import LocalCluster

ZONE = "example.com"
THEIR_TXT = '"heritage=external-dns,external-dns/owner=other-cluster,external-dns/resource=service/default/victim"'
FORGED_TXT = '"heritage=external-dns,external-dns/owner=bars"'
FOREIGN = {
    ("victim.example.com", "A"): {"192.0.2.200"},
    ("a-victim.example.com", "TXT"): {THEIR_TXT},
}


@pytest.fixture
def bind(tmp_path: Path) -> Iterator[BindServer]:
    records = ["victim 300 IN A 192.0.2.200", f"a-victim 300 IN TXT {THEIR_TXT}"]
    with running_bind(tmp_path / "bind", [ZONE], records={ZONE: records}) as server:
        yield server


def run(coro: Any) -> Any:
    return asyncio.run(coro)


def foreign_records(bind: BindServer) -> dict[tuple[str, str], set[str]]:
    records = bind.axfr_records_sync(ZONE)
    return {key: values for key, values in records.items() if "victim" in key[0]}


def warnings_on(cluster: LocalCluster, name: str) -> list[str]:
    events = run(cluster.list("v1", "events", field_selector="type=Warning"))
    return [event["message"] for event in events if event["involvedObject"]["name"] == name]


def resync_every_zone(operator: OperatorThread) -> None:
    """A whole-zone plan, as the periodic resync does: what a forged TXT value would have changed shows up."""
    for worker in operator.app.workers.values():
        operator.call(worker.sync_all)
    operator.wait_idle()


def test_a_forged_ownership_txt_takes_nothing_over(cluster: LocalCluster, bind: BindServer) -> None:
    victim = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {
            "name": "victim",
            "namespace": "default",
            "annotations": {"external-dns.alpha.kubernetes.io/hostname": "victim.example.com"},
        },
        "spec": {"type": "LoadBalancer", "ports": [{"port": 80}]},
        "status": {"loadBalancer": {"ingress": [{"ip": "6.6.6.6"}]}},
    }
    forger = {
        "apiVersion": "externaldns.k8s.io/v1alpha1",
        "kind": "DNSEndpoint",
        "metadata": {"name": "forger", "namespace": "default"},
        "spec": {"endpoints": [{"dnsName": "a-victim.example.com", "recordType": "TXT", "targets": [FORGED_TXT]}]},
    }
    run(cluster.create("externaldns.k8s.io/v1alpha1", "dnsendpoints", forger))
    run(cluster.create("v1", "services", victim))
    settings = operator_settings(
        cluster.kubeconfig,
        source=["service", "crd"],
        provider="rfc2136",
        rfc2136_host=bind.info.host,
        rfc2136_port=bind.info.port,
        rfc2136_zone=[ZONE],
        rfc2136_tsig_keyname=bind.info.key_name,
        rfc2136_tsig_secret=bind.info.key_secret,
        rfc2136_tsig_secret_alg=bind.info.key_algorithm,
        txt_owner_id="bars",
        managed_record_types=["A", "AAAA", "CNAME", "TXT"],
    )
    with OperatorThread(settings) as operator:
        wait_for(lambda: warnings_on(cluster, "victim"), what="a Warning on the Service")
        operator.wait_idle()
        resync_every_zone(operator)
        assert foreign_records(bind) == FOREIGN
        assert any("other-cluster" in message for message in warnings_on(cluster, "victim"))
        forger_warnings = wait_for(lambda: warnings_on(cluster, "forger"), what="a Warning on the DNSEndpoint")
        # The source refuses the forged value first (sources/checks.py, naming the owner it claims); the planner's
        # refusal naming the rrset's owner is what a value that only lands in that rrset gets.
        assert any("other-cluster" in m or "reads as an ExternalDNS ownership record" in m for m in forger_warnings), (
            forger_warnings
        )

        run(cluster.delete("externaldns.k8s.io/v1alpha1", "dnsendpoints", "forger", "default"))
        run(cluster.delete("v1", "services", "victim", "default"))
        wait_for(lambda: not operator.app.desired.endpoints_at({"victim.example.com"}), what="the Service's removal")
        operator.wait_idle()
        resync_every_zone(operator)
        assert foreign_records(bind) == FOREIGN
