"""The whole operator against the local API server and a real BIND (RFC2136 + TSIG + AXFR).

Every assertion about DNS is made on what BIND serves (AXFR), and every assertion about feedback on what the
API server holds (Events), as a user would check them.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from prometheus_client import REGISTRY
from tests.backends.bind import BindServer, named_path, running_bind
from tests.builders import crd_endpoint, dnsendpoint, lb_service
from tests.harness import OperatorThread, operator_settings, wait_for

from external_dns.testing.cluster import LocalCluster

ZONE = "example.com"


def owner_txt(owner: str, resource: str) -> str:
    return f'"heritage=external-dns,external-dns/owner={owner},external-dns/resource={resource}"'


@pytest.fixture
def bind(tmp_path: Path) -> Iterator[BindServer]:
    with running_bind(tmp_path / "bind", [ZONE], records={ZONE: PRE_EXISTING}) as server:
        yield server


#: Records that exist before the operator runs: one unowned, one owned by another operator.
PRE_EXISTING = [
    "manual 300 IN A 192.0.2.1",
    "theirs 300 IN A 192.0.2.2",
    'a-theirs 300 IN TXT "heritage=external-dns,external-dns/owner=other,external-dns/resource=service/x/y"',
]


def settings_for(cluster: LocalCluster, bind: BindServer, **flags: Any) -> Any:
    base = {
        **bind.provider_flags(ZONE),
        "source": ["service", "ingress", "crd"],
        "txt_owner_id": "test",
    }
    return operator_settings(cluster.kubeconfig, **{**base, **flags})


def run(coro: Any) -> Any:
    return asyncio.run(coro)


def dns(bind: BindServer) -> dict[tuple[str, str], set[str]]:
    return bind.axfr_records_sync(ZONE)


def serial(bind: BindServer) -> int:
    (soa,) = dns(bind)[(ZONE, "SOA")]
    return int(soa.split()[2])


def events(cluster: LocalCluster, **selectors: str) -> list[dict[str, Any]]:
    field_selector = ",".join(f"{k}={v}" for k, v in selectors.items())
    return run(cluster.list("v1", "events", field_selector=field_selector or None))


def ingress(name: str, host: str, tls_host: str, ip: str) -> dict[str, Any]:
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "Ingress",
        "metadata": {"name": name, "namespace": "default"},
        "spec": {"rules": [{"host": host}], "tls": [{"hosts": [tls_host]}]},
        "status": {"loadBalancer": {"ingress": [{"ip": ip}]}},
    }


def test_each_source_creates_updates_and_deletes_its_records(cluster: LocalCluster, bind: BindServer) -> None:
    run(cluster.create("v1", "services", lb_service("web", "web.example.com", "203.0.113.10")))
    run(
        cluster.create(
            "networking.k8s.io/v1",
            "ingresses",
            ingress("shop", "shop.example.com", "secure.example.com", "203.0.113.20"),
        )
    )
    run(
        cluster.create(
            "externaldns.k8s.io/v1alpha1",
            "dnsendpoints",
            dnsendpoint("tunnel", crd_endpoint("tunnel.example.com", "CNAME", "abc.cfargotunnel.com")),
        )
    )
    with OperatorThread(settings_for(cluster, bind)):
        wait_for(lambda: ("tunnel.example.com", "CNAME") in dns(bind), what="the records in BIND")
        records = dns(bind)
        assert records[("web.example.com", "A")] == {"203.0.113.10"}
        assert records[("shop.example.com", "A")] == {"203.0.113.20"}
        assert records[("secure.example.com", "A")] == {"203.0.113.20"}
        assert records[("tunnel.example.com", "CNAME")] == {"abc.cfargotunnel.com."}
        assert records[("a-web.example.com", "TXT")] == {owner_txt("test", "service/default/web")}
        assert records[("a-shop.example.com", "TXT")] == {owner_txt("test", "ingress/default/shop")}
        assert records[("cname-tunnel.example.com", "TXT")] == {owner_txt("test", "crd/default/tunnel")}

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
        run(
            cluster.patch(
                "networking.k8s.io/v1",
                "ingresses",
                "shop",
                {"status": {"loadBalancer": {"ingress": [{"ip": "203.0.113.21"}]}}},
                "default",
                subresource="status",
            )
        )
        run(
            cluster.patch(
                "externaldns.k8s.io/v1alpha1",
                "dnsendpoints",
                "tunnel",
                {
                    "spec": {
                        "endpoints": [
                            {
                                "dnsName": "tunnel.example.com",
                                "recordType": "CNAME",
                                "targets": ["def.cfargotunnel.com"],
                            }
                        ]
                    }
                },
                "default",
            )
        )
        wait_for(
            lambda: dns(bind).get(("tunnel.example.com", "CNAME")) == {"def.cfargotunnel.com."}, what="the CNAME update"
        )
        wait_for(lambda: dns(bind).get(("web.example.com", "A")) == {"203.0.113.11"}, what="the service update")
        wait_for(lambda: dns(bind).get(("shop.example.com", "A")) == {"203.0.113.21"}, what="the ingress update")

        run(cluster.delete("v1", "services", "web", "default"))
        run(cluster.delete("networking.k8s.io/v1", "ingresses", "shop", "default"))
        run(cluster.delete("externaldns.k8s.io/v1alpha1", "dnsendpoints", "tunnel", "default"))
        wait_for(
            lambda: ("tunnel.example.com", "CNAME") not in dns(bind) and ("web.example.com", "A") not in dns(bind),
            what="deletes",
        )
        wait_for(lambda: ("shop.example.com", "A") not in dns(bind), what="the ingress delete")
        records = dns(bind)
        assert not any(name.startswith(("a-web", "a-shop", "a-secure", "cname-tunnel")) for name, _ in records)
        # what we do not own is untouched
        assert records[("manual.example.com", "A")] == {"192.0.2.1"}
        assert records[("theirs.example.com", "A")] == {"192.0.2.2"}
        assert ("a-theirs.example.com", "TXT") in records
        reasons = {(e["reason"], e["action"], e["involvedObject"]["name"]) for e in events(cluster)}
        assert ("RecordReady", "Created", "web") in reasons
        assert ("RecordReady", "Updated", "shop") in reasons
        assert ("RecordDeleted", "Deleted", "tunnel") in reasons


def mismatches(foreign_owner: str) -> float:
    labels = {"record_type": "A", "owner": "test", "foreign_owner": foreign_owner, "domain": ZONE}
    value = REGISTRY.get_sample_value("external_dns_registry_skipped_records_owner_mismatch_per_sync", labels)
    return value or 0.0


def test_records_of_others_are_never_touched_and_the_object_is_told(cluster: LocalCluster, bind: BindServer) -> None:
    run(cluster.create("v1", "services", lb_service("grab-manual", "manual.example.com", "203.0.113.30")))
    run(cluster.create("v1", "services", lb_service("grab-theirs", "theirs.example.com", "203.0.113.31")))
    run(cluster.create("v1", "services", lb_service("mine", "mine.example.com", "203.0.113.32")))
    before = {owner: mismatches(foreign_owner=owner) for owner in ("other", "")}
    with OperatorThread(settings_for(cluster, bind)):
        wait_for(lambda: ("mine.example.com", "A") in dns(bind), what="our own record")
        def warned() -> list[dict[str, Any]]:
            found = [e for e in events(cluster, reason="RecordError") if e["involvedObject"]["name"].startswith("grab")]
            # Both Warnings, not the first one alone: the two are posted independently.
            return found if {e["involvedObject"]["name"] for e in found} == {"grab-manual", "grab-theirs"} else []

        skipped = wait_for(warned, what="Warning events on both services that want foreign records")
        assert {e["type"] for e in skipped} == {"Warning"}
        records = dns(bind)
        assert records[("manual.example.com", "A")] == {"192.0.2.1"}
        assert records[("theirs.example.com", "A")] == {"192.0.2.2"}
        assert records[("a-theirs.example.com", "TXT")] == {owner_txt("other", "service/x/y")}
        # ExternalDNS's gauge for these skips, one per foreign owner ("" = no owner at all)
        assert mismatches(foreign_owner="other") - before["other"] == 1
        assert mismatches(foreign_owner="") - before[""] == 1


def test_two_operators_with_different_owner_ids_share_a_zone(cluster: LocalCluster, bind: BindServer) -> None:
    run(cluster.create("v1", "services", lb_service("blue", "blue.example.com", "203.0.113.40")))
    run(
        cluster.create(
            "networking.k8s.io/v1",
            "ingresses",
            ingress("green", "green.example.com", "green-tls.example.com", "203.0.113.41"),
        )
    )
    first = settings_for(cluster, bind, source=["service"], txt_owner_id="blue-team")
    second = settings_for(cluster, bind, source=["ingress"], txt_owner_id="green-team")
    with OperatorThread(first), OperatorThread(second) as green:
        wait_for(
            lambda: ("blue.example.com", "A") in dns(bind) and ("green.example.com", "A") in dns(bind),
            what="both records",
        )
        green.wait_idle()
        records = dns(bind)
        assert records[("a-blue.example.com", "TXT")] == {owner_txt("blue-team", "service/default/blue")}
        assert records[("a-green.example.com", "TXT")] == {owner_txt("green-team", "ingress/default/green")}
        run(cluster.delete("v1", "services", "blue", "default"))
        wait_for(lambda: ("blue.example.com", "A") not in dns(bind), what="blue's delete")
        green.wait_idle()
        assert dns(bind)[("green.example.com", "A")] == {"203.0.113.41"}


def test_a_zone_written_by_externaldns_is_adopted_without_a_change(cluster: LocalCluster, tmp_path: Path) -> None:
    if named_path() is None:
        pytest.skip("BIND9 `named` is not installed")
    written_by_externaldns = [
        "web 0 IN A 203.0.113.10",  # ExternalDNS's RFC2136 provider writes TTL 0 when no TTL is asked for
        f"a-web 0 IN TXT {owner_txt('default', 'service/default/web')}",
        "shop 300 IN A 203.0.113.20",
        f"a-shop 0 IN TXT {owner_txt('default', 'ingress/default/shop')}",
    ]
    bind = BindServer()
    bind.start([ZONE], tmp_path / "bind", records={ZONE: written_by_externaldns})
    try:
        run(cluster.create("v1", "services", lb_service("web", "web.example.com", "203.0.113.10")))
        run(
            cluster.create(
                "networking.k8s.io/v1",
                "ingresses",
                ingress("shop", "shop.example.com", "shop.example.com", "203.0.113.20"),
            )
        )
        before = serial(bind)
        settings = settings_for(cluster, bind, txt_owner_id="default", source=["service", "ingress"])
        with OperatorThread(settings) as op:
            op.wait_idle()
            assert op.app.provider.stats.updates_sent == 0  # type: ignore[attr-defined]
        assert serial(bind) == before
    finally:
        bind.stop()


def test_restart_with_unchanged_objects_changes_nothing(cluster: LocalCluster, bind: BindServer) -> None:
    for i in range(5):
        run(cluster.create("v1", "services", lb_service(f"svc{i}", f"svc{i}.example.com", f"203.0.113.{50 + i}")))
    settings = settings_for(cluster, bind)
    with OperatorThread(settings) as op:
        wait_for(lambda: all((f"svc{i}.example.com", "A") in dns(bind) for i in range(5)), what="five records")
        op.wait_idle()
    before, records_before = serial(bind), dns(bind)
    with OperatorThread(settings) as op:
        op.wait_idle()
        assert op.app.provider.stats.updates_sent == 0  # type: ignore[attr-defined]
    assert serial(bind) == before
    assert dns(bind) == records_before


def test_malformed_objects_get_warnings_and_the_rest_still_reconcile(cluster: LocalCluster, bind: BindServer) -> None:
    for i in range(100):
        bad = lb_service(f"bad{i}", f"bad{i}..example.com", "203.0.113.60")
        bad["metadata"]["annotations"]["external-dns.alpha.kubernetes.io/ttl"] = "forever"
        run(cluster.create("v1", "services", bad))
    run(cluster.create("v1", "services", lb_service("good", "good.example.com", "203.0.113.61")))
    run(
        cluster.create(
            "externaldns.k8s.io/v1alpha1",
            "dnsendpoints",
            {
                "apiVersion": "externaldns.k8s.io/v1alpha1",
                "kind": "DNSEndpoint",
                "metadata": {"name": "half-good", "namespace": "default"},
                "spec": {
                    "endpoints": [
                        {"dnsName": "fine.example.com", "recordType": "A", "targets": ["203.0.113.62"]},
                        {"dnsName": "broken.example.com", "recordType": "A", "targets": ["203.0.113.63."]},
                    ]
                },
            },
        )
    )
    with OperatorThread(settings_for(cluster, bind)) as op:
        wait_for(
            lambda: ("good.example.com", "A") in dns(bind) and ("fine.example.com", "A") in dns(bind),
            what="the good records",
        )
        op.wait_idle()
        wanted = {f"bad{i}" for i in range(100)} | {"half-good"}
        warnings = wait_for(
            lambda: (
                (found := events(cluster, type="Warning"))
                and wanted <= {e["involvedObject"]["name"] for e in found}
                and found
            ),
            what="a Warning on each malformed object",
        )
        messages: dict[str, list[str]] = {}
        for event in warnings:
            messages.setdefault(event["involvedObject"]["name"], []).append(event["message"])
        hostname_field = 'metadata.annotations["external-dns.alpha.kubernetes.io/hostname"]'
        ttl_field = 'metadata.annotations["external-dns.alpha.kubernetes.io/ttl"]'
        assert all(any(hostname_field in m for m in messages[f"bad{i}"]) for i in range(100))
        assert all(any(ttl_field in m for m in messages[f"bad{i}"]) for i in range(100))
        assert any("spec.endpoints[1].targets[0]" in m for m in messages["half-good"])
        assert not any(name == "good" for name in messages)
        assert ("broken.example.com", "A") not in dns(bind)


def test_dns_server_down_gives_record_errors_and_recovers(cluster: LocalCluster, bind: BindServer) -> None:
    with OperatorThread(settings_for(cluster, bind)) as op:
        op.wait_idle()
        bind.stop()
        run(cluster.create("v1", "services", lb_service("late", "late.example.com", "203.0.113.70")))
        errors = wait_for(lambda: events(cluster, reason="RecordError"), what="a RecordError event")
        assert errors[0]["type"] == "Warning"
        assert errors[0]["involvedObject"]["name"] == "late"
        assert errors[0]["action"] == "FailedSync"
        bind.restart()
        wait_for(lambda: ("late.example.com", "A") in dns(bind), timeout=30, what="the record after BIND is back")
        wait_for(
            lambda: [e for e in events(cluster, reason="RecordReady") if e["involvedObject"]["name"] == "late"],
            what="RecordReady after recovery",
        )
