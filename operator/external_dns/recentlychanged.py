"""Which objects of the start-up LIST changed just before it, or since the last run looked: planned early.

A change made while the operator was down or starting, before its LIST's first page was served, is in the LIST's
snapshot and in no watch event: nothing told it from the objects that did not change, so it waited for the whole
zone's plan (21-34 s at a restart of 50,000 Services). The API server records when an object last changed: each
writer's ``metadata.managedFields[*].time`` (moved whenever that writer changes the object, seconds precision),
and ``creationTimestamp``. A listed object whose latest time is recent is handed to startchanges.py like a change
the catch-up watch brought:

- changed at most ``MARGIN`` seconds before the LIST began, or after (the operator's own start, timestamps cut to
  the second, clocks a few seconds apart): up to ``DURING_START_AT_MOST`` objects;
- changed within ``WINDOW`` seconds before that (a restart's gap, while no replica watched): up to
  ``BEFORE_START_AT_MOST`` objects.

The first listed ones are taken: a restart right after a mass change must not turn the early pass into a second
whole read. They are planned a few names at a time, after the changes the catch-up watch brings (startchanges.py),
so that they never hold those back by more than one small pass.

After a restart that resumed its watches (watchpoint.py) there is an exact rule first: a listed object whose
resourceVersion is newer than the last run's position changed since that run last looked, whatever the clocks
say. The resumed watch brings the same change, but its page may come first, and the watch's event is then a
repeat of what the store holds. The resumed watch's own events from before the LIST's snapshot count here too:
the first ``SINCE_LAST_RUN_AT_ONCE`` of them are planned like watched changes (a restart's usual gap, in one
pass), the rest like the objects changed just before the start, a few names a pass after the watched changes (a
mass change while no operator ran planned 1,921 names in one 7.7 s pass at a restart of 10,000, holding every
change watched meanwhile back that long), and past ``SINCE_LAST_RUN_AT_MOST`` they wait for the first sync.

Safety does not depend on any of this: the names are planned from a point read under the same guard as a
watched change (guards/before_listed.py) and planned whole again by the first sync. A wrong clock, or an object
without times, only moves work between the early pass and the first sync.
"""

from __future__ import annotations

import datetime
import enum
import re
from collections.abc import Mapping
from typing import Any

from external_dns.store import is_older, resource_version

#: Seconds before the LIST began that still count as during the start.
MARGIN = 5.0
#: Seconds before that in which a change counts as made during the restart's gap.
WINDOW = 60.0
#: Objects planned early because they changed during the start (a bound for a clock far ahead of ours).
DURING_START_AT_MOST = 500
#: Objects planned early because they changed in the window before the start.
BEFORE_START_AT_MOST = 100
#: Objects changed since the last run's watch position that are planned at once, like watched changes.
SINCE_LAST_RUN_AT_ONCE = 64
#: Objects changed since the last run's watch position that are planned early in all.
SINCE_LAST_RUN_AT_MOST = 500
#: A time as the API server writes it (metav1.Time, or MicroTime with a fraction), in UTC.
_SERVER_TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?Z")


class Recency(enum.Enum):
    """When a listed object taken as changed was changed."""

    DURING_START = "during the start"
    BEFORE_START = "before the start"
    SINCE_LAST_RUN = "since the last run's watch position"
    SINCE_LAST_RUN_MANY = "since the last run's watch position, past the ones planned at once"

    @property
    def later(self) -> bool:
        """Planned a few names a pass after the watched changes, rather than as one of them."""
        return self is not Recency.SINCE_LAST_RUN


class RecentlyChanged:
    """The recency rule of one start-up LIST that began at ``began`` (seconds since the epoch, this host's clock)."""

    def __init__(self, began: float) -> None:
        self._during_start = _second(began - MARGIN)
        self._before_start = _second(began - MARGIN - WINDOW)
        #: Objects taken as changed so far (the bench, the log); since the last run also counts the resumed watch's.
        self.taken_during_start = 0
        self.taken_before_start = 0
        self.taken_since_last_run = 0

    @property
    def taken(self) -> int:
        """Objects taken as changed, by any rule (listed, or replayed by a resumed watch)."""
        return self.taken_during_start + self.taken_before_start + self.taken_since_last_run

    def since_last_run(self) -> Recency | None:
        """One more object changed since the last run's watch position (listed newer than it, or replayed by the
        resumed watch): how it is planned (counted against the bounds); None: it waits for the first sync."""
        if self.taken_since_last_run >= SINCE_LAST_RUN_AT_MOST:
            return None
        self.taken_since_last_run += 1
        at_once = self.taken_since_last_run <= SINCE_LAST_RUN_AT_ONCE
        return Recency.SINCE_LAST_RUN if at_once else Recency.SINCE_LAST_RUN_MANY

    def classify(self, obj: Mapping[str, Any], changed_after: str = "") -> Recency | None:
        """When the listed object changed, if recently enough to be planned at once (counted against its bound);
        None: it waits for the first sync. ``changed_after``: the resourceVersion the resource's watch resumed from."""
        version = resource_version(obj) if changed_after else ""
        if version and is_older(changed_after, version) and (recency := self.since_last_run()) is not None:
            return recency
        last = last_change(obj)
        if last is None or last < self._before_start:
            return None
        if last >= self._during_start:
            if self.taken_during_start >= DURING_START_AT_MOST:
                return None
            self.taken_during_start += 1
            return Recency.DURING_START
        if self.taken_before_start >= BEFORE_START_AT_MOST:
            return None
        self.taken_before_start += 1
        return Recency.BEFORE_START


def planned_as(recency: Recency | None) -> tuple[bool, bool]:
    """How a change of this recency is planned during the start: (early at all, after the watched changes)."""
    return recency is not None, recency is not None and recency.later


def last_change(obj: Mapping[str, Any]) -> str | None:
    """The object's latest change time as the API server wrote it, cut to the second ("YYYY-MM-DDTHH:MM:SS", UTC,
    which orders as text); None when it carries none that can be read."""
    meta = obj.get("metadata")
    if not isinstance(meta, Mapping):
        return None
    managed = meta.get("managedFields")
    entries = managed if isinstance(managed, list) else ()
    stamps = [entry.get("time") for entry in entries if isinstance(entry, Mapping)]
    seconds = [_as_second(stamp) for stamp in (*stamps, meta.get("creationTimestamp"))]
    return max((each for each in seconds if each is not None), default=None)


def _as_second(stamp: object) -> str | None:
    if not isinstance(stamp, str):
        return None
    if _SERVER_TIME.fullmatch(stamp):
        return stamp[:19]  # orders as text: no parsing needed for the 50,000 objects of a LIST
    try:  # another rendering of a time, with an offset: parsed (a time without one is no time to compare)
        parsed = datetime.datetime.fromisoformat(stamp)
        return _second(parsed.timestamp()) if parsed.tzinfo is not None else None
    except (ValueError, OverflowError, OSError):
        return None


def _second(epoch: float) -> str:
    return datetime.datetime.fromtimestamp(int(epoch // 1), datetime.UTC).strftime("%Y-%m-%dT%H:%M:%S")
