"""Where the last run's watches had got to, kept in a ConfigMap, so that a restart resumes its watches from there.

A change made while no operator ran (a rollout's gap, a crash, a node drained) is in the start-up LIST's snapshot
and in no watch event: at 50,000 objects it waited for its page of the LIST, up to 15 s (bench/README.md). The API
server keeps its recent events (a real one at least the last 75 s of each resource, in its watch cache), so a watch
resumed from the resourceVersion the last run had reached delivers exactly the changes of the gap, while the LIST
runs. The catch-up watch (catchup.py) feeds them like any change watched during the start (startchanges.py).

The positions only speed a restart up; nothing depends on them. A position that has expired (410 Gone), is missing,
unreadable or from another configuration costs what a start without one does: each change made while down is
found when its page is listed (recentlychanged.py) or by the first whole-zone sync, which plans everything anyway.
What a position marks was seen, not necessarily written: a change seen just before a crash is found that way too.

Written by the replica that leads, once it has planned every zone whole: every ``WRITE_EVERY`` seconds while a
position moves, when it stops, and at the end of ``--once``. One small merge-patch: six requests a minute at most,
none while nothing changes.
"""

from __future__ import annotations

import asyncio
import logging
import os
import re
from collections.abc import Callable, Mapping
from pathlib import Path

from external_dns.kube import KubeAPIError, KubeClient
from external_dns.store import is_older
from external_dns.tasks import cancel_all

logger = logging.getLogger(__name__)

#: Where a pod's service account says which namespace it runs in (POD_NAMESPACE, from the manifest, comes first).
POD_NAMESPACE_FILE = Path("/var/run/secrets/kubernetes.io/serviceaccount/namespace")
#: A resourceVersion as servers write them (etcd: a decimal revision); anything else in the ConfigMap is ignored.
_POSITION = re.compile(r"[0-9A-Za-z._:-]{1,64}")
#: Seconds between writes while the positions move: a restart resumes at most this far back (a few more events).
WRITE_EVERY = 10.0
#: A request to the ConfigMap gives up after this long: at a stop there are seconds to spare, not more.
REQUEST_TIMEOUT = 5.0


def configmap_location(setting: str, environ: Mapping[str, str] = os.environ) -> tuple[str, str] | None:
    """(namespace, name) of ``--watch-position-configmap`` (``NAME`` in the pod's namespace, or ``NAMESPACE/NAME``);
    None when it is off, or only a name is given and no pod namespace is known (run outside a cluster)."""
    namespace, _, name = setting.strip().rpartition("/")
    if not name:
        return None
    if not namespace:
        namespace = environ.get("POD_NAMESPACE", "").strip()
    if not namespace:
        try:
            namespace = POD_NAMESPACE_FILE.read_text().strip()
        except OSError:
            return None
    return (namespace, name) if namespace else None


def watch_positions(kube: KubeClient, setting: str) -> WatchPositions | None:
    """The positions ``--watch-position-configmap`` names, or None when off (or no namespace is known: logged)."""
    location = configmap_location(setting)
    if location is None:
        if setting.strip():
            logger.info("--watch-position-configmap=%s: no pod namespace known (POD_NAMESPACE); restarts will not "
                        "resume their watches", setting)  # fmt: skip
        return None
    return WatchPositions(kube, *location)


class WatchPositions:
    """The resourceVersion each watched resource has been seen up to: read at the start, written as it moves."""

    def __init__(self, kube: KubeClient, namespace: str, name: str) -> None:
        self.kube = kube
        self.namespace = namespace
        self.name = name
        #: Per resource plural: the newest resourceVersion seen (events, and each LIST's snapshot).
        self.seen: dict[str, str] = {}
        #: How many times the ConfigMap was written (tests, the bench).
        self.writes = 0
        self._written: dict[str, str] = {}
        self._broken = False  # forbidden or malformed: not tried again until the next start
        self._task: asyncio.Task[None] | None = None

    @property
    def path(self) -> str:
        return f"/api/v1/namespaces/{self.namespace}/configmaps/{self.name}"

    def __str__(self) -> str:
        return f"ConfigMap {self.namespace}/{self.name}"

    async def load(self) -> dict[str, str]:
        """The positions the last run wrote (empty when there are none, or they cannot be read: logged)."""
        try:
            configmap = await self.kube.request("GET", self.path, request_timeout=REQUEST_TIMEOUT)
        except KubeAPIError as error:
            if error.status != 404:
                self._give_up("read", error)
            return {}
        except (OSError, TimeoutError) as error:
            logger.warning("Cannot read the watch positions from %s (%s): starting without them", self, error)
            return {}
        data = configmap.get("data") if isinstance(configmap, Mapping) else None
        positions: dict[str, str] = {}
        for plural, position in (data if isinstance(data, Mapping) else {}).items():
            if isinstance(position, str) and _POSITION.fullmatch(position):
                positions[str(plural)] = position
            else:
                logger.warning("%s: ignoring data.%s, not a resourceVersion: %.80r", self, plural, position)
        self._written = dict(positions)
        return positions

    def note(self, plural: str, position: str) -> None:
        """The resource was seen up to ``position`` (an older one, e.g. from a replay, is ignored)."""
        held = self.seen.get(plural)
        if position and position != held and (held is None or not is_older(position, held)):
            self.seen[plural] = position

    def keep(self, may_write: Callable[[], bool]) -> None:
        """Write the positions every ``WRITE_EVERY`` seconds while they move and ``may_write()`` (the replica leads)."""
        self._task = asyncio.create_task(self._keep(may_write), name="watch-positions")

    async def close(self, *, write: bool) -> None:
        """Stop writing; with ``write``, write the last positions first (a clean stop of the leading replica)."""
        if self._task is not None:
            await cancel_all([self._task])
            self._task = None
        if write:
            await self.save()

    async def save(self) -> None:
        """Write the positions that moved since the last write (merge-patch; created when missing)."""
        moved = {plural: rv for plural, rv in self.seen.items() if self._written.get(plural) != rv}
        if not moved or self._broken:
            return
        try:
            try:
                await self.kube.request(
                    "PATCH",
                    self.path,
                    body={"data": moved},
                    content_type="application/merge-patch+json",
                    request_timeout=REQUEST_TIMEOUT,
                )
            except KubeAPIError as error:
                if error.status != 404:
                    raise
                body = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": self.name}, "data": moved}
                await self.kube.request("POST", self.path.rsplit("/", 1)[0], body=body, request_timeout=REQUEST_TIMEOUT)
        except KubeAPIError as error:
            if error.status in (401, 403, 422):
                self._give_up("write", error)
            else:
                logger.warning("Cannot write the watch positions to %s (%s): trying again later", self, error)
            return
        except (OSError, TimeoutError) as error:
            logger.warning("Cannot write the watch positions to %s (%s): trying again later", self, error)
            return
        self._written.update(moved)
        self.writes += 1

    async def _keep(self, may_write: Callable[[], bool]) -> None:
        while not self._broken:
            await asyncio.sleep(WRITE_EVERY)
            if may_write():
                await self.save()

    def _give_up(self, what: str, error: KubeAPIError) -> None:
        self._broken = True
        logger.warning(
            "Cannot %s the watch positions in %s (%s): restarts will not resume their watches (grant get, create "
            "and patch on it: manifests/base/role.yaml, or set --watch-position-configmap=)",
            what,
            self,
            error,
        )
