"""The catch-up watch's hand-over as its callers see it (the whole start path runs in
tests/integration/test_start_changes.py)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Mapping
from typing import Any, cast

from tests.unit.test_app import make_app, service

from external_dns.catchup import CatchUpWatch
from external_dns.kube import KubeClient


class SilentKube:
    """A watch stream that brings nothing until cancelled."""

    async def watch(self, path: str, since: str, *, query: Mapping[str, str] | None = None) -> AsyncIterator[Any]:
        await asyncio.Event().wait()
        yield {}


async def test_a_watch_that_has_handed_over_is_not_watching_even_before_its_task_ends() -> None:
    app = make_app("service")
    resource = app.sources["service"].resource
    catch_up = CatchUpWatch(app, cast(KubeClient, SilentKube()))
    catch_up.follow(resource, "100")
    await asyncio.sleep(0)  # the watch task is waiting on its stream
    assert catch_up.watching("services")

    catch_up.kopf_delivered(resource, "ADDED", service("web", rv="100"))  # Kopf's stream is where this watch is

    assert not catch_up.watching("services")  # at once: its cancelled task ends at the loop's next turn
    assert catch_up.handed_over.is_set()
    await catch_up.close()
