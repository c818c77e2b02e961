"""Prometheus metrics of the guards: how often each acted, and what they hold back right now."""

from __future__ import annotations

from prometheus_client import Counter, Gauge

from external_dns.metrics import NAMESPACE

GUARD_ACTIONS = Counter(
    "guard_actions",
    "Times a guard acted: mass_deletion (a plan's deletes held back), blank_status (an object's records kept "
    "while its load-balancer status is empty), namespace_isolation (a name or domain refused to a namespace).",
    ["guard"],
    namespace=NAMESPACE,
)
HELD_DELETIONS = Gauge(
    "guard_held_deletions",
    "Deletions the mass-deletion guard holds back in a zone, as of its last plan (0: none).",
    ["zone"],
    namespace=NAMESPACE,
)
BLANK_STATUS_HOLDS = Gauge(
    "guard_blank_status_holds",
    "Objects whose records are kept while their load-balancer status is empty (--empty-target-grace).",
    namespace=NAMESPACE,
)
