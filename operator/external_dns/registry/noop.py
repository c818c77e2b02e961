"""The noop registry (``--registry=noop``): no ownership at all, every record is everybody's.

Records pass through unchanged and no ownership record is ever written. With no owner id the planner applies
no ownership filter, so this instance will update and delete any record of a managed type in its zones.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence

from external_dns.endpoint import Endpoint
from external_dns.model import Changes
from external_dns.registry.base import RegistryView


class NoopRegistry:
    """A :class:`~external_dns.registry.base.Registry` that records no ownership."""

    owner_id: str = ""

    def read(self, records: Sequence[Endpoint]) -> RegistryView:
        """Every record as it is, none of them owned."""
        return RegistryView(records=list(records))

    def related_names(self, dns_name: str, types: Collection[str] | None = None) -> set[str]:
        """No other name carries anything about ``dns_name``."""
        return set()

    def ownership_changes(self, changes: Changes, view: RegistryView) -> Changes:
        """The changes unchanged (as a new batch, so the caller's lists are not shared)."""
        return Changes(
            create=list(changes.create),
            update_old=list(changes.update_old),
            update_new=list(changes.update_new),
            delete=list(changes.delete),
        )

    def is_registry_record(self, endpoint: Endpoint) -> bool:
        """The noop registry has no records of its own."""
        return False
