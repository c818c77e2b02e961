"""Which object a derivation's Warnings name: the object's own ref, worked out only when there is news to report.

The application used to build every derived object's ObjectRef (besides the one its source builds for the
records); it now asks for it only when the object's problems change or a blank-status hold starts or ends. These
pin that the Warnings still name the object exactly as before (kind, apiVersion, namespace, name, uid, as the
body gives them), once per distinct set of problems, and that a hold's Warning names it too.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from tests.unit.test_app import make_app, service

from external_dns.app import Application
from external_dns.endpoint import ObjectRef
from external_dns.events import Action, Reason
from external_dns.testing.clock import ManualClock

TTL = "external-dns.alpha.kubernetes.io/ttl"
WEB_REF = ObjectRef("Service", "v1", "default", "web", "uid-web")


def with_ttl(obj: dict[str, Any], ttl: str, rv: str) -> dict[str, Any]:
    metadata = {**obj["metadata"], "resourceVersion": rv, "annotations": {**obj["metadata"]["annotations"], TTL: ttl}}
    return {**obj, "metadata": metadata}


async def test_a_listed_objects_warning_names_it_once_per_distinct_problem() -> None:
    app = make_app("service")
    resource = app.sources["service"].resource
    bad = with_ttl(service("web", lb_ip="203.0.113.10"), "ten", rv="1")
    app.on_listing(resource, [bad], "1")
    [warning] = app.events.sent
    assert warning.ref == WEB_REF
    assert (warning.reason, warning.action) == (Reason.ERROR, Action.FAILED_SYNC)
    assert TTL in warning.message and "'ten'" in warning.message

    app.on_object(resource, "MODIFIED", with_ttl(bad, "ten", rv="2"))  # the same problem again: nothing new
    assert len(app.events.sent) == 1

    app.on_object(resource, "MODIFIED", with_ttl(bad, "-5", rv="3"))  # another problem: a new Warning
    assert [event.ref for event in app.events.sent] == [WEB_REF, WEB_REF]
    assert "'-5'" in app.events.sent[-1].message


async def test_a_warning_names_a_body_without_kind_by_what_it_holds() -> None:
    """A LIST's items carry no kind or apiVersion: the Warning names what the body holds, as before."""
    app = make_app("service")
    body = with_ttl(service("web", lb_ip="203.0.113.10"), "ten", rv="1")
    del body["kind"], body["apiVersion"]
    app.on_listing(app.sources["service"].resource, [body], "1")
    [warning] = app.events.sent
    assert warning.ref == ObjectRef("", "", "default", "web", "uid-web")


async def test_a_blank_status_holds_warning_names_the_object() -> None:
    app = Application(replace(make_app("service").wiring, empty_target_grace=60.0, clock=ManualClock()))
    resource = app.sources["service"].resource
    app.on_listing(resource, [service("web", lb_ip="203.0.113.10")], "1")
    assert app.events.sent == []
    app.on_object(resource, "MODIFIED", service("web", rv="2"))  # status.loadBalancer went empty
    [warning] = app.events.sent
    assert warning.ref == WEB_REF
    assert warning.reason == Reason.ERROR and "status.loadBalancer" in warning.message
