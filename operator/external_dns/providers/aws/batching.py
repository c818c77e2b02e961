"""Turning a plan's changes into Route 53 change batches that respect the API's limits.

Route 53 takes at most 1000 changes, 1000 record values and 32000 characters of values per request (an UPSERT
counts twice, being a delete plus a create). A record and its ownership TXT must land together, or a failure
could leave a record nobody owns; so changes are grouped by the record they belong to and a group is never
split across batches.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from external_dns.endpoint import Endpoint


class Action(StrEnum):
    """The change actions of ChangeResourceRecordSets."""

    CREATE = "CREATE"
    DELETE = "DELETE"
    UPSERT = "UPSERT"


#: Order of actions inside a group: a type change deletes the old record set before creating the new one.
_ACTION_ORDER = {Action.DELETE: 0, Action.CREATE: 1, Action.UPSERT: 2}


@dataclass(frozen=True, slots=True)
class Route53Change:
    """One change as sent to the API, with the endpoint to report if it fails and the group it belongs to."""

    action: Action
    record_set: dict[str, Any] = field(compare=False)
    endpoint: Endpoint
    group: str

    @property
    def name(self) -> str:
        return str(self.record_set["Name"])

    @property
    def record_type(self) -> str:
        return str(self.record_set["Type"])

    @property
    def values(self) -> int:
        """Record values counted against the per-request limit (alias records have none)."""
        return len(self.record_set.get("ResourceRecords", ())) * self._weight

    @property
    def size_bytes(self) -> int:
        """Characters of values counted against the per-request limit."""
        values = self.record_set.get("ResourceRecords", ())
        return sum(len(str(value["Value"])) for value in values) * self._weight

    @property
    def _weight(self) -> int:
        return 2 if self.action is Action.UPSERT else 1

    def to_api(self) -> dict[str, Any]:
        return {"Action": self.action.value, "ResourceRecordSet": self.record_set}


@dataclass(frozen=True, slots=True)
class BatchLimits:
    """Per-request limits (``--aws-batch-change-size``, ``-size-bytes``, ``-size-values``)."""

    changes: int = 1000
    size_bytes: int = 32000
    values: int = 1000

    def admits(self, changes: int, size_bytes: int, values: int) -> bool:
        return changes <= self.changes and size_bytes <= self.size_bytes and values <= self.values


@dataclass(frozen=True, slots=True)
class Batching:
    """The batches to send, in order, and the groups too large for any batch (they cannot be sent)."""

    batches: list[list[Route53Change]]
    oversized: list[list[Route53Change]]


def group_changes(changes: Iterable[Route53Change]) -> list[list[Route53Change]]:
    """Changes grouped by the record they belong to, groups in order of first appearance, deletes first."""
    groups: dict[str, list[Route53Change]] = {}
    for change in changes:
        groups.setdefault(change.group, []).append(change)
    return [sorted(group, key=lambda change: _ACTION_ORDER[change.action]) for group in groups.values()]


def batch_groups(groups: Sequence[list[Route53Change]], limits: BatchLimits) -> Batching:
    """Pack whole groups into as few batches as the limits allow, keeping their order."""
    batches: list[list[Route53Change]] = []
    oversized: list[list[Route53Change]] = []
    current: list[Route53Change] = []
    count = size = values = 0
    for group in groups:
        group_count = len(group)
        group_size = sum(change.size_bytes for change in group)
        group_values = sum(change.values for change in group)
        if not limits.admits(group_count, group_size, group_values):
            oversized.append(group)
            continue
        if not limits.admits(count + group_count, size + group_size, values + group_values):
            batches.append(current)
            current, count, size, values = [], 0, 0, 0
        current.extend(group)
        count, size, values = count + group_count, size + group_size, values + group_values
    if current:
        batches.append(current)
    return Batching(batches=batches, oversized=oversized)
