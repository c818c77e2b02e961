"""What a zone worker is given and what one of its passes reports: ReconcilerSettings and SyncResult.

Kept apart from reconciler.py (the worker itself) so the application, the factory and the benches can build
settings and read results without the worker's machinery.
"""

from __future__ import annotations

import random
from collections.abc import Iterable
from dataclasses import dataclass, field

from external_dns.endpoint import OWNED_RECORD_LABEL, Endpoint, EndpointKey, normalize_name
from external_dns.guards.mass_deletion import DeletionLimit
from external_dns.model import Changes


@dataclass(frozen=True, slots=True)
class ReconcilerSettings:
    debounce: float = 0.2
    resync_interval: float = 60.0
    #: With a provider that counts records cheaply (CountingRecords), a resync reads the zone whole only when the
    #: count differs from the cache's, or when the last whole read is this old (--zone-full-read-interval).
    full_read_interval: float = 3600.0
    dry_run: bool = False
    retry_initial: float = 1.0
    retry_max: float = 60.0
    #: A batch this large is planned at once, without waiting for the debounce to end.
    batch_names: int = 2000
    #: The mass-deletion guard (guards/mass_deletion.py): --max-delete-ratio, --max-delete-min-records.
    deletion_limit: DeletionLimit = field(default_factory=DeletionLimit)
    #: More names than this are planned and applied a slice at a time, with the event loop free in between, so
    #: that a whole-zone pass over thousands of names never holds /healthz or the watches for long (a slice plans
    #: in ~25 ms here). 250 names are about 500 changes with their ownership TXT records: half a Route 53 batch.
    slice_names: int = 250


@dataclass(slots=True)
class SyncResult:
    """What one pass over some names of a zone did."""

    planned: int = 0
    applied: Changes = field(default_factory=Changes)
    failed: list[tuple[Endpoint, str]] = field(default_factory=list)
    skipped: int = 0
    #: The zone could not be read at all.
    error: str = ""


def unapplied(endpoints: Iterable[Endpoint]) -> tuple[set[EndpointKey], set[str]]:
    """The keys of the endpoints a provider did not apply, and the names to retry (an ownership TXT's record's
    name too)."""
    keys: set[EndpointKey] = set()
    names: set[str] = set()
    for endpoint in endpoints:
        keys.add(endpoint.key)
        names.add(endpoint.key.name)
        if OWNED_RECORD_LABEL in endpoint.labels:
            names.add(normalize_name(endpoint.labels[OWNED_RECORD_LABEL]))
    return keys, names


def resync_delay(settings: ReconcilerSettings) -> float:
    """The resync interval with +-10% jitter: many zones must not list their records at the same moment (Route 53
    allows 5 requests per second per account)."""
    return settings.resync_interval * random.uniform(0.9, 1.1)


class DependsOnApply(Exception):
    """A plan made ahead (the zone worker's _plan_ahead) turned out to delete: it is dropped and made again after
    the apply."""
