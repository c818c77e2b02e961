"""Changes during the start: a light watch of our own, from the start-up LIST until Kopf's streams have caught up.

Kopf stays the watcher, but its streams start late and slow: after the first whole-zone sync, Kopf lists every
object again and hands each one through its per-object machinery (~2 ms each here, ~58 s at 50,000 objects)
before its stream's events come through, so a change made meanwhile waited behind that replay; and an object
deleted between our start-up LIST and Kopf's LIST was never reported deleted (Kopf's LIST just lacks it) until the
periodic re-LIST, one ``--interval`` later. bench/kopf_replay.py measured it at 2,000 Services: a change made
during the replay reached Kopf's handler after 3-4 s whatever Kopf's public settings (batch window, idle timeout,
worker limit), and a plain watch in the same event loop saw it after 10-30 ms.

So one plain watch per watched resource, resumed from the resourceVersion of the start-up LIST, feeds the object
stores directly until Kopf is caught up, then stops. The stores drop what both feeds bring, by resourceVersion,
and remember deletions while both run, so an older copy from Kopf's replay cannot bring a deleted object back.

Caught up: Kopf's handler has been given one event of the resource from its watch stream (not its replay), and
this watch has seen that event's resourceVersion too. From then on Kopf's stream carries everything this watch
would (Kopf's LIST was served after ours, so nothing between them is missed), and Kopf's replay is behind it:
Kopf reads its stream only once its whole listing is handed to the per-object workers, and the stream event's
worker runs after theirs. With resourceVersions that are not integers, Kopf's first stream event alone counts.

A 410 Gone (our LIST's resourceVersion expired) lists the resource again, which reports what went missing, and
watches on from the new LIST; a broken stream is resumed from the last resourceVersion seen.

After a restart the watch starts earlier: from where the last run's watches had got to (watchpoint.py), as the
resource's LIST begins, so the changes made while no operator ran come at once rather than with their page. It
then goes on through the LIST; its events up to the LIST's snapshot are in Kopf's LIST too, so they do not count
as changes since it for the quiet resource's rule. Refused (410: expired; or any error answer before its first
event) before the first page, it ends and the first page starts one as usual; after it, it goes on from the first
page's resourceVersion. A position ahead of the LIST's snapshot is not from this cluster's history (a namespace
restored from another cluster's backup): a server waits for it and sends nothing, so the first page replaces it.

Until the hand-over the collector runs under the start's policy (gcpolicy.py: no full pass): Kopf's replay
allocates for every object it hands out, and at 50,000 Services the default thresholds ran 24 full passes during
it, 5.5 s in all and up to 0.46 s each, each one a stall for the changes this watch carries (bench/stalls.py).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Mapping

import aiohttp

from external_dns import gcpolicy
from external_dns.app import Application
from external_dns.kinds import Resource
from external_dns.kube import KubeAPIError, KubeClient
from external_dns.store import Obj, is_older, resource_version
from external_dns.watchpoint import WatchPositions

logger = logging.getLogger(__name__)

#: The collector's start policy lasts this long at most when a hand-over never comes (Kopf's streams not starting).
COLLECTION_HELD_AT_MOST = 600.0

CHANGES = frozenset({"ADDED", "MODIFIED", "DELETED"})


class CatchUpWatch:
    """The light watches of one start (one per watched resource) and the rule that stops them."""

    def __init__(
        self, app: Application, kube: KubeClient, *, retry_delay: float = 1.0, positions: WatchPositions | None = None
    ) -> None:
        self.app = app
        self.kube = kube
        self.positions = positions  # told how far this watch got (bookmarks too): the next start resumes there
        self.retry_delay = retry_delay
        #: Per resource plural: the resourceVersion this watch has reached.
        self.position: dict[str, str] = {}
        #: Per resource plural: the resourceVersion of the first event Kopf's stream delivered.
        self.kopf_at: dict[str, str] = {}
        #: Per resource plural: events this watch fed to the application (the stores drop repeats).
        self.fed: dict[str, int] = {}
        #: Per resource plural: the resourceVersion of the start-up LIST's first page (its snapshot).
        self.listed_at: dict[str, str] = {}
        #: Per resource plural: the last run's position this watch was resumed from (watchpoint.py).
        self.resumed_from: dict[str, str] = {}
        #: Per resource plural: objects of Kopf's replay (its LIST) its handler has been given so far.
        self.replayed: dict[str, int] = {}
        #: Set once every resource's catch-up watch has handed over to Kopf's stream (a public hook: whatever
        #: waits for the end of the start's double feed, e.g. returning freed memory, waits on it).
        self.handed_over = asyncio.Event()
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self._changed_between_lists: set[str] = set()
        #: Per resource plural: events fed that are newer than the start-up LIST's snapshot (not in Kopf's LIST).
        self._after_list: dict[str, int] = {}
        #: Per resource plural: the newest resourceVersion a resumed watch fed before the LIST's first page came.
        self._fed_before_list: dict[str, str] = {}
        self._resuming: set[str] = set()  # resumed, and the server has neither answered with an event nor refused
        self._stopped: set[str] = set()
        self._started = 0.0
        self._collection = gcpolicy.StartCollection()
        self._collection_bound: asyncio.TimerHandle | None = None

    def follow(self, resource: Resource, since: str) -> None:
        """Watch one resource from ``since``: its LIST's first page (Application.list_resource calls this as soon
        as that page is in, so the changes made during the rest of the LIST come through here too). A watch
        resumed before the LIST already covers them, and goes on."""
        plural = resource.plural
        self.listed_at[plural] = since
        if self.watching(plural):
            if is_older(since, self.resumed_from.get(plural, since)):
                # Not from this cluster's history (a namespace restored from another cluster's backup): such a
                # watch waits for that resourceVersion and carries nothing meanwhile.
                logger.warning("The last run's position of %s (resourceVersion %s) is ahead of this LIST's (%s): "
                               "watching from the LIST", plural, self.resumed_from[plural], since)  # fmt: skip
                self._tasks.pop(plural).cancel()
                self._resuming.discard(plural)
                self._fed_before_list.pop(plural, None)
                self._start(resource, since)
                return
            fed_before = self._fed_before_list.pop(plural, "")
            if fed_before and _newer(fed_before, since):
                self._after_list[plural] += 1
            return
        self._start(resource, since)

    def resume(self, resource: Resource, since: str) -> None:
        """Watch one resource from where the last run had got to (watchpoint.py), as its LIST begins: the changes
        made while no operator ran come at once, not when their page is listed."""
        self.resumed_from[resource.plural] = since
        self._resuming.add(resource.plural)
        logger.info("Resuming the watch of %s from resourceVersion %s, where the last run had got to",
                    resource.plural, since)  # fmt: skip
        self._start(resource, since)

    def _start(self, resource: Resource, since: str) -> None:
        if not self._started:
            self._started = time.monotonic()
            self._collection.begin()
            loop = asyncio.get_running_loop()
            self._collection_bound = loop.call_later(COLLECTION_HELD_AT_MOST, self._end_collection)
        plural = resource.plural
        self.position[plural] = since
        self.fed[plural] = self._after_list[plural] = 0
        self.app.stores[plural].remember_deletions(True)
        self._tasks[plural] = asyncio.create_task(self._watch(resource), name=f"catch-up:{plural}")

    def watching(self, plural: str) -> bool:
        """Whether the catch-up watch of the resource still feeds the stores: not once it has handed over (its
        task, cancelled then, may take one more turn of the loop to end)."""
        task = self._tasks.get(plural)
        return task is not None and not task.done() and plural not in self._stopped

    def kopf_delivered(self, resource: Resource, event_type: str | None, obj: Obj) -> None:
        """Kopf's handler got an event: the first one from its stream (not its replay) marks where it is.

        A quiet resource's stream brings nothing: once Kopf has replayed every object the store holds, each at
        the version held, and this watch has seen no change of it since the start-up LIST, Kopf's listing is the
        one this watch started from (a change made before Kopf's LIST is in it, one made after is in Kopf's
        stream). A replayed object the store lacks or holds at another version means the resource changed
        between the two LISTs: a deletion then shows in no replay, only in this watch, which stays open until
        Kopf's stream marks where it is.
        """
        plural = resource.plural
        if plural in self.kopf_at or plural not in self._tasks or plural in self._stopped:
            return
        if event_type is None:
            store = self.app.stores[plural]
            if not store.holds(obj):
                self._changed_between_lists.add(plural)
            self.replayed[plural] = self.replayed.get(plural, 0) + 1
            quiet = self._after_list[plural] == 0 and plural not in self._changed_between_lists
            if quiet and self.replayed[plural] >= len(store):
                self._stop(plural)
            return
        if event_type not in CHANGES:
            return
        self.kopf_at[plural] = resource_version(obj)
        if self._caught_up(plural):
            self._stop(plural)

    async def close(self) -> None:
        tasks = list(self._tasks.values())
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        for plural in self._tasks:
            self.app.stores[plural].remember_deletions(False)
        self._end_collection()

    def _end_collection(self) -> None:
        if self._collection_bound is not None:
            self._collection_bound.cancel()
        self._collection.end()

    def _caught_up(self, plural: str) -> bool:
        kopf_at = self.kopf_at.get(plural)
        if kopf_at is None:
            return False
        here = self.position[plural]
        if kopf_at.isdigit() and here.isdigit():
            return int(here) >= int(kopf_at)
        return True  # opaque resourceVersions: Kopf's stream is live, which is all that can be known

    def _stop(self, plural: str) -> None:
        task = self._tasks[plural]
        if task is not asyncio.current_task():
            task.cancel()
        self.app.stores[plural].remember_deletions(False)
        self._stopped.add(plural)
        # An empty resource that stayed quiet has no replay to wait for and nothing of Kopf's to hand over to.
        if all(p in self._stopped or (not self._after_list[p] and not len(self.app.stores[p])) for p in self._tasks):
            self.handed_over.set()
            self._end_collection()
        logger.info(
            "Kopf's %s stream caught up (resourceVersion %s) %.1fs after the start-up LIST; the catch-up watch "
            "fed %d events and stops",
            plural,
            self.kopf_at.get(plural),
            time.monotonic() - self._started,
            self.fed[plural],
        )

    async def _watch(self, resource: Resource) -> None:
        plural = resource.plural
        path, query = self.app.list_path(resource), self.app.list_query(resource)
        while True:
            try:
                if not self.position[plural]:
                    self.position[plural] = await self.app.list_resource(self.kube, resource)
                async for event in self.kube.watch(path, self.position[plural], query=query):
                    if self._feed(resource, event):
                        self._stop(plural)
                        return
            except (_Gone, KubeAPIError, aiohttp.ClientError, OSError, TimeoutError, ValueError) as error:
                expired = isinstance(error, _Gone) or (isinstance(error, KubeAPIError) and error.status == 410)
                if plural in self._resuming and (expired or isinstance(error, KubeAPIError)):
                    if not self._resume_refused(plural, "has expired" if expired else f"was refused ({error})"):
                        return
                    continue
                if expired:
                    logger.info("Catch-up watch of %s: resourceVersion %s expired; listing again", plural,
                                self.position[plural])  # fmt: skip
                    self.position[plural] = ""
                    continue
                logger.warning("Catch-up watch of %s failed (%s); resuming in %.0fs", plural, error, self.retry_delay)
                await asyncio.sleep(self.retry_delay)

    def _resume_refused(self, plural: str, why: str) -> bool:
        """The server refused to resume from the last run's position (410 Gone: expired; or any other answer, e.g.
        a resourceVersion it cannot read): False when this watch ends, True to go on from the LIST's first page.
        Before that page this watch ends, and follow starts one there."""
        self._resuming.discard(plural)
        logger.info("The last run's position of %s (resourceVersion %s) %s: changes made while no operator ran are "
                    "found when their page is listed", plural, self.position[plural], why)  # fmt: skip
        listed_at = self.listed_at.get(plural)
        if listed_at is None:
            del self._tasks[plural]
            return False
        self.position[plural] = listed_at
        return True

    def _feed(self, resource: Resource, event: Mapping[str, object]) -> bool:
        """One watch event into the application; True once caught up."""
        event_type, obj = event.get("type"), event.get("object")
        if not isinstance(obj, Mapping):
            return False
        if event_type == "ERROR":
            if obj.get("code") == 410:
                raise _Gone
            raise KubeAPIError(int(str(obj.get("code") or 500)), str(obj.get("message") or obj))
        self._resuming.discard(resource.plural)  # the server answers from the last run's position
        self.position[resource.plural] = resource_version(obj) or self.position[resource.plural]
        if self.positions is not None:
            self.positions.note(resource.plural, self.position[resource.plural])
        if event_type in CHANGES:
            self.fed[resource.plural] += 1
            after_list = self._place(resource.plural, resource_version(obj))
            self.app.on_object(resource, str(event_type), obj, missed=not after_list)
        return self._caught_up(resource.plural)

    def _place(self, plural: str, rv: str) -> bool:
        """Whether an event fed is newer than the LIST's snapshot (counted); before the LIST's first page came (a
        resumed watch), it is not: the newest one seen is kept, and placed when that page comes (follow)."""
        listed_at = self.listed_at.get(plural)
        if listed_at is not None:
            after_list = _newer(rv, listed_at)
            self._after_list[plural] += int(after_list)
            return after_list
        if rv and not is_older(rv, self._fed_before_list.get(plural, rv)):
            self._fed_before_list[plural] = rv
        return False


class _Gone(Exception):
    """The watch's resourceVersion is too old (410): list again."""


def _newer(candidate: str, than: str) -> bool:
    """Whether ``candidate`` is not known to be at or before ``than`` (opaque resourceVersions count as newer)."""
    return candidate != than and not is_older(candidate, than)
