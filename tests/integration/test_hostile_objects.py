"""Hostile and malformed objects against the real operator, the local API server and a real BIND.

What a platform team needs to trust at the edges: an object may not forge another owner's ownership record, a
name BIND would refuse never reaches it (so it cannot hold the other records of its batch hostage), and each bad
object is told why with a Warning naming its field. Every DNS assertion is made on BIND's AXFR.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from tests.backends.bind import BindServer, running_bind
from tests.harness import OperatorThread, operator_settings, wait_for

from external_dns.config import Settings
from external_dns.testing.cluster import LocalCluster

ZONE = "example.com"
HOSTNAME = "external-dns.alpha.kubernetes.io/hostname"
FOREIGN_TXT = '"heritage=external-dns,external-dns/owner=other-cluster,external-dns/resource=service/default/victim"'
PRE_EXISTING = ["victim 300 IN A 192.0.2.200", f"a-victim 300 IN TXT {FOREIGN_TXT}"]


@pytest.fixture
def bind(tmp_path: Path) -> Iterator[BindServer]:
    with running_bind(tmp_path / "bind", [ZONE], records={ZONE: PRE_EXISTING}) as server:
        yield server


def settings_for(cluster: LocalCluster, bind: BindServer, **flags: Any) -> Settings:
    info = bind.info
    base = {
        "source": ["service", "crd"],
        "provider": "rfc2136",
        "rfc2136_host": info.host,
        "rfc2136_port": info.port,
        "rfc2136_zone": [ZONE],
        "rfc2136_tsig_keyname": info.key_name,
        "rfc2136_tsig_secret": info.key_secret,
        "rfc2136_tsig_secret_alg": info.key_algorithm,
        "txt_owner_id": "bars",
    }
    return operator_settings(cluster.kubeconfig, **{**base, **flags})


def run(coro: Any) -> Any:
    return asyncio.run(coro)


def dns(bind: BindServer) -> dict[tuple[str, str], set[str]]:
    return bind.axfr_records_sync(ZONE)


def warnings_by_object(cluster: LocalCluster) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for event in run(cluster.list("v1", "events", field_selector="type=Warning")):
        found.setdefault(event["involvedObject"]["name"], []).append(event["message"])
    return found


def service(name: str, hostname: str, ip: str = "203.0.113.10", **annotations: str) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": name, "namespace": "default", "annotations": {HOSTNAME: hostname, **annotations}},
        "spec": {"type": "LoadBalancer", "ports": [{"port": 80}]},
        "status": {"loadBalancer": {"ingress": [{"ip": ip}]}},
    }


def dnsendpoint(name: str, *endpoints: dict[str, Any]) -> dict[str, Any]:
    return {
        "apiVersion": "externaldns.k8s.io/v1alpha1",
        "kind": "DNSEndpoint",
        "metadata": {"name": name, "namespace": "default"},
        "spec": {"endpoints": list(endpoints)},
    }


def create(cluster: LocalCluster, obj: dict[str, Any]) -> None:
    if obj["kind"] == "Service":
        run(cluster.create("v1", "services", obj))
    else:
        run(cluster.create("externaldns.k8s.io/v1alpha1", "dnsendpoints", obj))


@pytest.mark.parametrize(
    "managed",
    [
        pytest.param(None, id="default managed types"),
        pytest.param(["A", "AAAA", "CNAME", "TXT"], id="TXT managed"),
    ],
)
def test_a_forged_ownership_txt_is_refused_with_a_warning_naming_the_claimed_owner(
    cluster: LocalCluster, bind: BindServer, managed: list[str] | None
) -> None:
    forged = '"heritage=external-dns,external-dns/owner=bars"'
    create(
        cluster,
        dnsendpoint(
            "forger",
            {"dnsName": "a-victim.example.com", "recordType": "TXT", "targets": [forged]},
            {"dnsName": "fine.example.com", "recordType": "A", "targets": ["203.0.113.5"]},
        ),
    )
    flags = {"managed_record_types": managed} if managed else {}
    with OperatorThread(settings_for(cluster, bind, **flags)) as op:
        wait_for(lambda: ("fine.example.com", "A") in dns(bind), what="the forger's honest record")
        op.wait_idle()
        messages = wait_for(lambda: warnings_by_object(cluster).get("forger"), what="a Warning on the forger")
        assert any("spec.endpoints[0].targets[0]" in m and "'bars'" in m for m in messages), messages
        assert dns(bind)[("a-victim.example.com", "TXT")] == {FOREIGN_TXT}
        assert dns(bind)[("victim.example.com", "A")] == {"192.0.2.200"}


def test_names_and_values_bind_would_refuse_are_refused_up_front_and_hold_no_good_name_hostage(
    cluster: LocalCluster, bind: BindServer
) -> None:
    good = [service(f"good{i}", f"good{i}.example.com", f"203.0.113.{20 + i}") for i in range(20)]
    bad = {
        "bad-host": (service("bad-host", "bad_host0.example.com"), HOSTNAME),
        "trailing-dots": (service("trailing-dots", "trail0.example.com.."), HOSTNAME),
        "ttl-newline": (
            service("ttl-newline", "ttl0.example.com", **{"external-dns.alpha.kubernetes.io/ttl": "300\n"}),
            "ttl",
        ),
        "no-targets": (
            dnsendpoint("no-targets", {"dnsName": "empty0.example.com", "recordType": "A", "targets": []}),
            "spec.endpoints[0].targets",
        ),
        "null-targets": (
            dnsendpoint("null-targets", {"dnsName": "null0.example.com", "recordType": "A", "targets": None}),
            "spec.endpoints[0].targets",
        ),
        "crd-trailing": (
            dnsendpoint(
                "crd-trailing", {"dnsName": "trail1.example.com..", "recordType": "A", "targets": ["192.0.2.9"]}
            ),
            "spec.endpoints[0].dnsName",
        ),
        "crd-underscore": (
            dnsendpoint(
                "crd-underscore", {"dnsName": "bad_host1.example.com", "recordType": "A", "targets": ["192.0.2.9"]}
            ),
            "spec.endpoints[0].dnsName",
        ),
    }
    # Interleaved, so the bad ones land in the same batches as the good ones.
    for index, obj in enumerate(good):
        create(cluster, obj)
        if index < len(bad):
            create(cluster, list(bad.values())[index][0])
    with OperatorThread(settings_for(cluster, bind)) as op:
        wait_for(lambda: all((f"good{i}.example.com", "A") in dns(bind) for i in range(20)), what="every good name")
        op.wait_idle()
        warnings = wait_for(
            lambda: (found := warnings_by_object(cluster)) and set(bad) <= set(found) and found,
            what="a Warning on each bad object",
        )
        for name, (_, field) in bad.items():
            assert any(field in message for message in warnings[name]), (name, warnings[name])
        assert not any(name.startswith("good") for name in warnings), warnings
        published = {name for name, _ in dns(bind)}
        assert not published & {
            "bad_host0.example.com",
            "bad_host1.example.com",
            "trail0.example.com",
            "trail1.example.com",
        }
        # A bad TTL loses only itself: the record is published without a TTL of its own.
        assert ("ttl0.example.com", "A") in dns(bind)
        assert any("hostname rule" in m for m in warnings["bad-host"])
