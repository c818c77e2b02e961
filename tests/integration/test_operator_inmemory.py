"""The whole operator against the local API server with the in-memory provider: records and events follow objects."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import kmock
from tests.builders import crd_endpoint, dnsendpoint, lb_service
from tests.harness import OperatorThread, operator_settings, wait_for

from external_dns.testing.cluster import LocalCluster


def run(coro: Any) -> Any:
    return asyncio.run(coro)


def events(cluster: LocalCluster, **selectors: str) -> list[dict[str, Any]]:
    field_selector = ",".join(f"{k}={v}" for k, v in selectors.items())
    return run(cluster.list("v1", "events", field_selector=field_selector or None))


def test_service_record_created_updated_and_deleted_with_events(cluster: LocalCluster, tmp_path: Path) -> None:
    settings = operator_settings(
        cluster.kubeconfig, source=["service"], provider="inmemory", inmemory_zone=["example.com"]
    )
    run(cluster.create("v1", "services", lb_service("web", "web.example.com", "203.0.113.10")))
    with OperatorThread(settings) as op:
        wait_for(lambda: op.provider_records().get(("web.example.com", "A")) == ("203.0.113.10",), what="the A record")
        assert op.provider_records()[("a-web.example.com", "TXT")] == (
            '"heritage=external-dns,external-dns/owner=default,external-dns/resource=service/default/web"',
        )
        ready = wait_for(lambda: events(cluster, reason="RecordReady"), what="a RecordReady event")
        assert ready[0]["involvedObject"]["name"] == "web"
        assert ready[0]["action"] == "Created"
        assert ready[0]["type"] == "Normal"
        assert "203.0.113.10" in ready[0]["message"]

        run(
            cluster.patch(
                "v1",
                "services",
                "web",
                {"status": {"loadBalancer": {"ingress": [{"ip": "203.0.113.11"}]}}},
                "default",
                subresource="status",
            )
        )
        wait_for(
            lambda: op.provider_records().get(("web.example.com", "A")) == ("203.0.113.11",), what="the updated record"
        )

        run(cluster.delete("v1", "services", "web", "default"))
        wait_for(lambda: ("web.example.com", "A") not in op.provider_records(), what="the record to be deleted")
        assert ("a-web.example.com", "TXT") not in op.provider_records()
        deleted = wait_for(lambda: events(cluster, reason="RecordDeleted"), what="a RecordDeleted event")
        assert deleted[0]["involvedObject"]["name"] == "web"


def status_of(cluster: LocalCluster, name: str) -> dict[str, Any]:
    obj = run(cluster.get("externaldns.k8s.io/v1alpha1", "dnsendpoints", name, "default"))
    return {"generation": obj["metadata"].get("generation"), **(obj.get("status") or {})}


def test_dnsendpoint_status_says_programmed_after_the_provider_confirmed(cluster: LocalCluster) -> None:
    settings = operator_settings(cluster.kubeconfig, source=["crd"], provider="inmemory", inmemory_zone=["example.com"])
    run(
        cluster.create(
            "externaldns.k8s.io/v1alpha1",
            "dnsendpoints",
            dnsendpoint("api", crd_endpoint("api.example.com", "A", "192.0.2.7")),
        )
    )
    with OperatorThread(settings) as op:
        status = wait_for(
            lambda: (s := status_of(cluster, "api")).get("conditions") and s["conditions"][0]["status"] == "True" and s,
            what="Programmed=True",
        )
        assert op.provider_records()[("api.example.com", "A")] == ("192.0.2.7",)
        assert status["observedGeneration"] == status["generation"]
        assert status["conditions"][0]["reason"] == "Programmed"
        assert status["endpoints"] == [{"dnsName": "api.example.com", "recordType": "A", "programmed": True}]

        run(
            cluster.patch(
                "externaldns.k8s.io/v1alpha1",
                "dnsendpoints",
                "api",
                {
                    "spec": {
                        "endpoints": [
                            {"dnsName": "api.example.com", "recordType": "A", "targets": ["192.0.2.8"]},
                            {"dnsName": "bad.example.com", "recordType": "A", "targets": ["not-an-ip"]},
                        ]
                    }
                },
                "default",
            )
        )
        status = wait_for(
            lambda: (
                (s := status_of(cluster, "api")).get("observedGeneration") == s["generation"]
                and s["conditions"][0]["reason"] == "Invalid"
                and s
            ),
            what="the Invalid condition for the new generation",
        )
        assert status["conditions"][0]["status"] == "False"
        assert "spec.endpoints[1]" in status["conditions"][0]["message"]
        wait_for(
            lambda: op.provider_records().get(("api.example.com", "A")) == ("192.0.2.8",),
            what="the valid endpoint applied",
        )


def test_a_delete_missed_by_a_broken_watch_is_caught_by_the_periodic_relist(cluster: LocalCluster) -> None:
    settings = operator_settings(
        cluster.kubeconfig, source=["service"], provider="inmemory", inmemory_zone=["example.com"], interval=1.0
    )
    run(cluster.create("v1", "services", lb_service("web", "web.example.com", "203.0.113.10")))
    with OperatorThread(settings) as op:
        wait_for(lambda: ("web.example.com", "A") in op.provider_records(), what="the record")
        # The services watch breaks and cannot come back: the delete below never reaches a watch stream.
        cluster.emulator["watch", kmock.resource("v1", "services")] << 500
        cluster.emulator.store.drop_watches()
        run(cluster.delete("v1", "services", "web", "default"))
        wait_for(lambda: ("web.example.com", "A") not in op.provider_records(), 10, "the periodic re-list to notice")


def test_dnsendpoint_status_names_a_name_outside_every_managed_zone(cluster: LocalCluster) -> None:
    settings = operator_settings(cluster.kubeconfig, source=["crd"], provider="inmemory", inmemory_zone=["example.com"])
    with OperatorThread(settings):
        stray = dnsendpoint("stray", crd_endpoint("api.example.org", "A", "192.0.2.9"))
        run(cluster.create("externaldns.k8s.io/v1alpha1", "dnsendpoints", stray))
        status = wait_for(lambda: status_of(cluster, "stray").get("conditions") and status_of(cluster, "stray"),
                          what="a status")  # fmt: skip
        assert status["conditions"][0]["status"] == "False"
        assert status["endpoints"][0]["message"] == "no managed zone contains this name"
