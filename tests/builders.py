"""Kubernetes objects the integration tests create, built one way for every test file.

Each builder returns the plain dict the API server takes. Unit tests of a single source keep their own
builders where they vary the object field by field.
"""

from __future__ import annotations

from typing import Any

HOSTNAME_ANNOTATION = "external-dns.alpha.kubernetes.io/hostname"
CRD_API_VERSION = "externaldns.k8s.io/v1alpha1"


def lb_service(
    name: str,
    hostname: str,
    ip: str,
    namespace: str = "default",
    *,
    annotations: dict[str, str] | None = None,
) -> dict[str, Any]:
    """A LoadBalancer Service asking for ``hostname``, whose load balancer has the address ``ip`` ("" for none)."""
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {
            "name": name,
            "namespace": namespace,
            "annotations": {HOSTNAME_ANNOTATION: hostname, **(annotations or {})},
        },
        "spec": {"type": "LoadBalancer", "ports": [{"port": 80}]},
        "status": {"loadBalancer": {"ingress": [{"ip": ip}] if ip else []}},
    }


def crd_endpoint(dns_name: str, record_type: str, *targets: str, ttl: int | None = None) -> dict[str, Any]:
    """One item of a DNSEndpoint's ``spec.endpoints``."""
    item: dict[str, Any] = {"dnsName": dns_name, "recordType": record_type, "targets": list(targets)}
    if ttl is not None:
        item["recordTTL"] = ttl
    return item


def dnsendpoint(name: str, *endpoints: dict[str, Any], namespace: str = "default") -> dict[str, Any]:
    """A DNSEndpoint holding ``endpoints`` (see :func:`crd_endpoint`)."""
    return {
        "apiVersion": CRD_API_VERSION,
        "kind": "DNSEndpoint",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {"endpoints": list(endpoints)},
    }
