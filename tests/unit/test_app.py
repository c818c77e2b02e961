"""The application with real sources and the in-memory provider: listings become records, a change to an object
other sources read re-derives exactly its readers, and what is reported on objects; and --default-targets."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, cast

import pytest
from tests.unit.test_store import parsed_objects

from external_dns.app import Application, Wiring
from external_dns.desired import ObjectKey
from external_dns.endpoint import RESOURCE_LABEL, Endpoint, ObjectRef
from external_dns.events import Action, Reason
from external_dns.kinds import ENDPOINT_SLICES, GATEWAYS, NAMESPACES, NODES, PODS, SourceKind, source_kind
from external_dns.kube import KubeClient
from external_dns.plan import PlanSettings
from external_dns.providers.inmemory import InMemoryProvider
from external_dns.registry.txt import TXTRegistry
from external_dns.runner import sync_every_zone
from external_dns.sources.base import ClusterLookups, KubeObject, SourceResult, SourceSettings
from external_dns.sources.steps import with_default_targets
from external_dns.store import object_id
from external_dns.tasks import cancel_all
from external_dns.zonework import ReconcilerSettings

ZONE = "example.com"
HOSTNAME = "external-dns.alpha.kubernetes.io/hostname"
GATEWAY_GROUP = "gateway.networking.k8s.io"


@dataclass
class Derivations:
    """Wraps source functions to record which objects they were asked to derive."""

    seen: list[tuple[str, str]] = field(default_factory=list)

    def wrap(self, kind: SourceKind) -> SourceKind:
        inner = kind.derive

        def derive(obj: KubeObject, settings: SourceSettings, lookups: ClusterLookups) -> SourceResult:
            self.seen.append(object_id(obj))
            return inner(obj, settings, lookups)

        return replace(kind, derive=derive)


def make_app(
    *names: str, settings: SourceSettings | None = None, derivations: Derivations | None = None
) -> Application:
    settings = settings or SourceSettings()
    kinds = [source_kind(name, settings) for name in names]
    if derivations is not None:
        kinds = [derivations.wrap(kind) for kind in kinds]
    wiring = Wiring(
        provider=InMemoryProvider([ZONE]),
        registry=TXTRegistry("default"),
        sources=kinds,
        source_settings=settings,
        plan_settings=PlanSettings(owner_id="default"),
        reconciler_settings=ReconcilerSettings(debounce=0, retry_initial=0.01, retry_max=0.05, resync_interval=3600),
    )
    return Application(wiring)


def records(app: Application) -> dict[tuple[str, str], tuple[str, ...]]:
    assert isinstance(app.provider, InMemoryProvider)
    return {(ep.dns_name, ep.record_type): ep.targets for ep in app.provider.snapshot()[ZONE]}


def targets(app: Application, key: ObjectKey) -> dict[tuple[str, str], tuple[str, ...]]:
    return {(ep.dns_name, ep.record_type): ep.targets for ep in app.desired.endpoints_of(key)}


def service(
    name: str, type_: str = "LoadBalancer", *, rv: str = "1", lb_ip: str = "", headless: bool = False
) -> dict[str, Any]:
    spec: dict[str, Any] = {"type": type_, "selector": {"app": name}}
    if type_ == "NodePort":
        spec["ports"] = [{"port": 80, "nodePort": 30080, "protocol": "TCP"}]
    spec["clusterIP"] = "None" if headless else "10.0.0.10"
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {
            "name": name,
            "namespace": "default",
            "uid": f"uid-{name}",
            "resourceVersion": rv,
            "annotations": {HOSTNAME: f"{name}.example.com"},
        },
        "spec": spec,
        "status": {"loadBalancer": {"ingress": [{"ip": lb_ip}] if lb_ip else []}},
    }


def node(name: str, external_ip: str, rv: str = "1") -> dict[str, Any]:
    return {
        "metadata": {"name": name, "resourceVersion": rv},
        "spec": {},
        "status": {"addresses": [{"type": "ExternalIP", "address": external_ip}]},
    }


def pod(name: str, app_label: str, *, node_name: str = "n1", rv: str = "1") -> dict[str, Any]:
    return {
        "metadata": {"name": name, "namespace": "default", "resourceVersion": rv, "labels": {"app": app_label}},
        "spec": {"nodeName": node_name},
        "status": {"phase": "Running", "conditions": [{"type": "Ready", "status": "True"}]},
    }


def endpoint_slice(name: str, service_name: str, address: str, pod_name: str, rv: str = "1") -> dict[str, Any]:
    return {
        "metadata": {
            "name": name,
            "namespace": "default",
            "resourceVersion": rv,
            "labels": {"kubernetes.io/service-name": service_name},
        },
        "addressType": "IPv4",
        "endpoints": [
            {"addresses": [address], "conditions": {"ready": True}, "targetRef": {"kind": "Pod", "name": pod_name}}
        ],
    }


def gateway(address: str, rv: str = "1", name: str = "gw", namespace: str = "default") -> dict[str, Any]:
    return {
        "apiVersion": f"{GATEWAY_GROUP}/v1",
        "kind": "Gateway",
        "metadata": {"name": name, "namespace": namespace, "resourceVersion": rv},
        "spec": {"gatewayClassName": "example", "listeners": [{"name": "http", "protocol": "HTTP", "port": 80}]},
        "status": {"addresses": [{"type": "IPAddress", "value": address}]},
    }


def httproute(
    name: str,
    *,
    accepted: str = "True",
    labels: dict[str, str] | None = None,
    namespace: str = "default",
    parents: list[dict[str, str]] | None = None,
) -> dict[str, Any]:
    parents = parents if parents is not None else [{"name": "gw"}]
    return {
        "apiVersion": f"{GATEWAY_GROUP}/v1",
        "kind": "HTTPRoute",
        "metadata": {
            "name": name,
            "namespace": namespace,
            "uid": f"uid-{name}",
            "resourceVersion": "1",
            "labels": labels or {},
        },
        "spec": {"parentRefs": parents, "hostnames": [f"{name}.example.com"]},
        "status": {
            "parents": [
                {
                    "parentRef": parent,
                    "controllerName": "example.com/gateway",
                    "conditions": [{"type": "Accepted", "status": accepted, "reason": "NotAllowedByListeners"}],
                }
                for parent in parents
            ]
        },
    }


def list_services(app: Application, *objects: dict[str, Any]) -> None:
    app.on_listing(app.sources["service"].resource, list(objects), "100")


async def test_listing_then_sync_once_produces_the_records() -> None:
    app = make_app("service")
    app.on_listing(NODES, [node("n1", "203.0.113.1")], "100")
    app.on_listing(PODS, [], "100")
    app.on_listing(ENDPOINT_SLICES, [], "100")
    list_services(app, service("web", lb_ip="203.0.113.10"), service("np", "NodePort"))

    results = await sync_every_zone(app)

    assert [len(r.applied.create) for r in results] == [2]
    assert records(app) == {
        ("web.example.com", "A"): ("203.0.113.10",),
        ("a-web.example.com", "TXT"): (
            '"heritage=external-dns,external-dns/owner=default,external-dns/resource=service/default/web"',
        ),
        ("np.example.com", "A"): ("203.0.113.1",),
        ("a-np.example.com", "TXT"): (
            '"heritage=external-dns,external-dns/owner=default,external-dns/resource=service/default/np"',
        ),
    }  # the NodePort SRV record is wanted, but SRV is not among the default --managed-record-types
    assert {e.reason for e in app.events.sent} == {Reason.READY}


async def test_a_node_change_rederives_only_the_node_port_services() -> None:
    derivations = Derivations()
    app = make_app("service", derivations=derivations)
    app.on_listing(NODES, [node("n1", "203.0.113.1")], "100")
    list_services(
        app, service("web", lb_ip="203.0.113.10"), service("np", "NodePort"), service("internal", "ClusterIP")
    )
    derivations.seen.clear()

    app.on_object(NODES, "MODIFIED", node("n1", "203.0.113.99", rv="101"))

    assert derivations.seen == [("default", "np")]
    assert targets(app, ObjectKey("service", "default", "np"))[("np.example.com", "A")] == ("203.0.113.99",)


async def test_a_pod_change_rederives_only_the_services_selecting_it_before_or_after() -> None:
    """NodePort Services with externalTrafficPolicy Local read the pods their selector selects, and each such
    derivation reads the namespace's every pod: re-deriving every such Service for each pod change cost 0.8 s
    per change with 5,000 pods and 10 Services in one namespace."""
    derivations = Derivations()
    app = make_app("service", derivations=derivations)
    app.on_listing(NODES, [node("n1", "203.0.113.1"), node("n2", "203.0.113.2")], "100")
    app.on_listing(PODS, [pod("a-0", "a", node_name="n1"), pod("b-0", "b", node_name="n2")], "100")
    local_a, local_b = service("a", "NodePort"), service("b", "NodePort")
    for local in (local_a, local_b):
        local["spec"]["externalTrafficPolicy"] = "Local"
    list_services(app, local_a, local_b, service("cluster-wide", "NodePort"))
    assert targets(app, ObjectKey("service", "default", "a"))[("a.example.com", "A")] == ("203.0.113.1",)
    derivations.seen.clear()

    app.on_object(PODS, "MODIFIED", pod("b-1", "b", node_name="n1"))  # a pod of b's on n1
    assert derivations.seen == [("default", "b")]
    assert sorted(targets(app, ObjectKey("service", "default", "b"))[("b.example.com", "A")]) == [
        "203.0.113.1",
        "203.0.113.2",
    ]
    derivations.seen.clear()

    app.on_object(PODS, "MODIFIED", pod("a-0", "b", node_name="n1", rv="2"))  # relabelled from a to b
    assert sorted(derivations.seen) == [("default", "a"), ("default", "b")]
    assert ("a.example.com", "A") not in targets(app, ObjectKey("service", "default", "a"))  # no pod of a's left


@pytest.mark.parametrize(("sources", "parsed"), [(("pod",), 0), (("pod", "service"), 1)])
async def test_a_pods_previous_version_is_read_only_where_a_reader_needs_it(
    sources: tuple[str, ...], parsed: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The pod source alone reads no pod's labels for another object: a pod change parses no previous version."""
    app = make_app(*sources)
    app.on_listing(PODS, [pod("web-0", "web")], "100")
    unpacked = parsed_objects(monkeypatch)
    app.on_object(PODS, "MODIFIED", pod("web-0", "api", rv="2"))
    assert len(unpacked) == parsed


async def test_a_replayed_node_event_rederives_nothing() -> None:
    derivations = Derivations()
    app = make_app("service", derivations=derivations)
    app.on_listing(NODES, [node("n1", "203.0.113.1", rv="5")], "100")
    list_services(app, service("np", "NodePort"))
    derivations.seen.clear()

    app.on_object(NODES, "ADDED", node("n1", "203.0.113.1", rv="5"))

    assert derivations.seen == []


async def test_an_endpoint_slice_change_rederives_its_headless_service_only() -> None:
    derivations = Derivations()
    app = make_app("service", derivations=derivations)
    app.on_listing(PODS, [pod("one-0", "one"), pod("two-0", "two")], "100")
    app.on_listing(
        ENDPOINT_SLICES,
        [endpoint_slice("one-a", "one", "10.2.0.1", "one-0"), endpoint_slice("two-a", "two", "10.2.0.2", "two-0")],
        "100",
    )
    list_services(app, service("one", "ClusterIP", headless=True), service("two", "ClusterIP", headless=True))
    assert targets(app, ObjectKey("service", "default", "one"))[("one.example.com", "A")] == ("10.2.0.1",)
    derivations.seen.clear()

    app.on_object(ENDPOINT_SLICES, "MODIFIED", endpoint_slice("one-a", "one", "10.2.0.9", "one-0", rv="101"))

    assert derivations.seen == [("default", "one")]
    assert targets(app, ObjectKey("service", "default", "one"))[("one.example.com", "A")] == ("10.2.0.9",)
    assert targets(app, ObjectKey("service", "default", "two"))[("two.example.com", "A")] == ("10.2.0.2",)


async def test_a_gateway_change_rederives_its_routes_and_updates_the_records() -> None:
    app = make_app("gateway-httproute")
    app.on_listing(NAMESPACES, [{"metadata": {"name": "default"}}], "100")
    app.on_listing(GATEWAYS, [gateway("203.0.113.10")], "100")
    app.on_listing(app.sources["gateway-httproute"].resource, [httproute("app")], "100")
    await sync_every_zone(app)
    assert records(app)[("app.example.com", "A")] == ("203.0.113.10",)

    app.on_object(GATEWAYS, "MODIFIED", gateway("203.0.113.20", rv="101"))
    [worker] = app.workers.values()
    assert worker.pending == 1  # the route's name was marked for its zone worker
    await worker.sync({"app.example.com"})

    assert records(app)[("app.example.com", "A")] == ("203.0.113.20",)
    updated = [e for e in app.events.sent if e.action is Action.UPDATED]
    assert [e.ref.name for e in updated] == ["app"]


async def test_a_gateway_or_namespace_change_rederives_only_the_routes_that_read_it() -> None:
    """A Gateway's status changes with every route attached to it (listeners[].attachedRoutes): re-deriving every
    route of the cluster each time made a bulk create of routes quadratic."""
    derivations = Derivations()
    app = make_app("gateway-httproute", derivations=derivations)
    app.on_listing(NAMESPACES, [{"metadata": {"name": "default"}}, {"metadata": {"name": "team"}}], "100")
    def gateway_b(address: str, rv: str) -> dict[str, Any]:
        shared = gateway(address, rv, name="b", namespace="infra")
        shared["spec"]["listeners"][0]["allowedRoutes"] = {"namespaces": {"from": "All"}}
        return shared

    app.on_listing(GATEWAYS, [gateway("203.0.113.10", name="a"), gateway_b("203.0.113.20", "1")], "100")
    b_in_infra = {"name": "b", "namespace": "infra"}
    routes = [
        httproute("on-a", parents=[{"name": "a"}]),
        httproute("on-b", parents=[b_in_infra]),
        httproute("on-both", parents=[{"name": "a"}, b_in_infra]),
        httproute("team-on-b", namespace="team", parents=[b_in_infra]),
        httproute("team-on-its-own-a", namespace="team", parents=[{"name": "a"}]),  # team/a: no such gateway
    ]
    app.on_listing(app.sources["gateway-httproute"].resource, routes, "100")
    derivations.seen.clear()

    app.on_object(GATEWAYS, "MODIFIED", gateway_b("203.0.113.21", "101"))
    assert sorted(derivations.seen) == [("default", "on-b"), ("default", "on-both"), ("team", "team-on-b")]
    assert targets(app, ObjectKey("gateway-httproute", "team", "team-on-b"))[("team-on-b.example.com", "A")] == (
        "203.0.113.21",
    )
    derivations.seen.clear()

    app.on_object(GATEWAYS, "MODIFIED", gateway("203.0.113.11", rv="102", name="a"))
    assert sorted(derivations.seen) == [("default", "on-a"), ("default", "on-both")]
    derivations.seen.clear()

    labelled = {"metadata": {"name": "team", "resourceVersion": "103", "labels": {"x": "y"}}}
    app.on_object(NAMESPACES, "MODIFIED", labelled)
    assert sorted(derivations.seen) == [("team", "team-on-b"), ("team", "team-on-its-own-a")]


async def test_a_route_its_gateway_did_not_accept_gets_a_no_record_event() -> None:
    app = make_app("gateway-httproute")
    app.on_listing(GATEWAYS, [gateway("203.0.113.10")], "100")
    app.on_listing(app.sources["gateway-httproute"].resource, [httproute("app", accepted="False")], "100")

    [event] = app.events.sent
    assert event.ref == ObjectRef("HTTPRoute", f"{GATEWAY_GROUP}/v1", "default", "app", "uid-app")
    assert (event.reason, event.action, event.type) == (Reason.ERROR, Action.FAILED_SYNC, "Warning")
    assert event.message.startswith("no record: ")
    assert app.desired.names() == []


async def test_a_route_filtered_out_by_the_label_filter_gets_no_event() -> None:
    app = make_app("gateway-httproute", settings=SourceSettings(label_filter="team=a"))
    app.on_listing(GATEWAYS, [gateway("203.0.113.10")], "100")
    app.on_listing(
        app.sources["gateway-httproute"].resource,
        [httproute("theirs", accepted="False"), httproute("ours", labels={"team": "a"})],
        "100",
    )

    assert app.events.sent == []
    assert app.desired.names() == ["ours.example.com"]


async def test_an_invalid_object_is_reported_once_per_distinct_problem() -> None:
    app = make_app("service")
    bad = service("web", lb_ip="203.0.113.10")
    bad["metadata"]["annotations"]["external-dns.alpha.kubernetes.io/ttl"] = "forever"
    list_services(app, bad)
    list_services(app, {**bad, "metadata": {**bad["metadata"], "resourceVersion": "2"}})

    [event] = app.events.sent
    assert event.message.startswith("Invalid ")
    assert "ttl" in event.message


async def test_objects_gone_from_a_listing_or_deleted_release_their_names() -> None:
    app = make_app("service")
    list_services(app, service("web", lb_ip="203.0.113.10"), service("api", lb_ip="203.0.113.20"))
    assert sorted(app.desired.names()) == ["api.example.com", "web.example.com"]

    list_services(app, service("web", lb_ip="203.0.113.10"))
    assert app.desired.names() == ["web.example.com"]

    app.on_object(app.sources["service"].resource, "DELETED", service("web", rv="2"))
    assert app.desired.names() == []


def ep(name: str, *targets: str, type_: str = "A") -> Endpoint:
    return Endpoint(
        name,
        type_,
        targets,
        ttl=60,
        labels={RESOURCE_LABEL: "ingress/default/web"},
        refs=(ObjectRef("Ingress", "networking.k8s.io/v1", "default", "web"),),
    )


def shape(endpoints: Sequence[Endpoint]) -> list[tuple[str, str, tuple[str, ...]]]:
    return [(e.dns_name, e.record_type, e.targets) for e in endpoints]


DEFAULT_TARGET_CASES = [
    pytest.param(
        [ep("web.example.com", type_="")],
        ("203.0.113.1", "2001:db8::1", "lb.example.net.", "203.0.113.2"),
        [
            ("web.example.com", "A", ("203.0.113.1", "203.0.113.2")),
            ("web.example.com", "AAAA", ("2001:db8::1",)),
            ("web.example.com", "CNAME", ("lb.example.net",)),
        ],
        id="an endpoint without targets is expanded into A AAAA and CNAME endpoints",
    ),
    pytest.param(
        [ep("web.example.com", "198.51.100.1"), ep("api.example.com", type_="")],
        ("203.0.113.1",),
        [("web.example.com", "A", ("198.51.100.1",)), ("api.example.com", "A", ("203.0.113.1",))],
        id="endpoints with targets are kept as they are",
    ),
    pytest.param(
        [ep("web.example.com", "198.51.100.1"), ep("api.example.com", type_="")],
        (),
        [("web.example.com", "A", ("198.51.100.1",))],
        id="without default targets endpoints without targets are dropped",
    ),
]


@pytest.mark.parametrize(("endpoints", "defaults", "expected"), DEFAULT_TARGET_CASES)
def test_with_default_targets(
    endpoints: list[Endpoint], defaults: tuple[str, ...], expected: list[tuple[str, str, tuple[str, ...]]]
) -> None:
    assert shape(with_default_targets(endpoints, defaults)) == expected


def test_default_targets_keep_the_labels_refs_and_ttl_of_the_endpoint() -> None:
    original = ep("web.example.com", type_="")
    [filled] = with_default_targets([original], ("203.0.113.1",))
    assert filled.labels == original.labels
    assert filled.refs == original.refs
    assert filled.ttl == 60


async def test_cancel_all_cancels_again_a_task_that_swallowed_the_first_cancellation() -> None:
    swallowed = asyncio.Event()

    async def stubborn() -> None:
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            swallowed.set()  # as Python 3.11's wait_for does when its wait finished at the same moment
        await asyncio.Event().wait()

    task = asyncio.create_task(stubborn())
    await asyncio.sleep(0)
    await asyncio.wait_for(cancel_all([task]), 5)
    assert swallowed.is_set() and task.cancelled()


class CountingLists:
    """A KubeClient whose every paged LIST is empty; counts them."""

    def __init__(self) -> None:
        self.lists = 0

    async def list_pages(self, path: str, **_: Any) -> AsyncIterator[dict[str, Any]]:
        self.lists += 1
        yield {"metadata": {"resourceVersion": "1"}, "items": []}


@pytest.mark.looptime
async def test_a_warm_standby_does_not_relist_until_it_takes_over() -> None:
    app = make_app("service")
    app.wiring.reconciler_settings = replace(app.wiring.reconciler_settings, resync_interval=60)
    kube = CountingLists()
    app.stand_by()
    app.start_relisting(cast(KubeClient, kube))
    try:
        await asyncio.sleep(570)  # nine intervals on the fake clock, standing by
        assert kube.lists == 0
        await app.start()  # the takeover
        await asyncio.sleep(60)  # the tenth interval
        assert kube.lists == len(app.resources())  # the leader's safety net is back: one LIST of each per interval
    finally:
        await app.close()
