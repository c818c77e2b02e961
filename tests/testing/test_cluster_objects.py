"""The local API server's object semantics: metadata, writes, patches, status, finalizers, lists."""

import re

import aiohttp
import pytest

from external_dns.testing import ClusterRequestError, LocalCluster, PatchType

SERVICE = {"metadata": {"name": "web", "labels": {"app": "web"}}, "spec": {"ports": [{"port": 80}]}}


async def test_create_sets_server_metadata(api: LocalCluster) -> None:
    created = await api.create("v1", "services", SERVICE, "default")
    meta = created["metadata"]
    assert re.fullmatch(r"[0-9a-f-]{36}", meta["uid"])
    assert meta["generation"] == 1
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", meta["creationTimestamp"])
    assert meta["namespace"] == "default"  # taken from the URL
    assert (created["apiVersion"], created["kind"]) == ("v1", "Service")


async def test_resource_versions_come_from_one_global_counter(api: LocalCluster) -> None:
    first = await api.create("v1", "services", SERVICE, "default")
    second = await api.create("v1", "configmaps", {"metadata": {"name": "c"}}, "default")
    assert int(second["metadata"]["resourceVersion"]) == int(first["metadata"]["resourceVersion"]) + 1


async def test_generate_name_gets_a_unique_suffix(api: LocalCluster) -> None:
    body = {"metadata": {"generateName": "event-"}, "reason": "Test"}
    names = {(await api.create("v1", "events", body, "default"))["metadata"]["name"] for _ in range(5)}
    assert len(names) == 5
    assert all(re.fullmatch(r"event-[a-z0-9]{5}", name) for name in names)


@pytest.mark.parametrize(
    ("body", "namespace", "status"),
    [
        (SERVICE, "nowhere", 404),
        ({"metadata": {"name": "web", "namespace": "kube-system"}}, "default", 400),
        ({"metadata": {}}, "default", 422),
    ],
    ids=["creating in a missing namespace is 404", "a body namespace unlike the URL's is 400", "no name is 422"],
)
async def test_invalid_creates_are_rejected(api: LocalCluster, body: dict, namespace: str, status: int) -> None:
    with pytest.raises(ClusterRequestError) as err:
        await api.request("POST", f"/api/v1/namespaces/{namespace}/services", body)
    assert err.value.status == status
    assert err.value.body["kind"] == "Status" and err.value.body["status"] == "Failure"
    assert err.value.body["code"] == status


async def test_creating_an_existing_name_is_a_409_already_exists(api: LocalCluster) -> None:
    await api.create("v1", "services", SERVICE, "default")
    with pytest.raises(ClusterRequestError) as err:
        await api.create("v1", "services", SERVICE, "default")
    assert (err.value.status, err.value.reason) == (409, "AlreadyExists")


async def test_generation_is_bumped_by_spec_changes_only(api: LocalCluster) -> None:
    await api.create("v1", "services", SERVICE, "default")
    labelled = await api.patch("v1", "services", "web", {"metadata": {"labels": {"x": "y"}}}, "default")
    assert labelled["metadata"]["generation"] == 1
    respec = await api.patch("v1", "services", "web", {"spec": {"type": "LoadBalancer"}}, "default")
    assert respec["metadata"]["generation"] == 2


async def test_a_no_op_patch_commits_nothing(api: LocalCluster) -> None:
    created = await api.create("v1", "services", SERVICE, "default")
    same = await api.patch("v1", "services", "web", {"metadata": {"labels": {"app": "web"}}}, "default")
    assert same["metadata"]["resourceVersion"] == created["metadata"]["resourceVersion"]


async def test_a_stale_resource_version_is_a_409_conflict(api: LocalCluster) -> None:
    created = await api.create("v1", "services", SERVICE, "default")
    await api.patch("v1", "services", "web", {"spec": {"type": "NodePort"}}, "default")
    stale = {"metadata": {"resourceVersion": created["metadata"]["resourceVersion"]}, "spec": {"type": "ClusterIP"}}
    with pytest.raises(ClusterRequestError) as err:
        await api.patch("v1", "services", "web", stale, "default")
    assert (err.value.status, err.value.reason) == (409, "Conflict")


async def test_a_failed_json_patch_test_is_a_422(api: LocalCluster) -> None:
    await api.create("v1", "services", SERVICE, "default")
    patch = [{"op": "test", "path": "/metadata/resourceVersion", "value": "1"}, {"op": "add", "path": "/x", "value": 1}]
    with pytest.raises(ClusterRequestError) as err:
        await api.patch("v1", "services", "web", patch, "default", patch_type=PatchType.JSON)
    assert err.value.status == 422


async def test_json_patch_with_a_current_resource_version_test_applies(api: LocalCluster) -> None:
    created = await api.create("v1", "services", SERVICE, "default")
    patch = [
        {"op": "test", "path": "/metadata/resourceVersion", "value": created["metadata"]["resourceVersion"]},
        {"op": "add", "path": "/metadata/finalizers", "value": ["example.com/x"]},
    ]
    patched = await api.patch("v1", "services", "web", patch, "default", patch_type=PatchType.JSON)
    assert patched["metadata"]["finalizers"] == ["example.com/x"]


async def test_strategic_merge_merges_lists_by_their_merge_key(api: LocalCluster) -> None:
    await api.create("v1", "services", {**SERVICE, "spec": {"ports": [{"port": 80, "name": "http"}]}}, "default")
    patch = {"spec": {"ports": [{"port": 80, "targetPort": 8080}, {"port": 443}]}}
    patched = await api.patch("v1", "services", "web", patch, "default", patch_type=PatchType.STRATEGIC)
    assert patched["spec"]["ports"] == [{"port": 80, "name": "http", "targetPort": 8080}, {"port": 443}]


async def test_merge_patch_replaces_lists_and_deletes_nulls(api: LocalCluster) -> None:
    await api.create("v1", "services", {**SERVICE, "spec": {"ports": [{"port": 80}], "type": "NodePort"}}, "default")
    patched = await api.patch("v1", "services", "web", {"spec": {"ports": [{"port": 443}], "type": None}}, "default")
    assert patched["spec"] == {"ports": [{"port": 443}]}


async def test_an_unknown_patch_content_type_is_a_415(api: LocalCluster) -> None:
    await api.create("v1", "services", SERVICE, "default")
    with pytest.raises(ClusterRequestError) as err:
        await api.request("PATCH", "/api/v1/namespaces/default/services/web", {}, content_type="text/plain")
    assert err.value.status == 415


async def test_put_replaces_the_object_and_honours_resource_version(api: LocalCluster) -> None:
    created = await api.create("v1", "configmaps", {"metadata": {"name": "c"}, "data": {"a": "1"}}, "default")
    replaced = await api.request("PUT", "/api/v1/namespaces/default/configmaps/c", {**created, "data": {"b": "2"}})
    assert replaced["data"] == {"b": "2"}
    with pytest.raises(ClusterRequestError) as err:
        await api.request("PUT", "/api/v1/namespaces/default/configmaps/c", {**created, "data": {"c": "3"}})
    assert err.value.status == 409


async def test_status_patch_changes_only_status(api: LocalCluster) -> None:
    await api.create("v1", "services", SERVICE, "default")
    patch = {"spec": {"type": "NodePort"}, "status": {"loadBalancer": {"ingress": [{"ip": "192.0.2.1"}]}}}
    patched = await api.patch("v1", "services", "web", patch, "default", subresource="status")
    assert patched["status"] == patch["status"]
    assert "type" not in patched["spec"]
    assert patched["metadata"]["generation"] == 1


async def test_main_patch_ignores_status_when_status_is_a_subresource(api: LocalCluster) -> None:
    await api.create("v1", "services", SERVICE, "default")
    patched = await api.patch(
        "v1", "services", "web", {"status": {"loadBalancer": {"ingress": [{"ip": "x"}]}}}, "default"
    )
    assert "status" not in patched


async def test_main_patch_changes_status_when_status_is_not_a_subresource(api: LocalCluster) -> None:
    await api.create("v1", "configmaps", {"metadata": {"name": "c"}}, "default")
    patched = await api.patch("v1", "configmaps", "c", {"status": {"x": 1}}, "default")
    assert patched["status"] == {"x": 1}


async def test_delete_with_finalizers_marks_and_releasing_the_last_one_deletes(api: LocalCluster) -> None:
    await api.create(
        "v1", "services", {**SERVICE, "metadata": {**SERVICE["metadata"], "finalizers": ["a/b"]}}, "default"
    )
    marked = await api.delete("v1", "services", "web", "default")
    assert marked["metadata"]["deletionTimestamp"].endswith("Z")
    assert (await api.get("v1", "services", "web", "default"))["metadata"]["finalizers"] == ["a/b"]
    with pytest.raises(ClusterRequestError):
        await api.patch("v1", "services", "web", {"metadata": {"finalizers": ["a/b", "c/d"]}}, "default")
    await api.patch("v1", "services", "web", {"metadata": {"finalizers": None}}, "default")
    with pytest.raises(ClusterRequestError) as err:
        await api.get("v1", "services", "web", "default")
    assert err.value.status == 404


async def test_deleting_an_owner_deletes_its_dependents(api: LocalCluster) -> None:
    owner = await api.create("v1", "configmaps", {"metadata": {"name": "owner"}}, "default")
    ref = {"apiVersion": "v1", "kind": "ConfigMap", "name": "owner", "uid": owner["metadata"]["uid"]}
    await api.create("v1", "configmaps", {"metadata": {"name": "dependent", "ownerReferences": [ref]}}, "default")
    await api.delete("v1", "configmaps", "owner", "default")
    assert await api.list("v1", "configmaps", "default") == []


@pytest.mark.parametrize(
    ("label_selector", "field_selector", "expected"),
    [
        ("app=web", None, {"web"}),
        ("app!=web", None, {"db", "bare"}),
        ("app in (web,db)", None, {"web", "db"}),
        ("app notin (web)", None, {"db", "bare"}),
        ("app", None, {"web", "db"}),
        ("!app", None, {"bare"}),
        (None, "metadata.name=db", {"db"}),
        (None, "metadata.namespace=default,metadata.name!=db", {"web", "bare"}),
        (None, "spec.type=NodePort", {"db"}),
    ],
    ids=[
        "equality label selector",
        "inequality label selector includes unlabelled",
        "set label selector",
        "notin label selector",
        "existence label selector",
        "non-existence label selector",
        "field selector on the name",
        "field selectors combine",
        "generic dotted field selector",
    ],
)
async def test_lists_filter_by_selectors(
    api: LocalCluster, label_selector: str | None, field_selector: str | None, expected: set[str]
) -> None:
    await api.create("v1", "services", {"metadata": {"name": "web", "labels": {"app": "web"}}}, "default")
    await api.create(
        "v1", "services", {"metadata": {"name": "db", "labels": {"app": "db"}}, "spec": {"type": "NodePort"}}, "default"
    )
    await api.create("v1", "services", {"metadata": {"name": "bare"}}, "default")
    items = await api.list("v1", "services", "default", label_selector=label_selector, field_selector=field_selector)
    assert {item["metadata"]["name"] for item in items} == expected


async def test_event_field_selectors_match_reason_type_and_involved_object(api: LocalCluster) -> None:
    for reason, kind in (("RecordError", "Service"), ("Created", "Service"), ("RecordError", "Ingress")):
        body = {
            "metadata": {"generateName": "e-"},
            "reason": reason,
            "type": "Warning",
            "involvedObject": {"kind": kind},
        }
        await api.create("v1", "events", body, "default")
    items = await api.list("v1", "events", field_selector="reason=RecordError,involvedObject.kind=Service,type=Warning")
    assert [(item["reason"], item["involvedObject"]["kind"]) for item in items] == [("RecordError", "Service")]


async def test_list_pages_with_limit_and_continue(api: LocalCluster) -> None:
    for index in range(5):
        await api.create("v1", "configmaps", {"metadata": {"name": f"c{index}"}}, "default")
    first = await api.request("GET", "/api/v1/namespaces/default/configmaps", params={"limit": "2"})
    assert [i["metadata"]["name"] for i in first["items"]] == ["c0", "c1"]
    assert first["metadata"]["remainingItemCount"] == 3
    token = first["metadata"]["continue"]
    rest = await api.request("GET", "/api/v1/namespaces/default/configmaps", params={"limit": "10", "continue": token})
    assert [i["metadata"]["name"] for i in rest["items"]] == ["c2", "c3", "c4"]
    assert "continue" not in rest["metadata"]


async def test_list_responses_carry_kind_api_version_and_resource_version(api: LocalCluster) -> None:
    body = await api.request("GET", "/apis/externaldns.k8s.io/v1alpha1/dnsendpoints")
    assert (body["kind"], body["apiVersion"]) == ("DNSEndpointList", "externaldns.k8s.io/v1alpha1")
    assert int(body["metadata"]["resourceVersion"]) >= 2


@pytest.mark.parametrize(
    "path",
    [
        "/apis/example.com/v1/widgets",
        "/api/v1/namespaces/default/nodes",
        "/api/v1/namespaces/default/configmaps/x/status",
    ],
    ids=["an undeclared resource", "a cluster-scoped resource under a namespace", "an absent subresource"],
)
async def test_unknown_resources_are_404_with_a_status_body(api: LocalCluster, path: str) -> None:
    with pytest.raises(ClusterRequestError) as err:
        await api.request("GET", path)
    assert err.value.status == 404
    assert err.value.body == {**err.value.body, "kind": "Status", "apiVersion": "v1", "status": "Failure", "code": 404}


async def test_namespaces_and_cluster_scoped_objects_are_served(api: LocalCluster) -> None:
    names = {item["metadata"]["name"] for item in await api.list("v1", "namespaces")}
    assert {"default", "kube-system"} <= names
    peering = await api.create("kopf.dev/v1", "clusterkopfpeerings", {"metadata": {"name": "p", "namespace": "x"}})
    assert "namespace" not in peering["metadata"]


async def test_a_created_crd_registers_its_resource(api: LocalCluster) -> None:
    crd = {
        "metadata": {"name": "widgets.example.com"},
        "spec": {
            "group": "example.com",
            "scope": "Namespaced",
            "names": {"plural": "widgets", "singular": "widget", "kind": "Widget"},
            "versions": [{"name": "v1", "served": True, "storage": True, "subresources": {"status": {}}}],
        },
    }
    created = await api.create("apiextensions.k8s.io/v1", "customresourcedefinitions", crd)
    assert {c["type"] for c in created["status"]["conditions"]} == {"Established", "NamesAccepted"}
    widget = await api.create("example.com/v1", "widgets", {"metadata": {"name": "w"}, "spec": {"a": 1}}, "default")
    assert widget["kind"] == "Widget"
    discovery = await api.request("GET", "/apis/example.com/v1")
    assert {r["name"] for r in discovery["resources"]} == {"widgets", "widgets/status"}


async def test_create_keeps_a_nodes_status_but_drops_a_services(api: LocalCluster) -> None:
    """As the real server's strategies: the kubelet registers its Node with status; a Service's is dropped."""
    addresses = {"addresses": [{"type": "ExternalIP", "address": "198.51.100.21"}]}
    node = await api.request("POST", "/api/v1/nodes", {"metadata": {"name": "worker-1"}, "status": addresses})
    assert node["status"] == addresses
    assert (await api.get("v1", "nodes", "worker-1"))["status"] == addresses
    service = {"metadata": {"name": "web"}, "status": {"loadBalancer": {"ingress": [{"ip": "192.0.2.1"}]}}}
    created = await api.request("POST", "/api/v1/namespaces/default/services", service)
    assert "status" not in created


@pytest.mark.parametrize(
    ("body", "content_type", "status"),
    [
        (b"k8s\x00\n\x0f\n\x02v1\x12\tNamespace\x12\x05\n\x03\n\x01", "application/vnd.kubernetes.protobuf", 400),
        (b"k8s\x00\n\x0c\n\x02v1\x12\x06Widget", "application/vnd.kubernetes.protobuf", 400),
        (b"{}", "application/vnd.kubernetes.protobuf", 400),
        (b"name: x", "text/plain", 415),
    ],
    ids=["truncated protobuf", "protobuf of an unknown kind", "JSON sent as protobuf", "an unknown media type"],
)
async def test_bodies_the_server_cannot_read_are_rejected(
    api: LocalCluster, body: bytes, content_type: str, status: int
) -> None:
    async with aiohttp.ClientSession(api.url) as session:
        async with session.post("/api/v1/namespaces", data=body, headers={"Content-Type": content_type}) as response:
            assert response.status == status
            answer = await response.json()
    assert answer["kind"] == "Status" and answer["code"] == status
    assert {ns["metadata"]["name"] for ns in await api.list("v1", "namespaces")} == {"default", "kube-system"}
