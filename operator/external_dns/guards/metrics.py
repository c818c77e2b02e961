"""Prometheus metrics of the guards: how often each acted, and what the mass-deletion guard holds right now."""

from __future__ import annotations

from prometheus_client import Counter, Gauge

from external_dns.metrics import NAMESPACE

GUARD_ACTIONS = Counter(
    "guard_actions",
    "Times a guard held something back: mass_deletion (a plan's deletes), blank_status (an object's records "
    "kept while its load-balancer status is empty), namespace_isolation (a name refused to a namespace).",
    ["guard", "zone"],
    namespace=NAMESPACE,
)
HELD_DELETIONS = Gauge(
    "guard_held_deletions",
    "Deletions the mass-deletion guard holds back in a zone, as of its last plan (0: none).",
    ["zone"],
    namespace=NAMESPACE,
)
