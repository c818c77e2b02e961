"""The blank-status hold-down's decisions under a hand-driven clock: when records are kept, for how long, and
what ends a hold."""

from __future__ import annotations

from typing import Any

import pytest
from prometheus_client import REGISTRY

from external_dns.desired import ObjectKey
from external_dns.endpoint import Endpoint, ObjectRef
from external_dns.events import EventSink, Reason, RecordEvent
from external_dns.guards.blank_status import BlankStatusHoldDown, has_load_balancer_status
from external_dns.testing.clock import ManualClock

WEB = ObjectKey("service", "default", "web")
REF = ObjectRef("Service", "v1", "default", "web", "uid-web")
RECORDS = (Endpoint("web.example.com", "A", ("203.0.113.10",)),)
GRACE = 120.0


def service(*ips: str) -> dict[str, Any]:
    return {"metadata": {"name": "web"}, "status": {"loadBalancer": {"ingress": [{"ip": ip} for ip in ips]}}}


class Recorder(EventSink):
    def __init__(self) -> None:
        super().__init__()
        self.seen: list[RecordEvent] = []

    def record(self, event: RecordEvent) -> None:
        self.seen.append(event)


class Rig:
    def __init__(self, grace: float = GRACE) -> None:
        self.clock = ManualClock()
        self.events = Recorder()
        self.guard = BlankStatusHoldDown(grace, self.clock, self.events)
        self.expired: list[ObjectKey] = []
        self.guard.on_expiry = self.expired.append
        self.published: tuple[Endpoint, ...] = ()

    def derive(self, obj: dict[str, Any], derived: tuple[Endpoint, ...], key: ObjectKey = WEB) -> tuple[Endpoint, ...]:
        """What the application does: the guard decides, the result becomes what the object publishes."""
        self.published = tuple(self.guard.endpoints(key, lambda: REF, obj, derived, self.published))
        return self.published


def actions() -> float:
    return REGISTRY.get_sample_value("external_dns_guard_actions_total", {"guard": "blank_status"}) or 0.0


@pytest.mark.parametrize(
    ("obj", "filled"),
    [
        (service("203.0.113.10"), True),
        (service(), False),
        ({"status": {"loadBalancer": {}}}, False),
        ({"status": None}, False),
        ({}, False),
        ({"status": {"loadBalancer": {"ingress": "junk"}}}, False),
    ],
    ids=["an entry", "an empty list", "no ingress key", "a null status", "no status", "a malformed list"],
)
def test_what_counts_as_a_filled_status(obj: dict[str, Any], filled: bool) -> None:
    assert has_load_balancer_status(obj) is filled


def test_a_status_back_within_the_grace_keeps_the_records_and_cancels_the_timer() -> None:
    rig = Rig()
    before = actions()
    rig.derive(service("203.0.113.10"), RECORDS)
    assert rig.derive(service(), ()) == RECORDS
    assert rig.guard.held == {WEB}
    assert actions() - before == 1
    rig.clock.advance(GRACE - 1)
    assert rig.derive(service("203.0.113.10"), RECORDS) == RECORDS
    assert rig.guard.held == frozenset() and rig.clock.pending == 0
    rig.clock.advance(GRACE)
    assert rig.expired == []


def test_the_records_go_when_the_grace_ends_with_the_status_still_empty() -> None:
    rig = Rig()
    rig.derive(service("203.0.113.10"), RECORDS)
    rig.derive(service(), ())
    rig.clock.advance(GRACE - 0.001)
    assert rig.expired == [] and rig.derive(service(), ()) == RECORDS  # a repeat while held changes nothing
    rig.clock.advance(0.001)
    assert rig.expired == [WEB]
    assert rig.derive(service(), ()) == ()  # what the application's re-derive then publishes
    assert rig.guard.held == frozenset()


def test_a_deleted_object_is_not_held() -> None:
    rig = Rig()
    rig.derive(service("203.0.113.10"), RECORDS)
    rig.derive(service(), ())
    rig.guard.forget(WEB)
    assert rig.guard.held == frozenset() and rig.clock.pending == 0
    rig.clock.advance(GRACE)
    assert rig.expired == []


def test_each_hold_is_reported_once_on_the_object_with_a_warning() -> None:
    rig = Rig()
    rig.derive(service("203.0.113.10"), RECORDS)
    rig.derive(service(), ())
    rig.derive(service(), ())
    (event,) = rig.events.seen
    assert event.ref == REF and event.reason is Reason.ERROR and event.type == "Warning"
    assert "status.loadBalancer.ingress is empty" in event.message and "--empty-target-grace" in event.message


@pytest.mark.parametrize(
    ("grace", "key", "first", "then"),
    [
        (0.0, WEB, (service("203.0.113.10"), RECORDS), (service(), ())),
        (GRACE, ObjectKey("crd", "default", "web"), (service("203.0.113.10"), RECORDS), (service(), ())),
        (GRACE, WEB, (service(), RECORDS), (service(), ())),
        (GRACE, WEB, (service("203.0.113.10"), RECORDS), (service(), RECORDS)),
    ],
    ids=[
        "a grace of 0 is ExternalDNS's behaviour",
        "kinds without a load-balancer status are not held",
        "an object that never had a status is not held (its records came from elsewhere)",
        "an empty status that loses no record is not held",
    ],
)
def test_when_nothing_is_held(
    grace: float, key: ObjectKey, first: tuple[dict[str, Any], tuple[Endpoint, ...]], then: Any
) -> None:
    rig = Rig(grace)
    rig.derive(*first, key=key)
    assert rig.derive(*then, key=key) == then[1]
    assert rig.guard.held == frozenset()
