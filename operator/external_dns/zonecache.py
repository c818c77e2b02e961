"""What a zone holds, as last read from the provider and patched with every change applied since.

The reconciler plans against this cache instead of listing the provider on every change: a steady state costs
one write per batch and no read. The periodic resync replaces the cache with a fresh listing, which catches
changes made behind the operator's back. A warm standby keeps its caches current with the changes another
replica makes, when the provider can say what changed since a version (:meth:`ZoneCache.follow`).
"""

from __future__ import annotations

import asyncio
from collections.abc import Collection, Iterable

# NOTHING: what every cached record holds as labels (and, mostly, as provider-specific properties).
from external_dns.endpoint import NOTHING, Endpoint, EndpointKey
from external_dns.model import Changes, ZoneChanges

#: Records a zone read indexes on the event loop (about 75 us each here: under 0.1 s); more go to a thread.
INDEXED_ON_THE_LOOP_AT_MOST = 1_000
#: Values this replica wrote since the version read, remembered to be confirmed by the provider's changes
#: (:meth:`ZoneCache.confirmed_by`); past this many the version is dropped and the zone is read whole again. A
#: minute's writes stay far below it; a cold start's go past it, and its changes would come whole anyway (BIND
#: answers an IXFR with the whole zone when the changes outweigh it). ~100 bytes each while held.
WRITES_REMEMBERED_AT_MOST = 20_000

#: One value of a record set: normalised name, record type, one target.
Value = tuple[str, str, str]


class ZoneCache:
    """Provider-level records (ownership TXT included) of one zone, indexed by normalised name.

    Sized for 100,000 objects (200,000 records): each name holds a tuple of its records (one, mostly), not a
    dict; the records share one empty label mapping; and a name already normalised is its own key (bench/README.md,
    "Memory per object").
    """

    def __init__(self) -> None:
        self._by_name: dict[str, tuple[Endpoint, ...]] = {}
        self.loaded = False
        #: The provider's version of the zone the cache was read or followed at (providers/base.FollowingChanges),
        #: None when unknown: never read with one, or more written since than :data:`WRITES_REMEMBERED_AT_MOST`.
        self.version: int | None = None
        #: The values this replica added and removed since :attr:`version`, which the provider's changes since it
        #: must show before the cache may follow them (:meth:`confirmed_by`).
        self._written: tuple[set[Value], set[Value]] = (set(), set())
        #: While a whole read runs (:meth:`read_begins`): the changes applied meanwhile, applied again over the read.
        self._applied_while_reading: list[tuple[Changes, Collection[EndpointKey]]] | None = None

    def __len__(self) -> int:
        return sum(len(records) for records in self._by_name.values())

    def replace(self, records: Iterable[Endpoint], version: int | None = None) -> None:
        """Everything the provider listed (at ``version``). A record set listed twice is kept once with the targets
        of both, so that duplicates the provider holds stay visible to the planner, which then plans them away."""
        self._by_name = _index(records)
        self._read(version)

    async def refill(self, records: Collection[Endpoint], version: int | None = None) -> None:
        """:meth:`replace`, with the index of a large zone built in a thread: 100,000 records take seconds, and on
        the event loop they would hold back the peering keep-alive and every change meanwhile. The cache stays
        whole (the previous listing) until the new index is in. A small zone is indexed at once (a thread hop
        would cost more than its index; and a test's fake clock cannot see a thread's time)."""
        if len(records) <= INDEXED_ON_THE_LOOP_AT_MOST:
            self.replace(records, version)
            return
        self._by_name = await asyncio.to_thread(_index, records)
        self._read(version)

    def read_begins(self) -> None:
        """A whole read of the zone starts. Changes applied before it is in (the start's changes, planned from a
        point read while the zone is read: startchanges.py) are applied again over it: the read may have been
        made before or after them, and each leaves its records as it wrote them either way."""
        self._applied_while_reading = []

    def read_failed(self) -> None:
        """The read begun did not come: the next read is made after the changes applied meanwhile."""
        self._applied_while_reading = None

    def _read(self, version: int | None) -> None:
        self.loaded = True
        self.version = version
        self._written = (set(), set())
        applied, self._applied_while_reading = self._applied_while_reading, None
        for changes, failed in applied or ():
            self.apply(changes, failed)

    async def follow(self, changes: ZoneChanges) -> None:
        """Patch the cache with what changed at the provider since :attr:`version` (or refill it from the whole zone
        the provider sent instead). Each step's removed values go before its added ones, step after step, as the
        provider made them; many changes are applied in a thread, as a whole read is indexed (nothing else reads
        a standby's cache meanwhile)."""
        if changes.whole is not None:
            await self.refill(changes.whole, changes.version)
            return
        values = sum(len(removed) + len(added) for removed, added in changes.steps)
        if values <= INDEXED_ON_THE_LOOP_AT_MOST:
            _follow(self._by_name, changes)
        else:
            await asyncio.to_thread(_follow, self._by_name, changes)
        self.version = changes.version
        self._written = (set(), set())  # what this replica wrote is in the changes (confirmed_by), applied again

    def confirmed_by(self, changes: ZoneChanges) -> bool:
        """Whether ``changes`` (since :attr:`version`) show every value this replica added and removed since, as
        the provider applied it. A server may accept a write and drop it: BIND answers NOERROR to an A record
        where a CNAME stands (RFC 2136 3.4.2.2), and such a write never shows among the changes. The cache holds
        it all the same, and following would keep it there; read whole instead, the zone shows it missing."""
        added, removed = self._written
        if not added and not removed:
            return True
        shown_added = {value for _, step_added in changes.steps for record in step_added for value in _values(record)}
        shown_removed = {
            value for step_removed, _ in changes.steps for record in step_removed for value in _values(record)
        }
        return added <= shown_added and removed <= shown_removed

    def names(self) -> set[str]:
        return set(self._by_name)

    def at(self, names: Iterable[str]) -> list[Endpoint]:
        """Every record at any of the names."""
        result: list[Endpoint] = []
        for name in names:
            result.extend(self._by_name.get(name, ()))
        return result

    def all(self) -> list[Endpoint]:
        return [record for records in self._by_name.values() for record in records]

    def apply(self, changes: Changes, failed: Collection[EndpointKey] = ()) -> None:
        """Patch the cache with what the provider applied (everything but ``failed``), remembered for
        :meth:`confirmed_by` while the cache has a version."""
        if self._applied_while_reading is not None:
            self._applied_while_reading.append((changes, failed))
        if self.version is not None:
            self._remember(changes, failed)
        for record in (*changes.delete, *changes.update_old):
            if record.key not in failed:
                self._drop(record.key)
        for record in (*changes.create, *changes.update_new):
            key = record.key
            if key not in failed:
                _put(self._by_name, record, key)

    def _remember(self, changes: Changes, failed: Collection[EndpointKey]) -> None:
        added, removed = self._written
        pairs: list[tuple[Endpoint | None, Endpoint | None]] = [
            *((None, record) for record in changes.create),
            *zip(changes.update_old, changes.update_new, strict=True),
            *((record, None) for record in changes.delete),
        ]
        for old, new in pairs:
            record = new if new is not None else old
            if record is None or record.key in failed:
                continue
            before = set(_values(old)) if old is not None else set()
            after = set(_values(new)) if new is not None else set()
            added |= after - before
            removed |= before - after
        if len(added) + len(removed) > WRITES_REMEMBERED_AT_MOST:
            self.version, self._written = None, (set(), set())  # too much to confirm: read the zone whole

    def _drop(self, key: EndpointKey) -> None:
        held = self._by_name.get(key.name)
        if held is None:
            return
        kept = tuple(record for record in held if record.key != key)
        if kept:
            self._by_name[key.name] = kept
        else:
            del self._by_name[key.name]


def _values(record: Endpoint) -> list[Value]:
    key = record.key
    return [(key.name, key.record_type, target) for target in record.targets]


def _index(records: Iterable[Endpoint]) -> dict[str, tuple[Endpoint, ...]]:
    by_name: dict[str, tuple[Endpoint, ...]] = {}
    for record in records:
        key = record.key
        known = next((held for held in by_name.get(key.name, ()) if held.key == key), None)
        if known is not None:
            record = known.with_(targets=known.targets + record.targets)
        _put(by_name, record)
    return by_name


def _follow(by_name: dict[str, tuple[Endpoint, ...]], changes: ZoneChanges) -> None:
    """Each value removed, then each added (records of one target each: a record set changes value by value)."""
    for removed, added in changes.steps:
        for value in removed:
            _remove_value(by_name, value)
        for value in added:
            _add_value(by_name, value)


def _remove_value(by_name: dict[str, tuple[Endpoint, ...]], value: Endpoint) -> None:
    key = value.key
    name = key.name
    held = next((record for record in by_name.get(name, ()) if record.key == key), None)
    if held is None:
        return
    targets = tuple(target for target in held.targets if target not in value.targets)
    if targets:
        _put(by_name, held.with_(targets=targets))
        return
    kept = tuple(record for record in by_name[name] if record.key != key)
    if kept:
        by_name[name] = kept
    else:
        del by_name[name]


def _add_value(by_name: dict[str, tuple[Endpoint, ...]], value: Endpoint) -> None:
    """The value joins its record set; the set's TTL is the added value's (a record set has one TTL)."""
    key = value.key
    name = key.name
    held = next((record for record in by_name.get(name, ()) if record.key == key), None)
    if held is None:
        _put(by_name, value, key)
        return
    targets = held.targets + tuple(target for target in value.targets if target not in held.targets)
    _put(by_name, held.with_(targets=targets, ttl=value.ttl))


def _put(by_name: dict[str, tuple[Endpoint, ...]], record: Endpoint, key: EndpointKey | None = None) -> None:
    """Store ``record`` (whose ``key`` the caller may have worked out already) in its name's place."""
    # Stored as the provider would list it: labels are the registry's business, derived from the TXT.
    if (
        record.labels is not NOTHING
        or record.refs
        or (not record.provider_specific and record.provider_specific is not NOTHING)
    ):
        record = record.with_(labels=NOTHING, refs=(), provider_specific=record.provider_specific or NOTHING)
    key = key or record.key
    name = key.name  # the very string dns_name when it is normalised already (normalize_name returns it)
    held = by_name.get(name, ())
    at = next((index for index, known in enumerate(held) if known.key == key), None)
    if at is None:
        by_name[name] = (*held, record)
    else:  # replaced where it was: the planner sees a name's records in a stable order
        by_name[name] = (*held[:at], record, *held[at + 1 :])
