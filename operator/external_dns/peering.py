"""High availability on Kopf peering: exactly one replica reconciles, the others stand by.

Kopf peering pauses the watch streams of every replica that sees a live peer with a higher (or the same)
priority, but it tells the handlers nothing, and this operator's zone workers write DNS on their own schedule.
So each replica reads the same peering object Kopf keeps alive (ClusterKopfPeering, or KopfPeering in
--namespace) and applies Kopf's own rule (kopf_peering.py, the one module that reads Kopf's format) to decide
whether it is the active one: no live peer with a priority >= its own. Each replica gets a random priority, so
two replicas never tie (Kopf pauses everyone on a tie). The active replica starts its zone workers after a
fresh LIST of every source; a replica that loses the lead stops its workers at once.

Failover time: a replica that exits cleanly removes itself from the peering object and the standby takes over
after three polls (about 2 s: the wait that keeps two replicas from ever writing at once); one that dies silently
is presumed dead ``--peering-lifetime`` after its last keep-alive, plus those polls.
"""

from __future__ import annotations

import asyncio
import datetime
import logging
import os
import random
import socket
from collections.abc import Awaitable, Callable

from external_dns.kopf_peering import Peer, is_active, parse_peers, peering_path
from external_dns.kube import KubeAPIError, KubeClient

__all__ = ["Peer", "PeeringGate", "is_active", "own_identity", "parse_peers", "peering_path", "random_priority"]

logger = logging.getLogger(__name__)


def own_identity() -> str:
    """Unique per process and readable in the peering object: host, pid and a random suffix."""
    return f"{socket.gethostname()}@{os.getpid()}/{random.randrange(16**6):06x}"


def random_priority() -> int:
    """A priority for Kopf peering: random, so two replicas practically never tie."""
    return random.randrange(1, 2**31)


class PeeringGate:
    """Polls the peering object and calls ``on_active`` / ``on_standby`` on every change of role."""

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
    ) -> None:
        self.kube = kube
        self.name = name
        self.path = peering_path(name, namespace)
        self.identity = identity
        self.priority = priority
        self.interval = interval
        #: Polls in a row that must show this replica on top before it starts writing. A replica that loses the
        #: lead stops at its next poll (within one interval), so waiting longer than that to take the lead means
        #: two replicas never write at once during a handover.
        self.confirmations = max(1, confirmations)
        self.active = False
        self.checked = asyncio.Event()
        self._on_top = 0

    async def run(self, on_active: Callable[[], Awaitable[None]], on_standby: Callable[[], Awaitable[None]]) -> None:
        warned = False
        while True:
            try:
                peering = await self.kube.request("GET", self.path)
            except KubeAPIError as error:
                if not warned:
                    logger.error(
                        "Peering object %r unreadable (%s): standing by, reconciling nothing, until it exists "
                        "(kubectl apply -f manifests/base/peering.yaml, with the CRDs from crds/)",
                        self.name,
                        error,
                    )
                    warned = True
                peering = None
            except OSError as error:
                logger.warning("Peering object %r unreachable (%s)", self.name, error)
                peering = None
            now = datetime.datetime.now(datetime.UTC)
            peers = parse_peers((peering or {}).get("status") or {})
            # Until Kopf has written our own keep-alive, others cannot see us: do not act yet.
            known = any(p.identity == self.identity for p in peers)
            on_top = peering is not None and known and is_active(peers, self.identity, self.priority, now)
            self._on_top = self._on_top + 1 if on_top else 0
            active = self._on_top >= self.confirmations if not self.active else on_top
            if active != self.active:
                self.active = active
                if active:
                    logger.info("Peering %r: this replica (priority %d) is now active", self.name, self.priority)
                    await on_active()
                else:
                    logger.info("Peering %r: another replica is active; standing by", self.name)
                    await on_standby()
            self.checked.set()
            await asyncio.sleep(self.interval)
