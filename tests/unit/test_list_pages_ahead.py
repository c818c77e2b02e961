"""The initial LIST asks for each next page before working on the one it has: the server prepares page n+1
while the operator packs page n, instead of the one waiting for the other. What a listing ends with is
unchanged: every changed object derived once, objects gone from the LIST forgotten.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any

import pytest
from tests.unit.test_app import Derivations, make_app, service

from external_dns.desired import ObjectKey
from external_dns.kube import KubeClient
from external_dns.store import PackedObject


class PagedServer(KubeClient):
    """Serves LIST pages of ``per_page`` objects per ``path``; records, per request, how many objects had been
    derived by then (``derived`` is read at each request)."""

    def __init__(self, objects: dict[str, list[dict[str, Any]]], per_page: int, derivations: Derivations) -> None:
        super().__init__(api=None)  # type: ignore[arg-type]  # no HTTP: request is served here
        self.objects = objects
        self.per_page = per_page
        self.derivations = derivations
        #: (path, page number, objects derived when it was asked for)
        self.asked: list[tuple[str, int, int]] = []

    async def request(self, method: str, path: str, *, query: Mapping[str, str] | None = None, **_: Any) -> Any:
        start = int((query or {}).get("continue") or 0)
        self.asked.append((path, start // self.per_page, len(self.derivations.seen)))
        items = self.objects.get(path, [])
        end = start + self.per_page
        metadata = {"resourceVersion": "100", **({"continue": str(end)} if end < len(items) else {})}
        return {"items": items[start:end], "metadata": metadata}


async def test_the_next_page_is_asked_for_before_this_one_is_handed_over() -> None:
    derivations = Derivations()
    listed = [service(f"s{i}") for i in range(6)]
    server = PagedServer({"/api/v1/services": listed}, per_page=2, derivations=derivations)
    asked_when_handed: list[int] = []

    async for _ in server.list_pages("/api/v1/services"):
        asked_when_handed.append(len(server.asked))

    # The server prepares page n+1 while the caller works on page n; the last page asks for nothing more.
    assert asked_when_handed == [2, 3, 3]


class SlowToSend(PagedServer):
    """A server whose requests leave only after ``turns`` loop turns, as over HTTP (kubernetes-asyncio and aiohttp
    await several times before the bytes are written); records the pages whose request had left (``sent``)."""

    def __init__(self, objects: dict[str, list[dict[str, Any]]], per_page: int, turns: int) -> None:
        super().__init__(objects, per_page, Derivations())
        self.turns = turns
        self.sent: list[int] = []

    async def request(self, method: str, path: str, *, query: Mapping[str, str] | None = None, **_: Any) -> Any:
        for _turn in range(self.turns):
            await asyncio.sleep(0)
        self.sent.append(int((query or {}).get("continue") or 0) // self.per_page)
        return await super().request(method, path, query=query)


@pytest.mark.looptime  # the fake clock moves only when nothing is ready: the wait's bound never cuts the turns short
async def test_the_next_pages_request_has_left_before_this_page_is_handed_over() -> None:
    # Measured over HTTP: with one loop turn after asking, the request was still unsent when the caller took the
    # loop to derive the page, so the server prepared nothing meanwhile (bench/list_ahead.py).
    server = SlowToSend({"/api/v1/services": [service(f"s{i}") for i in range(6)]}, per_page=2, turns=12)
    sent_when_handed: list[list[int]] = []

    async for _ in server.list_pages("/api/v1/services"):
        sent_when_handed.append(list(server.sent))

    assert sent_when_handed == [[0, 1], [0, 1, 2], [0, 1, 2]]


async def test_a_relist_still_forgets_the_objects_gone_and_derives_nothing_unchanged_again() -> None:
    derivations = Derivations()
    app = make_app("service", derivations=derivations)
    path = app.sources["service"].resource.path("")
    listed = [service(f"s{i}", lb_ip="192.0.2.1") for i in range(5)]
    server = PagedServer({path: listed}, per_page=2, derivations=derivations)
    await app.list_all(server)
    derivations.seen.clear()

    changed = service("s1", rv="2", lb_ip="192.0.2.2")
    server.objects[path] = [listed[0], changed, listed[3], listed[4]]  # s2 deleted
    await app.list_all(server)

    assert derivations.seen == [("default", "s1")]  # changed; s2 is forgotten without a derivation
    assert not app.desired.endpoints_of(ObjectKey("service", "default", "s2"))
    assert len(app.desired) == 4


async def test_each_page_is_derived_before_the_page_after_next_is_asked_for() -> None:
    # Derivation overlaps the LIST: page n is stored and derived while the server prepares page n+1, so by the
    # time page n+2 is asked for, pages 0..n are derived (before, nothing was derived until the LIST ended).
    derivations = Derivations()
    app = make_app("service", derivations=derivations)
    path = app.sources["service"].resource.path("")
    server = PagedServer({path: [service(f"s{i}") for i in range(6)]}, per_page=2, derivations=derivations)

    await app.list_all(server)

    assert [derived for asked_path, _, derived in server.asked if asked_path == path] == [0, 0, 2]
    assert len(derivations.seen) == 6


async def test_a_listed_object_is_derived_without_parsing_its_packed_form_again(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    derivations = Derivations()
    app = make_app("service", derivations=derivations)
    path = app.sources["service"].resource.path("")
    server = PagedServer({path: [service(f"s{i}") for i in range(4)]}, per_page=2, derivations=derivations)
    parsed: list[bytes] = []
    unpack = PackedObject.unpack
    monkeypatch.setattr(PackedObject, "unpack", lambda self: parsed.append(self.body) or unpack(self))

    await app.list_all(server)

    assert len(derivations.seen) == 4
    assert parsed == []  # derived from the slimmed object the page gave, not from the store's JSON
    assert app.stores["services"].get("default", "s3") is not None
    assert len(parsed) == 1  # the store still holds it packed
