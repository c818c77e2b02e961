"""What one change of a looked-up object costs the operator: the objects it re-derives, and the time.

Gateways: a Gateway's status changes whenever a route attaches to it or leaves it (``listeners[].attachedRoutes``), so
while routes are created in bulk every new route also brings a Gateway change. In process (no servers): an
Application with the gateway-httproute source, ``--gateways`` Gateways and ``--routes`` HTTPRoutes spread over
them; then one status change of each Gateway, timed, under two rules in the same run:

- "every route": what the operator did before: a Gateway change re-derived every route of the cluster;
- "its routes": now: only the routes whose spec.parentRefs name the Gateway (the store tags each route with them).

Pods: ``--pods`` pods of one namespace on 20 nodes and 10 NodePort Services with ``externalTrafficPolicy: Local``,
each selecting a tenth of the pods (each such Service's derivation reads the namespace's every pod); then 100 pod
changes, timed, under two rules:

- "every reader": before: a pod change re-derived every NodePort and headless Service of its namespace;
- "selecting": now: only the Services whose selector selects the pod, before or after the change.

    .venv/bin/python bench/dependents.py --routes 1000 10000 --gateways 20 --pods 1000 5000
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import time
from collections.abc import Iterable
from typing import Any

from external_dns.app import Application, Wiring
from external_dns.kinds import GATEWAYS, NAMESPACES, NODES, PODS, READS_RELATED, SourceKind, source_kind
from external_dns.plan import PlanSettings
from external_dns.providers.inmemory import InMemoryProvider
from external_dns.registry.txt import TXTRegistry
from external_dns.sources.base import SourceSettings
from external_dns.store import Obj, ObjectStore
from external_dns.zonework import ReconcilerSettings

ZONE = "example.com"
GROUP = "gateway.networking.k8s.io"


def gateway(index: int, address: str, rv: int) -> dict[str, Any]:
    listener = {"name": "http", "protocol": "HTTP", "port": 80, "allowedRoutes": {"namespaces": {"from": "All"}}}
    return {
        "apiVersion": f"{GROUP}/v1",
        "kind": "Gateway",
        "metadata": {"name": f"gw-{index}", "namespace": "infra", "resourceVersion": str(rv)},
        "spec": {"gatewayClassName": "example", "listeners": [listener]},
        "status": {"addresses": [{"type": "IPAddress", "value": address}]},
    }


def route(index: int, gateways: int) -> dict[str, Any]:
    parent = {"name": f"gw-{index % gateways}", "namespace": "infra"}
    accepted = {"type": "Accepted", "status": "True", "reason": "Accepted"}
    return {
        "apiVersion": f"{GROUP}/v1",
        "kind": "HTTPRoute",
        "metadata": {"name": f"r-{index}", "namespace": f"team-{index % 50}", "resourceVersion": "1"},
        "spec": {"parentRefs": [parent], "hostnames": [f"r-{index}.{ZONE}"]},
        "status": {"parents": [{"parentRef": parent, "controllerName": "example.com/gw", "conditions": [accepted]}]},
    }


def every_route(store: ObjectStore, plural: str, changed: Obj, previous: Obj | None) -> Iterable[Obj]:
    """The rule before: every route may read the changed Gateway or Namespace."""
    return list(store.values())


def every_reader(store: ObjectStore, plural: str, changed: Obj, previous: Obj | None) -> Iterable[Obj]:
    """The rule before: every Service of the pod's namespace that reads related objects (of all, for a Node)."""
    if plural == "pods":
        return store.tagged(READS_RELATED, str(changed["metadata"]["namespace"]))
    return store.tagged(READS_RELATED)


def node(index: int) -> dict[str, Any]:
    addresses = [{"type": "ExternalIP", "address": f"198.51.100.{index + 1}"}]
    return {"metadata": {"name": f"n{index}", "resourceVersion": "1"}, "status": {"addresses": addresses}}


def pod(index: int, rv: int) -> dict[str, Any]:
    return {
        "metadata": {
            "name": f"p{index}",
            "namespace": "big",
            "resourceVersion": str(rv),
            "labels": {"app": f"a{index % 10}"},
        },
        "spec": {"nodeName": f"n{index % 20}"},
        "status": {"phase": "Running", "conditions": [{"type": "Ready", "status": "True"}]},
    }


def local_node_port(index: int) -> dict[str, Any]:
    return {
        "metadata": {
            "name": f"s{index}",
            "namespace": "big",
            "resourceVersion": "1",
            "annotations": {"external-dns.alpha.kubernetes.io/hostname": f"s{index}.{ZONE}"},
        },
        "spec": {
            "type": "NodePort",
            "externalTrafficPolicy": "Local",
            "selector": {"app": f"a{index}"},
            "ports": [{"port": 80, "nodePort": 30000 + index}],
        },
    }


def measure_pods(rule: str, kind: SourceKind, pods: int) -> float:
    """Seconds per pod change, under one rule."""
    app = application(kind)
    app.on_listing(NODES, [node(n) for n in range(20)], "1")
    app.on_listing(PODS, [pod(i, 1) for i in range(pods)], "1")
    app.on_listing(kind.resource, [local_node_port(s) for s in range(10)], "1")
    started = time.perf_counter()
    for index in range(100):
        app.on_object(PODS, "MODIFIED", pod(index, 2))
    per_change = (time.perf_counter() - started) / 100
    print(f"  {rule:<12} {per_change * 1000:9.2f} ms per pod change")
    return per_change


def application(kind: SourceKind) -> Application:
    wiring = Wiring(
        provider=InMemoryProvider([ZONE]),
        registry=TXTRegistry("bench"),
        sources=[kind],
        source_settings=SourceSettings(),
        plan_settings=PlanSettings(owner_id="bench"),
        reconciler_settings=ReconcilerSettings(resync_interval=3600),
    )
    return Application(wiring)


def measure(rule: str, kind: SourceKind, routes: int, gateways: int) -> tuple[float, int]:
    """Seconds per Gateway change and routes derived per change, under one rule."""
    derived = 0
    inner = kind.derive

    def counted(obj: Any, settings: Any, lookups: Any) -> Any:
        nonlocal derived
        derived += 1
        return inner(obj, settings, lookups)

    app = application(dataclasses.replace(kind, derive=counted))
    app.on_listing(NAMESPACES, [{"metadata": {"name": f"team-{n}"}} for n in range(50)], "1")
    app.on_listing(GATEWAYS, [gateway(g, "203.0.113.1", 1) for g in range(gateways)], "1")
    app.on_listing(kind.resource, [route(i, gateways) for i in range(routes)], "1")
    derived = 0
    started = time.perf_counter()
    for g in range(gateways):
        app.on_object(GATEWAYS, "MODIFIED", gateway(g, "203.0.113.2", 2))
    seconds = time.perf_counter() - started
    per_change = seconds / gateways
    print(f"  {rule:<12} {per_change * 1000:9.2f} ms per Gateway change, {derived // gateways:6d} routes derived")
    return per_change, derived // gateways


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--routes", type=int, nargs="*", default=[1000, 10000])
    parser.add_argument("--gateways", type=int, default=20)
    parser.add_argument("--pods", type=int, nargs="*", default=[1000, 5000])
    args = parser.parse_args()
    print(f"load average {os.getloadavg()[0]:.2f}")
    services = source_kind("service", SourceSettings())
    services_before = dataclasses.replace(services, spec=dataclasses.replace(services.spec, readers=every_reader))
    for pods in args.pods:
        print(f"{pods} pods in one namespace, 10 NodePort Services with externalTrafficPolicy Local:")
        old = measure_pods("every reader", services_before, pods)
        new = measure_pods("selecting", services, pods)
        print(f"  ratio {old / new:.1f}x")
    now = source_kind("gateway-httproute", SourceSettings())
    before = dataclasses.replace(now, spec=dataclasses.replace(now.spec, readers=every_route))
    for routes in args.routes:
        print(f"{routes} HTTPRoutes over {args.gateways} Gateways:")
        old, _ = measure("every route", before, routes, args.gateways)
        new, _ = measure("its routes", now, routes, args.gateways)
        print(f"  ratio {old / new:.1f}x")


if __name__ == "__main__":
    main()
