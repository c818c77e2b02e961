"""High availability on Kopf peering: exactly one replica reconciles, the others stand by.

Each replica reads the peering object (ClusterKopfPeering, or KopfPeering in --namespace) and applies Kopf's own
rule (kopf_peering.py, the one module that reads Kopf's format) to decide whether it is the active one: no live
peer with a priority >= its own. Each replica gets a random priority, so two replicas never tie (Kopf pauses
everyone on a tie).

Two ways to run it:

- ``external-dns --peering`` (warm standby): Kopf runs standalone on every replica, so every replica watches
  and keeps its object stores and desired state current; this gate writes the replica's keep-alive into the
  peering object itself, in Kopf's format (``keepalive=True``), and only the active replica runs the zone
  workers, posts events and writes status. A takeover starts the workers: no LIST, no replay.
- ``kopf run --peering=NAME``: Kopf writes the keep-alive and pauses the standby's watch streams itself; the gate
  only reads, and the replica that becomes active LISTs every source before starting its workers (handlers.py).

Safety: a replica writes only while its own entry in the object is live by a margin, so one whose keep-alive
stops landing (API server unreachable, a stuck loop) stops writing before the others may presume it dead. With
``keepalive`` it renews every sixth of the lifetime and fences itself sooner: it stops writing once its last
keep-alive sent is older than half the lifetime (``fence``). A standby that sees the leader silent for
longer than that reads its zones ahead of the takeover (``on_leader_silent``): nobody writes by then, so the
read is exact, and the takeover at the leader's deadline needs no zone read.
A replica takes the lead only after its own entry has been visible for ``confirmations`` polls in a row, so every
live replica below it has seen it and stood by; a replica that loses the lead stops at its next poll.
The keep-alive, the polls and the role callbacks are three tasks: a takeover that reads zones or a step-down
that waits for workers never holds back a keep-alive or the fence check (which cancels a takeover under way).

Failover time: a replica that exits cleanly stops its workers, then removes itself from the peering object; the
standby takes over at its next poll (within ``interval``). One that dies silently is presumed dead
``--peering-lifetime`` after its last keep-alive; the standby takes over at its first poll after that.
"""

from __future__ import annotations

import asyncio
import datetime
import logging
import os
import random
import socket
import time
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

from external_dns.kopf_peering import (
    Peer,
    is_active,
    keepalive_patch,
    parse_peers,
    peering_path,
    removal_patch,
)
from external_dns.kube import KubeAPIError, KubeClient
from external_dns.tasks import cancel_all

__all__ = ["Peer", "PeeringGate", "is_active", "own_identity", "parse_peers", "peering_path", "random_priority"]

logger = logging.getLogger(__name__)

MERGE_PATCH = "application/merge-patch+json"


def own_identity() -> str:
    """Unique per process and readable in the peering object: host, pid and a random suffix."""
    return f"{socket.gethostname()}@{os.getpid()}/{random.randrange(16**6):06x}"


def random_priority() -> int:
    """A priority for Kopf peering: random, so two replicas practically never tie."""
    return random.randrange(1, 2**31)


class PeeringGate:
    """Polls the peering object and calls ``on_active`` / ``on_standby`` on every change of role.

    With ``keepalive`` it also keeps this replica's own entry alive (every sixth of ``lifetime``, in a task of its
    own), cleans out dead peers as Kopf does, and :meth:`leave` removes the entry on a clean exit.
    """

    def __init__(
        self,
        kube: KubeClient,
        name: str,
        identity: str,
        priority: int,
        *,
        namespace: str = "",
        interval: float = 1.0,
        confirmations: int = 3,
        lifetime: float = 60.0,
        keepalive: bool = False,
        margin: float | None = None,
    ) -> None:
        self.kube = kube
        self.name = name
        self.path = peering_path(name, namespace)
        self.identity = identity
        self.priority = priority
        self.interval = interval
        #: Polls in a row that must show this replica's own entry before it may take the lead: every replica
        #: below it polls as often, so by then each has seen it and stood by.
        self.confirmations = max(1, confirmations)
        self.lifetime = max(1, int(lifetime))
        self.keepalive = keepalive
        #: Stop writing when the own entry has less than this left: one poll, and never more than a sixth of the
        #: lifetime, which is less than the gap Kopf's own keep-alive (every lifetime - 5..10 s) leaves.
        self.margin = min(interval, self.lifetime / 6) if margin is None else margin
        #: With keepalive: how often the keep-alive is renewed, and how old the last one sent may be before this
        #: replica stops writing (about three renewals may fail or come late first, as on a loaded machine; never
        #: past its deadline minus the margin). A standby reads ahead between the fence and the deadline.
        self.touch_every = self.lifetime / 6
        self.fence = min(max(self.lifetime / 2, 2 * interval) + self.margin, self.lifetime - self.margin)
        self.active = False
        self.checked = asyncio.Event()
        self._seen = 0
        self._touched_at = -float("inf")  # when the last keep-alive that landed was sent (monotonic)
        self._sent_at = -float("inf")  # when the last keep-alive was sent, landed or not (monotonic)
        #: The tasks running the last takeover's and the last step-down's callback.
        self._takeover: asyncio.Task[None] | None = None
        self._step_down: asyncio.Task[None] | None = None
        #: Every role task not done yet, a takeover that a step-down is still cancelling included: the gate's end
        #: cancels them all, and a step-down it cuts short leaves no takeover running on.
        self._roles: set[asyncio.Task[None]] = set()
        self._unreadable_warned = False
        self._leader_silent = False
        #: Whether the fence applies (keepalive, and another live peer was in the object last read).
        self._fenced = False
        self._own_deadline: datetime.datetime | None = None
        self._touch_warned = False

    async def run(
        self,
        on_active: Callable[[], Awaitable[None]],
        on_standby: Callable[[], Awaitable[None]],
        *,
        on_leader_silent: Callable[[], None] | None = None,
        on_leader_back: Callable[[], None] | None = None,
    ) -> None:
        """Poll until cancelled. The keep-alive and the role changes run as tasks of their own: a takeover that
        reads zones, or a step-down that waits for workers, holds back neither the next keep-alive nor the next
        poll (whose fence check may have to stop that very takeover)."""
        background: list[asyncio.Task[None]] = []
        try:
            if self.keepalive:
                await self._line_up()
                await self._touch()  # in the object before the first poll reads it
                background.append(asyncio.create_task(self._keep_alive(), name="peering-keepalive"))
            while True:
                await self._poll(on_active, on_standby, on_leader_silent, on_leader_back)
                await asyncio.sleep(self.interval)
        finally:
            await cancel_all([*background, *self._roles])

    async def _keep_alive(self) -> None:
        """Renew this replica's entry every ``touch_every`` seconds, on its own schedule."""
        while True:
            await asyncio.sleep(max(0.0, self._sent_at + self.touch_every - time.monotonic()))
            await self._touch()

    async def _poll(
        self,
        on_active: Callable[[], Awaitable[None]],
        on_standby: Callable[[], Awaitable[None]],
        on_leader_silent: Callable[[], None] | None,
        on_leader_back: Callable[[], None] | None,
    ) -> None:
        try:
            peering = await self._bounded(self.kube.request("GET", self.path))
        except KubeAPIError as error:
            if not self._unreadable_warned:
                logger.error(
                    "Peering object %r unreadable (%s): standing by, reconciling nothing, until it exists "
                    "(kubectl apply -f manifests/base/peering.yaml, with the CRDs from crds/)",
                    self.name,
                    error,
                )
                self._unreadable_warned = True
            peering = None
        except (OSError, TimeoutError) as error:
            logger.warning("Peering object %r unreachable (%s)", self.name, str(error) or "timed out")
            peering = None
        now = datetime.datetime.now(datetime.UTC)
        peers = parse_peers((peering or {}).get("status") or {})
        own = next((peer for peer in peers if peer.identity == self.identity), None)
        # Until our own keep-alive is in the object (and stays live by the margin), others cannot count on
        # us: neither act nor keep acting.
        alive = own is not None and (own.deadline - now).total_seconds() > self.margin
        # The fence only matters to a replica that could be reading ahead: with no other live peer in the
        # object, a late keep-alive (a slow API server, a busy loop) must not stop a lone replica's work.
        self._fenced = self.keepalive and any(p.identity != self.identity and p.deadline > now for p in peers)
        if self._fenced:
            alive = alive and time.monotonic() - self._touched_at < self.fence
        self._own_deadline = own.deadline if own is not None and alive else None
        self._seen = self._seen + 1 if alive else 0
        on_top = peering is not None and alive and is_active(peers, self.identity, self.priority, now)
        active = on_top and (self.active or self._seen >= self.confirmations)
        if self.keepalive and peering is not None:
            await self._clean([peer for peer in peers if peer.deadline <= now and peer.identity != self.identity])
        silent = self._leader_silent if active or not self.keepalive else self._leader_is_silent(peers, now)
        if silent is not None and silent != self._leader_silent:
            self._leader_silent = silent
            callback = on_leader_silent if silent else on_leader_back
            if callback is not None:
                logger.info("Peering %r: the leader is %s", self.name, "silent" if silent else "back")
                callback()
        if active:
            self._leader_silent = False  # taking over consumes what was read ahead
        if active != self.active:
            self.active = active
            if active:
                logger.info("Peering %r: this replica (priority %d) is now active", self.name, self.priority)
            else:
                logger.info("Peering %r: another replica is active; standing by", self.name)
            self._change_role(active, on_active if active else on_standby)
        self.checked.set()

    def _change_role(self, active: bool, callback: Callable[[], Awaitable[None]]) -> None:
        """Run the role's callback in a task of its own. A takeover starts once the last step-down is over; a
        step-down cancels a takeover still under way (nothing of it may write) and always runs to its end."""
        if active:
            self._takeover = self._role(self._take_over(self._step_down, callback), "peering-takeover")
        else:
            takeover, self._takeover = self._takeover, None
            self._step_down = self._role(self._stand_by(takeover, self._step_down, callback), "peering-step-down")

    def _role(self, callback: Coroutine[Any, Any, None], name: str) -> asyncio.Task[None]:
        task = asyncio.create_task(callback, name=name)
        self._roles.add(task)
        task.add_done_callback(self._roles.discard)
        return task

    async def _take_over(self, step_down: asyncio.Task[None] | None, on_active: Callable[[], Awaitable[None]]) -> None:
        if step_down is not None and not step_down.done():
            await asyncio.wait([step_down])  # waits without cancelling it if this takeover is cancelled
        try:
            await on_active()
        except Exception:
            logger.exception("Peering %r: taking over failed", self.name)
            if self._takeover is asyncio.current_task():
                self.active = False  # the next poll that finds this replica on top tries again

    async def _stand_by(
        self,
        takeover: asyncio.Task[None] | None,
        step_down: asyncio.Task[None] | None,
        on_standby: Callable[[], Awaitable[None]],
    ) -> None:
        if takeover is not None:
            await cancel_all([takeover])
        if step_down is not None and not step_down.done():
            await asyncio.wait([step_down])
        try:
            await on_standby()
        except Exception:
            logger.exception("Peering %r: standing by failed", self.name)

    def _leader_is_silent(self, peers: list[Peer], now: datetime.datetime) -> bool | None:
        """True when every live peer that keeps this replica standing by has sent no keep-alive for longer than
        the fence (plus a margin for clocks): each has stopped writing, or is dead. False when one has; None when
        none is left (expired: the takeover follows, and what was read ahead stays good)."""
        blockers = [
            p for p in peers if p.identity != self.identity and p.deadline > now and p.priority >= self.priority
        ]
        if not blockers:
            return None
        limit = datetime.timedelta(seconds=self.fence + self.margin)
        return all(now - p.lastseen > limit for p in blockers)

    async def _line_up(self) -> None:
        """Join below every live replica: a replica that starts (a rollout, a restart) does not take the lead from
        a healthy one, which would cost a handover (zone reads, a whole-zone pass) while it is still warming up."""
        try:
            peering = await self.kube.request("GET", self.path)
        except (KubeAPIError, OSError, TimeoutError):
            return  # the poll loop says what is wrong; a random priority is as good as any then
        now = datetime.datetime.now(datetime.UTC)
        peers = parse_peers((peering or {}).get("status") or {})
        live = [p.priority for p in peers if p.deadline > now and p.identity != self.identity]
        if live and min(live) <= self.priority:
            self.priority = min(live) - random.randrange(1, 2**20)  # two joining at once practically never tie
            logger.info(
                "Peering %r: joining below the %d live replicas (priority %d)", self.name, len(live), self.priority
            )

    async def leave(self) -> None:
        """Take this replica out of the peering object (a clean exit: the standby need not wait for the lifetime)."""
        if not self.keepalive:
            return
        try:
            await self._patch(removal_patch([self.identity]))
        except (KubeAPIError, OSError, TimeoutError) as error:
            logger.warning(
                "Could not leave the peering object %r (%s): the others wait out its lifetime", self.name, error
            )

    async def _touch(self) -> None:
        now = datetime.datetime.now(datetime.UTC)
        self._sent_at = sent_at = time.monotonic()
        patch = keepalive_patch(self.identity, self.priority, self.lifetime, now)
        try:
            # A keep-alive that lands later than the fence is of no use: give up on it and send the next.
            # asyncio.timeout, not wait_for: see _bounded.
            async with asyncio.timeout(self.fence):
                await self._bounded(self._patch(patch))
        except (KubeAPIError, OSError, TimeoutError) as error:
            if not self._touch_warned:  # the poll that follows says what this replica does about it
                logger.warning("Peering %r: keep-alive not written (%s)", self.name, str(error) or "timed out")
                self._touch_warned = True
            return
        self._touched_at = sent_at
        self._touch_warned = False

    async def _clean(self, dead: list[Peer]) -> None:
        if not dead:
            return
        try:
            await self._bounded(self._patch(removal_patch([peer.identity for peer in dead])))
        except (KubeAPIError, OSError, TimeoutError) as error:
            logger.debug("Peering %r: dead peers not cleaned (%s)", self.name, error)

    async def _patch(self, body: dict[str, Any]) -> None:
        await self.kube.request("PATCH", self.path, body=body, content_type=MERGE_PATCH)

    async def _bounded(self, request: Awaitable[Any]) -> Any:
        """While active, a request may take only as long as our own entry stays live by the margin: a replica
        whose requests hang must still stop writing before the others may presume it dead.

        asyncio.timeout runs the request in this task, so a cancellation always reaches the caller. Python 3.11's
        wait_for runs it in a task of its own and, cancelled in the turn that task finished, returns its result
        (or raises its error) instead: the cancellation is lost, and a gate cancelled once (Kopf's cleanup) polls
        on for ever."""
        if not self.active or self._own_deadline is None:
            return await request
        left = (self._own_deadline - datetime.datetime.now(datetime.UTC)).total_seconds() - self.margin
        if self._fenced:
            left = min(left, self._touched_at + self.fence - time.monotonic())
        async with asyncio.timeout(max(0.05, left)):
            return await request
