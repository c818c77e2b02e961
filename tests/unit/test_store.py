"""The object store: which watch events are news (by resourceVersion), LIST reconciliation, and slimming."""

from __future__ import annotations

import json
from typing import Any

import pytest

from external_dns.store import Lookups, ObjectStore

LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"


def obj(name: str, rv: str, namespace: str = "default", **extra: Any) -> dict[str, Any]:
    return {"metadata": {"name": name, "namespace": namespace, "resourceVersion": rv}, **extra}


# (id, held version, incoming version, is news)
UPSERT_CASES = [
    pytest.param("5", "5", False, id="a replay of the held resourceVersion is dropped"),
    pytest.param("5", "4", False, id="an older resourceVersion is ignored"),
    pytest.param("5", "6", True, id="a newer resourceVersion is stored"),
    pytest.param("9", "10", True, id="resourceVersions compare as integers not strings"),
    pytest.param("abc", "abd", True, id="opaque resourceVersions are never judged older"),
    pytest.param("5", "", True, id="an object without a resourceVersion is always stored"),
]


@pytest.mark.parametrize(("held", "incoming", "news"), UPSERT_CASES)
def test_upsert_reports_whether_the_object_is_news(held: str, incoming: str, news: bool) -> None:
    store = ObjectStore("services")
    assert store.upsert(obj("web", held, spec={"type": "held"}))
    assert store.upsert(obj("web", incoming, spec={"type": "incoming"})) is news
    stored = store.get("default", "web")
    assert stored is not None
    assert stored["spec"]["type"] == ("incoming" if news else "held")


@pytest.mark.parametrize(
    ("held", "deleted", "gone"),
    [
        pytest.param("5", "5", True, id="a delete of the held version forgets it"),
        pytest.param("5", "7", True, id="a delete of a newer version forgets it"),
        pytest.param("5", "4", False, id="a delete of an older version is ignored"),
    ],
)
def test_delete_ignores_older_versions(held: str, deleted: str, gone: bool) -> None:
    store = ObjectStore("services")
    store.upsert(obj("web", held))
    assert store.delete(obj("web", deleted)) is gone
    assert (store.get("default", "web") is None) is gone


def test_delete_of_an_unknown_object_is_not_news() -> None:
    assert not ObjectStore("services").delete(obj("web", "1"))


def test_replace_all_returns_changed_and_gone_and_keeps_objects_newer_than_the_list() -> None:
    store = ObjectStore("services")
    store.upsert(obj("same", "3"))
    store.upsert(obj("changed", "4"))
    store.upsert(obj("deleted", "5"))
    store.upsert(obj("raced", "20"))  # created by a watch event after the LIST was taken

    changed, gone = store.replace_all([obj("same", "3"), obj("changed", "8"), obj("added", "9")], list_rv="10")

    assert [o["metadata"]["name"] for o in changed] == ["changed", "added"]
    assert [o["metadata"]["name"] for o in gone] == ["deleted"]
    assert sorted(o["metadata"]["name"] for o in store.values()) == ["added", "changed", "raced", "same"]


def test_replace_all_with_an_opaque_list_version_drops_everything_missing() -> None:
    store = ObjectStore("services")
    store.upsert(obj("old", "20"))
    changed, gone = store.replace_all([], list_rv="")
    assert changed == []
    assert [o["metadata"]["name"] for o in gone] == ["old"]
    assert len(store) == 0


def test_stored_objects_drop_managed_fields_and_the_last_applied_annotation() -> None:
    store = ObjectStore("services")
    raw: dict[str, Any] = {
        "metadata": {
            "name": "web",
            "namespace": "default",
            "resourceVersion": "1",
            "managedFields": [{"manager": "kubectl"}],
            "annotations": {LAST_APPLIED: "{...}", "external-dns.alpha.kubernetes.io/hostname": "web.example.com"},
        },
        "spec": {"type": "LoadBalancer"},
    }
    store.upsert(raw)
    stored = store.get("default", "web")
    assert stored == {
        "metadata": {
            "name": "web",
            "namespace": "default",
            "resourceVersion": "1",
            "annotations": {"external-dns.alpha.kubernetes.io/hostname": "web.example.com"},
        },
        "spec": {"type": "LoadBalancer"},
    }
    assert "managedFields" in raw["metadata"]  # the caller's object is left alone


def test_objects_without_bulky_fields_are_stored_equal_and_share_their_keys_and_short_strings() -> None:
    store = ObjectStore("services")
    first, second = json.loads(json.dumps(obj("web", "1"))), json.loads(json.dumps(obj("api", "1")))
    store.upsert(first)
    store.upsert(second)
    held_first, held_second = store.get("default", "web"), store.get("default", "api")
    assert held_first == first and held_second == second
    assert held_first is not None and held_second is not None
    key_first = next(k for k in held_first["metadata"] if k == "namespace")
    key_second = next(k for k in held_second["metadata"] if k == "namespace")
    assert key_first is key_second  # one string, not one per object
    assert held_first["metadata"]["namespace"] is held_second["metadata"]["namespace"]


def test_lookups_find_endpoint_slices_by_service_label_and_pods_by_namespace() -> None:
    slices = ObjectStore("endpointslices")
    slices.upsert(
        {"metadata": {"name": "web-a", "namespace": "default", "labels": {"kubernetes.io/service-name": "web"}}}
    )
    slices.upsert(
        {"metadata": {"name": "api-a", "namespace": "default", "labels": {"kubernetes.io/service-name": "api"}}}
    )
    pods = ObjectStore("pods")
    pods.upsert(obj("p1", "1"))
    pods.upsert(obj("p2", "1", namespace="other"))
    nodes = ObjectStore("nodes")
    nodes.upsert({"metadata": {"name": "n1", "resourceVersion": "1"}})
    lookups = Lookups({"endpointslices": slices, "pods": pods, "nodes": nodes})

    assert [s["metadata"]["name"] for s in lookups.endpoint_slices("default", "web")] == ["web-a"]
    assert [p["metadata"]["name"] for p in lookups.pods("default")] == ["p1"]
    assert lookups.pod("other", "p2") is not None
    assert lookups.node("n1") is not None
    assert lookups.gateway("default", "gw") is None  # no gateway store: every lookup is empty
