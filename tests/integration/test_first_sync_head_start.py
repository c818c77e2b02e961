"""The first sync's head start before Kopf's watch streams (handlers.FIRST_SYNC_HEAD_START): the operator's startup
handler waits for the zones' first sync, at most so long (a provider that is down must not keep the watches from
starting), returns as soon as the sync is done, and, cancelled in the very turn the sync is done (the operator
stopped then), ends cancelled, having closed what its start opened.

The wait is ``asyncio.timeout``, not ``asyncio.wait_for``: Python 3.11's wait_for, cancelled in the turn the thing
it waits for completes, returns instead of raising (see reconciler.ZoneWorker.run): the handler would then go on
and return as if started, with the operator stopping.

The startup handler is the real one (handlers.register), called in the test's loop against the local API server
with the in-memory provider, as Kopf calls it; Kopf's watch streams, which start when it returns, are not run here.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable, Coroutine
from dataclasses import dataclass
from typing import Any

import kopf
import pytest
from tests.builders import lb_service
from tests.harness import operator_settings

from external_dns import gcpolicy, handlers
from external_dns.app import Application
from external_dns.model import Zone
from external_dns.providers.base import ApplyOutcome, Changes
from external_dns.providers.inmemory import InMemoryProvider
from external_dns.testing import local_cluster

ZONE = "example.com"
HEAD_START_OVER = "First sync not done after"  # the handler's warning when the bound ends the wait

StartupHandler = Callable[..., Coroutine[Any, Any, None]]


@dataclass
class Start:
    """The startup handler of an operator for the local API server, and the state it fills (Kopf's memo)."""

    handler: StartupHandler
    memo: kopf.Memo

    @property
    def state(self) -> handlers.Running:
        return handlers.running(self.memo)

    def begin(self) -> asyncio.Task[None]:
        return asyncio.create_task(self.handler(memo=self.memo, settings=kopf.OperatorSettings()), name="startup")


@pytest.fixture
async def start(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Start]:
    """One Service wanting a record in the local API server, and the operator's startup handler for it; what the
    handler started is closed at the end, however the test ended."""
    captured: list[StartupHandler] = []

    def capture(handler: StartupHandler) -> StartupHandler:
        captured.append(handler)  # the startup handler is the one handler handlers.register passes through here
        return handler  # without the collector policy, which is for a process's start, not a test's

    monkeypatch.setattr(gcpolicy, "during_start", capture)
    async with local_cluster() as cluster:
        await cluster.create("v1", "services", lb_service("web", f"web.{ZONE}", "192.0.2.1"))
        settings = operator_settings(
            cluster.kubeconfig, source=["service"], provider="inmemory", inmemory_zone=[ZONE], txt_owner_id="head"
        )
        handlers.register(kopf.OperatorRegistry(), settings)
        (handler,) = captured
        started = Start(handler, handlers.new_memo(settings))
        try:
            yield started
        finally:
            await handlers.release(started.state)


class HeldApply:
    """The in-memory provider's writes wait until the test releases them: the first sync stays under way."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.applying = asyncio.Event()
        self.released = asyncio.Event()
        apply = InMemoryProvider.apply_changes

        async def held(provider: InMemoryProvider, zone: Zone, changes: Changes) -> ApplyOutcome:
            self.applying.set()
            await self.released.wait()
            return await apply(provider, zone, changes)

        monkeypatch.setattr(InMemoryProvider, "apply_changes", held)


def first_sync_done(state: handlers.Running) -> bool:
    app = state.app
    assert app is not None and app.workers
    return all(worker.first_sync_done.is_set() for worker in app.workers.values())


async def test_the_watches_start_when_the_head_start_is_over_and_the_first_sync_is_not_done(
    start: Start, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="external_dns.handlers")
    monkeypatch.setattr(handlers, "FIRST_SYNC_HEAD_START", 0.05)
    held = HeldApply(monkeypatch)  # never released: the first sync never ends

    async with asyncio.timeout(30):  # (a bound for the test alone: the handler returns after the head start)
        await start.begin()

    assert held.applying.is_set()  # the first sync was under way, and still is
    assert not first_sync_done(start.state)
    assert HEAD_START_OVER in caplog.text


async def test_the_watches_start_as_soon_as_the_first_sync_is_done(
    start: Start, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="external_dns.handlers")
    monkeypatch.setattr(handlers, "FIRST_SYNC_HEAD_START", 3600.0)
    held = HeldApply(monkeypatch)
    starting = start.begin()
    await held.applying.wait()
    assert not starting.done()  # the handler waits for the first sync

    held.released.set()
    async with asyncio.timeout(30):  # not the hour of the head start
        await starting

    assert first_sync_done(start.state)
    assert HEAD_START_OVER not in caplog.text
    app = start.state.app
    assert app is not None
    records = {(ep.dns_name, ep.record_type): ep.targets for ep in await app.provider.records(Zone(ZONE, ZONE))}
    assert records[(f"web.{ZONE}", "A")] == ("192.0.2.1",)


class FirstSync:
    """Stands for Application.wait_first_sync: done when the test says so; counts who began waiting for it (the
    event hold, then the startup handler)."""

    def __init__(self) -> None:
        self.waiting = 0
        self.began_waiting = asyncio.Condition()
        self.done = asyncio.Event()

    async def wait(self) -> None:  # (in the class's place: bound to this object, not to the application)
        async with self.began_waiting:
            self.waiting += 1
            self.began_waiting.notify_all()
        await self.done.wait()

    async def waited_by(self, count: int) -> None:
        async with self.began_waiting:
            await self.began_waiting.wait_for(lambda: self.waiting >= count)


async def test_a_start_cancelled_in_the_turn_the_first_sync_is_done_ends_cancelled(
    start: Start, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(handlers, "FIRST_SYNC_HEAD_START", 3600.0)
    first_sync = FirstSync()
    monkeypatch.setattr(Application, "wait_first_sync", first_sync.wait)
    starting = start.begin()
    async with asyncio.timeout(30):
        await first_sync.waited_by(2)  # the event hold (begun by Application.start), then the handler's head start

    first_sync.done.set()  # wakes the handler, which runs in a later turn
    starting.cancel()  # cancels it in this turn, before it has run
    await asyncio.gather(starting, return_exceptions=True)

    assert starting.cancelled()  # wait_for would have returned here: the handler goes on as if started
    assert start.state.app is None and start.state.catch_up is None  # what the start opened is closed
