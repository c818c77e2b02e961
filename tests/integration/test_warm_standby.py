"""Warm standby under ``external-dns --peering``: the standby follows every change while the leader writes, posts
nothing, and takes over after the leader dies without listing anything again.

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
import pytest
from tests.backends.bind import BindServer
from tests.builders import lb_service
from tests.harness import OperatorThread, operator_settings, wait_for
from tests.integration.test_ha_failover import Replica, a_record, service_ip

from external_dns.desired import ObjectKey
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


@pytest.mark.timeout(180)
def test_the_standby_follows_changes_posts_nothing_and_takes_over_without_listing_again(
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
            assert provider.stats.axfrs == 0  # a standby reads no zone while the leader keeps alive

            lists_before = service_lists(requests)
            leader.stop(signal.SIGKILL)
            service_ip(cluster, "203.0.113.3")
            wait_for(lambda: a_record(bind) == {"203.0.113.3"}, LIFETIME + 20, "the standby to take over and write")
            assert gate.active
            assert service_lists(requests) == lists_before  # the takeover listed nothing: its stores were current
            # The leader fell silent: the standby read the zone ahead (nobody writes by then), and not again.
            assert provider.stats.axfrs == 1
            said = [r.getMessage() for r in caplog.records if r.name.startswith("external_dns")]
            read_ahead = next(i for i, line in enumerate(said) if line.startswith("Zones read ahead of a takeover"))
            took_over = next(i for i, line in enumerate(said) if "is now active" in line)
            assert read_ahead < took_over

            standby.wait_idle()
            assert warnings_on(cluster, "bad") == [1]  # the leader's Warning stands; nobody posted it again
            assert [event.reason for event in standby.app.events.sent] == ["RecordReady"]  # its one write
    finally:
        leader.stop()
