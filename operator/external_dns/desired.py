"""The desired state: which object wants which endpoints, indexed by DNS name.

Each source object's endpoints are replaced as a whole whenever the object changes; the names whose wanted
records differ afterwards are returned, so that only those are planned. The state also remembers, for a while,
which objects last wanted a name that nobody wants any more (in the record-state store), so that the record's
deletion is reported on the object that had asked for it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from external_dns.endpoint import Endpoint, ObjectRef, normalize_name
from external_dns.recordstate import RecordStates


@dataclass(frozen=True, slots=True, order=True)
class ObjectKey:
    """A source object's identity in the desired state (kind as the source names it, e.g. ``service``)."""

    kind: str
    namespace: str
    name: str


class DesiredState:
    """Endpoints per source object, and the reverse index name -> objects that want it."""

    def __init__(self, states: RecordStates | None = None) -> None:
        self._by_object: dict[ObjectKey, tuple[Endpoint, ...]] = {}
        #: The same endpoints grouped by normalised name, so that every lookup by name costs O(its endpoints),
        #: not O(every endpoint of the object): one object may ask for hundreds of names. Only objects with more
        #: than one name are here; most have one, and their endpoints are all at it (~230 B per object saved).
        self._grouped: dict[ObjectKey, dict[str, tuple[Endpoint, ...]]] = {}
        #: Name -> the object that wants it, or the set of them when several do (a set per name would cost
        #: ~200 B per object for the one-object names that are nearly all of them).
        self._by_name: dict[str, ObjectKey | set[ObjectKey]] = {}
        #: Where the objects that stopped wanting a name are remembered (for deletion events).
        self.states = states if states is not None else RecordStates()

    def __len__(self) -> int:
        return len(self._by_object)

    def update(self, key: ObjectKey, endpoints: Sequence[Endpoint]) -> set[str]:
        """Replace the object's endpoints; returns the normalised names whose wanted records changed."""
        new = tuple(endpoints)
        old = self._by_object.get(key, ())
        if not old:
            return self._first(key, new)
        if old == new and _same_refs(old, new):
            return set()
        old_groups = self._groups_of(key)
        new_groups = _group(new)
        if new:
            self._by_object[key] = new
            if len(new_groups) > 1:
                self._grouped[key] = new_groups
            else:
                self._grouped.pop(key, None)
        else:
            # Not the same as before, so the object had endpoints.
            del self._by_object[key]
            self._grouped.pop(key, None)
        for name in old_groups.keys() - new_groups.keys():
            self._forget(name, key, old_groups[name])
        for name in new_groups:
            self._want(name, key)
        changed = old_groups.keys() ^ new_groups.keys()
        changed |= {
            name
            for name in old_groups.keys() & new_groups.keys()
            if old_groups[name] != new_groups[name] or not _same_refs(old_groups[name], new_groups[name])
        }
        return changed

    def _first(self, key: ObjectKey, new: tuple[Endpoint, ...]) -> set[str]:
        """:meth:`update` of an object that wanted nothing (each object of a cold start): every name is news."""
        if not new:
            return set()
        new_groups = _group(new)
        self._by_object[key] = new
        if len(new_groups) > 1:
            self._grouped[key] = new_groups
        for name in new_groups:
            self._want(name, key)
        return set(new_groups)

    def remove(self, key: ObjectKey) -> set[str]:
        """Forget the object (deleted, filtered out, or no longer producing records)."""
        return self.update(key, ())

    def keys(self) -> list[ObjectKey]:
        return list(self._by_object)

    def endpoints_of(self, key: ObjectKey) -> tuple[Endpoint, ...]:
        return self._by_object.get(key, ())

    def endpoints_at(self, names: Iterable[str]) -> list[Endpoint]:
        """Every wanted endpoint whose normalised name is among ``names``."""
        result: list[Endpoint] = []
        for name in names:
            for key in self._owners(name):
                grouped = self._grouped.get(key)
                result.extend(grouped[name] if grouped is not None else self._by_object[key])
        return result

    def names(self) -> list[str]:
        return list(self._by_name)

    def wanted_by(self, name: str) -> list[ObjectKey]:
        return self._owners(normalize_name(name))

    def former_refs(self, name: str) -> tuple[ObjectRef, ...]:
        """The objects that last wanted ``name`` before nobody did (for deletion events)."""
        return self.states.former_refs(name)

    def _groups_of(self, key: ObjectKey) -> dict[str, tuple[Endpoint, ...]]:
        grouped = self._grouped.get(key)
        if grouped is not None:
            return grouped
        endpoints = self._by_object.get(key, ())
        return {endpoints[0].key.name: endpoints} if endpoints else {}

    def _owners(self, name: str) -> list[ObjectKey]:
        """The objects that want ``name``, sorted."""
        owners = self._by_name.get(name)
        if owners is None:
            return []
        return [owners] if isinstance(owners, ObjectKey) else sorted(owners)

    def _want(self, name: str, key: ObjectKey) -> None:
        owners = self._by_name.get(name)
        if owners is None or owners == key:
            self._by_name[name] = key
        elif isinstance(owners, ObjectKey):
            self._by_name[name] = {owners, key}
        else:
            owners.add(key)

    def _forget(self, name: str, key: ObjectKey, old_at_name: tuple[Endpoint, ...]) -> None:
        owners = self._by_name.get(name)
        if owners == key:
            del self._by_name[name]
        elif isinstance(owners, set):
            owners.discard(key)
            if len(owners) == 1:
                self._by_name[name] = next(iter(owners))
        refs = {ref for ep in old_at_name for ref in ep.refs}
        if refs:
            self.states.released(name, tuple(sorted(refs)))


def _group(endpoints: tuple[Endpoint, ...]) -> dict[str, tuple[Endpoint, ...]]:
    """The endpoints by normalised name, in their order (one pass)."""
    groups: dict[str, list[Endpoint]] = {}
    for endpoint in endpoints:
        groups.setdefault(normalize_name(endpoint.dns_name), []).append(endpoint)  # endpoint.key.name, no key built
    return {name: tuple(group) for name, group in groups.items()}


def _same_refs(left: Sequence[Endpoint], right: Sequence[Endpoint]) -> bool:
    return [ep.refs for ep in left] == [ep.refs for ep in right]
