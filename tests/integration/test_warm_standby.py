"""Warm standby under ``external-dns --peering``: the standby follows every change while the leader writes, posts
nothing, and takes over after the leader dies without listing anything again; its zone caches follow the zone
(RFC2136: SOA serial and IXFR), so the takeover reads no zone whole either.

The leader is the real command line in a process (so it can be SIGKILLed); the standby runs in this process
(tests.harness.OperatorThread) so the test can read its stores. Both talk to one local API server, whose every
request is recorded here, and to one real BIND.
"""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp.web
import dns.query
import dns.update
import pytest
from tests.backends.bind import BindServer
from tests.backends.ixfr_refusing import ixfr_refusing
from tests.builders import lb_service
from tests.harness import OperatorThread, operator_settings, wait_for
from tests.integration.test_ha_failover import Replica, a_record, service_ip
from tests.integration.test_rfc2136_provider import ZONE, provider_for

from external_dns.desired import ObjectKey
from external_dns.endpoint import Endpoint
from external_dns.handlers import running
from external_dns.providers.rfc2136.provider import RFC2136Provider
from external_dns.testing import local_cluster_in_thread
from external_dns.testing.cluster import LocalCluster
from external_dns.testing.emulator import ApiServerEmulator

BAD_TTL = {"external-dns.alpha.kubernetes.io/ttl": "forever"}
#: Long enough that a silent leader is noticed (past its fence: half of it, plus margins) before it expires.
LIFETIME = 8


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    watch: bool


@pytest.fixture
def recorded() -> Iterator[tuple[LocalCluster, list[Request]]]:
    """The local API server, and every request it answered, in order."""
    requests: list[Request] = []
    emulator = ApiServerEmulator()

    async def recording(request: aiohttp.web.BaseRequest) -> aiohttp.web.StreamResponse:
        requests.append(Request(request.method, request.path, request.query.get("watch") in ("true", "1")))
        return await emulator(request)

    with local_cluster_in_thread(emulator=emulator, handler=recording) as cluster:
        yield cluster, requests


def run(coro: Any) -> Any:
    return asyncio.run(coro)


def service_lists(requests: list[Request]) -> int:
    return sum(1 for r in requests if r.method == "GET" and r.path.endswith("/services") and not r.watch)


def warnings_on(cluster: LocalCluster, name: str) -> list[int]:
    """The count of each RecordError Event on the Service ``name``."""
    events = run(cluster.list("v1", "events", "default"))
    return [
        int(event.get("count") or 1)
        for event in events
        if event["involvedObject"].get("name") == name and event.get("reason") == "RecordError"
    ]


def wanted_targets(op: OperatorThread, name: str) -> set[str]:
    endpoints = op.app.desired.endpoints_of(ObjectKey("service", "default", name))
    return {target for endpoint in endpoints for target in endpoint.targets}


def foreign_update(bind: BindServer) -> None:
    """Another writer adds a record of its own, as behind the operator's back."""
    info = bind.info
    message = dns.update.UpdateMessage("example.com", keyring=bind.keyring(), keyalgorithm=info.key_algorithm)
    message.add("foreign", 300, "A", "198.51.100.7")
    assert dns.query.tcp(message, info.host, port=info.port, timeout=10).rcode() == 0


Held = set[tuple[str, str, int, frozenset[str]]]


def held(endpoints: list[Endpoint]) -> Held:
    return {(e.key.name, e.record_type, e.ttl, frozenset(e.targets)) for e in endpoints}


def standby_cache(op: OperatorThread) -> Held | None:
    """What the standby holds of example.com (read on its own loop: its follower patches it there)."""

    async def read() -> Held | None:
        caches = op.app.zones_ahead.caches()
        return held(caches[ZONE].all()) if ZONE in caches else None

    result: Held | None = op.call(read)
    return result


def zone_now(bind: BindServer) -> Held:
    """What a fresh read of example.com gets (its own provider: the standby's counts its reads)."""
    return held(run(provider_for(bind).records(ZONE)))


@pytest.mark.timeout(180)
def test_the_standby_follows_changes_posts_nothing_and_takes_over_without_listing_or_reading_its_zone_again(
    recorded: tuple[LocalCluster, list[Request]],
    bind: BindServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    cluster, requests = recorded
    caplog.set_level(logging.INFO, logger="external_dns")
    run(cluster.create("kopf.dev/v1", "clusterkopfpeerings", {
        "apiVersion": "kopf.dev/v1", "kind": "ClusterKopfPeering", "metadata": {"name": "external-dns"},
    }))  # fmt: skip
    run(cluster.create("v1", "services", lb_service("web", "web.example.com", "203.0.113.1")))
    run(cluster.create("v1", "services", lb_service("bad", "bad.example.com", "203.0.113.9", annotations=BAD_TTL)))
    leader = Replica(cluster, bind, tmp_path / "leader.log", lifetime=LIFETIME)
    try:
        wait_for(lambda: a_record(bind) == {"203.0.113.1"}, 40, "the leader's first record")
        wait_for(lambda: warnings_on(cluster, "bad") == [1], 20, "the leader's Warning on the bad TTL")
        # The standby gets the lowest priority there is, so the process above stays the leader until it dies.
        monkeypatch.setattr("external_dns.runner.random_priority", lambda: 0)
        settings = operator_settings(
            cluster.kubeconfig, source=["service"], txt_owner_id="ha", peering="external-dns",
            peering_lifetime=LIFETIME, **bind.provider_flags("example.com"),
        )  # fmt: skip
        with OperatorThread(settings) as standby:
            gate = running(standby.memo).gate
            assert gate is not None
            peering = run(cluster.get("kopf.dev/v1", "clusterkopfpeerings", "external-dns"))
            assert running(standby.memo).peering_identity in peering["status"]

            # A change while standing by: the leader writes it, the standby's stores and desired state follow.
            service_ip(cluster, "203.0.113.2")
            wait_for(lambda: a_record(bind) == {"203.0.113.2"}, 20, "the leader to write the change")
            wait_for(lambda: wanted_targets(standby, "web") == {"203.0.113.2"}, 20, "the standby to follow it")
            assert not gate.active and not standby.app.workers
            # It derived the bad object too (its problems are known, for status and explain) but posted nothing.
            assert standby.app.states.problems(ObjectKey("service", "default", "bad"))
            assert standby.app.events.sent == []

            provider = standby.app.provider
            assert isinstance(provider, RFC2136Provider)
            # It reads the zone once while standing by, then follows it: the leader's writes and another writer's
            # (an UPDATE behind both replicas' backs) reach its cache by IXFR, TXT registry records included.
            foreign_update(bind)
            wait_for(lambda: standby_cache(standby) == zone_now(bind), 20, "the standby's cache to follow the zone")
            assert provider.stats.axfrs == 1 and provider.stats.ixfrs >= 1

            lists_before = service_lists(requests)
            leader.stop(signal.SIGKILL)
            service_ip(cluster, "203.0.113.3")
            wait_for(lambda: a_record(bind) == {"203.0.113.3"}, LIFETIME + 20, "the standby to take over and write")
            assert gate.active
            assert service_lists(requests) == lists_before  # the takeover listed nothing: its stores were current
            assert provider.stats.axfrs == 1  # and read no zone whole: its cache was current
            said = [r.getMessage() for r in caplog.records if r.name.startswith("external_dns")]
            following = next(i for i, line in enumerate(said) if line.startswith("Zones read; following"))
            took_over = next(i for i, line in enumerate(said) if "is now active" in line)
            assert following < took_over
            assert ("foreign.example.com", "A") in bind.axfr_records_sync("example.com")  # not the operator's

            standby.wait_idle()
            assert warnings_on(cluster, "bad") == [1]  # the leader's Warning stands; nobody posted it again
            assert [event.reason for event in standby.app.events.sent] == ["RecordReady"]  # its one write
    finally:
        leader.stop()


@pytest.mark.timeout(180)
def test_a_standby_whose_server_refuses_ixfr_reads_the_zone_whole_when_it_moved_and_takes_over(
    cluster: LocalCluster, bind: BindServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    run(cluster.create("kopf.dev/v1", "clusterkopfpeerings", {
        "apiVersion": "kopf.dev/v1", "kind": "ClusterKopfPeering", "metadata": {"name": "external-dns"},
    }))  # fmt: skip
    run(cluster.create("v1", "services", lb_service("web", "web.example.com", "203.0.113.1")))
    leader = Replica(cluster, bind, tmp_path / "leader.log", lifetime=LIFETIME)
    info = bind.info
    try:
        wait_for(lambda: a_record(bind) == {"203.0.113.1"}, 40, "the leader's first record")
        monkeypatch.setattr("external_dns.runner.random_priority", lambda: 0)
        with ixfr_refusing(info.host, info.port, bind.keyring()) as proxy:
            flags = {**bind.provider_flags("example.com"), "rfc2136_port": proxy.port}
            settings = operator_settings(
                cluster.kubeconfig, source=["service"], txt_owner_id="ha", peering="external-dns",
                peering_lifetime=LIFETIME, **flags,
            )  # fmt: skip
            with OperatorThread(settings) as standby:
                provider = standby.app.provider
                assert isinstance(provider, RFC2136Provider)
                wait_for(lambda: standby_cache(standby) == zone_now(bind), 20, "the standby's first read")
                reads = provider.stats.axfrs

                service_ip(cluster, "203.0.113.2")  # the leader writes: the serial moves, the IXFR is refused
                foreign_update(bind)
                wait_for(lambda: standby_cache(standby) == zone_now(bind), 20, "the standby to read the zone again")
                assert proxy.refused >= 1 and provider.stats.axfrs > reads

                leader.stop(signal.SIGKILL)
                service_ip(cluster, "203.0.113.3")
                wait_for(lambda: a_record(bind) == {"203.0.113.3"}, LIFETIME + 20, "the standby to take over")
                assert ("foreign.example.com", "A") in bind.axfr_records_sync("example.com")
    finally:
        leader.stop()
