"""What a standby replica remembers for its takeover (peering.py, app.py): the Warnings it did not post, and the
names that changed while another replica wrote.

A standby derives every object as the leader does, but posts nothing. On taking over it posts the Warnings still
standing (only those the old leader did not post: EventSink.record_missing), and plans the names changed in its
last moments of standing by before the whole zone, so the newest change is written first.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable, Iterable

from external_dns.desired import ObjectKey
from external_dns.events import RecordEvent

#: How many changed names are remembered (the newest; older ones wait for the whole-zone pass).
MAX_REMEMBERED_CHANGES = 10_000


class StandbyMemory:
    """Held Warnings per object, and recently changed names with when they changed (monotonic seconds)."""

    def __init__(self, recent_window: float = 60.0, clock: Callable[[], float] = time.monotonic) -> None:
        #: Names changed in the last this many seconds are planned first at a takeover (peering.py sets two
        #: peering lifetimes: what a leader that died may not have written).
        self.recent_window = recent_window
        self._clock = clock
        self._warnings: dict[ObjectKey, list[RecordEvent]] = {}
        self._changed: OrderedDict[str, float] = OrderedDict()

    def hold(self, key: ObjectKey, warnings: list[RecordEvent]) -> None:
        """The object's current Warnings (none: nothing to post for it any more)."""
        self._warnings[key] = warnings

    def forget(self, key: ObjectKey) -> None:
        self._warnings.pop(key, None)

    def changed(self, names: Iterable[str]) -> None:
        now = self._clock()
        for name in names:
            self._changed[name] = now
            self._changed.move_to_end(name)
        while len(self._changed) > MAX_REMEMBERED_CHANGES:
            self._changed.popitem(last=False)

    def take_warnings(self) -> list[RecordEvent]:
        """Every Warning held, forgetting them."""
        warnings = [warning for held in self._warnings.values() for warning in held]
        self._warnings = {}
        return warnings

    def take_recent_changes(self) -> list[str]:
        """The names changed within ``recent_window`` seconds, forgetting every name."""
        since = self._clock() - self.recent_window
        names = [name for name, at in self._changed.items() if at >= since]
        self._changed.clear()
        return names
