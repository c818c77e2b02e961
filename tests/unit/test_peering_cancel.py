"""High availability: the peering gate stops when cancelled (Kopf's cleanup cancels it once, and waits for it).

The edge that matters is a request answered in the very turn the cancellation arrives: Python 3.11's
asyncio.wait_for returned the answer then and dropped the cancellation, so the gate polled on for ever (the
operator's shutdown hung) or its keep-alive task went on renewing after the gate was gone.
"""

from __future__ import annotations

import asyncio
import datetime
from typing import Any, cast

import pytest
from tests.unit.test_peering import peering, seen

from external_dns.kube import KubeClient
from external_dns.peering import PeeringGate


class AnsweredAsTheGateIsCancelled:
    """A live peering object holding this replica's fresh entry (and, with ``leader``, a live replica above it).

    The ``cancel_at``-th request of ``method`` is answered in the turn the gate's task is cancelled (the cancel is
    queued first, then the answer), as when Kopf's cleanup runs while an API server's answer comes in. Any request
    made once the cancel was delivered is recorded and left unanswered: a gate that was really stopped makes none.
    """

    def __init__(self, method: str, cancel_at: int, lifetime: int, *, leader: bool) -> None:
        self.method = method
        self.leader = leader
        self.cancel_at = cancel_at
        self.lifetime = lifetime
        self.counts = {"GET": 0, "PATCH": 0}
        self.gate_task: asyncio.Task[None] | None = None
        self.cancelled = False
        self.asked_after_cancel: list[str] = []
        self.asked_again = asyncio.Event()

    async def request(self, method: str, path: str, **_: Any) -> Any:
        if self.cancelled:
            self.asked_after_cancel.append(method)
            self.asked_again.set()
            await asyncio.Event().wait()
        self.counts[method] += 1
        if method == self.method and self.counts[method] == self.cancel_at:
            assert self.gate_task is not None
            asyncio.get_running_loop().call_soon(self._cancel_the_gate, self.gate_task)
            await asyncio.sleep(0)  # the answer comes in the turn after the cancel is delivered
        if method == "PATCH":
            return {}
        now = datetime.datetime.now(datetime.UTC)
        others = {"leader_2": seen(now=now, lifetime=self.lifetime, priority=500)} if self.leader else {}
        return peering(me_1=seen(now=now, lifetime=self.lifetime), **others)

    def _cancel_the_gate(self, gate_task: asyncio.Task[None]) -> None:
        # Counted from the delivery: another of the gate's tasks may have been due in the turn before (a poll
        # beside the keep-alive task's renewal) and asks its question then, as it should.
        self.cancelled = True
        gate_task.cancel()


@pytest.mark.parametrize(
    ("method", "cancel_at", "lifetime", "leader", "roles"),
    [
        # Requests in order: GET (lining up), PATCH (the first keep-alive, sent by the gate's own task), GET (a
        # poll: active unless a leader is there, one confirmation), GET (a poll of the active replica: bounded by
        # its deadline), ...
        pytest.param("PATCH", 1, 60, False, [], id="the first keep-alive"),
        pytest.param("GET", 3, 60, False, ["active"], id="a poll of the active replica"),
        # Lifetime 1 s: the keep-alive task renews every 1/6 s, sooner than the gate re-cancels what is left.
        pytest.param("PATCH", 2, 1, True, [], id="a renewal by the keep-alive task of a standby"),
        pytest.param("PATCH", 2, 1, False, ["active"], id="a renewal by the keep-alive task of the active replica"),
    ],
)
async def test_a_gate_cancelled_as_an_answer_comes_in_stops_and_asks_nothing_more(
    method: str, cancel_at: int, lifetime: int, leader: bool, roles: list[str]
) -> None:
    kube = AnsweredAsTheGateIsCancelled(method, cancel_at, lifetime, leader=leader)
    gate = PeeringGate(
        cast(KubeClient, kube),
        "external-dns",
        "me@1",
        100,
        interval=0.05,
        confirmations=1,
        lifetime=lifetime,
        keepalive=True,
    )
    transitions: list[str] = []

    async def on_active() -> None:
        transitions.append("active")

    async def on_standby() -> None:
        transitions.append("standby")

    gate_task = kube.gate_task = asyncio.create_task(gate.run(on_active, on_standby))
    asked_again = asyncio.create_task(kube.asked_again.wait())
    try:
        # Whichever comes first: the gate ends, or it (or a task of its) asks the API server again.
        await asyncio.wait([gate_task, asked_again], return_when=asyncio.FIRST_COMPLETED)
        assert kube.cancelled
        assert kube.asked_after_cancel == []
        assert gate_task.cancelled()
    finally:
        asked_again.cancel()
        gate_task.cancel()
        await asyncio.gather(gate_task, asked_again, return_exceptions=True)
    # The gate had taken the role each case is about (the active replica's requests are bounded by its deadline,
    # a standby's are not), and nothing changed it.
    assert transitions == roles
