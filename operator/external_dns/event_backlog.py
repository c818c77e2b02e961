"""Events waiting to be posted, folded per object so that a flood costs bounded memory and loses nothing.

A cold start or a zone-wide change can produce tens of thousands of events faster than the API server takes them.
Instead of a queue that drops what does not fit, the backlog folds, the way Kubernetes' own recorder aggregates:

1. the same event (reason, action, message) on the same object is kept once with a ``count`` and the time of its
   first and last occurrence (one Event per object per burst);
2. an object with more than ``max_per_object`` distinct events waiting folds further ones into one
   "(combined from similar events)" entry per reason, like client-go's EventAggregator;
3. with ``max_objects`` objects waiting, an event on yet another object is folded into one summary per
   (namespace, kind, reason), posted on the Namespace with the number of events it stands for as its ``count``.

Each fold is counted in ``external_dns_events_folded_total{how}``, so a dashboard sees how much was folded; nothing
is dropped. Objects are taken oldest first.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

from external_dns import metrics
from external_dns.endpoint import ObjectRef

if TYPE_CHECKING:  # events.py imports this module; at run time the names are only annotations
    from external_dns.events import Action, Reason, RecordEvent

COMBINED_PREFIX = "(combined from similar events): "


class Fold(StrEnum):
    """How an event was folded (the ``how`` label of the metric)."""

    REPEAT = "repeat"  # into the same event on the same object: its count
    SIMILAR = "similar"  # into the object's combined event for that reason
    NAMESPACE = "namespace"  # into the namespace's summary: the backlog held max_objects objects


@dataclass(slots=True)
class Pending:
    """One event on one object, with how often it occurred since it was last posted (Unix times)."""

    reason: Reason
    action: Action
    message: str
    count: int
    first: float
    last: float
    #: Posts that failed transiently so far (the recorder gives up after its max_attempts).
    attempts: int = 0

    def merge(self, other: Pending) -> None:
        self.count += other.count
        self.first = min(self.first, other.first)
        self.last = max(self.last, other.last)
        self.action = other.action
        self.attempts = max(self.attempts, other.attempts)


@dataclass(frozen=True, slots=True)
class Summary:
    """Events on many objects of one kind in one namespace, folded while the backlog was full."""

    namespace: str
    kind: str
    reason: Reason

    def ref(self) -> ObjectRef:
        return ObjectRef("Namespace", "v1", None, self.namespace)

    def message(self, max_objects: int) -> str:
        return (
            f"{self.reason} events on {self.kind} objects in namespace {self.namespace} folded into this one: "
            f"more than {max_objects} objects were waiting for their events (the count is how many were folded; "
            "the operator's log has each)"
        )


#: What the backlog hands out: an object's own events, or a namespace summary (posted on the Namespace).
Target = ObjectRef | Summary


def target_ref(target: Target) -> ObjectRef:
    """The object an Event about ``target`` is attached to."""
    return target.ref() if isinstance(target, Summary) else target


class EventBacklog:
    """Pending events per object (oldest first), bounded in objects and in events per object."""

    def __init__(self, *, max_objects: int = 100_000, max_per_object: int = 10) -> None:
        self.max_objects = max_objects
        self.max_per_object = max_per_object
        self._objects: OrderedDict[ObjectRef, list[Pending]] = OrderedDict()
        self._summaries: dict[Summary, Pending] = {}

    def __len__(self) -> int:
        """Objects (and namespace summaries) waiting."""
        return len(self._objects) + len(self._summaries)

    def add(self, event: RecordEvent, at: float) -> None:
        self.add_pending(event.ref, [Pending(event.reason, event.action, event.message, 1, at, at)])

    def add_pending(self, ref: ObjectRef, entries: Iterable[Pending]) -> None:
        """Fold ``entries`` into what waits for ``ref``."""
        waiting = self._objects.get(ref)
        if waiting is None:
            if len(self._objects) >= self.max_objects:
                for entry in entries:
                    self._fold_into_summary(ref, entry)
                return
            waiting = self._objects[ref] = []
        for entry in entries:
            self._fold_into_object(waiting, entry)

    def take(self, busy: set[ObjectRef] | frozenset[ObjectRef] = frozenset()) -> tuple[Target, list[Pending]] | None:
        """The oldest waiting object not in ``busy`` (being posted) with its events, removed; summaries first."""
        if self._summaries:
            summary, entry = next(iter(self._summaries.items()))
            del self._summaries[summary]
            entry.message = summary.message(self.max_objects)
            return summary, [entry]
        for _ in range(len(busy) + 1):  # at most len(busy) objects are skipped
            if not self._objects:
                return None
            ref, entries = self._objects.popitem(last=False)
            if ref not in busy:
                return ref, entries
            self._objects[ref] = entries  # its earlier events are being posted: after them, keep order per object
        return None

    def put_back(self, target: Target, entries: Iterable[Pending]) -> None:
        """Return what a failed post took, merged with what arrived meanwhile.

        The object bound does not apply: these were already waiting (it is exceeded by at most one object per
        poster), and an object that had its own place keeps it.
        """
        if isinstance(target, Summary):
            for entry in entries:
                held = self._summaries.get(target)
                if held is None:
                    self._summaries[target] = entry
                else:
                    held.merge(entry)
            return
        waiting = self._objects.setdefault(target, [])
        for entry in entries:
            self._fold_into_object(waiting, entry)

    def _fold_into_object(self, waiting: list[Pending], entry: Pending) -> None:
        for held in waiting:
            if (held.reason, held.message) == (entry.reason, entry.message) and held.action == entry.action:
                held.merge(entry)
                metrics.EVENTS_FOLDED.labels(how=Fold.REPEAT).inc(entry.count)
                return
        if len(waiting) < self.max_per_object:
            waiting.append(entry)
            return
        combined = next(
            (h for h in waiting if h.reason == entry.reason and h.message.startswith(COMBINED_PREFIX)), None
        )
        message = entry.message if entry.message.startswith(COMBINED_PREFIX) else COMBINED_PREFIX + entry.message
        if combined is None:  # one combined entry per reason: at most max_per_object + len(Reason) entries
            waiting.append(Pending(entry.reason, entry.action, message, entry.count, entry.first, entry.last))
        else:
            combined.merge(entry)
            combined.message = message  # the newest, as client-go's aggregator does
        metrics.EVENTS_FOLDED.labels(how=Fold.SIMILAR).inc(entry.count)

    def _fold_into_summary(self, ref: ObjectRef, entry: Pending) -> None:
        summary = Summary(ref.namespace or "default", ref.kind, entry.reason)
        held = self._summaries.get(summary)
        if held is None:
            self._summaries[summary] = Pending(entry.reason, entry.action, "", entry.count, entry.first, entry.last)
        else:
            held.merge(entry)
        metrics.EVENTS_FOLDED.labels(how=Fold.NAMESPACE).inc(entry.count)


def _is_combined(entry: Pending) -> bool:
    return entry.message.startswith(COMBINED_PREFIX)
