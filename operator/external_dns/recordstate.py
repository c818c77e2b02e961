"""What is known about each wanted record and each source object, in one place.

The zone workers write here (names queued, names settled, the provider's error per name, the reason a record
was skipped); the application writes the problems its sources found in each object; the desired state writes
which objects last wanted a name nobody wants any more. Reporting reads it to stay quiet about what it already
said; DNSEndpoint status and ``explain`` read it to say why a record is (not) in DNS. Nothing here calls anyone:
readers drain :meth:`RecordStates.take_touched` when :attr:`touched` is set, so the workers never call up into
the application.

Provider errors and skips are kept per zone: one name can live in a private and a public zone at once.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, NamedTuple

from external_dns.endpoint import Endpoint, EndpointKey, ObjectRef

if TYPE_CHECKING:  # desired.py writes here; the store needs the key type only for annotations
    from external_dns.desired import ObjectKey

#: Names whose former refs are remembered at most; beyond it the oldest half is dropped (bounded memory).
FORMER_REFS_LIMIT = 50_000


class RecordState(NamedTuple):
    """Whether the provider holds a wanted record as wanted, and if not, why (for people)."""

    programmed: bool
    message: str = ""


@dataclass(slots=True)
class _ZoneStates:
    queued: set[str]
    retrying: set[str]
    errors: dict[str, str]
    skips: dict[EndpointKey, str]


class RecordStates:
    """Per zone: names waiting, failing or skipped; per object: the problems its source found."""

    def __init__(self, *, track_touched: bool = True) -> None:
        #: Without a reader of what was touched (no object status to write), nothing is kept for one.
        self._track_touched = track_touched
        self._zones: dict[str, _ZoneStates] = {}
        self._problems: dict[ObjectKey, tuple[str, ...]] = {}
        self._former_refs: dict[str, tuple[ObjectRef, ...]] = {}
        self._touched_names: set[str] = set()
        self._touched_objects: set[ObjectKey] = set()
        #: Set whenever something a reader may show changed; cleared by the reader.
        self.touched = asyncio.Event()

    def _zone(self, zone: str) -> _ZoneStates:
        states = self._zones.get(zone)
        if states is None:
            states = self._zones[zone] = _ZoneStates(set(), set(), {}, {})
        return states

    # --- written by the zone workers ----------------------------------------------------------------------------

    def queued(self, zone: str, names: Iterable[str]) -> None:
        """The names wait for the zone's next pass."""
        self._zone(zone).queued.update(names)

    def settled(self, zone: str, names: Iterable[str], failed: set[str]) -> None:
        """A pass over ``names`` ended; ``failed`` wait for a retry, the others are as the provider holds them."""
        states = self._zone(zone)
        names = set(names)
        states.queued -= names
        done = names - failed
        states.retrying -= done
        states.retrying |= failed & names
        for name in done:
            states.errors.pop(name, None)
        self._touch(names)

    def error(self, zone: str, name: str) -> str | None:
        """The provider's last error for the name (until it is applied)."""
        states = self._zones.get(zone)
        return states.errors.get(name) if states is not None else None

    def set_error(self, zone: str, name: str, message: str) -> None:
        self._zone(zone).errors[name] = message

    def skip(self, zone: str, key: EndpointKey) -> str | None:
        """Why the record was last left alone (until it no longer is)."""
        states = self._zones.get(zone)
        return states.skips.get(key) if states is not None else None

    def set_skip(self, zone: str, key: EndpointKey, reason: str) -> None:
        self._zone(zone).skips[key] = reason

    def clear_skips(self, zone: str, names: set[str], keep: set[EndpointKey]) -> None:
        """After a pass over ``names``: the records there not in ``keep`` are no longer skipped."""
        held = self._zone(zone).skips
        for key in [key for key in held if key.name in names and key not in keep]:
            del held[key]

    # --- written by the desired state -----------------------------------------------------------------------------

    def released(self, name: str, refs: tuple[ObjectRef, ...]) -> None:
        """These objects stopped wanting ``name``: a later deletion of its record is reported on them."""
        self._former_refs[name] = refs
        if len(self._former_refs) > FORMER_REFS_LIMIT:
            for stale in list(self._former_refs)[: FORMER_REFS_LIMIT // 2]:
                del self._former_refs[stale]

    def former_refs(self, name: str) -> tuple[ObjectRef, ...]:
        """The objects that last wanted ``name`` before nobody did (for deletion events)."""
        return self._former_refs.get(name, ())

    # --- written by the application ------------------------------------------------------------------------------

    def problems(self, key: ObjectKey) -> tuple[str, ...]:
        """What the object's source found wrong with it, as last reported."""
        return self._problems.get(key, ())

    def set_problems(self, key: ObjectKey, problems: Sequence[str]) -> bool:
        """Record the object's problems; False when they are the ones already recorded (nothing to report)."""
        messages = tuple(problems)
        if self._problems.get(key, ()) == messages:
            return False
        if messages:
            self._problems[key] = messages
        else:
            self._problems.pop(key, None)
        return True

    def forget_object(self, key: ObjectKey) -> None:
        self._problems.pop(key, None)
        self._touched_objects.discard(key)

    def touch_object(self, key: ObjectKey) -> None:
        """The object's status may need a refresh though no zone worker will settle any of its names."""
        if self._track_touched:
            self._touched_objects.add(key)
            self.touched.set()

    # --- read by status, explain, reporting ------------------------------------------------------------------------

    def record_state(self, zone: str, endpoint: Endpoint) -> RecordState:
        """Whether ``zone`` holds the wanted record as wanted, else why not."""
        states = self._zones.get(zone)
        if states is None:
            return RecordState(True)  # nothing queued, failed or skipped there
        key = endpoint.key
        if key.name in states.retrying:
            return RecordState(False, states.errors.get(key.name, "waiting for a retry"))
        if key.name in states.queued:
            return RecordState(False, "waiting to be applied")
        if key.name in states.errors:
            return RecordState(False, states.errors[key.name])
        if key in states.skips:
            return RecordState(False, states.skips[key])
        return RecordState(True)

    def take_touched(self) -> tuple[set[str], set[ObjectKey]]:
        """The names settled and the objects touched since the last call."""
        names, self._touched_names = self._touched_names, set()
        objects, self._touched_objects = self._touched_objects, set()
        self.touched.clear()
        return names, objects

    def _touch(self, names: set[str]) -> None:
        if names and self._track_touched:
            self._touched_names |= names
            self.touched.set()
