"""The whole operator against each HTTP provider's backend: Route 53 (moto), PowerDNS, Cloudflare, webhook.

The operator runs for real (OperatorThread) against the local API server. Every assertion about DNS is made
through the backend's own API, never the operator's memory; every assertion about feedback on the Events the
API server holds. Fake backends (the moto proxy, the Cloudflare fake, the webhook server) are served by an event
loop in a thread of their own, because the test thread blocks in ``wait_for`` as the bind tests do.
"""

from __future__ import annotations

import asyncio
import json
import re
import subprocess
import threading
import urllib.error
import urllib.request
import uuid
from collections.abc import Coroutine, Iterator
from contextlib import AsyncExitStack
from pathlib import Path
from typing import Any, Protocol, TypeVar

import aiohttp
import kmock
import pytest
from aiobotocore.session import get_session
from aiohttp import web
from prometheus_client import REGISTRY
from tests.backends.cloudflare import TOKEN, FakeCloudflare, error_response, inject_faults
from tests.backends.google import FakeCloudDNS, Fault
from tests.backends.moto import MotoServer
from tests.backends.pdns import PowerDNSServer, pdns_missing_reason
from tests.backends.serving import CatchAllServer
from tests.builders import crd_endpoint, dnsendpoint, lb_service
from tests.harness import OperatorThread, operator_settings, wait_for

from external_dns.domain_filter import DomainFilter
from external_dns.providers.base import ApplyOutcome, Changes, Zone
from external_dns.providers.inmemory import InMemoryProvider
from external_dns.providers.webhook.server import WebhookServer
from external_dns.providers.webhook.wire import MEDIA_TYPE
from external_dns.testing.cluster import LocalCluster

T = TypeVar("T")
ZONE = "example.com"
OWNER = "providers-it"
Records = dict[tuple[str, str], set[str]]


#: Events come within a second of the change; a failure shows well within this.
EVENT_TIMEOUT = 10.0


def owner_txt(resource: str) -> str:
    """The ownership TXT value ExternalDNS writes for ``resource`` (kind/namespace/name), with its quotes."""
    return f'"heritage=external-dns,external-dns/owner={OWNER},external-dns/resource={resource}"'


# --- an event loop for the fake backends ---------------------------------------------------------------------


class LoopThread:
    """An asyncio loop run by a daemon thread; :meth:`run` executes a coroutine there and returns its result."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, name="backends", daemon=True)
        self._thread.start()

    def run(self, coroutine: Coroutine[Any, Any, T], timeout: float = 30.0) -> T:
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout)

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(10)
        self.loop.close()


# --- one class per backend: how the operator is pointed at it, how it is read, broken and repaired -----------


class Backend(Protocol):
    """What a test needs from a provider's backend, independently of the operator."""

    #: The provider's name, as --provider and the metrics' ``provider`` label spell it.
    provider: str
    #: A fragment of the provider's error message while the backend is broken.
    error_text: str

    def flags(self) -> dict[str, Any]: ...

    def records(self) -> Records:
        """``{(name, type): {values}}`` of the zone, read through the backend's own API."""
        ...

    def writes(self) -> int:
        """Write requests the backend has served so far."""
        ...

    def break_down(self) -> None: ...

    def repair(self) -> None: ...


class FailingProxy(CatchAllServer):
    """Forwards to moto and counts change batches; while ``failing``, answers Route 53's AccessDenied itself."""

    MESSAGE = "User: arn:aws:iam::123456789012:user/external-dns is not authorized to perform: route53:*"

    def __init__(self, upstream: str) -> None:
        self.upstream = upstream
        self.failing = False
        self.change_batches = 0

    async def handle(self, request: web.Request) -> web.StreamResponse:
        body = await request.read()
        if self.failing:
            error = (
                '<?xml version="1.0"?><ErrorResponse xmlns="https://route53.amazonaws.com/doc/2013-04-01/">'
                f"<Error><Type>Sender</Type><Code>AccessDenied</Code><Message>{self.MESSAGE}</Message></Error>"
                f"<RequestId>{uuid.uuid4()}</RequestId></ErrorResponse>"
            )
            return web.Response(status=403, body=error.encode(), content_type="text/xml")
        if request.method == "POST" and request.path.endswith("/rrset/"):
            self.change_batches += 1
        headers = {k: v for k, v in request.headers.items() if k.lower() not in ("host", "content-length")}
        async with (
            aiohttp.ClientSession() as session,
            session.request(request.method, self.upstream + request.path_qs, headers=headers, data=body) as answer,
        ):
            return web.Response(status=answer.status, body=await answer.read(), content_type="text/xml")


class AWSBackend:
    """moto's Route 53 behind a proxy that can refuse every call; records are read from moto directly."""

    provider = "aws"
    error_text = FailingProxy.MESSAGE

    def __init__(self, moto: MotoServer, loop: LoopThread) -> None:
        self.moto = moto
        self.loop = loop
        self.proxy = FailingProxy(moto.url)
        loop.run(self.proxy.start())
        self.zone_id = loop.run(self._route53("create_hosted_zone", Name=ZONE, CallerReference=str(uuid.uuid4())))[
            "HostedZone"
        ]["Id"]

    def flags(self) -> dict[str, Any]:
        return {"aws_endpoint_url": self.proxy.url, "aws_batch_change_interval": 0.0, "domain_filter": [ZONE]}

    def records(self) -> Records:
        answer = self.loop.run(self._route53("list_resource_record_sets", HostedZoneId=self.zone_id))
        return {
            (rrset["Name"].rstrip("."), rrset["Type"]): {value["Value"] for value in rrset.get("ResourceRecords", [])}
            for rrset in answer["ResourceRecordSets"]
        }

    def writes(self) -> int:
        return self.proxy.change_batches

    def break_down(self) -> None:
        self.proxy.failing = True

    def repair(self) -> None:
        self.proxy.failing = False

    def close(self) -> None:
        self.loop.run(self.proxy.stop())

    async def _route53(self, operation: str, **params: Any) -> dict[str, Any]:
        async with get_session().create_client("route53", endpoint_url=self.moto.url, region_name="us-east-1") as api:
            answer: dict[str, Any] = await getattr(api, operation)(**params)
            return answer


class PDNSBackend:
    """A real pdns_server; broken by stopping it, repaired by starting it again on the same ports."""

    provider = "pdns"
    error_text = "PowerDNS PATCH"

    def __init__(self, workdir: Path) -> None:
        self.server = PowerDNSServer(workdir)
        self.server.start()
        self.server.create_zone(ZONE)

    def flags(self) -> dict[str, Any]:
        return {"pdns_server": self.server.url, "pdns_api_key": self.server.api_key, "domain_filter": [ZONE]}

    def records(self) -> Records:
        return self.server.rrsets(ZONE)

    def writes(self) -> int:
        # PowerDNS bumps the zone's SOA serial on every API change (soa-edit-api=DEFAULT).
        (soa,) = self.records()[(ZONE, "SOA")]
        return int(soa.split()[2])

    def break_down(self) -> None:
        self.server.stop()

    def repair(self) -> None:
        # start() would pick new ports; the operator knows the old URL, so relaunch with the same config.
        with (self.server.workdir / "pdns.log").open("ab") as log:
            self.server.process = subprocess.Popen(
                ["pdns_server", f"--config-dir={self.server.workdir}"], stdout=log, stderr=subprocess.STDOUT
            )
        wait_for(self._answers, timeout=15, what="PowerDNS to answer again")

    def close(self) -> None:
        self.server.stop()

    def _answers(self) -> bool:
        try:
            self.server.call("GET", "")
        except (urllib.error.URLError, ConnectionError):
            return False
        return True


class CloudflareBackend:
    """The KMock Cloudflare fake; broken by KMock answering 429 to the next record writes."""

    provider = "cloudflare"
    THROTTLED = "Please wait and consider throttling your request speed"
    error_text = f"HTTP 429: {THROTTLED}"
    #: The provider tries a request 1 + max_retries (5) times before giving up: make every attempt fail.
    FAILED_ATTEMPTS = 6

    def __init__(self, loop: LoopThread) -> None:
        self.loop = loop
        self.fake = FakeCloudflare()
        self._stack = AsyncExitStack()
        self.handler = loop.run(self._start())

    async def _start(self) -> kmock.RawHandler:
        handler = await self._stack.enter_async_context(kmock.RawHandler())
        await self._stack.enter_async_context(kmock.Server(handler))
        handler[re.compile(".*")] << self.fake.serve
        return handler

    def flags(self) -> dict[str, Any]:
        return {"cf_api_token": TOKEN, "cloudflare_api_url": f"{self.handler.url}/client/v4"}

    def records(self) -> Records:
        async def read() -> Records:
            found: Records = {}
            for record in self.fake.records.values():
                found.setdefault((record["name"], record["type"]), set()).add(record["content"])
            return found

        return self.loop.run(read())  # in the fake's own loop: it is not thread-safe

    def writes(self) -> int:
        return self.fake.writes

    def break_down(self) -> None:
        # Retry-After: 0 is honoured by the provider, so its own retries fail at once.
        throttled = error_response(429, 971, self.THROTTLED, headers={"Retry-After": "0"})

        async def inject() -> None:
            inject_faults(self.handler, "post", self.FAILED_ATTEMPTS, throttled)

        self.loop.run(inject())

    def repair(self) -> None:
        pass  # the injected faults run out by themselves

    def close(self) -> None:
        self.loop.run(self._stack.aclose())


class GoogleBackend:
    """The Cloud DNS fake, with a service-account key file whose token_uri is the fake; broken by a 403 on writes."""

    provider = "google"
    error_text = "dns.changes.create denied"
    FORBIDDEN = Fault("POST", "/changes", 403, "forbidden", "Forbidden: dns.changes.create denied")

    def __init__(self, loop: LoopThread, workdir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        self.loop = loop
        self.fake = FakeCloudDNS()
        loop.run(self.fake.start())
        self.fake.add_zone("example-com", ZONE)
        workdir.mkdir(parents=True, exist_ok=True)
        monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", str(self.fake.key_file(workdir)))
        monkeypatch.setenv("CLOUDSDK_CONFIG", str(workdir / "no-gcloud"))

    def flags(self) -> dict[str, Any]:
        return {
            "google_endpoint_url": f"{self.fake.url}/dns/v1",
            "google_batch_change_interval": 0.0,
            "domain_filter": [ZONE],
        }

    def records(self) -> Records:
        async def read() -> Records:
            return self.fake.values("example-com")

        return self.loop.run(read())  # in the fake's own loop: it is not thread-safe

    def writes(self) -> int:
        return len(self.fake.applied)

    def break_down(self) -> None:
        self.fake.faults.outage = self.FORBIDDEN

    def repair(self) -> None:
        self.fake.faults.outage = None

    def close(self) -> None:
        self.loop.run(self.fake.stop())


class CountingInMemory(InMemoryProvider):
    """The in-memory provider, counting the change batches it is given."""

    def __init__(self, zones: list[str]) -> None:
        super().__init__(zones)
        self.applied = 0

    async def apply_changes(self, zone: Zone, changes: Changes) -> ApplyOutcome:
        self.applied += 1
        return await super().apply_changes(zone, changes)


class WebhookBackend:
    """Our WebhookServer over an in-memory provider; broken by stopping the server, repaired on the same port."""

    provider = "webhook"
    error_text = "webhook"

    def __init__(self, loop: LoopThread) -> None:
        self.loop = loop
        self.inmemory = CountingInMemory([ZONE])
        self.server = WebhookServer(self.inmemory, DomainFilter(include=(ZONE,)))
        loop.run(self.server.start("127.0.0.1", 0))
        self.url = self.server.url
        self.port = int(self.url.rsplit(":", 1)[1])

    def flags(self) -> dict[str, Any]:
        return {"webhook_provider_url": self.url}

    def records(self) -> Records:
        request = urllib.request.Request(f"{self.url}/records", headers={"Accept": MEDIA_TYPE})
        with urllib.request.urlopen(request, timeout=5) as answer:
            endpoints = json.loads(answer.read())
        return {(ep["dnsName"], ep["recordType"]): set(ep["targets"]) for ep in endpoints}

    def writes(self) -> int:
        return self.inmemory.applied

    def break_down(self) -> None:
        self.loop.run(self.server.stop())

    def repair(self) -> None:
        self.loop.run(self.server.start("127.0.0.1", self.port))

    def close(self) -> None:
        self.loop.run(self.server.stop())


# --- fixtures ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def loop() -> Iterator[LoopThread]:
    thread = LoopThread()
    yield thread
    thread.close()


@pytest.fixture(scope="module")
def moto() -> Iterator[MotoServer]:
    with MotoServer() as server:
        yield server


@pytest.fixture(params=["aws", "pdns", "cloudflare", "webhook", "google"])
def backend(
    request: pytest.FixtureRequest, loop: LoopThread, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Backend]:
    name: str = request.param
    made: AWSBackend | PDNSBackend | CloudflareBackend | WebhookBackend | GoogleBackend
    if name == "aws":
        moto: MotoServer = request.getfixturevalue("moto")
        moto.reset()
        monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIATESTING")
        monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing-secret")
        monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")
        monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent")
        made = AWSBackend(moto, loop)
    elif name == "pdns":
        if (reason := pdns_missing_reason()) is not None:
            pytest.skip(reason)
        made = PDNSBackend(tmp_path / "pdns")
    elif name == "cloudflare":
        made = CloudflareBackend(loop)
    elif name == "google":
        made = GoogleBackend(loop, tmp_path / "google", monkeypatch)
    else:
        made = WebhookBackend(loop)
    try:
        yield made
    finally:
        made.close()


# --- helpers ----------------------------------------------------------------------------------------------


def run(coro: Coroutine[Any, Any, T]) -> T:
    return asyncio.run(coro)


def settings_for(cluster: LocalCluster, backend: Backend) -> Any:
    flags = {"source": ["service", "crd"], "provider": backend.provider, "txt_owner_id": OWNER, **backend.flags()}
    return operator_settings(cluster.kubeconfig, **flags)


def owned_pair(name: str, record_type: str = "A") -> set[tuple[str, str]]:
    """The keys of a record and of its ownership TXT record."""
    return {(f"{name}.{ZONE}", record_type), (f"{record_type.lower()}-{name}.{ZONE}", "TXT")}


def without_dots(values: set[str]) -> set[str]:
    """Hostnames as ExternalDNS compares them: PowerDNS answers them fully qualified, the others without a dot."""
    return {value.rstrip(".") for value in values}


def events_on(cluster: LocalCluster, name: str, reason: str) -> list[dict[str, Any]]:
    selector = f"involvedObject.name={name},reason={reason}"
    found: list[dict[str, Any]] = run(cluster.list("v1", "events", field_selector=selector))
    return found


def apply_calls(provider: str) -> float:
    """The operator's own count of apply_changes calls (external_dns_provider_calls_total)."""
    value = REGISTRY.get_sample_value(
        "external_dns_provider_calls_total", {"provider": provider, "operation": "apply_changes"}
    )
    return value or 0.0


def resync_every_zone(op: OperatorThread) -> None:
    """Re-read each zone from the provider (as a restart would), then plan it whole."""
    for worker in op.app.workers.values():
        op.call(lambda: worker.load(attempts=1))  # noqa: B023 - called at once, inside the loop iteration
        op.call(lambda: worker.sync_all())  # noqa: B023


# --- tests ------------------------------------------------------------------------------------------------


def test_records_and_their_ownership_txt_follow_the_objects(
    request: pytest.FixtureRequest, cluster: LocalCluster, backend: Backend
) -> None:
    run(cluster.create("v1", "services", lb_service("web", f"web.{ZONE}", "203.0.113.10")))
    tunnel = dnsendpoint("tunnel", crd_endpoint(f"tunnel.{ZONE}", "CNAME", "abc.example.net"))
    run(cluster.create("externaldns.k8s.io/v1alpha1", "dnsendpoints", tunnel))
    with OperatorThread(settings_for(cluster, backend)):
        wait_for(
            lambda: owned_pair("web") | owned_pair("tunnel", "CNAME") <= backend.records().keys(),
            what="the records and their TXT at the backend",
        )
        records = backend.records()
        assert records[(f"web.{ZONE}", "A")] == {"203.0.113.10"}
        assert records[(f"a-web.{ZONE}", "TXT")] == {owner_txt("service/default/web")}
        assert without_dots(records[(f"tunnel.{ZONE}", "CNAME")]) == {"abc.example.net"}
        assert records[(f"cname-tunnel.{ZONE}", "TXT")] == {owner_txt("crd/default/tunnel")}
        created = wait_for(
            lambda: events_on(cluster, "web", "RecordReady"), EVENT_TIMEOUT, "RecordReady on the service"
        )
        assert created[0]["action"] == "Created"

        run(
            cluster.patch(
                "v1",
                "services",
                "web",
                {"status": {"loadBalancer": {"ingress": [{"ip": "203.0.113.11"}]}}},
                "default",
                subresource="status",
            )
        )
        wait_for(lambda: backend.records().get((f"web.{ZONE}", "A")) == {"203.0.113.11"}, what="the A record's update")
        assert backend.records()[(f"a-web.{ZONE}", "TXT")] == {owner_txt("service/default/web")}
        wait_for(
            lambda: any(e["action"] == "Updated" for e in events_on(cluster, "web", "RecordReady")),
            EVENT_TIMEOUT,
            "RecordReady (Updated) on the service",
        )

        run(cluster.delete("v1", "services", "web", "default"))
        run(cluster.delete("externaldns.k8s.io/v1alpha1", "dnsendpoints", "tunnel", "default"))
        wait_for(
            lambda: not (owned_pair("web") | owned_pair("tunnel", "CNAME")) & backend.records().keys(),
            what="the records and their TXT to go",
        )
        deleted = wait_for(
            lambda: events_on(cluster, "web", "RecordDeleted"), EVENT_TIMEOUT, "RecordDeleted on the service"
        )
        assert {e["type"] for e in deleted} == {"Normal"}


def test_a_full_resync_of_an_idle_operator_writes_nothing(cluster: LocalCluster, backend: Backend) -> None:
    for i in range(3):
        run(cluster.create("v1", "services", lb_service(f"svc{i}", f"svc{i}.{ZONE}", f"203.0.113.{20 + i}")))
    with OperatorThread(settings_for(cluster, backend)) as op:
        wait_for(
            lambda: all(owned_pair(f"svc{i}") <= backend.records().keys() for i in range(3)),
            what="three records and their TXT",
        )
        op.wait_idle()
        writes, calls = backend.writes(), apply_calls(backend.provider)
        assert writes > 0 and calls > 0, "the counters saw the records being written"

        resync_every_zone(op)

        op.wait_idle()
        assert backend.writes() == writes
        assert apply_calls(backend.provider) == calls


def test_a_failing_backend_gives_a_record_error_and_the_record_lands_once_it_is_back(
    request: pytest.FixtureRequest, cluster: LocalCluster, backend: Backend
) -> None:
    with OperatorThread(settings_for(cluster, backend)) as op:
        op.wait_idle()
        backend.break_down()
        run(cluster.create("v1", "services", lb_service("late", f"late.{ZONE}", "203.0.113.70")))
        errors = wait_for(lambda: events_on(cluster, "late", "RecordError"), EVENT_TIMEOUT, "a RecordError event")
        assert errors[0]["type"] == "Warning"
        assert errors[0]["action"] == "FailedSync"
        assert backend.error_text in errors[0]["message"]

        backend.repair()
        # The operator retries after 1 s, then 2 s, 4 s, ...: the record lands without any new event.
        wait_for(
            lambda: owned_pair("late") <= backend.records().keys(),
            timeout=30,
            what="the record and its TXT once the backend is back",
        )
        assert backend.records()[(f"a-late.{ZONE}", "TXT")] == {owner_txt("service/default/late")}
        wait_for(lambda: events_on(cluster, "late", "RecordReady"), EVENT_TIMEOUT, "RecordReady after the recovery")


def test_route53_split_horizon_writes_to_the_private_and_the_public_zone(
    cluster: LocalCluster, loop: LoopThread, moto: MotoServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """As ExternalDNS does: a name goes to every private zone containing it and to the most specific public one."""
    moto.reset()
    for variable, value in (("AWS_ACCESS_KEY_ID", "AKIATESTING"), ("AWS_SECRET_ACCESS_KEY", "testing-secret")):
        monkeypatch.setenv(variable, value)
    public = AWSBackend(moto, loop)
    private_id = loop.run(public._route53(
        "create_hosted_zone", Name=ZONE, CallerReference=str(uuid.uuid4()),
        VPC={"VPCRegion": "us-east-1", "VPCId": "vpc-12345678"}, HostedZoneConfig={"PrivateZone": True},
    ))["HostedZone"]["Id"]  # fmt: skip
    try:
        run(cluster.create("v1", "services", lb_service("web", f"web.{ZONE}", "203.0.113.61")))
        with OperatorThread(settings_for(cluster, public)) as op:
            op.wait_idle()
        private = loop.run(public._route53("list_resource_record_sets", HostedZoneId=private_id))
        private_records = {(r["Name"].rstrip("."), r["Type"]) for r in private["ResourceRecordSets"]}
        assert owned_pair("web") <= set(public.records())
        assert owned_pair("web") <= private_records
    finally:
        public.close()
