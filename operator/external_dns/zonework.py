"""What a zone worker is given and what one of its passes reports: ReconcilerSettings and SyncResult.

Kept apart from reconciler.py (the worker itself) so the application, the factory and the benches can build
settings and read results without the worker's machinery.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from external_dns.endpoint import Endpoint
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
