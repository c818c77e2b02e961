"""Seed 004 end to end: Gateway API routes behind a label-filtered Gateway, against the local API server.

Two Gateways (one labelled for external DNS, one not) with a route on each, a redirect route that opts out with
``controller: none``, a per-route Cloudflare-proxied annotation, and a DNSEndpoint CNAME for a tunnel.
"""

from __future__ import annotations

import asyncio
from typing import Any

from tests.harness import OperatorThread, operator_settings, wait_for

from external_dns.testing.cluster import LocalCluster

GW = "gateway.networking.k8s.io/v1"
PROXIED = "external-dns.kubernetes.io/cloudflare-proxied"


def run(coro: Any) -> Any:
    return asyncio.run(coro)


def gateway(name: str, address: str, labels: dict[str, str]) -> dict[str, Any]:
    return {
        "apiVersion": GW,
        "kind": "Gateway",
        "metadata": {"name": name, "namespace": "default", "labels": labels},
        "spec": {
            "gatewayClassName": "cilium",
            "listeners": [{"name": "https", "protocol": "HTTPS", "port": 443, "hostname": "*.example.com"}],
        },
        "status": {"addresses": [{"type": "IPAddress", "value": address}]},
    }


def route(
    name: str, gateway_name: str, host: str, annotations: dict[str, str], accepted: bool = True
) -> dict[str, Any]:
    return {
        "apiVersion": GW,
        "kind": "HTTPRoute",
        "metadata": {"name": name, "namespace": "default", "annotations": annotations},
        "spec": {"parentRefs": [{"name": gateway_name}], "hostnames": [host]},
        "status": {
            "parents": [
                {
                    "parentRef": {"group": "gateway.networking.k8s.io", "kind": "Gateway", "name": gateway_name},
                    "controllerName": "io.cilium/gateway-controller",
                    "conditions": [{"type": "Accepted", "status": "True" if accepted else "False", "reason": "x"}],
                }
            ]
        },
    }


def records(op: OperatorThread) -> dict[tuple[str, str], Any]:
    snapshot: Any = op.app.provider.snapshot()  # type: ignore[attr-defined]
    return {(ep.dns_name, ep.record_type): ep for endpoints in snapshot.values() for ep in endpoints}


def test_seed_004_routes_behind_a_label_filtered_gateway(cluster: LocalCluster) -> None:
    run(cluster.create(GW, "gateways", gateway("public", "198.51.100.10", {"external-dns": "true"})))
    run(cluster.create(GW, "gateways", gateway("internal", "10.0.0.10", {})))
    run(cluster.create(GW, "httproutes", route("app", "public", "app.example.com", {PROXIED: "true"})))
    run(cluster.create(GW, "httproutes", route("intranet", "internal", "intranet.example.com", {})))
    run(
        cluster.create(
            GW,
            "httproutes",
            route("redirect", "public", "www.example.com", {"external-dns.alpha.kubernetes.io/controller": "none"}),
        )
    )
    run(cluster.create(GW, "httproutes", route("pending", "public", "pending.example.com", {}, accepted=False)))
    run(
        cluster.create(
            "externaldns.k8s.io/v1alpha1",
            "dnsendpoints",
            {
                "apiVersion": "externaldns.k8s.io/v1alpha1",
                "kind": "DNSEndpoint",
                "metadata": {"name": "tunnel", "namespace": "default"},
                "spec": {
                    "endpoints": [
                        {"dnsName": "tunnel.example.com", "recordType": "CNAME", "targets": ["x.cfargotunnel.com"]}
                    ]
                },
            },
        )
    )
    settings = operator_settings(
        cluster.kubeconfig,
        source=["gateway-httproute", "crd"],
        provider="inmemory",
        inmemory_zone=["example.com"],
        gateway_label_filter="external-dns=true",
    )
    with OperatorThread(settings) as op:
        op.wait_idle()
        held = records(op)
        assert held[("app.example.com", "A")].targets == ("198.51.100.10",)
        assert held[("app.example.com", "A")].provider_specific.get(PROXIED) == "true"
        assert held[("tunnel.example.com", "CNAME")].targets == ("x.cfargotunnel.com",)
        assert ("intranet.example.com", "A") not in held  # its Gateway is not labelled for us
        assert ("www.example.com", "A") not in held  # controller: none
        assert ("pending.example.com", "A") not in held  # not accepted by its Gateway
        events = run(cluster.list("v1", "events", field_selector="involvedObject.name=pending"))
        assert any("not accepted" in e["message"] or "Accepted" in e["message"] for e in events)
        assert not run(cluster.list("v1", "events", field_selector="involvedObject.name=redirect"))

        # A Gateway that has no address yet is told so (once), on the Gateway itself.
        fresh = gateway("fresh", "unused", {"external-dns": "true"})
        del fresh["status"]
        run(cluster.create(GW, "gateways", fresh))
        told = wait_for(
            lambda: run(cluster.list("v1", "events", field_selector="involvedObject.name=fresh")), what="the Warning"
        )
        assert told[0]["type"] == "Warning" and told[0]["involvedObject"]["kind"] == "Gateway"
        assert "no addresses yet" in told[0]["message"]

        # A Gateway change re-derives every route attached to it.
        run(
            cluster.patch(
                GW,
                "gateways",
                "public",
                {"status": {"addresses": [{"type": "IPAddress", "value": "198.51.100.11"}]}},
                "default",
                subresource="status",
            )
        )
        wait_for(lambda: records(op)[("app.example.com", "A")].targets == ("198.51.100.11",), what="the new address")
        # Labelling the internal Gateway brings its route in.
        run(cluster.patch(GW, "gateways", "internal", {"metadata": {"labels": {"external-dns": "true"}}}, "default"))
        wait_for(lambda: ("intranet.example.com", "A") in records(op), what="the intranet record")
