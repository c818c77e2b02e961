"""The object store: which watch events are news (by resourceVersion), LIST reconciliation, and slimming."""

from __future__ import annotations

import json
from typing import Any

import pytest

from external_dns.kinds import pod_readers, route_readers, service_readers
from external_dns.store import Lookups, Obj, ObjectStore, PackedObject

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


def test_holds_tells_the_version_held_from_any_other() -> None:
    store = ObjectStore("services")
    store.upsert(obj("web", "5"))
    assert store.holds(obj("web", "5"))
    assert not store.holds(obj("web", "6"))  # Kopf's later LIST: the object changed since ours
    assert not store.holds(obj("api", "5"))  # created since
    store.delete(obj("web", "7"))
    assert not store.holds(obj("web", "5"))


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


def test_while_two_feeds_overlap_an_older_copy_cannot_bring_a_deleted_object_back() -> None:
    # The catch-up watch saw the deletion (rv 7); Kopf's replay still brings the copy it listed at rv 5.
    store = ObjectStore("services")
    store.remember_deletions(True)
    assert store.upsert(obj("web", "5"))
    assert store.delete(obj("web", "7"))
    assert not store.upsert(obj("web", "5"))
    assert not store.upsert(obj("web", "6"))
    assert store.get("default", "web") is None
    assert store.upsert(obj("web", "9"))  # created again after the deletion
    assert store.delete(obj("web", "10"))
    store.remember_deletions(False)  # caught up: nothing remembered any more
    assert store.upsert(obj("web", "5"))


def test_a_deletion_seen_before_the_listed_copy_is_stored_keeps_that_copy_out() -> None:
    # During the start-up LIST the catch-up watch reports a deletion (rv 7) before the page that still lists the
    # object (a real API server pages from the first page's snapshot, rv 5) is stored.
    store = ObjectStore("services")
    store.remember_deletions(True)
    assert not store.delete(obj("web", "7"))  # nothing held: no change to follow
    changed, gone = store.replace_all([obj("web", "5")], "5")
    assert (changed, gone) == ([], [])
    assert store.get("default", "web") is None
    assert store.upsert(obj("web", "9"))  # created again after the deletion


def test_deletions_are_not_remembered_unless_asked() -> None:
    store = ObjectStore("services")
    assert store.upsert(obj("web", "5"))
    assert store.delete(obj("web", "7"))
    assert store.upsert(obj("web", "5"))  # one feed in order: a later upsert is a re-creation


def test_replace_all_returns_changed_and_gone_and_keeps_objects_newer_than_the_list() -> None:
    store = ObjectStore("services")
    store.upsert(obj("same", "3"))
    store.upsert(obj("changed", "4"))
    store.upsert(obj("deleted", "5"))
    store.upsert(obj("raced", "20"))  # created by a watch event after the LIST was taken

    changed, gone = store.replace_all([obj("same", "3"), obj("changed", "8"), obj("added", "9")], list_rv="10")

    assert [name for _, name in changed] == ["changed", "added"]
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


def test_objects_come_back_equal_from_their_compact_form_and_a_caller_cannot_change_the_held_copy() -> None:
    store = ObjectStore("services")
    first = json.loads(json.dumps(obj("web", "1", spec={"type": "LoadBalancer", "ports": [{"port": 80}]})))
    store.upsert(first)
    held = store.get("default", "web")
    assert held == first
    held["spec"]["type"] = "ClusterIP"  # type: ignore[index]  # a caller scribbling on what it was given
    assert store.get("default", "web") == first


def test_a_packed_listing_is_stored_as_objects_are() -> None:
    store, again = ObjectStore("pods"), ObjectStore("pods")
    listed = [obj("p1", "3", spec={"nodeName": "n1", "containers": [{"name": "app"}]}), obj("p2", "4")]
    changed, _ = store.replace_all([store.pack(o) for o in listed], list_rv="10")
    again.replace_all(listed, list_rv="10")
    assert changed == [("default", "p1"), ("default", "p2")]
    assert list(store.values()) == list(again.values())
    assert store.get("default", "p1") == {"metadata": listed[0]["metadata"], "spec": {"nodeName": "n1"}}
    assert not store.replace_all([store.pack(o) for o in listed], list_rv="10")[0]  # same versions: no news


def service_of(name: str, rv: str, service_type: str, cluster_ip: str = "10.96.0.1") -> dict[str, Any]:
    return obj(name, rv, spec={"type": service_type, "clusterIP": cluster_ip})


def test_a_node_change_reads_only_the_services_that_read_nodes_and_the_pods_on_that_node() -> None:
    services = ObjectStore("services")
    for service in (
        service_of("lb", "1", "LoadBalancer"),
        service_of("np", "1", "NodePort"),
        service_of("headless", "1", "ClusterIP", cluster_ip="None"),
        service_of("other-np", "1", "NodePort") | {"metadata": {"name": "other-np", "namespace": "other"}},
    ):
        services.upsert(service)
    pods = ObjectStore("pods")
    pods.upsert(obj("on-n1", "1", spec={"nodeName": "n1"}))
    pods.upsert(obj("on-n2", "1", spec={"nodeName": "n2"}))
    node = {"metadata": {"name": "n1"}}

    assert sorted(s["metadata"]["name"] for s in service_readers(services, "nodes", node, None)) == [
        "headless",
        "np",
        "other-np",
    ]
    assert [s["metadata"]["name"] for s in service_readers(services, "pods", obj("p", "1"), None)] == [
        "headless",
    ]  # a pod is read by the Services of its own namespace that read pods (a NodePort one reads nodes only)
    assert [p["metadata"]["name"] for p in pod_readers(pods, "nodes", node, None)] == ["on-n1"]


def test_the_lookup_indexes_follow_updates_and_deletes() -> None:
    services, pods = ObjectStore("services"), ObjectStore("pods")
    services.upsert(service_of("web", "1", "NodePort"))
    services.upsert(service_of("web", "2", "LoadBalancer"))  # no longer reads nodes
    pods.upsert(obj("web-0", "1", spec={"nodeName": "n1"}))
    pods.upsert(obj("web-0", "2", spec={"nodeName": "n2"}))  # moved
    pods.upsert(obj("web-1", "1", spec={"nodeName": "n2"}))
    pods.delete(obj("web-1", "1"))

    assert service_readers(services, "nodes", {"metadata": {"name": "n1"}}, None) == []
    assert pod_readers(pods, "nodes", {"metadata": {"name": "n1"}}, None) == []
    assert [p["metadata"]["name"] for p in pod_readers(pods, "nodes", {"metadata": {"name": "n2"}}, None)] == [
        "web-0"
    ]


def test_a_route_is_found_under_each_gateway_it_names_and_no_other() -> None:
    routes = ObjectStore("httproutes")
    routes.upsert(obj("two", "1", spec={"parentRefs": [{"name": "a"}, {"name": "b", "namespace": "infra"}]}))
    routes.upsert(obj("moved", "1", spec={"parentRefs": [{"name": "a"}]}))
    routes.upsert(obj("moved", "2", spec={"parentRefs": [{"name": "b", "namespace": "infra"}]}))
    routes.upsert(obj("gone", "1", spec={"parentRefs": [{"name": "a"}]}))
    routes.delete(obj("gone", "2"))
    for hostile in ({"parentRefs": "a"}, {"parentRefs": [3, {"name": 4}, {"namespace": "x"}]}, "spec"):
        routes.upsert(obj(f"hostile-{len(routes)}", "1", spec=hostile))  # stored, found under no gateway

    def names(gateway: dict[str, Any]) -> list[str]:
        return sorted(r["metadata"]["name"] for r in route_readers(routes, "gateways", gateway, None))

    assert names(obj("a", "1")) == ["two"]
    assert names(obj("b", "1", namespace="infra")) == ["moved", "two"]
    assert names(obj("b", "1")) == []  # default/b: another gateway
    assert len(routes) == 5


def parsed_objects(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The names of the packed objects parsed from now on (the list fills as they are)."""
    parsed: list[str] = []
    unpack = PackedObject.unpack

    def counted(packed: PackedObject) -> Obj:
        parsed.append(packed.key[1])
        return unpack(packed)

    monkeypatch.setattr(PackedObject, "unpack", counted)
    return parsed


def test_pods_are_found_by_selector_exactly_without_parsing_the_others(monkeypatch: pytest.MonkeyPatch) -> None:
    pods = ObjectStore("pods")
    for name, labels, notes in (
        ("web-1", {"app": "web", "tier": "front"}, {}),
        ("web-10", {"app": "web10"}, {}),  # "web" is a prefix of its value, not its value
        ("decoy", {"app": "db"}, {"app": "web"}),  # the pair's text elsewhere: parsed, then rejected
        ("quoted", {'we"ird': "ü \\ x"}, {}),
        ("elsewhere", {"app": "web"}, {}),
    ):
        namespace = "other" if name == "elsewhere" else "default"
        metadata = {"name": name, "namespace": namespace, "resourceVersion": "1", "labels": labels}
        pods.upsert({"metadata": metadata | {"annotations": notes}, "spec": {"nodeName": "n1"}})
    lookups = Lookups({"pods": pods})
    parsed = parsed_objects(monkeypatch)

    def names(selector: dict[str, str]) -> list[str]:
        return sorted(p["metadata"]["name"] for p in lookups.pods("default", selector))

    assert names({"app": "web"}) == ["web-1"]
    assert sorted(parsed) == ["decoy", "web-1"]  # not web-10, not quoted
    assert names({"app": "web", "tier": "front"}) == ["web-1"]
    assert names({"app": "web", "tier": "back"}) == []
    assert names({'we"ird': "ü \\ x"}) == ["quoted"]
    assert names({}) == ["decoy", "quoted", "web-1", "web-10"]  # an empty selector selects every pod


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


def test_objects_deleted_while_the_store_is_being_iterated_are_skipped() -> None:
    store = ObjectStore("services")
    for name in ("a", "b", "c"):
        store.upsert(obj(name, "1"))
    seen = []
    for held in store.values():
        seen.append(held["metadata"]["name"])
        store.delete(obj("b", "1"))
    assert seen == ["a", "c"]
