"""Kopf's full create/update/delete flow, with its finalizer, against the local API server.

Kopf runs in its own thread with its own event loop (inside pytest-asyncio's loop it would cancel
the fixture teardown); the test waits for conditions on what the handlers and the server saw.
"""

import asyncio
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import kopf
import pytest

from external_dns.testing import ClusterRequestError, LocalCluster

GROUP_VERSION = "externaldns.k8s.io/v1alpha1"
FINALIZER = "kopf.zalando.org/KopfFinalizerMarker"


def wait_for(condition: Callable[[], bool], timeout: float = 30) -> None:
    """Poll a condition until it holds (fails the test after `timeout` seconds)."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "the condition did not hold in time"
        time.sleep(0.05)


@pytest.fixture()
def handled(cluster: LocalCluster) -> Iterator[list[tuple[str, Any]]]:
    """Run a Kopf operator on DNSEndpoints against the cluster; yields (cause, spec) per handler call."""
    calls: list[tuple[str, Any]] = []
    registry = kopf.OperatorRegistry()
    stop = threading.Event()

    @kopf.on.startup(registry=registry)
    def configure(settings: kopf.OperatorSettings, **_: Any) -> None:
        settings.watching.server_timeout = 5
        settings.watching.client_timeout = 10
        settings.background.cancellation_polling = 0.1
        settings.posting.loggers = True  # handler log lines become events too (exercises generateName)

    @kopf.on.login(registry=registry)
    def login(**_: Any) -> kopf.ConnectionInfo:
        return kopf.ConnectionInfo(server=cluster.url, insecure=True)

    @kopf.on.create(GROUP_VERSION, "dnsendpoints", registry=registry)
    def created(spec: kopf.Spec, body: kopf.Body, **_: Any) -> None:
        calls.append(("create", dict(spec)))
        kopf.info(body, reason="Handled", message="create")

    @kopf.on.update(GROUP_VERSION, "dnsendpoints", registry=registry)
    def updated(spec: kopf.Spec, body: kopf.Body, **_: Any) -> None:
        calls.append(("update", dict(spec)))
        kopf.info(body, reason="Handled", message="update")

    @kopf.on.delete(GROUP_VERSION, "dnsendpoints", registry=registry)
    def deleted(spec: kopf.Spec, body: kopf.Body, **_: Any) -> None:
        calls.append(("delete", dict(spec)))
        kopf.info(body, reason="Handled", message="delete")

    def run() -> None:
        asyncio.run(kopf.operator(registry=registry, standalone=True, namespaces=["default"], stop_flag=stop))

    thread = threading.Thread(target=run, name="kopf-operator", daemon=True)
    thread.start()
    try:
        yield calls
    finally:
        stop.set()
        thread.join(timeout=30)
        assert not thread.is_alive()


def call(coroutine: Any) -> Any:
    """Run one cluster helper from this (sync) test."""
    return asyncio.run(coroutine)


def test_kopf_runs_create_update_and_delete_handlers_with_a_finalizer(
    cluster: LocalCluster, handled: list[tuple[str, Any]]
) -> None:
    body = {"metadata": {"name": "web"}, "spec": {"endpoints": [{"dnsName": "a.example.com"}]}}
    call(cluster.create(GROUP_VERSION, "dnsendpoints", body, "default"))
    wait_for(lambda: [cause for cause, _ in handled] == ["create"])

    def finalizers() -> list[str]:
        obj = call(cluster.get(GROUP_VERSION, "dnsendpoints", "web", "default"))
        return list(obj["metadata"].get("finalizers", []))

    wait_for(lambda: FINALIZER in finalizers())

    spec = {"endpoints": [{"dnsName": "b.example.com"}]}
    call(cluster.patch(GROUP_VERSION, "dnsendpoints", "web", {"spec": spec}, "default"))
    wait_for(lambda: ("update", spec) in handled)

    call(cluster.delete(GROUP_VERSION, "dnsendpoints", "web", "default"))

    def gone() -> bool:
        try:
            call(cluster.get(GROUP_VERSION, "dnsendpoints", "web", "default"))
        except ClusterRequestError as exc:
            return exc.status == 404
        return False

    wait_for(gone)
    assert [cause for cause, _ in handled] == ["create", "update", "delete"]
    # Kopf's posted events (one per handler, posted in the background) each get a generated name.
    selector = "involvedObject.name=web,reason=Handled"
    wait_for(lambda: len(call(cluster.list("v1", "events", "default", field_selector=selector))) == 3)
