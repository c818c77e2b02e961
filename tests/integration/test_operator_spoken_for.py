"""A name whose ownership is spoken for is not created, through the real operator and BIND (issue 9 leftovers).

Two zones ExternalDNS would write into: a TXT record nobody owns ("hello") at the name our ownership TXT would
take, and another owner's ownership TXT whose record is gone (an "orphan" claim). In both the object gets a
Warning naming the TXT record and what to do, nothing is written, the TXT stays byte-identical (AXFR), status and
``explain`` say the same; once a person deletes the TXT record and the zone is read again, the record is created
with its ownership TXT.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import dns.name
import dns.query
import dns.update
import pytest
from prometheus_client import REGISTRY
from tests.backends.bind import BindServer, running_bind
from tests.builders import crd_endpoint, dnsendpoint, lb_service
from tests.harness import OperatorThread, operator_settings, wait_for

from external_dns.config import Settings
from external_dns.explain import explain
from external_dns.testing.cluster import LocalCluster

ZONE = "example.com"
CRD = "externaldns.k8s.io/v1alpha1"
HELLO = '"hello"'
THEIRS = '"heritage=external-dns,external-dns/owner=other-cluster,external-dns/resource=service/default/victim"'
MISMATCH_GAUGE = "external_dns_registry_skipped_records_owner_mismatch_per_sync"


@pytest.fixture
def bind(tmp_path: Path) -> Iterator[BindServer]:
    records = [f"a-team 300 IN TXT {HELLO}", f"a-victim 300 IN TXT {THEIRS}"]
    with running_bind(tmp_path / "bind", [ZONE], records={ZONE: records}) as server:
        yield server


def run(coro: Any) -> Any:
    return asyncio.run(coro)


def settings_for(cluster: LocalCluster, bind: BindServer) -> Settings:
    return operator_settings(cluster.kubeconfig, **bind.provider_flags(ZONE), source=["service", "crd"],
                             txt_owner_id="bars")  # fmt: skip


def zone_at(bind: BindServer, *names: str) -> dict[tuple[str, str], set[str]]:
    return {key: values for key, values in bind.axfr_records_sync(ZONE).items() if key[0] in names}


def warnings_on(cluster: LocalCluster, name: str) -> list[str]:
    events = run(cluster.list("v1", "events", field_selector="type=Warning"))
    return [event["message"] for event in events if event["involvedObject"]["name"] == name]


def delete_by_hand(bind: BindServer, name: str) -> None:
    """What a person does with nsupdate: remove a TXT record set."""
    keyring = bind.keyring()
    update = dns.update.UpdateMessage(ZONE, keyring=keyring, keyname=next(iter(keyring)))
    update.delete(dns.name.from_text(name), "TXT")  # absolute: not under the zone twice
    response = dns.query.tcp(update, bind.info.host, port=bind.info.port, timeout=10)
    assert response.rcode() == 0, response


def read_zone_again(operator: OperatorThread) -> None:
    """The periodic resync: read the zone from the DNS server, then plan every name."""
    for worker in operator.app.workers.values():
        operator.call(worker.load)
        operator.call(worker.sync_all)
    operator.wait_idle()


def mismatches(foreign_owner: str) -> float:
    labels = {"record_type": "A", "owner": "bars", "foreign_owner": foreign_owner, "domain": ZONE}
    return REGISTRY.get_sample_value(MISMATCH_GAUGE, labels) or 0.0


def test_a_plain_txt_at_the_ownership_name_keeps_the_record_back_until_it_is_removed(
    cluster: LocalCluster, bind: BindServer
) -> None:
    run(cluster.create("v1", "services", lb_service("team", "team.example.com", "203.0.113.7")))
    with OperatorThread(settings_for(cluster, bind)) as operator:
        [warning] = wait_for(lambda: warnings_on(cluster, "team"), what="a Warning on the Service")
        assert '"a-team.example.com"' in warning and HELLO in warning and "Delete that TXT record" in warning
        operator.wait_idle()
        read_zone_again(operator)
        assert zone_at(bind, "team.example.com", "a-team.example.com") == {("a-team.example.com", "TXT"): {HELLO}}
        held_back = mismatches("")
        assert held_back >= 1

        delete_by_hand(bind, "a-team.example.com")
        read_zone_again(operator)
        created = wait_for(lambda: zone_at(bind, "team.example.com", "a-team.example.com").get(
            ("team.example.com", "A")), what="the A record")  # fmt: skip
        assert created == {"203.0.113.7"}
        [ownership] = zone_at(bind, "a-team.example.com")[("a-team.example.com", "TXT")]
        assert "external-dns/owner=bars" in ownership
        assert mismatches("") == held_back - 1


def test_an_orphan_claim_of_another_owner_is_left_to_its_owner_until_handed_over(
    cluster: LocalCluster, bind: BindServer, capsys: pytest.CaptureFixture[str]
) -> None:
    victim = dnsendpoint("victim", crd_endpoint("victim.example.com", "A", "192.0.2.50"))
    run(cluster.create(CRD, "dnsendpoints", victim))
    settings = settings_for(cluster, bind)
    with OperatorThread(settings) as operator:
        [warning] = wait_for(lambda: warnings_on(cluster, "victim"), what="a Warning on the DNSEndpoint")
        assert '"a-victim.example.com" gives "victim.example.com" to "other-cluster"' in warning
        assert "--migrate-from-txt-owner=other-cluster" in warning
        operator.wait_idle()
        read_zone_again(operator)
        assert zone_at(bind, "victim.example.com", "a-victim.example.com") == {
            ("a-victim.example.com", "TXT"): {THEIRS}
        }
        assert mismatches("other-cluster") >= 1
        status = wait_for(lambda: endpoint_status(cluster, "victim", programmed=False), what="status: not programmed")
        assert "other-cluster" in status["message"]
        capsys.readouterr()
        assert explain(settings, ["victim.example.com"]) == 1
        out = capsys.readouterr().out
        assert "in step" not in out and "skip A victim.example.com -> 192.0.2.50" in out
        assert 'gives "victim.example.com" to "other-cluster"' in out

        delete_by_hand(bind, "a-victim.example.com")
        read_zone_again(operator)
        wait_for(lambda: ("victim.example.com", "A") in zone_at(bind, "victim.example.com"), what="the A record")
        [ownership] = zone_at(bind, "a-victim.example.com")[("a-victim.example.com", "TXT")]
        assert "external-dns/owner=bars" in ownership
        wait_for(lambda: endpoint_status(cluster, "victim", programmed=True), what="status: programmed")


def endpoint_status(cluster: LocalCluster, name: str, *, programmed: bool) -> dict[str, Any] | None:
    """The DNSEndpoint's one endpoint status, once it says ``programmed``."""
    status = run(cluster.get(CRD, "dnsendpoints", name, "default")).get("status") or {}
    states = [state for state in status.get("endpoints") or [] if state["programmed"] is programmed]
    return states[0] if states else None
