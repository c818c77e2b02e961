"""DNSEndpoint status: whether each endpoint is programmed, written after the provider confirmed it.

ExternalDNS writes ``status.observedGeneration`` when it *reads* a DNSEndpoint, which says nothing about DNS
(#6030). Here the status says what the provider holds: a ``Programmed`` condition (True only when every endpoint
of the object is in DNS as asked), per-endpoint results with the reason when not, and ``observedGeneration`` of
the spec those results are about. Writes go through the status subresource, are skipped when nothing changed,
and are drained by one background task so reconciliation never waits on the API server.

:class:`StatusRefresher` reads the record states (recordstate.py) that the zone workers write, and turns the
objects whose names settled into status updates; the workers never call it.
"""

from __future__ import annotations

import asyncio
import datetime
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from external_dns.desired import DesiredState, ObjectKey
from external_dns.endpoint import Endpoint
from external_dns.kinds import Resource
from external_dns.kube import KubeAPIError, KubeClient
from external_dns.model import ZoneRouter
from external_dns.recordstate import RecordStates
from external_dns.store import ObjectStore

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class EndpointState:
    endpoint: Endpoint
    programmed: bool
    message: str = ""


def build_status(generation: int, states: Sequence[EndpointState], problems: Sequence[str]) -> dict[str, Any]:
    """The status block (without lastTransitionTime, which the writer keeps stable)."""
    failed = [s for s in states if not s.programmed]
    if problems:
        reason, message = "Invalid", "; ".join(problems)
    elif any(not s.message.startswith("waiting") for s in failed):
        reason = "Failed"
        message = "; ".join(f"{s.endpoint.record_type} {s.endpoint.dns_name}: {s.message}" for s in failed)
    elif failed:
        reason, message = "Pending", f"{len(failed)} of {len(states)} endpoints waiting to be applied"
    else:
        reason, message = "Programmed", f"{len(states)} endpoints programmed"
    return {
        "observedGeneration": generation,
        "conditions": [
            {
                "type": "Programmed",
                "status": "True" if reason == "Programmed" else "False",
                "reason": reason,
                "message": message[:1024],
                "observedGeneration": generation,
            }
        ],
        "endpoints": [
            {
                "dnsName": s.endpoint.dns_name,
                "recordType": s.endpoint.record_type,
                "programmed": s.programmed,
                **({"message": s.message} if s.message else {}),
            }
            for s in states
        ],
    }


class StatusWriter:
    """Patches ``<resource>/status`` of DNSEndpoints in the background, only when the status changed."""

    def __init__(self, kube: KubeClient, resource: Resource) -> None:
        self._kube = kube
        self._resource = resource
        self._written: dict[ObjectKey, dict[str, Any]] = {}
        self._transitions: dict[ObjectKey, tuple[str, str]] = {}
        self._pending: dict[ObjectKey, dict[str, Any]] = {}
        self._wake = asyncio.Event()
        self._drained = asyncio.Event()
        self._drained.set()
        self._task = asyncio.create_task(self._drain(), name="dnsendpoint-status")
        self.writes = 0

    def update(self, key: ObjectKey, status: dict[str, Any]) -> None:
        if self._written.get(key) == status:
            self._pending.pop(key, None)
            return
        self._pending[key] = status
        self._drained.clear()
        self._wake.set()

    def forget(self, key: ObjectKey) -> None:
        self._written.pop(key, None)
        self._pending.pop(key, None)
        self._transitions.pop(key, None)

    async def flush(self) -> None:
        """Until every pending status is written (tests, --once)."""
        await self._drained.wait()

    async def close(self) -> None:
        self._task.cancel()
        await asyncio.gather(self._task, return_exceptions=True)

    async def _drain(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            while self._pending:
                key, status = next(iter(self._pending.items()))
                try:
                    await self._patch(key, status)
                except KubeAPIError as error:
                    if error.status != 404:  # a deleted object needs no status
                        logger.warning("Could not write the status of %s/%s: %s", key.namespace, key.name, error)
                except (TimeoutError, OSError) as error:
                    logger.warning("Could not write the status of %s/%s: %s", key.namespace, key.name, error)
                    await asyncio.sleep(1)
                    continue
                if self._pending.get(key) is status:
                    del self._pending[key]
                self._written[key] = status
            self._drained.set()

    async def _patch(self, key: ObjectKey, status: dict[str, Any]) -> None:
        condition = status["conditions"][0]
        state = (condition["status"], condition["reason"])
        previous = self._transitions.get(key)
        if previous is None or previous[0] != state[0]:
            self._transitions[key] = (*state[:1], _now())
        body = {
            "status": {
                **status,
                "conditions": [{**condition, "lastTransitionTime": self._transitions[key][1]}],
            }
        }
        path = self._resource.path(key.namespace) + f"/{key.name}/status"
        await self._kube.request("PATCH", path, body=body, content_type="application/merge-patch+json")
        self.writes += 1


class StatusRefresher:
    """Refreshes the status of the objects of one kind (DNSEndpoints) whose names settled or that changed."""

    def __init__(
        self,
        writer: StatusWriter,
        kind: str,
        objects: ObjectStore,
        desired: DesiredState,
        states: RecordStates,
        router: ZoneRouter,
    ) -> None:
        self.writer = writer
        self.kind = kind
        self.objects = objects
        self.desired = desired
        self.states = states
        self.router = router

    async def run(self) -> None:
        """Until cancelled: refresh whenever the record states were touched."""
        while True:
            await self.states.touched.wait()
            self.refresh()

    def refresh(self) -> None:
        """Refresh every object touched since the last call."""
        names, objects = self.states.take_touched()
        keys = {key for name in names for key in self.desired.wanted_by(name) if key.kind == self.kind}
        keys |= {key for key in objects if key.kind == self.kind}
        for key in sorted(keys):
            self.refresh_object(key)

    def refresh_object(self, key: ObjectKey) -> None:
        obj = self.objects.get(key.namespace, key.name)
        if obj is None:
            return
        endpoint_states = []
        for endpoint in self.desired.endpoints_of(key):
            zones = self.router.zones_for(endpoint.dns_name)
            if not zones:
                endpoint_states.append(EndpointState(endpoint, False, "no managed zone contains this name"))
                continue
            missing = [
                state.message
                for state in (self.states.record_state(zone.label, endpoint) for zone in zones)
                if not state.programmed
            ]
            endpoint_states.append(EndpointState(endpoint, not missing, missing[0] if missing else ""))
        generation = int((obj.get("metadata") or {}).get("generation") or 0)
        self.writer.update(key, build_status(generation, endpoint_states, self.states.problems(key)))


def _now() -> str:
    return datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
