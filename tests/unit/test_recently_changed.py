"""Which listed objects changed just before the start-up LIST (recentlychanged.py), by the API server's times."""

import datetime
from typing import Any

import pytest

from external_dns import recentlychanged
from external_dns.recentlychanged import Recency, RecentlyChanged, last_change

#: The LIST began at 15:00:00.5 UTC.
BEGAN = datetime.datetime(2026, 12, 2, 15, 0, 0, 500000, datetime.UTC).timestamp()


def obj(created: str | None = "2026-12-02T14:00:00Z", *times: Any) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": "web", "namespace": "default"}
    if created is not None:
        meta["creationTimestamp"] = created
    if times:
        meta["managedFields"] = [{"manager": f"m{i}", "operation": "Update", "time": t} for i, t in enumerate(times)]
    return {"metadata": meta}


def test_the_last_change_is_the_latest_of_the_writers_times_and_the_creation() -> None:
    assert last_change(obj("2026-12-02T14:00:00Z")) == "2026-12-02T14:00:00"
    assert last_change(obj("2026-12-02T14:00:00Z", "2026-12-02T14:59:58Z", "2026-12-02T14:30:00Z")) == (
        "2026-12-02T14:59:58"
    )
    assert last_change(obj(None, "2026-12-02T14:59:58.123456Z")) == "2026-12-02T14:59:58"  # MicroTime: cut


def test_a_time_with_an_offset_is_read_in_utc() -> None:
    assert last_change(obj("2026-12-02T16:59:59+02:00")) == "2026-12-02T14:59:59"


@pytest.mark.parametrize(
    "metadata",
    [
        {},
        {"creationTimestamp": "yesterday"},
        {"creationTimestamp": "2026-12-02T14:59:59"},  # no zone: not a time to compare
        {"creationTimestamp": 1764687599},
        {"creationTimestamp": "9999-12-31T23:59:59-23:59"},  # past the last year a timestamp may have
        {"managedFields": "not a list"},
        {"managedFields": ["not a mapping", {"time": None}, {"time": "xxxx-xx-xxTxx:xx:xxZ"}]},
    ],
)
def test_an_object_without_a_readable_time_has_none(metadata: dict[str, Any]) -> None:
    assert last_change({"metadata": metadata}) is None


def test_no_metadata_has_no_time() -> None:
    assert last_change({"metadata": "hostile"}) is None
    assert last_change({}) is None


def test_changes_from_the_margin_before_the_list_on_count_as_during_the_start() -> None:
    recent = RecentlyChanged(BEGAN)
    assert recent.classify(obj(None, "2026-12-02T14:59:55Z")) is Recency.DURING_START  # 5.5 s before, cut to the second
    assert recent.classify(obj(None, "2026-12-02T15:00:03Z")) is Recency.DURING_START  # a slow LIST's later pages
    assert (recent.taken_during_start, recent.taken_before_start) == (2, 0)


def test_changes_in_the_window_before_count_as_before_the_start() -> None:
    recent = RecentlyChanged(BEGAN)
    assert recent.classify(obj(None, "2026-12-02T14:59:54Z")) is Recency.BEFORE_START
    assert recent.classify(obj(None, "2026-12-02T14:58:55Z")) is Recency.BEFORE_START  # the window's first second
    assert recent.classify(obj(None, "2026-12-02T14:58:54Z")) is None
    assert recent.classify(obj("2026-12-02T14:00:00Z")) is None
    assert (recent.taken_during_start, recent.taken_before_start) == (0, 2)


def test_each_kind_of_recent_change_has_its_own_bound(monkeypatch: pytest.MonkeyPatch) -> None:
    """A clock far ahead, or a mass change just before a restart, must not make the early pass a whole read."""
    monkeypatch.setattr(recentlychanged, "DURING_START_AT_MOST", 2)
    monkeypatch.setattr(recentlychanged, "BEFORE_START_AT_MOST", 1)
    recent = RecentlyChanged(BEGAN)
    before = obj(None, "2026-12-02T14:59:30Z")
    during = obj(None, "2026-12-02T15:00:00Z")
    assert [recent.classify(before) for _ in range(3)] == [Recency.BEFORE_START, None, None]
    assert [recent.classify(during) for _ in range(3)] == [Recency.DURING_START, Recency.DURING_START, None]
    assert (recent.taken_during_start, recent.taken_before_start) == (2, 1)


def test_an_object_without_times_is_not_taken() -> None:
    recent = RecentlyChanged(BEGAN)
    assert recent.classify(obj(None)) is None
    assert (recent.taken_during_start, recent.taken_before_start) == (0, 0)


def versioned(resource_version: Any, *times: Any) -> dict[str, Any]:
    listed = obj("2026-12-02T14:00:00Z", *times)  # an hour old by its times
    listed["metadata"]["resourceVersion"] = resource_version
    return listed


def test_an_object_newer_than_the_last_runs_position_changed_since_whatever_its_times() -> None:
    recent = RecentlyChanged(BEGAN)
    assert recent.classify(versioned("1201"), changed_after="1200") is Recency.SINCE_LAST_RUN
    assert not Recency.SINCE_LAST_RUN.later  # planned like a watched change, not a few names a pass
    assert recent.classify(versioned("1200"), changed_after="1200") is None  # seen by the last run
    assert recent.classify(versioned("900"), changed_after="1200") is None
    assert recent.classify(versioned("1201")) is None  # no position: the times decide
    assert (recent.taken_since_last_run, recent.taken) == (1, 1)


@pytest.mark.parametrize("resource_version", ["", None, "opaque-7", ["1300"]])
def test_an_object_whose_version_cannot_be_compared_falls_back_to_its_times(resource_version: Any) -> None:
    recent = RecentlyChanged(BEGAN)
    assert recent.classify(versioned(resource_version), changed_after="1200") is None
    assert recent.classify(versioned(resource_version, "2026-12-02T14:59:58Z"), "1200") is Recency.DURING_START
    assert recent.taken_since_last_run == 0


def test_a_few_are_planned_at_once_the_rest_a_few_a_pass_up_to_a_bound(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(recentlychanged, "SINCE_LAST_RUN_AT_ONCE", 1)
    monkeypatch.setattr(recentlychanged, "SINCE_LAST_RUN_AT_MOST", 3)
    recent = RecentlyChanged(BEGAN)
    assert recent.since_last_run() is Recency.SINCE_LAST_RUN  # a resumed watch's event
    taken = [recent.classify(versioned(str(1201 + i), "2026-12-02T14:59:58Z"), "1200") for i in range(3)]
    # The same count for listed objects; past the bound, the times still count (against their own bound).
    assert taken == [Recency.SINCE_LAST_RUN_MANY, Recency.SINCE_LAST_RUN_MANY, Recency.DURING_START]
    assert Recency.SINCE_LAST_RUN_MANY.later
    assert recent.since_last_run() is None
    assert (recent.taken_since_last_run, recent.taken_during_start) == (3, 1)
