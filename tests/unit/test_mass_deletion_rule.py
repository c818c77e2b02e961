"""The mass-deletion guard's rule (pure) and its reporting: which plans are held back, what goes ahead."""

from __future__ import annotations

import pytest
from prometheus_client import REGISTRY

from external_dns.desired import DesiredState
from external_dns.endpoint import OWNER_LABEL, RESOURCE_LABEL, Endpoint
from external_dns.events import EventSink, Reason, RecordEvent
from external_dns.guards.mass_deletion import DeletionLimit, MassDeletionGuard, count_owned, judge
from external_dns.plan import Plan, PlanSettings
from external_dns.providers.base import Changes


def record(name: str, owner: str = "me", type_: str = "A") -> Endpoint:
    return Endpoint(
        f"{name}.example.com",
        type_,
        ("192.0.2.1",),
        labels={OWNER_LABEL: owner, RESOURCE_LABEL: f"service/default/{name}"},
    )


def deletes(count: int) -> Changes:
    return Changes(delete=[record(f"gone{i}") for i in range(count)])


@pytest.mark.parametrize(
    ("deleted", "owned", "limit", "held"),
    [
        (40, 40, DeletionLimit(), True),
        (21, 40, DeletionLimit(), True),
        (20, 40, DeletionLimit(), False),
        (19, 19, DeletionLimit(), False),
        (20, 20, DeletionLimit(), True),
        (3, 40, DeletionLimit(), False),
        (40, 40, DeletionLimit(max_ratio=1), False),
        (1, 40, DeletionLimit(max_ratio=0), True),
        (5, 5, DeletionLimit(min_owned=5, max_ratio=0.5), True),
    ],
    ids=[
        "a plan deleting everything owned is held",
        "just over half is held",
        "exactly half goes ahead",
        "a zone with fewer owned records than the minimum is not guarded",
        "a zone at the minimum is guarded",
        "a few deletes go ahead",
        "a ratio of 1 turns the guard off",
        "a ratio of 0 holds any delete",
        "the minimum is configurable",
    ],
)
def test_which_plans_are_held(deleted: int, owned: int, limit: DeletionLimit, held: bool) -> None:
    verdict = judge(deletes(deleted), lambda: owned, limit)
    assert bool(verdict.held) is held
    assert len(verdict.changes.delete) == (0 if held else deleted)


def test_a_few_deletes_do_not_count_the_zone() -> None:
    def never() -> int:
        raise AssertionError("the owned records were counted for a plan that cannot exceed the limit")

    assert judge(deletes(10), never, DeletionLimit()).changes.delete == deletes(10).delete


def test_creates_and_updates_at_other_names_go_ahead_but_not_at_held_names() -> None:
    old, new = record("moved"), record("moved").with_(targets=("192.0.2.9",))
    changes = Changes(
        create=[record("new"), record("gone0", type_="CNAME").with_(targets=("elsewhere.example.org",))],
        update_old=[old],
        update_new=[new],
        delete=deletes(30).delete,
    )
    verdict = judge(changes, lambda: 40, DeletionLimit())
    assert [ep.dns_name for ep in verdict.changes.create] == ["new.example.com"]
    assert verdict.changes.update_new == [new]
    assert verdict.changes.delete == []
    assert len(verdict.held) == 30


def test_owned_records_are_those_of_this_owner_and_of_managed_types() -> None:
    records = [record("a"), record("b"), record("c", owner="other"), record("d", type_="MX"), record("e", owner="")]
    assert count_owned(records, PlanSettings(owner_id="me")) == 2
    assert count_owned(records, PlanSettings(owner_id="")) == 4  # no registry: every managed record counts


class Recorder(EventSink):
    def __init__(self) -> None:
        super().__init__()
        self.seen: list[RecordEvent] = []

    def record(self, event: RecordEvent) -> None:
        self.seen.append(event)


def actions() -> float:
    labels = {"guard": "mass_deletion"}
    return REGISTRY.get_sample_value("external_dns_guard_actions_total", labels) or 0.0


def names(changes: Changes) -> set[str]:
    return {ep.key.name for ep in [*changes.create, *changes.update_new, *changes.delete]}


def held_gauge(zone: str) -> float | None:
    return REGISTRY.get_sample_value("external_dns_guard_held_deletions", {"zone": zone})


def test_a_hold_warns_each_object_once_and_counts_every_held_plan(caplog: pytest.LogCaptureFixture) -> None:
    events = Recorder()
    guard = MassDeletionGuard("guarded.test", DeletionLimit(), "me", events, DesiredState())
    before = actions()
    plan = Plan(changes=Changes(create=[record("new")], delete=deletes(25).delete))
    for _ in range(2):  # e.g. the first sync, then a resync that finds the same
        kept = guard.check(plan, names(plan.changes), lambda: 25)
        assert kept.changes.delete == [] and kept.changes.create == plan.changes.create
    assert actions() - before == 2
    assert len(events.seen) == 25  # the second, identical hold is not reported again
    assert {e.ref.name for e in events.seen} == {f"gone{i}" for i in range(25)}
    assert all(e.reason is Reason.ERROR and "--max-delete-ratio=1" in e.message for e in events.seen)
    warnings = [r.getMessage() for r in caplog.records if "HELD BACK" in r.getMessage()]
    assert len(warnings) == 1
    assert "external-dns --once --max-delete-ratio=1" in warnings[0] and "--label-filter" in warnings[0]
    assert held_gauge("guarded.test") == 25


def test_held_names_stay_held_until_a_plan_covering_them_lets_them_go() -> None:
    events = Recorder()
    guard = MassDeletionGuard("sticky.test", DeletionLimit(), "me", events, DesiredState())
    held = deletes(25)
    guard.check(Plan(changes=held), names(held), lambda: 25)
    unrelated = Changes(create=[record("other")])
    guard.check(Plan(changes=unrelated), names(unrelated), lambda: 25)  # an incremental sync of another name
    assert held_gauge("sticky.test") == 25
    guard.check(Plan(changes=held), names(held), lambda: 25)  # the next resync: nothing new to say
    assert len(events.seen) == 25
    back = {ep.key.name for ep in held.delete[:20]}  # 20 objects came back: their names plan no delete now
    rest = Changes(delete=held.delete[20:])
    guard.check(Plan(changes=rest), back | names(rest), lambda: 25)
    assert held_gauge("sticky.test") == 0 and guard.held == set()  # 5 deletes of 25 owned: allowed


def test_a_growing_hold_warns_only_the_objects_newly_held(caplog: pytest.LogCaptureFixture) -> None:
    events = Recorder()
    guard = MassDeletionGuard("growing.test", DeletionLimit(), "me", events, DesiredState())
    guard.check(Plan(changes=deletes(25)), names(deletes(25)), lambda: 30)
    guard.check(Plan(changes=deletes(27)), names(deletes(27)), lambda: 30)
    assert [e.ref.name for e in events.seen[25:]] == ["gone25", "gone26"]
    assert len([r for r in caplog.records if "HELD BACK" in r.getMessage()]) == 2  # the log has the new figures


def test_deletes_in_waves_add_up_within_the_window() -> None:
    now = [0.0]
    guard = MassDeletionGuard("waves.test", DeletionLimit(), "me", Recorder(), DesiredState(), clock=lambda: now[0])
    owned = 40
    for wave in range(3):  # a namespace or a CRD going away: 10 records at a time, of 40
        batch = Changes(delete=[record(f"w{wave}-{i}") for i in range(10)])
        kept = guard.check(Plan(changes=batch), names(batch), lambda owned=owned: owned)
        guard.record_applied(len(kept.changes.delete))
        owned -= len(kept.changes.delete)
        now[0] += 30
    assert owned == 20  # 10 + 10 went; the third wave (30 of the 40 held before) is held
    assert len(guard.held) == 10
    now[0] += DeletionLimit().window
    batch = Changes(delete=[record(f"w2-{i}") for i in range(10)])
    assert guard.check(Plan(changes=batch), names(batch), lambda: owned).changes.delete == batch.delete


def test_a_plan_without_deletes_is_never_held_whatever_was_deleted_before() -> None:
    guard = MassDeletionGuard("quiet.test", DeletionLimit(), "me", Recorder(), DesiredState())
    guard.record_applied(100)
    plan = Plan(changes=Changes(create=[record("new")]))
    assert guard.check(plan, names(plan.changes), lambda: 10).changes == plan.changes
