"""Fault suite: the whole operator against a webhook provider that fails 30% of its requests.

The remote (tests/backends/webhook.py) accepts duplicate records, and half of its failed change batches fail
after everything was applied, so every lost answer that the operator answered by sending the same creates again
would show as a duplicate. ~100 Services are created, a third updated and a third deleted; the zone must end
exactly as desired, the foreign records byte-identical, with no duplicate and nothing lost. The figures (requests,
injected failures, apply calls, time to converge) are printed for the README's Reliability section.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from prometheus_client import REGISTRY
from tests.backends.webhook import ListWebhook
from tests.builders import lb_service
from tests.harness import OperatorThread, operator_settings, wait_for
from tests.integration.test_operator_providers import LoopThread

from external_dns.domain_filter import DomainFilter
from external_dns.endpoint import Endpoint
from external_dns.providers.webhook.wire import endpoint_to_json
from external_dns.testing.cluster import LocalCluster

ZONE = "example.com"
OWNER = "flaky"
SERVICES = 100
SEED = 20261201

#: Records another owner, and a person, hold in the zone: never to be touched.
FOREIGN = [
    Endpoint(f"manual.{ZONE}", "A", ("192.0.2.1",), ttl=300),
    Endpoint(f"theirs.{ZONE}", "A", ("192.0.2.2",), ttl=300),
    Endpoint(
        f"a-theirs.{ZONE}",
        "TXT",
        ('"heritage=external-dns,external-dns/owner=other,external-dns/resource=service/x/theirs"',),
        ttl=300,
    ),
]


def owner_txt(name: str) -> str:
    return f'"heritage=external-dns,external-dns/owner={OWNER},external-dns/resource=service/default/{name}"'


@pytest.fixture
def loop() -> Iterator[LoopThread]:
    thread = LoopThread()
    yield thread
    thread.close()


@pytest.fixture
def remote(loop: LoopThread) -> Iterator[ListWebhook]:
    webhook = ListWebhook(domain_filter=DomainFilter(include=(ZONE,)), records=list(FOREIGN), seed=SEED)
    loop.run(webhook.start())
    webhook.fault_rate = 0.3
    yield webhook
    loop.run(webhook.stop())


def desired(ips: dict[str, str]) -> dict[tuple[str, str], set[str]]:
    zone = {(ep.dns_name, ep.record_type): set(ep.targets) for ep in FOREIGN}
    for name, ip in ips.items():
        zone[(f"{name}.{ZONE}", "A")] = {ip}
        zone[(f"a-{name}.{ZONE}", "TXT")] = {owner_txt(name)}
    return zone


def apply_calls() -> float:
    value = REGISTRY.get_sample_value(
        "external_dns_provider_calls_total", {"provider": "webhook", "operation": "apply_changes"}
    )
    return value or 0.0


def test_a_flaky_webhook_ends_with_the_exact_desired_zone(
    cluster: LocalCluster, loop: LoopThread, remote: ListWebhook, capsys: pytest.CaptureFixture[str]
) -> None:
    ips = {f"svc{i:03d}": f"203.0.113.{i + 1}" for i in range(SERVICES)}
    settings = operator_settings(
        cluster.kubeconfig,
        source=["service"],
        provider="webhook",
        webhook_provider_url=remote.url,
        txt_owner_id=OWNER,
        interval=5.0,  # the periodic resync is one of the ways a failed name is tried again
    )
    calls_before = apply_calls()
    started = time.monotonic()
    with OperatorThread(settings):
        # In waves while the operator runs: many batches, so many requests to fail, each wave checked whole.
        live: dict[str, str] = {}
        for wave in range(0, SERVICES, 10):
            for name in list(ips)[wave : wave + 10]:
                live[name] = ips[name]
                loop.run(cluster.create("v1", "services", lb_service(name, f"{name}.{ZONE}", ips[name])))
            wait_for(lambda: remote.by_key() == desired(live), timeout=120, what=f"wave {wave // 10} of creates")
        created_after = time.monotonic() - started

        changed = time.monotonic()
        for wave in range(0, SERVICES, 20):  # a third updated, a third deleted, a third left alone
            for i in range(wave, min(wave + 20, SERVICES)):
                name = f"svc{i:03d}"
                if i % 3 == 0:
                    live[name] = f"198.51.100.{i + 1}"
                    patch = {"status": {"loadBalancer": {"ingress": [{"ip": live[name]}]}}}
                    loop.run(cluster.patch("v1", "services", name, patch, "default", subresource="status"))
                elif i % 3 == 1:
                    del live[name]
                    loop.run(cluster.delete("v1", "services", name, "default"))
            wait_for(lambda: remote.by_key() == desired(live), timeout=120, what=f"wave {wave // 20} of changes")
        changed_after = time.monotonic() - changed

    assert remote.duplicates() == []
    foreign = [record for record in remote.records if record.key in {ep.key for ep in FOREIGN}]
    assert [endpoint_to_json(ep) for ep in foreign] == [endpoint_to_json(ep) for ep in FOREIGN]
    stats = remote.stats
    injected = stats.failed_before_applying + stats.failed_after_applying + stats.failed_reads
    assert stats.failed_after_applying > 0 and stats.failed_before_applying > 0, "both kinds of fault were injected"
    with capsys.disabled():
        print(
            f"\nflaky webhook (30% of requests fail, seed {SEED}): {stats.requests} requests, {injected} failures "
            f"injected ({stats.failed_before_applying} before applying, {stats.failed_after_applying} after "
            f"applying, {stats.failed_reads} reads), {stats.change_batches} change batches, "
            f"{apply_calls() - calls_before:.0f} apply_changes calls; converged in {created_after:.1f} s "
            f"(100 creates in 10 waves) and {changed_after:.1f} s (34 updates, 33 deletes in 5 waves)"
        )
