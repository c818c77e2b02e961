"""Namespace isolation through the real operator, the local API server and a real BIND: a tenant cannot add its
address to another tenant's name, nor publish under another tenant's domain."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from tests.backends.bind import BindServer
from tests.builders import lb_service
from tests.harness import OperatorThread, operator_settings, wait_for

from external_dns.testing.cluster import LocalCluster

ZONE = "example.com"
SHARED = "shared.example.com"


def settings_for(cluster: LocalCluster, bind: BindServer, **flags: Any) -> Any:
    base = {
        **bind.provider_flags(ZONE),
        "source": ["service"],
        "txt_owner_id": "test",
        "namespace_isolation": True,
    }
    return operator_settings(cluster.kubeconfig, **{**base, **flags})


def service(namespace: str, name: str, hostname: str, ip: str) -> dict[str, Any]:
    return lb_service(name, hostname, ip, namespace)


def namespace(name: str, allowed: str | None = None) -> dict[str, Any]:
    annotations = {} if allowed is None else {"external-dns.kubernetes.io/allowed-domains": allowed}
    return {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name, "annotations": annotations}}


def create(cluster: LocalCluster, body: dict[str, Any]) -> dict[str, Any]:
    plural = "namespaces" if body["kind"] == "Namespace" else "services"
    result: dict[str, Any] = asyncio.run(cluster.create("v1", plural, body))
    return result


def dns(bind: BindServer) -> dict[tuple[str, str], set[str]]:
    return bind.axfr_records_sync(ZONE)


def serial(bind: BindServer) -> int:
    (soa,) = dns(bind)[(ZONE, "SOA")]
    return int(soa.split()[2])


def warnings_on(cluster: LocalCluster, namespace: str, name: str) -> list[str]:
    found = asyncio.run(cluster.list("v1", "events", namespace, field_selector="reason=RecordError"))
    return [e["message"] for e in found if e["involvedObject"]["name"] == name and e["type"] == "Warning"]


def test_a_latecomer_neither_merges_into_nor_takes_a_name_held_by_another_namespace(
    cluster: LocalCluster, bind: BindServer
) -> None:
    create(cluster, namespace("team-a"))
    create(cluster, namespace("team-b"))
    create(cluster, service("team-a", "web", SHARED, "203.0.113.1"))
    with OperatorThread(settings_for(cluster, bind)) as op:
        wait_for(lambda: dns(bind).get((SHARED, "A")) == {"203.0.113.1"}, what="team-a's record")
        create(cluster, service("team-b", "intruder", SHARED, "203.0.113.2"))
        told = wait_for(lambda: warnings_on(cluster, "team-b", "intruder"), what="a Warning on the latecomer")
        assert "already served by Service team-a/web in namespace team-a" in told[0]
        op.wait_idle()
        assert dns(bind)[(SHARED, "A")] == {"203.0.113.1"}  # ExternalDNS would merge: {.1, .2}
        assert not warnings_on(cluster, "team-a", "web")
        asyncio.run(cluster.delete("v1", "services", "web", "team-a"))
        wait_for(lambda: dns(bind).get((SHARED, "A")) == {"203.0.113.2"}, what="the name passed on once released")


def test_the_holder_is_the_same_after_a_restart(cluster: LocalCluster, bind: BindServer) -> None:
    for name in ("a", "b", "c"):
        create(cluster, namespace(name))
    made = [create(cluster, service(ns, "web", SHARED, f"203.0.113.{i + 1}")) for i, ns in enumerate(["a", "b", "c"])]
    oldest = min(made, key=lambda obj: (obj["metadata"].get("creationTimestamp") or "~", obj["metadata"]["uid"]))
    expected = oldest["status"]["loadBalancer"]["ingress"][0]["ip"]
    settings = settings_for(cluster, bind)
    with OperatorThread(settings) as op:
        wait_for(lambda: (SHARED, "A") in dns(bind), what="the shared name")
        op.wait_idle()
        assert dns(bind)[(SHARED, "A")] == {expected}
    before = serial(bind)
    with OperatorThread(settings) as op:
        op.wait_idle()
    assert serial(bind) == before and dns(bind)[(SHARED, "A")] == {expected}


def test_a_namespace_publishes_only_under_its_allowed_domains(cluster: LocalCluster, bind: BindServer) -> None:
    create(cluster, namespace("team-b", allowed="team-b.example.com, not a domain!"))
    create(cluster, service("team-b", "own", "api.team-b.example.com", "203.0.113.20"))
    create(cluster, service("team-b", "grab", "api.team-a.example.com", "203.0.113.21"))
    with OperatorThread(settings_for(cluster, bind)) as op:
        wait_for(lambda: ("api.team-b.example.com", "A") in dns(bind), what="the allowed name")
        told = wait_for(lambda: warnings_on(cluster, "team-b", "grab"), what="a Warning on the trespasser")
        assert "may publish only under team-b.example.com" in told[0]
        bad_entry = wait_for(lambda: warnings_on(cluster, "default", "team-b"), what="a Warning on the Namespace")
        assert 'metadata.annotations["external-dns.kubernetes.io/allowed-domains"]' in bad_entry[0]
        assert "not a domain!" in bad_entry[0]
        op.wait_idle()
        assert ("api.team-a.example.com", "A") not in dns(bind)
        annotations = {"external-dns.kubernetes.io/allowed-domains": "team-b.example.com,team-a.example.com"}
        asyncio.run(cluster.patch("v1", "namespaces", "team-b", {"metadata": {"annotations": annotations}}))
        wait_for(lambda: ("api.team-a.example.com", "A") in dns(bind), what="the name once the domain is allowed")


def test_the_older_object_holds_a_name_even_when_the_newer_one_has_the_smaller_uid(
    cluster: LocalCluster, bind: BindServer
) -> None:
    create(cluster, namespace("old"))
    create(cluster, namespace("new"))
    first = create(cluster, service("old", "web", SHARED, "203.0.113.1"))
    created = first["metadata"]["creationTimestamp"]
    # creationTimestamp has one-second resolution: the second object must be created in a later second, and with
    # a smaller uid than the first, so that only its age, not the uid tie-break, makes the first the holder.
    second = wait_for(
        lambda: (
            create(cluster, service("new", "web", SHARED, "203.0.113.2"))
            if time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()) > created
            else None
        ),
        what="a second Service created a second later",
    )
    while second["metadata"]["uid"] > first["metadata"]["uid"]:
        asyncio.run(cluster.delete("v1", "services", "web", "new"))
        second = create(cluster, service("new", "web", SHARED, "203.0.113.2"))
    assert second["metadata"]["creationTimestamp"] > created
    with OperatorThread(settings_for(cluster, bind)) as op:
        wait_for(lambda: (SHARED, "A") in dns(bind), what="the shared name")
        op.wait_idle()
        assert dns(bind)[(SHARED, "A")] == {"203.0.113.1"}
