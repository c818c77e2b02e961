"""What a zone holds, as last read from the provider and patched with every change applied since.

The reconciler plans against this cache instead of listing the provider on every change: a steady state costs
one write per batch and no read. The periodic resync replaces the cache with a fresh listing, which catches
changes made behind the operator's back.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable

from external_dns.endpoint import Endpoint, EndpointKey
from external_dns.model import Changes


class ZoneCache:
    """Provider-level records (ownership TXT included) of one zone, indexed by normalised name."""

    def __init__(self) -> None:
        self._by_name: dict[str, dict[EndpointKey, Endpoint]] = {}
        self.loaded = False

    def __len__(self) -> int:
        return sum(len(records) for records in self._by_name.values())

    def replace(self, records: Iterable[Endpoint]) -> None:
        """Everything the provider listed. A record set listed twice is kept once with the targets of both, so
        that duplicates the provider holds stay visible to the planner, which then plans them away."""
        self._by_name.clear()
        for record in records:
            known = self._by_name.get(record.key.name, {}).get(record.key)
            if known is not None:
                record = known.with_(targets=known.targets + record.targets)
            self._put(record)
        self.loaded = True

    def names(self) -> set[str]:
        return set(self._by_name)

    def at(self, names: Iterable[str]) -> list[Endpoint]:
        """Every record at any of the names."""
        result: list[Endpoint] = []
        for name in names:
            result.extend(self._by_name.get(name, {}).values())
        return result

    def all(self) -> list[Endpoint]:
        return [record for records in self._by_name.values() for record in records.values()]

    def apply(self, changes: Changes, failed: Collection[EndpointKey] = ()) -> None:
        """Patch the cache with what the provider applied (everything but ``failed``)."""
        for record in (*changes.delete, *changes.update_old):
            if record.key not in failed:
                self._drop(record.key)
        for record in (*changes.create, *changes.update_new):
            if record.key not in failed:
                self._put(record)

    def _put(self, record: Endpoint) -> None:
        # Stored as the provider would list it: labels are the registry's business, derived from the TXT.
        if record.labels or record.refs:
            record = record.with_(labels={}, refs=())
        key = record.key
        self._by_name.setdefault(key.name, {})[key] = record

    def _drop(self, key: EndpointKey) -> None:
        records = self._by_name.get(key.name)
        if records is None:
            return
        records.pop(key, None)
        if not records:
            del self._by_name[key.name]
