"""Application.lead and Application.stand_by: a replica standing by posts nothing (its Warnings are held for a
takeover); one that leads posts again, and plans the changes made during its start-up LIST at once
(startchanges.py), before its workers start."""

from __future__ import annotations

from typing import Any

from tests.unit.test_app import make_app, records, service
from tests.unit.test_reconciler import eventually

from external_dns.app import Application

TTL = "external-dns.alpha.kubernetes.io/ttl"


def invalid(name: str) -> dict[str, Any]:
    """A Service with a bad annotation: deriving it gives a Warning."""
    bad = service(name, lb_ip="203.0.113.10")
    bad["metadata"]["annotations"][TTL] = "forever"
    return bad


def seen(app: Application, obj: dict[str, Any]) -> None:
    """A watch event brings the object."""
    app.on_object(app.sources["service"].resource, "ADDED", obj)


def warned(app: Application) -> list[str]:
    return [event.ref.name for event in app.events.sent]


async def test_a_replica_standing_by_posts_nothing_and_posts_again_once_it_leads() -> None:
    app = make_app("service")
    try:
        app.stand_by()
        assert app.standing_by and app.events.muted
        seen(app, invalid("bad-while-standing-by"))
        assert warned(app) == []
        assert [event.ref.name for event in app.standby.take_warnings()] == ["bad-while-standing-by"]  # held

        app.lead()
        assert not app.standing_by and not app.events.muted
        seen(app, invalid("bad-while-leading"))
        assert warned(app) == ["bad-while-leading"]
        assert app.standby.take_warnings() == []

        app.stand_by()  # another replica leads again
        assert app.standing_by and app.events.muted
        seen(app, invalid("bad-standing-by-again"))
        assert warned(app) == ["bad-while-leading"]
    finally:
        await app.close()


async def test_a_replica_that_leads_plans_a_change_made_during_its_list_before_its_workers_start() -> None:
    app = make_app("service")
    try:
        app.stand_by()
        # As the startup handler's activate does when this replica leads: the zones read ahead, lead, the LIST.
        app.begin_preload(attempts=1)
        app.lead()
        seen(app, service("web", lb_ip="203.0.113.20"))  # a change the catch-up watch brings during the LIST

        await eventually(lambda: records(app).get(("web.example.com", "A")) == ("203.0.113.20",), within=30)

        assert not app.listed.is_set() and not app.workers  # before the LIST is done and the workers start
        assert app.start_changes.planned == 1
    finally:
        await app.close()
