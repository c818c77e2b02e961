"""``make demo``: the operator on an embedded local cluster with the in-memory provider, no real cluster needed.

It starts the local API server, applies the manifests in examples/, runs the operator until every zone is idle,
prints the records it made and the events it posted, and exits 0. With ``--keep-running`` it stays up and prints
the kubeconfig, so that ``kubectl apply`` of more objects shows records changing live.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import socket
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml

from external_dns.logs import setup_logging
from external_dns.testing import local_cluster_in_thread
from external_dns.testing.cluster import LocalCluster
from external_dns.testing.operator import OperatorThread, operator_settings

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"

#: Where each example kind is served (the demo needs no discovery for this handful).
PLURALS = {
    "Service": "services",
    "Ingress": "ingresses",
    "DNSEndpoint": "dnsendpoints",
    "Gateway": "gateways",
    "HTTPRoute": "httproutes",
    "GRPCRoute": "grpcroutes",
    "Namespace": "namespaces",
    "Node": "nodes",
    "Pod": "pods",
}


def load_manifests(directory: Path) -> list[dict[str, Any]]:
    documents: list[dict[str, Any]] = []
    for path in sorted(directory.glob("*.yaml")):
        documents.extend(doc for doc in yaml.safe_load_all(path.read_text()) if doc)
    return documents


async def apply(cluster: LocalCluster, documents: Sequence[dict[str, Any]]) -> None:
    for doc in documents:
        plural = PLURALS.get(doc["kind"])
        if plural is None:
            print(f"skipping {doc['kind']} {doc['metadata']['name']}: not a kind the demo knows", file=sys.stderr)
            continue
        await cluster.create(doc["apiVersion"], plural, doc)


def table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    widths = [max(len(str(cell)) for cell in column) for column in zip(headers, *rows, strict=False)]
    lines = [
        "  ".join(str(cell).ljust(width) for cell, width in zip(row, widths, strict=False)).rstrip()
        for row in [headers, *rows]
    ]
    return "\n".join(lines)


def record_rows(op: OperatorThread) -> list[list[str]]:
    snapshot: Any = op.app.provider.snapshot()  # type: ignore[attr-defined]
    rows = []
    for zone, endpoints in sorted(snapshot.items()):
        for ep in endpoints:
            rows.append([zone, ep.dns_name, ep.record_type, str(ep.ttl or ""), ", ".join(ep.targets)])
    return rows


def event_rows(cluster: LocalCluster) -> list[list[str]]:
    events = asyncio.run(cluster.list("v1", "events"))
    return [
        [
            e["type"],
            e["reason"],
            e.get("action", ""),
            f"{e['involvedObject']['kind']}/{e['involvedObject']['name']}",
            e["message"],
        ]
        for e in sorted(events, key=lambda e: (e["involvedObject"]["name"], e["reason"]))
    ]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m external_dns.demo", description=__doc__)
    parser.add_argument("--keep-running", action="store_true", help="stay up; print the kubeconfig for kubectl")
    parser.add_argument("--examples", type=Path, default=EXAMPLES, help="directory of manifests to apply")
    parser.add_argument(
        "--metrics-address", default=None, help="/metrics, /healthz, /readyz (default: 127.0.0.1, a free port)"
    )
    args = parser.parse_args(argv)
    metrics_address = args.metrics_address or f"127.0.0.1:{free_port()}"
    setup_logging("warning")
    logging.getLogger("kopf").setLevel(logging.CRITICAL)  # its shutdown chatter is not the demo's story

    with local_cluster_in_thread() as cluster:
        asyncio.run(apply(cluster, load_manifests(args.examples)))
        settings = operator_settings(
            cluster.kubeconfig,
            source=["service", "ingress", "crd", "gateway-httproute", "node", "pod"],
            provider="inmemory",
            inmemory_zone=["example.com"],
            txt_owner_id="demo",
            log_level="warning",
            metrics_address=metrics_address,
        )
        with OperatorThread(settings) as op:
            op.wait_idle()
            print(f"Operator metrics: http://{metrics_address}/metrics (and /healthz, /readyz)\n")
            print("Records in the in-memory provider:\n")
            print(table(["ZONE", "NAME", "TYPE", "TTL", "TARGETS"], record_rows(op)))
            print("\nEvents on the objects (kubectl get events):\n")
            print(table(["TYPE", "REASON", "ACTION", "OBJECT", "MESSAGE"], event_rows(cluster)))
            if args.keep_running:
                keep_running(cluster, op)
    return 0


def free_port() -> int:
    """A port free on 127.0.0.1 now (the demo's default metrics port: two demos or a test run never collide)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def keep_running(cluster: LocalCluster, op: OperatorThread) -> None:
    print(f"\nThe local cluster keeps running. In another shell:\n\n  export KUBECONFIG={cluster.kubeconfig}")
    print("  kubectl apply --validate=false -f examples/\n  kubectl get events -w")
    print("  kubectl patch service NAME --subresource=status --type=merge \\")
    print("    -p '{\"status\":{\"loadBalancer\":{\"ingress\":[{\"ip\":\"203.0.113.10\"}]}}}'")
    print("\nCtrl-C stops the demo.")
    shown = record_rows(op)
    try:
        while True:
            time.sleep(1)
            now = record_rows(op)
            if now != shown:
                print("\n" + table(["ZONE", "NAME", "TYPE", "TTL", "TARGETS"], now))
                shown = now
    except KeyboardInterrupt:
        print("\nstopping")


if __name__ == "__main__":
    raise SystemExit(main())
