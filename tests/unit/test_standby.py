"""What a standby remembers for its takeover: held Warnings, and the names changed in its last moments."""

from __future__ import annotations

import pytest

from external_dns import standby
from external_dns.desired import ObjectKey
from external_dns.endpoint import ObjectRef
from external_dns.events import Action, Reason, RecordEvent
from external_dns.standby import StandbyMemory

BAD = ObjectKey("service", "default", "bad")
REF = ObjectRef("Service", "v1", "default", "bad", "uid-bad")


def warning(message: str) -> RecordEvent:
    return RecordEvent(REF, Reason.ERROR, Action.FAILED_SYNC, message)


def test_only_the_current_warnings_of_objects_still_there_are_taken_once() -> None:
    memory = StandbyMemory()
    memory.hold(BAD, [warning("Invalid ttl")])
    memory.hold(BAD, [warning("Invalid target")])  # the object changed: only its current problem stands
    memory.hold(ObjectKey("service", "default", "fixed"), [])
    memory.hold(ObjectKey("service", "default", "gone"), [warning("Invalid name")])
    memory.forget(ObjectKey("service", "default", "gone"))
    assert [w.message for w in memory.take_warnings()] == ["Invalid target"]
    assert memory.take_warnings() == []


def test_recent_changes_are_those_of_the_window_newest_last_and_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    now = [1000.0]
    monkeypatch.setattr(standby, "MAX_REMEMBERED_CHANGES", 3)
    memory = StandbyMemory(recent_window=30, clock=lambda: now[0])
    memory.changed(["old.example.com"])
    now[0] += 31
    memory.changed(["a.example.com", "b.example.com"])
    memory.changed(["a.example.com"])  # changed again: now the newest
    assert memory.take_recent_changes() == ["b.example.com", "a.example.com"]
    assert memory.take_recent_changes() == []
    memory.changed(["1", "2", "3", "4"])
    assert memory.take_recent_changes() == ["2", "3", "4"]
