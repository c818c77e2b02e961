"""Kopf's peering as this operator reads it: where the peering object is, what Kopf writes in it, when Kopf
pauses a replica, and how Kopf names itself. The one module that knows Kopf's peering internals.

``external-dns --peering`` runs Kopf standalone (it watches on every replica, so a standby's stores stay current)
and keeps its own entry alive in the same object, in Kopf's format (:func:`keepalive_patch`): replicas of
``kopf run --peering`` and of ``external-dns --peering`` see each other the same way.

Kopf has no public API for "am I the active replica?", so the peering gate (peering.py) reads the peering object
Kopf keeps alive and applies Kopf's own rule. Written against kopf==1.45.2 (pinned in pyproject.toml and the
locks): ``Peer.as_dict`` (status ``{identity: {priority, lifetime, lastseen}}``), ``process_peering_event`` (a
replica pauses while any other live peer has a priority >= its own) and ``detect_own_id`` (``POD_ID`` is the
identity when set), ``touch`` (a merge patch of the object's status; a ``null`` entry removes a peer, as Kopf's
exit and its ``clean`` of dead peers do) in kopf/_core/engines/peering.py. tests/unit/test_kopf_peering.py
fails when another Kopf is installed, and tests/integration/test_kopf_run_ha.py runs replicas of both kinds: on an
upgrade, re-read those functions and adjust this module.
"""

from __future__ import annotations

import datetime
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

#: The Kopf release this module's reading of the peering format was written and tested against.
KOPF_VERSION = "1.45.2"
#: The env var Kopf takes its peering identity from (Kopf's documented in-cluster setup: the pod's name).
IDENTITY_VARIABLE = "POD_ID"


def kopf_identity() -> str | None:
    """The identity Kopf uses for itself under ``kopf run`` when it can be known: ``POD_ID``, if set."""
    return os.environ.get(IDENTITY_VARIABLE) or None


def peering_path(name: str, namespace: str = "") -> str:
    """Where Kopf keeps the peering object: ClusterKopfPeering, or KopfPeering for a namespaced operator."""
    if namespace:
        return f"/apis/kopf.dev/v1/namespaces/{namespace}/kopfpeerings/{name}"
    return f"/apis/kopf.dev/v1/clusterkopfpeerings/{name}"


@dataclass(frozen=True, slots=True)
class Peer:
    """One replica as Kopf records it in the peering object: until ``deadline`` it counts as alive."""

    identity: str
    priority: int
    deadline: datetime.datetime
    lifetime: datetime.timedelta = field(default=datetime.timedelta(seconds=60), compare=False)

    @property
    def lastseen(self) -> datetime.datetime:
        return self.deadline - self.lifetime


def parse_peers(status: Mapping[str, Any]) -> list[Peer]:
    """Peers as Kopf writes them into the peering object's status (identity -> priority, lifetime, lastseen)."""
    peers = []
    for identity, info in status.items():
        if not isinstance(info, Mapping):
            continue
        try:
            lastseen = datetime.datetime.fromisoformat(str(info["lastseen"]))
            lifetime = datetime.timedelta(seconds=int(info.get("lifetime", 60)))
            priority = int(info.get("priority", 0))
        except (KeyError, ValueError, TypeError):
            continue
        if lastseen.tzinfo is None:
            lastseen = lastseen.replace(tzinfo=datetime.UTC)
        peers.append(Peer(identity, priority, lastseen + lifetime, lifetime))
    return peers


def is_active(peers: list[Peer], identity: str, priority: int, now: datetime.datetime) -> bool:
    """Kopf's rule: paused while any other live peer has a higher or the same priority."""
    return not any(p.identity != identity and p.deadline > now and p.priority >= priority for p in peers)


def keepalive_patch(identity: str, priority: int, lifetime: int, now: datetime.datetime) -> dict[str, Any]:
    """The merge patch Kopf's ``touch`` sends: this replica alive for ``lifetime`` seconds from ``now``."""
    entry = {"priority": int(priority), "lifetime": int(lifetime), "lastseen": now.isoformat()}
    return {"status": {identity: entry}}


def removal_patch(identities: list[str]) -> dict[str, Any]:
    """The merge patch that takes peers out of the object: Kopf's exit (itself) and ``clean`` (dead peers)."""
    return {"status": dict.fromkeys(identities)}
