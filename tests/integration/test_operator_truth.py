"""What the operator says (logs, events, DNSEndpoint status, ``explain``) matches what it does (issue 9, items 5, 7).

Each test runs the real operator (Kopf, the local API server, the in-memory provider) or the real ``explain``
command against the same cluster, so a planner shortcut in one of them shows up as a disagreement here.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import pytest
from tests.harness import OperatorThread, operator_settings, wait_for

from external_dns.config import Settings
from external_dns.demo import EXAMPLES, apply, load_manifests
from external_dns.explain import explain
from external_dns.testing.cluster import LocalCluster

CRD = "externaldns.k8s.io/v1alpha1"


def run(coro: Any) -> Any:
    return asyncio.run(coro)


def service(name: str, hostname: str, ip: str | None) -> dict[str, Any]:
    ingress = [{"ip": ip}] if ip else []
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": name, "namespace": "default",
                     "annotations": {"external-dns.alpha.kubernetes.io/hostname": hostname}},
        "spec": {"type": "LoadBalancer", "ports": [{"port": 80}]},
        "status": {"loadBalancer": {"ingress": ingress}},
    }  # fmt: skip


def dnsendpoint(name: str, endpoints: list[dict[str, Any]]) -> dict[str, Any]:
    return {"apiVersion": CRD, "kind": "DNSEndpoint", "metadata": {"name": name, "namespace": "default"},
            "spec": {"endpoints": endpoints}}  # fmt: skip


def events(cluster: LocalCluster) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = run(cluster.list("v1", "events"))
    return found


def settled_status(cluster: LocalCluster, name: str) -> dict[str, Any] | None:
    """The DNSEndpoint's status once no endpoint waits to be applied."""
    status: dict[str, Any] = run(cluster.get(CRD, "dnsendpoints", name, "default")).get("status") or {}
    states = status.get("endpoints") or []
    settled = states and all(s["programmed"] or not s.get("message", "").startswith("waiting") for s in states)
    return status if settled else None


def inmemory(cluster: LocalCluster, *sources: str) -> Settings:
    return operator_settings(cluster.kubeconfig, source=list(sources), provider="inmemory",
                             inmemory_zone=["example.com"])  # fmt: skip


def test_an_apex_wanted_by_two_services_beside_the_demo_is_refused_on_the_first_pass(
    cluster: LocalCluster, caplog: pytest.LogCaptureFixture
) -> None:
    run(apply(cluster, load_manifests(EXAMPLES)))
    run(cluster.create("v1", "services", service("apex", "example.com", "203.0.113.60")))
    run(cluster.create("v1", "services", service("apex-too", "example.com", "203.0.113.60")))
    settings = inmemory(cluster, "service", "ingress", "crd")
    with caplog.at_level(logging.INFO, logger="external_dns"), OperatorThread(settings) as op:
        op.wait_idle()
        wait_for(lambda: ("web.example.com", "A") in op.provider_records(), what="the demo's records")
        held = op.provider_records()
        op.wait_idle()
    assert ("example.com", "A") not in held
    assert ("a-example.com", "TXT") not in held
    lines = [r.getMessage() for r in caplog.records if "example.com ->" in r.getMessage()]
    assert not [line for line in lines if line.startswith("CREATE A example.com ")], lines
    assert [line for line in lines if line.startswith("SKIP A example.com ")], lines
    apex_events = [e for e in events(cluster) if e["involvedObject"]["name"] in ("apex", "apex-too")]
    assert apex_events and all(e["type"] == "Warning" for e in apex_events), apex_events
    assert {e["involvedObject"]["name"] for e in apex_events} == {"apex", "apex-too"}


def test_an_unmanaged_record_type_is_neither_programmed_nor_in_step(
    cluster: LocalCluster, capsys: pytest.CaptureFixture[str]
) -> None:
    run(cluster.create(CRD, "dnsendpoints", dnsendpoint("mail", [
        {"dnsName": "mx.example.com", "recordType": "MX", "targets": ["10 mail.example.com"]},
        {"dnsName": "www.example.com", "recordType": "A", "targets": ["192.0.2.7"]},
    ])))  # fmt: skip
    settings = inmemory(cluster, "crd")
    with OperatorThread(settings) as op:
        op.wait_idle()
        status = wait_for(lambda: settled_status(cluster, "mail"), what="a settled status")
        assert ("mx.example.com", "MX") not in op.provider_records()
    by_name = {e["dnsName"]: e for e in status["endpoints"]}
    assert by_name["mx.example.com"]["programmed"] is False
    assert "not managed" in by_name["mx.example.com"]["message"]
    assert "--managed-record-types" in by_name["mx.example.com"]["message"]
    assert status["conditions"][0]["status"] == "False"
    capsys.readouterr()

    assert explain(settings, ["mx.example.com"]) == 1
    out = capsys.readouterr().out
    assert "in step" not in out
    assert "MX records are not managed" in out


def test_explain_says_a_service_without_an_address_waits_for_one(
    cluster: LocalCluster, capsys: pytest.CaptureFixture[str]
) -> None:
    run(cluster.create("v1", "services", service("pending", "pending.example.com", None)))
    settings = inmemory(cluster, "service")
    assert explain(settings, ["pending.example.com"]) == 0
    out = capsys.readouterr().out
    assert "asks for other names" not in out
    assert "service default/pending mentions it but produces no record for it: " in out
    assert "no address" in out


def test_explain_of_the_apex_lists_only_objects_that_ask_for_it_and_predicts_the_skip(
    cluster: LocalCluster, capsys: pytest.CaptureFixture[str]
) -> None:
    run(cluster.create("v1", "services", service("web", "web.example.com", "203.0.113.5")))
    run(cluster.create("v1", "services", service("apex", "example.com", "203.0.113.60")))
    settings = inmemory(cluster, "service")

    assert explain(settings, ["example.com"]) == 1
    out = capsys.readouterr().out
    assert "service default/apex: A example.com -> 203.0.113.60" in out
    assert "default/web" not in out
    assert "CREATE" not in out
    assert "skip A example.com -> 203.0.113.60" in out
    assert "outside zone example.com" in out


def test_explain_shows_the_problems_the_operator_reports_on_an_object_that_wants_the_name(
    cluster: LocalCluster, capsys: pytest.CaptureFixture[str]
) -> None:
    run(cluster.create(CRD, "dnsendpoints", dnsendpoint("mixed", [
        {"dnsName": "good.example.com", "recordType": "A", "targets": ["192.0.2.7"]},
        {"dnsName": "bad.example.com", "recordType": "A", "targets": ["not-an-ip"]},
    ])))  # fmt: skip
    settings = inmemory(cluster, "crd")
    explain(settings, ["good.example.com"])
    out = capsys.readouterr().out
    assert "crd default/mixed: A good.example.com -> 192.0.2.7" in out
    assert "    problem: spec.endpoints[1]" in out
