"""Prometheus metrics: ExternalDNS's names where the meaning matches, plus what only this design can measure.

ExternalDNS counts whole-world loops; here work happens per zone and per changed name, so a few of its gauges
are kept for dashboards' sake (last sync timestamp, records by type) and the rest describes the incremental
pipeline: change-to-record latency, provider calls and errors by operation, and the queue depth per zone.
"""

from __future__ import annotations

import collections
import time
from collections.abc import Awaitable, Iterable
from typing import TypeVar

from prometheus_client import Counter, Gauge, Histogram, Info

from external_dns.endpoint import Endpoint
from external_dns.errors import ProviderError
from external_dns.model import Changes

T = TypeVar("T")

NAMESPACE = "external_dns"

BUILD_INFO = Info("build", "Build information.", namespace=NAMESPACE)
BUILD_INFO.info({"version": "0.1.0", "implementation": "kopf"})

LAST_SYNC = Gauge(
    "controller_last_sync_timestamp_seconds",
    "Time of the last sync that applied its changes (or had none to apply).",
    namespace=NAMESPACE,
)
LAST_RECONCILE = Gauge(
    "controller_last_reconcile_timestamp_seconds",
    "Time of the last planning pass, successful or not.",
    namespace=NAMESPACE,
)
NO_OP_RUNS = Counter("controller_no_op_runs", "Planning passes that found nothing to change.", namespace=NAMESPACE)
CONSECUTIVE_SOFT_ERRORS = Gauge(
    "controller_consecutive_soft_errors", "Provider errors since the last success.", namespace=NAMESPACE
)
REGISTRY_RECORDS = Gauge(
    "registry_records",
    "Records in a managed zone at its last full sync, by type.",
    ["zone", "record_type"],
    namespace=NAMESPACE,
)
SOURCE_RECORDS = Gauge(
    "source_records",
    "Endpoints wanted in a zone at its last full sync, by type.",
    ["zone", "record_type"],
    namespace=NAMESPACE,
)
SOURCE_INVALID_ENDPOINTS = Counter(
    "source_invalid_endpoints",
    "Endpoints rejected because the object asked for something invalid.",
    ["source_type"],
    namespace=NAMESPACE,
)
OWNER_MISMATCH = Gauge(
    "registry_skipped_records_owner_mismatch_per_sync",
    "Records wanted but left alone because another owner (or none) holds the name, as of each zone's last plan.",
    ["record_type", "owner", "foreign_owner", "domain"],
    namespace=NAMESPACE,
)
PLANNED_CHANGES = Counter(
    "planned_changes", "Changes planned, by zone and action.", ["zone", "action"], namespace=NAMESPACE
)
QUEUE_DEPTH = Gauge("zone_queue_depth", "Names waiting to be planned, per zone.", ["zone"], namespace=NAMESPACE)
CHANGE_LATENCY = Histogram(
    "change_to_record_latency_seconds",
    "From an object change reaching the operator to its records being applied.",
    namespace=NAMESPACE,
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300),
)
PROVIDER_CALLS = Counter("provider_calls", "Calls to the DNS provider.", ["provider", "operation"], namespace=NAMESPACE)
PROVIDER_ERRORS = Counter(
    "provider_errors", "Failed calls to the DNS provider.", ["provider", "operation"], namespace=NAMESPACE
)
PROVIDER_LATENCY = Histogram(
    "provider_call_duration_seconds", "Duration of provider calls.", ["provider", "operation"], namespace=NAMESPACE
)


def count_records(zone: str, held: Iterable[Endpoint], wanted: Iterable[Endpoint]) -> None:
    """Refresh the per-type gauges of one zone (on full syncs only: it walks the whole zone)."""
    for gauge, endpoints in ((REGISTRY_RECORDS, held), (SOURCE_RECORDS, wanted)):
        counts = collections.Counter(ep.record_type for ep in endpoints)
        for record_type, count in counts.items():
            gauge.labels(zone=zone, record_type=record_type).set(count)


def record_plan(zone: str, changes: Changes) -> None:
    """Count one planning pass."""
    now = time.time()
    LAST_RECONCILE.set(now)
    if not changes.has_changes():
        NO_OP_RUNS.inc()
        LAST_SYNC.set(now)
        return
    for action, endpoints in (("create", changes.create), ("update", changes.update_new), ("delete", changes.delete)):
        if endpoints:
            PLANNED_CHANGES.labels(zone=zone, action=action).inc(len(endpoints))


EVENTS_RECORDED = Counter(
    "events_recorded", "Kubernetes events the operator produced, by reason.", ["reason"], namespace=NAMESPACE
)
EVENTS_FOLDED = Counter(
    "events_folded",
    "Events folded into another one while waiting to be posted: repeat (same event, its count), similar (the "
    "object's combined event), namespace (the backlog was full: the namespace's summary event).",
    ["how"],
    namespace=NAMESPACE,
)
EVENTS_POSTED = Counter(
    "events_posted",
    "Event writes to the API server: create, or patch (a count increment).",
    ["verb"],
    namespace=NAMESPACE,
)
EVENTS_SHED = Counter(
    "events_shed",
    "Events given up: the API server refused them for good (a 4xx other than 429), or kept failing (8 attempts).",
    ["reason"],
    namespace=NAMESPACE,
)
EVENTS_BACKLOG = Gauge("events_backlog", "Objects (and namespace summaries) with events waiting.", namespace=NAMESPACE)


async def provider_call(provider: str, operation: str, call: Awaitable[T]) -> T:
    """Await one provider call, counting it, its errors and its latency."""
    started = time.monotonic()
    try:
        return await call
    except ProviderError:
        PROVIDER_ERRORS.labels(provider=provider, operation=operation).inc()
        raise
    finally:
        PROVIDER_CALLS.labels(provider=provider, operation=operation).inc()
        PROVIDER_LATENCY.labels(provider=provider, operation=operation).observe(time.monotonic() - started)
