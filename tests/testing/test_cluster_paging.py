"""The local API server's paged LIST: etcd key order, continue tokens, selectors and remainingItemCount."""

from collections.abc import Mapping
from typing import Any

import pytest

from external_dns.testing import LocalCluster
from external_dns.testing.selectors import Selector, parse_selector

CONFIGMAPS = "/api/v1/namespaces/default/configmaps"


async def _configmaps(api: LocalCluster, names: list[str], labels: Mapping[str, str] | None = None) -> None:
    for name in names:
        await api.create("v1", "configmaps", {"metadata": {"name": name, "labels": dict(labels or {})}}, "default")


async def _page(api: LocalCluster, path: str, **params: str) -> tuple[list[str], dict[str, Any]]:
    body = await api.request("GET", path, params=params)
    names = [f"{item['metadata'].get('namespace', '')}/{item['metadata']['name']}" for item in body["items"]]
    return names, body["metadata"]


async def test_a_page_continues_after_its_last_key_across_creates_and_deletes(api: LocalCluster) -> None:
    await _configmaps(api, ["c0", "c1", "c2", "c3", "c4", "c5"])
    names, meta = await _page(api, CONFIGMAPS, limit="2")
    assert (names, meta["remainingItemCount"]) == (["default/c0", "default/c1"], 4)

    # Between pages: the page's last key is deleted, keys are created before and after where the LIST stands.
    await api.delete("v1", "configmaps", "c1", "default")
    await api.delete("v1", "configmaps", "c3", "default")
    await _configmaps(api, ["b9", "c15"])
    names, meta = await _page(api, CONFIGMAPS, limit="2", **{"continue": meta["continue"]})
    assert (names, meta["remainingItemCount"]) == (["default/c15", "default/c2"], 2)

    names, meta = await _page(api, CONFIGMAPS, limit="2", **{"continue": meta["continue"]})
    assert names == ["default/c4", "default/c5"]
    assert "continue" not in meta and "remainingItemCount" not in meta


async def test_a_page_that_takes_the_last_objects_exactly_has_no_continue(api: LocalCluster) -> None:
    await _configmaps(api, ["a", "b", "c"])
    names, meta = await _page(api, CONFIGMAPS, limit="3")
    assert names == ["default/a", "default/b", "default/c"]
    assert "continue" not in meta and "remainingItemCount" not in meta
    assert int(meta["resourceVersion"]) == api.emulator.store.resource_version


async def test_pages_with_a_selector_hold_only_matches_and_no_remaining_count(api: LocalCluster) -> None:
    await _configmaps(api, ["a1", "a3", "a5", "a7"], {"app": "web"})
    await _configmaps(api, ["a2", "a4", "a6", "a8"], {"app": "db"})
    names, meta = await _page(api, CONFIGMAPS, limit="2", labelSelector="app=web")
    assert names == ["default/a1", "default/a3"]
    assert "remainingItemCount" not in meta  # the real server counts keys, not matches: it gives no count then

    names, meta = await _page(api, CONFIGMAPS, limit="2", labelSelector="app=web", **{"continue": meta["continue"]})
    assert names == ["default/a5", "default/a7"]
    assert "continue" not in meta  # only non-matching keys remain after a7


async def test_a_field_selector_pages_through_the_matches(api: LocalCluster) -> None:
    await _configmaps(api, ["x", "y", "z"])
    names, meta = await _page(api, CONFIGMAPS, limit="1", fieldSelector="metadata.name!=x")
    assert names == ["default/y"] and "remainingItemCount" not in meta
    names, meta = await _page(
        api, CONFIGMAPS, limit="1", fieldSelector="metadata.name!=x", **{"continue": meta["continue"]}
    )
    assert names == ["default/z"] and "continue" not in meta


async def test_remaining_counts_only_the_listed_namespace_and_all_namespaces_sort_by_namespace(
    api: LocalCluster,
) -> None:
    for namespace in ("a", "a-b", "b"):  # "a-b" sorts after every key of "a"
        await api.create_namespace(namespace)
        for name in ("m", "n", "o"):
            await api.create("v1", "configmaps", {"metadata": {"name": name}}, namespace)
    names, meta = await _page(api, "/api/v1/namespaces/a/configmaps", limit="1")
    assert (names, meta["remainingItemCount"]) == (["a/m"], 2)
    names, meta = await _page(api, "/api/v1/namespaces/a/configmaps", limit="5", **{"continue": meta["continue"]})
    assert names == ["a/n", "a/o"] and "continue" not in meta

    names, meta = await _page(api, "/api/v1/configmaps", limit="4", labelSelector="")
    assert names == ["a/m", "a/n", "a/o", "a-b/m"]
    assert meta["remainingItemCount"] == 5


async def test_a_page_reads_the_page_and_not_the_whole_resource(
    api: LocalCluster, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = api.emulator.store
    rtype = store.resolve("", "v1", "configmaps")
    for index in range(200):
        store.create(rtype, "default", {"metadata": {"name": f"c{index:03}", "labels": {"app": "web"}}})
    matched: list[str] = []
    real_matches = Selector.matches

    def counting_matches(selector: Selector, obj: Mapping[str, Any]) -> bool:
        matched.append(obj["metadata"]["name"])
        return real_matches(selector, obj)

    monkeypatch.setattr(Selector, "matches", counting_matches)
    first = store.list(rtype, "default", parse_selector("app=web", None), limit=2)
    later = store.list(rtype, "default", parse_selector("app=web", None), limit=2, continue_token=first.continue_token)
    assert [item["metadata"]["name"] for item in later.items] == ["c002", "c003"]
    assert matched == ["c000", "c001", "c002", "c002", "c003", "c004"]  # each page looks one match past its limit
