"""Watches on the local API server: resumption, 410 Gone, bookmarks, timeouts, selector transitions."""

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import aiohttp

from external_dns.testing import LocalCluster


async def watch_events(cluster: LocalCluster, path: str, **params: str) -> AsyncIterator[dict[str, Any]]:
    """Yield the events of one watch request until the server ends the stream."""
    async with aiohttp.ClientSession(cluster.url) as session:
        async with session.get(path, params={"watch": "true", **params}) as response:
            assert response.status == 200
            assert response.headers["Content-Type"].startswith("application/json")
            async for line in response.content:
                yield json.loads(line)


async def collect(cluster: LocalCluster, path: str, count: int, **params: str) -> list[tuple[str, str]]:
    """The first `count` events of a watch as (type, name), waiting at most 10 seconds."""
    events: list[tuple[str, str]] = []

    async def read() -> None:
        async for event in watch_events(cluster, path, **params):
            events.append((event["type"], event["object"]["metadata"].get("name", "")))
            if len(events) == count:
                return

    await asyncio.wait_for(read(), timeout=10)
    return events


SERVICES = "/api/v1/namespaces/default/services"


async def test_watch_from_a_resource_version_replays_only_later_events(api: LocalCluster) -> None:
    first = await api.create("v1", "services", {"metadata": {"name": "a"}}, "default")
    await api.create("v1", "services", {"metadata": {"name": "b"}}, "default")
    await api.delete("v1", "services", "a", "default")
    since = first["metadata"]["resourceVersion"]
    assert await collect(api, SERVICES, 2, resourceVersion=since) == [("ADDED", "b"), ("DELETED", "a")]


async def test_watch_without_a_resource_version_starts_with_the_current_state(api: LocalCluster) -> None:
    await api.create("v1", "services", {"metadata": {"name": "a"}}, "default")
    watching = asyncio.create_task(collect(api, SERVICES, 2))
    await asyncio.sleep(0)  # let the watch start; the create below may land before or after it
    await api.create("v1", "services", {"metadata": {"name": "b"}}, "default")
    assert await watching == [("ADDED", "a"), ("ADDED", "b")]


async def test_watch_from_a_trimmed_resource_version_gets_410_gone(api: LocalCluster) -> None:
    first = await api.create("v1", "services", {"metadata": {"name": "a"}}, "default")
    await api.create("v1", "services", {"metadata": {"name": "b"}}, "default")
    api.emulator.store.trim_log(keep=0)
    events = [e async for e in watch_events(api, SERVICES, resourceVersion=first["metadata"]["resourceVersion"])]
    assert [(e["type"], e["object"]["code"], e["object"]["reason"]) for e in events] == [("ERROR", 410, "Expired")]


async def test_each_resource_keeps_its_own_events_as_a_watch_cache_does(api: LocalCluster) -> None:
    """Events of another resource (the Events an operator posts) never push a Services position out."""
    api.emulator.store.log_limit = 3
    first = await api.create("v1", "services", {"metadata": {"name": "a"}}, "default")
    await api.create("v1", "services", {"metadata": {"name": "b"}}, "default")
    for index in range(5):
        await api.create("v1", "configmaps", {"metadata": {"name": f"c{index}"}}, "default")
    since = first["metadata"]["resourceVersion"]
    assert await collect(api, SERVICES, 1, resourceVersion=since) == [("ADDED", "b")]

    for name in ("c", "d", "e"):
        await api.create("v1", "services", {"metadata": {"name": name}}, "default")
    events = [e async for e in watch_events(api, SERVICES, resourceVersion=since)]  # b was pushed out by c, d, e
    assert [(e["type"], e["object"]["code"]) for e in events] == [("ERROR", 410)]


async def test_watch_ends_after_timeout_seconds(api: LocalCluster) -> None:
    loop = asyncio.get_running_loop()
    started = loop.time()
    events = [e async for e in watch_events(api, SERVICES, timeoutSeconds="1")]
    assert events == []
    assert 0.9 <= loop.time() - started < 5


async def test_watch_sends_bookmarks_when_allowed(api: LocalCluster) -> None:
    api.emulator.bookmark_interval = 0.2
    event = await asyncio.wait_for(anext(aiter(watch_events(api, SERVICES, allowWatchBookmarks="true"))), 5)
    assert event["type"] == "BOOKMARK"
    assert event["object"]["kind"] == "Service"
    assert int(event["object"]["metadata"]["resourceVersion"]) == api.emulator.store.resource_version


async def test_selector_watch_sees_objects_entering_and_leaving_the_selection(api: LocalCluster) -> None:
    created = await api.create("v1", "services", {"metadata": {"name": "a"}}, "default")
    await api.patch("v1", "services", "a", {"metadata": {"labels": {"dns": "yes"}}}, "default")
    await api.patch("v1", "services", "a", {"spec": {"type": "NodePort"}}, "default")
    await api.patch("v1", "services", "a", {"metadata": {"labels": {"dns": None}}}, "default")
    since = created["metadata"]["resourceVersion"]
    events = await collect(api, SERVICES, 3, resourceVersion=since, labelSelector="dns=yes")
    assert events == [("ADDED", "a"), ("MODIFIED", "a"), ("DELETED", "a")]


async def test_namespaced_watch_sees_objects_posted_without_a_body_namespace(api: LocalCluster) -> None:
    watching = asyncio.create_task(collect(api, "/api/v1/namespaces/kube-system/configmaps", 1))
    await asyncio.sleep(0)
    await api.request("POST", "/api/v1/namespaces/kube-system/configmaps", {"metadata": {"name": "c"}})
    assert await watching == [("ADDED", "c")]


async def test_dropped_watches_end_their_streams(api: LocalCluster) -> None:
    seen = asyncio.Event()

    async def read() -> None:
        async for _ in watch_events(api, SERVICES):
            seen.set()

    watching = asyncio.create_task(read())
    await api.create("v1", "services", {"metadata": {"name": "a"}}, "default")
    await asyncio.wait_for(seen.wait(), timeout=5)  # the watch is live and has seen the object
    assert api.emulator.drop_watches() == 1
    await asyncio.wait_for(watching, timeout=5)
