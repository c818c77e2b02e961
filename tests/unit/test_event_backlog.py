"""The event backlog folds what waits (per object, then per reason, then per namespace) and never loses a count."""

from __future__ import annotations

import pytest
from prometheus_client import REGISTRY

from external_dns.endpoint import ObjectRef
from external_dns.event_backlog import COMBINED_PREFIX, EventBacklog, Pending, target_ref
from external_dns.events import Action, Reason, RecordEvent


def service(name: str, namespace: str = "default") -> ObjectRef:
    return ObjectRef("Service", "v1", namespace, name, f"uid-{name}")


def ready(ref: ObjectRef, message: str = "Created A record") -> RecordEvent:
    return RecordEvent(ref, Reason.READY, Action.CREATED, message)


def folded(how: str) -> float:
    return REGISTRY.get_sample_value("external_dns_events_folded_total", {"how": how}) or 0.0


def drain(backlog: EventBacklog) -> list[tuple[ObjectRef, list[Pending]]]:
    taken = []
    while (item := backlog.take()) is not None:
        taken.append((target_ref(item[0]), item[1]))
    return taken


def test_repeats_of_an_event_on_an_object_become_one_with_a_count_and_its_first_and_last_time() -> None:
    backlog = EventBacklog()
    before = folded("repeat")
    for at in (10.0, 11.0, 12.0):
        backlog.add(ready(service("web")), at)
    [(ref, [entry])] = drain(backlog)
    assert ref == service("web")
    assert (entry.count, entry.first, entry.last, entry.message) == (3, 10.0, 12.0, "Created A record")
    assert folded("repeat") - before == 2


def test_distinct_events_past_the_bound_per_object_fold_into_one_combined_event_per_reason() -> None:
    backlog = EventBacklog(max_per_object=3)
    before = folded("similar")
    for index in range(7):
        backlog.add(ready(service("web"), f"Updated A record to 10.0.0.{index}"), float(index))
    backlog.add(RecordEvent(service("web"), Reason.ERROR, Action.FAILED_SYNC, "Failed"), 8.0)
    [(_, entries)] = drain(backlog)
    messages = [entry.message for entry in entries]
    assert messages == [
        "Updated A record to 10.0.0.0",
        "Updated A record to 10.0.0.1",
        "Updated A record to 10.0.0.2",
        COMBINED_PREFIX + "Updated A record to 10.0.0.6",  # the newest message, as client-go's aggregator
        COMBINED_PREFIX + "Failed",
    ]
    assert [entry.count for entry in entries] == [1, 1, 1, 4, 1]
    assert folded("similar") - before == 5


def test_with_the_backlog_full_events_on_further_objects_fold_into_a_summary_per_namespace_kind_and_reason() -> None:
    backlog = EventBacklog(max_objects=2)
    before = folded("namespace")
    for index in range(5):
        backlog.add(ready(service(f"svc-{index}")), float(index))
    backlog.add(ready(service("other", namespace="team-b")), 9.0)
    backlog.add(ready(service("svc-0")), 10.0)  # an object already waiting still gets its own event

    taken = drain(backlog)
    summaries = {ref.name: entries[0] for ref, entries in taken if ref.kind == "Namespace"}
    assert set(summaries) == {"default", "team-b"}
    assert summaries["default"].count == 3
    assert (summaries["default"].first, summaries["default"].last) == (2.0, 4.0)
    assert "Service objects in namespace default" in summaries["default"].message
    own = {ref.name: entries[0].count for ref, entries in taken if ref.kind == "Service"}
    assert own == {"svc-0": 2, "svc-1": 1}
    assert folded("namespace") - before == 4


@pytest.mark.parametrize(
    ("max_objects", "max_per_object"),
    [(100_000, 10), (50, 10), (50, 2), (1, 1)],
    ids=["roomy", "few objects", "few objects and few events each", "one of each"],
)
def test_every_recorded_event_is_counted_in_what_is_taken(max_objects: int, max_per_object: int) -> None:
    backlog = EventBacklog(max_objects=max_objects, max_per_object=max_per_object)
    recorded = 0
    for index in range(2_000):
        ref = service(f"svc-{index % 300}", namespace=f"ns-{index % 3}")
        reason = (Reason.READY, Reason.ERROR, Reason.DELETED)[index % 7 % 3]
        backlog.add(RecordEvent(ref, reason, Action.UPDATED, f"message {index % 13}"), float(index))
        recorded += 1
    taken = drain(backlog)
    assert sum(entry.count for _, entries in taken for entry in entries) == recorded
    assert len(backlog) == 0
    service_refs = [ref for ref, _ in taken if ref.kind == "Service"]
    assert len(service_refs) == len(set(service_refs)) <= max_objects
    assert all(len(entries) <= max_per_object + len(Reason) for _, entries in taken)


def test_an_object_being_posted_is_skipped_until_its_post_is_done() -> None:
    backlog = EventBacklog()
    backlog.add(ready(service("busy")), 1.0)
    backlog.add(ready(service("free")), 2.0)
    item = backlog.take(busy={service("busy")})
    assert item is not None and item[0] == service("free")
    assert backlog.take(busy={service("busy")}) is None
    item = backlog.take()
    assert item is not None and item[0] == service("busy")


def test_a_failed_post_goes_back_whole_even_when_the_backlog_is_full() -> None:
    backlog = EventBacklog(max_objects=2)
    for name in ("a", "b", "c"):
        backlog.add(ready(service(name)), 1.0)
    summary, own = backlog.take(), backlog.take()
    assert summary is not None and own is not None and own[0] == service("a")
    backlog.add(ready(service("d")), 2.0)  # "a" is out: "d" takes its place, the backlog is full again
    backlog.put_back(*summary)
    backlog.put_back(*own)
    taken = {ref.name: sum(e.count for e in entries) for ref, entries in drain(backlog)}
    assert taken == {"default": 1, "a": 1, "b": 1, "d": 1}


def test_events_put_back_after_a_failed_post_merge_with_newer_ones() -> None:
    backlog = EventBacklog()
    backlog.add(ready(service("web")), 1.0)
    item = backlog.take()
    assert item is not None
    backlog.add(ready(service("web")), 5.0)  # arrives while the first post fails
    backlog.put_back(*item)
    [(_, [entry])] = drain(backlog)
    assert (entry.count, entry.first, entry.last) == (2, 1.0, 5.0)
