"""High availability: the peering gate's role tasks (takeover, step-down) beside its keep-alive and its polls."""

from __future__ import annotations

import asyncio
import datetime
from typing import Any, cast

from tests.unit.test_peering import ScriptedKube, seen

from external_dns.kube import KubeClient
from external_dns.peering import PeeringGate


class LivePeeringObject(ScriptedKube):
    """Answers every GET with the entries of ``others`` (fresh: lastseen now) and ours, as last patched."""

    def __init__(self, others: dict[str, int]) -> None:
        super().__init__([])
        self.others = others
        self.patched = asyncio.Event()

    async def request(self, method: str, path: str, *, body: Any = None, content_type: str = "", **_: Any) -> Any:
        if method == "PATCH":
            self.patched.set()
            return await super().request(method, path, body=body, content_type=content_type)
        now = datetime.datetime.now(datetime.UTC)
        status = {name: seen(now=now, priority=priority, lifetime=3) for name, priority in self.others.items()}
        mine = next((patch["status"]["me@1"] for patch in reversed(self.patches) if patch["status"].get("me@1")), None)
        return {"status": {**status, **({"me@1": mine} if mine else {})}}

    def keepalives(self) -> int:
        return sum(1 for patch in self.patches if patch["status"].get("me@1"))

    async def wait_keepalives(self, count: int) -> None:
        while self.keepalives() < count:
            self.patched.clear()
            await self.patched.wait()


async def test_keepalives_go_on_while_a_takeover_holds_its_callback() -> None:
    kube = LivePeeringObject({})
    gate = PeeringGate(cast(KubeClient, kube), "external-dns", "me@1", 100, interval=0.05, lifetime=3, keepalive=True)
    transitions: list[str] = []
    held_through = asyncio.Event()

    async def on_active() -> None:  # a takeover reading a large zone: 3 s and more
        transitions.append("active")
        # A standby of lower priority joins, so the fence applies: lifetime 3 s, keep-alives every 0.5 s, and a
        # leader whose last keep-alive is over 2 s old stops writing.
        kube.others = {"standby@2": 5}
        before = kube.keepalives()
        await asyncio.wait_for(kube.wait_keepalives(before + 6), 10)
        held_through.set()

    async def on_standby() -> None:
        transitions.append("standby")

    task = asyncio.create_task(gate.run(on_active, on_standby))
    try:
        await asyncio.wait_for(held_through.wait(), 15)
        assert gate.active
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
    assert transitions == ["active"]  # never fenced: its keep-alive kept landing while the takeover ran


async def test_a_takeover_still_under_way_is_cancelled_when_the_lead_is_lost() -> None:
    kube = LivePeeringObject({})
    gate = PeeringGate(cast(KubeClient, kube), "external-dns", "me@1", 100, interval=0.05, lifetime=3, keepalive=True)
    transitions: list[str] = []
    taking_over = asyncio.Event()
    stood_by = asyncio.Event()

    async def on_active() -> None:  # a takeover that never finishes (a zone read that hangs)
        transitions.append("active")
        taking_over.set()
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            transitions.append("takeover cancelled")
            raise

    async def on_standby() -> None:
        transitions.append("standby")
        stood_by.set()

    task = asyncio.create_task(gate.run(on_active, on_standby))
    try:
        await asyncio.wait_for(taking_over.wait(), 10)
        kube.others = {"higher@2": 500}  # another replica outranks this one now
        await asyncio.wait_for(stood_by.wait(), 10)
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
    assert transitions == ["active", "takeover cancelled", "standby"] and not gate.active


async def test_a_failed_takeover_is_tried_again_at_a_later_poll() -> None:
    kube = LivePeeringObject({})
    gate = PeeringGate(cast(KubeClient, kube), "external-dns", "me@1", 100, interval=0.02, lifetime=3, keepalive=True)
    attempts: list[str] = []
    led = asyncio.Event()

    async def on_active() -> None:
        attempts.append("active")
        if len(attempts) == 1:
            raise OSError("zone unreachable")
        led.set()

    async def on_standby() -> None:
        attempts.append("standby")

    task = asyncio.create_task(gate.run(on_active, on_standby))
    try:
        await asyncio.wait_for(led.wait(), 10)
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
    assert attempts == ["active", "active"] and gate.active


async def test_a_gate_cancelled_while_standing_down_a_takeover_leaves_no_takeover_running() -> None:
    """A takeover may lose a cancellation of its own (a wait_for of its own, answered in that turn); the step-down
    cancels it again until it ends, and so must the gate's end when it cuts that step-down short."""
    kube = LivePeeringObject({})
    gate = PeeringGate(cast(KubeClient, kube), "external-dns", "me@1", 100, interval=0.05, lifetime=60, keepalive=True)
    taking_over = asyncio.Event()
    lost_a_cancel = asyncio.Event()
    takeovers: list[asyncio.Task[Any]] = []

    async def on_active() -> None:  # a takeover that never finishes, and loses the first cancellation it gets
        takeovers.append(cast("asyncio.Task[Any]", asyncio.current_task()))
        taking_over.set()
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            lost_a_cancel.set()
        await asyncio.Event().wait()

    async def on_standby() -> None:
        pass

    gate_task = asyncio.create_task(gate.run(on_active, on_standby))
    try:
        await taking_over.wait()
        kube.others = {"higher@2": 500}  # another replica outranks this one: the step-down cancels the takeover
        await lost_a_cancel.wait()
    finally:
        gate_task.cancel()  # Kopf's cleanup, while the step-down waits to cancel the takeover again
        await asyncio.gather(gate_task, return_exceptions=True)
    try:
        assert takeovers[0].done()
    finally:
        takeovers[0].cancel()
        await asyncio.gather(*takeovers, return_exceptions=True)
