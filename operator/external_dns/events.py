"""Kubernetes Events on the objects that asked for records: RecordReady, RecordDeleted, RecordError.

Events are posted as core/v1 Events (what ``kubectl describe`` and ``kubectl get events --field-selector`` read),
with a real ``action`` (Kopf's own poster writes a placeholder there), from a bounded queue drained by a few
workers, so a cold start that creates 10,000 records never blocks reconciliation on the API server. Repeats of
the same event on the same object are folded into one Event with a ``count``, as kubelet and the controllers
do, instead of piling up new objects on every retry.
"""

from __future__ import annotations

import asyncio
import datetime
import logging
import socket
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from external_dns.endpoint import ObjectRef
from external_dns.kube import KubeAPIError, KubeClient

logger = logging.getLogger(__name__)

COMPONENT = "external-dns"


class Reason(StrEnum):
    READY = "RecordReady"
    DELETED = "RecordDeleted"
    ERROR = "RecordError"


class Action(StrEnum):
    CREATED = "Created"
    UPDATED = "Updated"
    DELETED = "Deleted"
    FAILED_SYNC = "FailedSync"


@dataclass(frozen=True, slots=True)
class RecordEvent:
    """One event about one object. Errors are Warnings, everything else Normal."""

    ref: ObjectRef
    reason: Reason
    action: Action
    message: str

    @property
    def type(self) -> str:
        return "Warning" if self.reason is Reason.ERROR else "Normal"


class EventSink:
    """Where the reconciler sends events; the base class only logs them (dry runs, --once without a cluster)."""

    def __init__(self, emit: Iterable[str] = tuple(Reason)) -> None:
        self.enabled = {Reason(r) for r in emit}
        self.sent: list[RecordEvent] = []

    def record(self, event: RecordEvent) -> None:
        if event.reason not in self.enabled:
            return
        log = logger.warning if event.type == "Warning" else logger.info
        log("%s %s on %s: %s", event.reason, event.action, event.ref.display, event.message)
        self.sent.append(event)
        if len(self.sent) > 1000:
            del self.sent[:500]

    async def close(self) -> None:
        return None


class KubeEventRecorder(EventSink):
    """Posts events to the API server in the background."""

    def __init__(
        self,
        kube: KubeClient,
        emit: Iterable[str] = tuple(Reason),
        *,
        workers: int = 4,
        max_queued: int = 10_000,
        instance: str = "",
    ) -> None:
        super().__init__(emit)
        self._kube = kube
        self._queue: asyncio.Queue[RecordEvent] = asyncio.Queue(maxsize=max_queued)
        self._instance = instance or socket.gethostname()
        self._recent: OrderedDict[tuple[object, ...], tuple[str, str, int]] = OrderedDict()
        self._workers = [asyncio.create_task(self._drain(), name=f"event-poster-{i}") for i in range(workers)]
        self.dropped = 0

    def record(self, event: RecordEvent) -> None:
        if event.reason not in self.enabled:
            return
        super().record(event)
        try:
            self._queue.put_nowait(event)
        except asyncio.QueueFull:
            self.dropped += 1
            if self.dropped % 1000 == 1:
                logger.warning("Event queue full; %d events dropped so far", self.dropped)

    async def flush(self) -> None:
        """Wait until every queued event is posted (tests and --once)."""
        await self._queue.join()

    async def close(self) -> None:
        for task in self._workers:
            task.cancel()
        await asyncio.gather(*self._workers, return_exceptions=True)

    async def _drain(self) -> None:
        while True:
            event = await self._queue.get()
            try:
                await self._post(event)
            except (TimeoutError, KubeAPIError, OSError) as error:
                logger.warning("Could not post %s event on %s: %s", event.reason, event.ref.display, error)
            except Exception:
                logger.exception("Could not post %s event on %s", event.reason, event.ref.display)
            finally:
                self._queue.task_done()

    async def _post(self, event: RecordEvent) -> None:
        ref = event.ref
        namespace = ref.namespace or "default"
        now = _now()
        key = (ref, event.reason, event.action, event.message)
        if key in self._recent:
            name, ns, count = self._recent[key]
            try:
                await self._kube.request(
                    "PATCH",
                    f"/api/v1/namespaces/{ns}/events/{name}",
                    body={"count": count + 1, "lastTimestamp": now},
                    content_type="application/merge-patch+json",
                )
                self._recent[key] = (name, ns, count + 1)
                self._recent.move_to_end(key)
                return
            except KubeAPIError as error:
                if error.status != 404:
                    raise
        body = {
            "apiVersion": "v1",
            "kind": "Event",
            "metadata": {"generateName": f"{_safe_name(ref.name)}.", "namespace": namespace},
            "involvedObject": {
                "apiVersion": ref.api_version,
                "kind": ref.kind,
                "name": ref.name,
                **({"namespace": ref.namespace} if ref.namespace else {}),
                **({"uid": ref.uid} if ref.uid else {}),
            },
            "reason": str(event.reason),
            "action": str(event.action),
            "type": event.type,
            "message": event.message[:1024],
            "source": {"component": COMPONENT},
            "reportingComponent": COMPONENT,
            "reportingInstance": self._instance,
            "firstTimestamp": now,
            "lastTimestamp": now,
            "count": 1,
        }
        created = await self._kube.request("POST", f"/api/v1/namespaces/{namespace}/events", body=body)
        self._recent[key] = (created["metadata"]["name"], namespace, 1)
        if len(self._recent) > 5000:
            self._recent.popitem(last=False)


def _now() -> str:
    return datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _safe_name(name: str) -> str:
    cleaned = "".join(c if c.isalnum() or c in "-." else "-" for c in name.lower()).strip("-.")
    return (cleaned or "object")[:200]
