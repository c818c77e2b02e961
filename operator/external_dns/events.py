"""Kubernetes Events on the objects that asked for records: RecordReady, RecordDeleted, RecordError.

Events are posted as core/v1 Events (what ``kubectl describe`` and ``kubectl get events --field-selector`` read),
with a real ``action`` (Kopf's own poster writes a placeholder there), by a few background workers, so a cold
start that creates 50,000 records never blocks reconciliation on the API server. What waits is folded, never
dropped (event_backlog.py): one Event per object per burst with a ``count``, as kubelet and the controllers do;
a repeat of an Event already posted increments that Event's count instead of piling up new objects.
"""

from __future__ import annotations

import asyncio
import datetime
import logging
import socket
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from enum import StrEnum

from external_dns import metrics
from external_dns.endpoint import ObjectRef
from external_dns.event_backlog import EventBacklog, Pending, target_ref
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
        #: A standby replica records nothing: the active one posts the same events (peering.py).
        self.muted = False

    def record(self, event: RecordEvent) -> None:
        if event.reason not in self.enabled or self.muted:
            return
        level = logging.WARNING if event.type == "Warning" else logging.INFO
        if logger.isEnabledFor(level):  # the ref's display is built only for a line that is written
            logger.log(level, "%s %s on %s: %s", event.reason, event.action, event.ref.display, event.message)
        self.sent.append(event)
        if len(self.sent) > 1000:
            del self.sent[:500]

    async def record_missing(self, events: Iterable[RecordEvent]) -> None:
        """Record Warnings a standby held back, unless already on the server (here: nothing is, record all)."""
        for event in events:
            self.record(event)

    async def close(self) -> None:
        return None


class KubeEventRecorder(EventSink):
    """Posts events to the API server in the background, from a backlog that folds instead of dropping.

    ``record`` never blocks and never drops: the event joins its object's pending events (event_backlog.py folds
    repeats and, past its bounds, similar events and whole namespaces). A few workers post the oldest object's
    events; a transient failure (timeout, connection, 429, 5xx) puts them back and backs off. An event the API
    server refuses for good (another 4xx), or that failed ``max_attempts`` times, is given up with an error log
    line and ``external_dns_events_shed_total``, so a broken event API cannot hold ``--once`` or memory forever.
    """

    def __init__(
        self,
        kube: KubeClient,
        emit: Iterable[str] = tuple(Reason),
        *,
        workers: int = 4,
        max_objects: int = 100_000,
        max_per_object: int = 10,
        max_attempts: int = 8,
        instance: str = "",
        clock: Callable[[], float] = time.time,
    ) -> None:
        super().__init__(emit)
        self._kube = kube
        self._clock = clock
        self._max_attempts = max_attempts  # with the backoff (0.5 s doubling to 30 s): about 90 s of trying
        self.backlog = EventBacklog(max_objects=max_objects, max_per_object=max_per_object)
        self._instance = instance or socket.gethostname()
        #: The Events already on the server, for count increments: (object, reason, action, message) -> (name, ns,
        #: count). Bounded: an event that fell out is created anew, as after a restart.
        self._posted: OrderedDict[tuple[object, ...], tuple[str, str, int]] = OrderedDict()
        self._busy: set[ObjectRef] = set()
        self._has_work = asyncio.Event()
        self._idle = asyncio.Event()
        self._idle.set()
        #: Cleared while posting is held back (:meth:`hold`).
        self._open = asyncio.Event()
        self._open.set()
        self._holder: asyncio.Task[None] | None = None
        self._workers = [asyncio.create_task(self._drain(), name=f"event-poster-{i}") for i in range(workers)]

    def record(self, event: RecordEvent) -> None:
        if event.reason not in self.enabled or self.muted:
            return
        super().record(event)
        metrics.EVENTS_RECORDED.labels(reason=event.reason).inc()
        self.backlog.add(event, self._clock())
        self._wake()

    async def record_missing(self, events: Iterable[RecordEvent]) -> None:
        """Record the Warnings a standby found, but only those the replica that led then did not post.

        One LIST of the RecordError Events on the server: those already there are not posted again (their repeats
        increment them), the rest are recorded. Called when a standby takes over (app.py).
        """
        wanted = {(e.ref.namespace or "", e.ref.kind, e.ref.name, str(e.reason), e.message[:1024]): e for e in events}
        try:
            async for page in self._kube.list_pages("/api/v1/events", query={"fieldSelector": "reason=RecordError"}):
                for item in page.get("items") or []:
                    involved = item.get("involvedObject") or {}
                    meta = item.get("metadata") or {}
                    namespace, kind, name = (str(involved.get(f) or "") for f in ("namespace", "kind", "name"))
                    event = wanted.pop((namespace, kind, name, str(item.get("reason")), str(item.get("message"))), None)
                    if event is not None and meta.get("name"):
                        key = (event.ref, event.reason, event.action, event.message)
                        self._posted[key] = (
                            meta["name"],
                            meta.get("namespace") or "default",
                            int(item.get("count") or 1),
                        )
        except (KubeAPIError, OSError, TimeoutError) as error:
            logger.warning(
                "Could not read the Warnings already posted (%s): posting %d found on standby", error, len(wanted)
            )
        for event in wanted.values():
            self.record(event)

    def hold(self, until: Awaitable[object], at_most: float) -> None:
        """Post nothing until ``until`` is done or ``at_most`` seconds have passed; events wait in the backlog
        meanwhile (folding as usual). The operator's first sync holds them: each POST costs the operator's event
        loop and the API server CPU that the first sync needs, and the records matter before the events about them.
        """
        self._open.clear()

        async def release() -> None:
            try:
                async with asyncio.timeout(at_most):  # not wait_for: see reconciler.ZoneWorker.run
                    await until
            except TimeoutError:
                logger.info("Posting events after %.0fs without waiting any longer for the first sync", at_most)
            finally:
                self._open.set()

        self._holder = asyncio.create_task(release(), name="event-hold")

    @property
    def idle(self) -> bool:
        """Nothing waits and nothing is being posted."""
        return self._idle.is_set()

    async def flush(self) -> None:
        """Wait until every recorded event is posted (tests and --once)."""
        await self._idle.wait()

    async def close(self) -> None:
        tasks = [*self._workers, *([self._holder] if self._holder is not None else [])]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    def _wake(self) -> None:
        metrics.EVENTS_BACKLOG.set(len(self.backlog))
        self._idle.clear()
        self._has_work.set()

    async def _drain(self) -> None:
        backoff = 0.0
        while True:
            await self._has_work.wait()
            await self._open.wait()
            taken = self.backlog.take(self._busy)
            if taken is None:  # empty, or only objects another worker is posting (it wakes us when done)
                self._has_work.clear()
                if not self._busy and not len(self.backlog):
                    self._idle.set()
                continue
            target, entries = taken
            ref = target_ref(target)
            metrics.EVENTS_BACKLOG.set(len(self.backlog))
            self._busy.add(ref)
            try:
                retry = await self._post_all(ref, entries)
            finally:
                self._busy.discard(ref)
            if retry:  # a transient failure: back in the backlog, after the others waiting
                self.backlog.put_back(target, retry)
                self._wake()
                backoff = min(max(backoff * 2, 0.5), 30.0)
                await asyncio.sleep(backoff)
            else:
                backoff = 0.0
            self._settle()

    def _settle(self) -> None:
        if len(self.backlog):
            self._has_work.set()
        elif not self._busy:
            self._idle.set()

    async def _post_all(self, ref: ObjectRef, entries: list[Pending]) -> list[Pending]:
        """Post each entry; the ones to try again later."""
        for index, entry in enumerate(entries):
            try:
                await self._post(ref, entry)
            except (TimeoutError, OSError, KubeAPIError) as error:
                transient = not isinstance(error, KubeAPIError) or error.status == 429 or error.status >= 500
                entry.attempts += 1
                if transient and entry.attempts < self._max_attempts:
                    logger.warning("Could not post %s event on %s (will retry): %s", entry.reason, ref.display, error)
                    return entries[index:]
                metrics.EVENTS_SHED.labels(reason=entry.reason).inc(entry.count)
                logger.error(
                    "Gave up the %s event on %s (%d occurrences): %s", entry.reason, ref.display, entry.count, error
                )
        return []

    async def _post(self, ref: ObjectRef, entry: Pending) -> None:
        namespace = ref.namespace or "default"
        key = (ref, entry.reason, entry.action, entry.message)
        if key in self._posted:
            name, ns, count = self._posted[key]
            try:
                await self._kube.request(
                    "PATCH",
                    f"/api/v1/namespaces/{ns}/events/{name}",
                    body={"count": count + entry.count, "lastTimestamp": _timestamp(entry.last)},
                    content_type="application/merge-patch+json",
                )
                metrics.EVENTS_POSTED.labels(verb="patch").inc()
                self._posted[key] = (name, ns, count + entry.count)
                self._posted.move_to_end(key)
                return
            except KubeAPIError as error:
                if error.status != 404:
                    raise
                del self._posted[key]  # deleted meanwhile (events expire): create it anew
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
            "reason": str(entry.reason),
            "action": str(entry.action),
            "type": "Warning" if entry.reason is Reason.ERROR else "Normal",
            "message": entry.message[:1024],
            "source": {"component": COMPONENT},
            "reportingComponent": COMPONENT,
            "reportingInstance": self._instance,
            "firstTimestamp": _timestamp(entry.first),
            "lastTimestamp": _timestamp(entry.last),
            "count": entry.count,
        }
        created = await self._kube.request("POST", f"/api/v1/namespaces/{namespace}/events", body=body)
        metrics.EVENTS_POSTED.labels(verb="create").inc()
        self._posted[key] = (created["metadata"]["name"], namespace, entry.count)
        if len(self._posted) > 5000:
            self._posted.popitem(last=False)


def _timestamp(unix: float) -> str:
    return datetime.datetime.fromtimestamp(unix, datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _safe_name(name: str) -> str:
    cleaned = "".join(c if c.isalnum() or c in "-." else "-" for c in name.lower()).strip("-.")
    return (cleaned or "object")[:200]
