"""One record the DNS server refuses never holds the others hostage, through the whole operator.

BIND refuses a whole UPDATE for one bad record in it (here an MX whose in-zone target has no address, which its
integrity check refuses; a name validation would let it through). The batch is split until only that record's
group fails: the 50 good Services all get their records, and only the culprit gets a Warning.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from tests.backends.bind import BindServer, running_bind
from tests.backends.webhook import ListWebhook
from tests.builders import crd_endpoint, dnsendpoint, lb_service
from tests.harness import OperatorThread, operator_settings, wait_for
from tests.integration.test_operator_providers import LoopThread

from external_dns.domain_filter import DomainFilter
from external_dns.testing.cluster import LocalCluster

pytestmark = pytest.mark.bind

ZONE = "example.com"
GOOD = 50


@pytest.fixture
def bind(tmp_path: Path) -> Iterator[BindServer]:
    with running_bind(tmp_path / "bind", [ZONE]) as server:
        yield server


def run(coro: Any) -> Any:
    return asyncio.run(coro)


def create_objects(cluster: LocalCluster) -> None:
    for i in range(GOOD):
        # The culprit's name sorts among the good ones, so it shares their UPDATE message.
        run(
            cluster.create("v1", "services", lb_service(f"svc{i:02d}", f"{f'svc{i:02d}'}.{ZONE}", f"203.0.113.{i + 1}"))
        )
    run(
        cluster.create(
            "externaldns.k8s.io/v1alpha1",
            "dnsendpoints",
            dnsendpoint("svc25-mail", crd_endpoint(f"svc25-mail.{ZONE}", "MX", f"10 nowhere.{ZONE}")),
        )
    )


def warnings(cluster: LocalCluster) -> dict[str, list[str]]:
    found = run(cluster.list("v1", "events", field_selector="reason=RecordError"))
    result: dict[str, list[str]] = {}
    for event in found:
        result.setdefault(event["involvedObject"]["name"], []).append(event["message"])
    return result


def test_fifty_good_services_get_their_records_and_only_the_culprit_gets_a_warning(
    cluster: LocalCluster, bind: BindServer
) -> None:
    create_objects(cluster)
    settings = operator_settings(
        cluster.kubeconfig,
        **bind.provider_flags(ZONE),
        source=["service", "crd"],
        txt_owner_id="split",
        managed_record_types=["A", "MX"],
    )
    with OperatorThread(settings):
        names = [f"svc{i:02d}.{ZONE}" for i in range(GOOD)]

        def published() -> bool:
            held = bind.axfr_records_sync(ZONE)
            return all((name, "A") in held and (f"a-{name}", "TXT") in held for name in names)

        wait_for(published, timeout=30, what="all 50 good records and their ownership TXT in BIND")
        culprit = wait_for(lambda: warnings(cluster).get("svc25-mail"), timeout=10, what="the culprit's Warning")
        assert "REFUSED" in culprit[0]
    held = bind.axfr_records_sync(ZONE)
    assert (f"svc25-mail.{ZONE}", "MX") not in held and (f"mx-svc25-mail.{ZONE}", "TXT") not in held
    assert set(warnings(cluster)) == {"svc25-mail"}, "no good Service is blamed"


# -- --once: the exit code says whether something really failed ---------------------------------------------


@pytest.fixture
def remote() -> Iterator[ListWebhook]:
    loop = LoopThread()
    webhook = ListWebhook(domain_filter=DomainFilter(include=(ZONE,)))
    loop.run(webhook.start())
    yield webhook
    loop.run(webhook.stop())
    loop.close()


def once(cluster: LocalCluster, url: str) -> subprocess.CompletedProcess[str]:
    args = [
        sys.executable, "-m", "external_dns", "--once", "--source=service", "--provider=webhook",
        f"--kubeconfig={cluster.kubeconfig}", f"--webhook-provider-url={url}", "--txt-owner-id=split",
    ]  # fmt: skip
    return subprocess.run(args, capture_output=True, text=True, env=dict(os.environ), timeout=60, check=False)


def test_once_exits_zero_when_a_lost_answer_turns_out_applied(cluster: LocalCluster, remote: ListWebhook) -> None:
    for i in range(5):
        run(cluster.create("v1", "services", lb_service(f"web{i}", f"{f'web{i}'}.{ZONE}", f"203.0.113.{i + 1}")))
    remote.lose_answers = 1

    done = once(cluster, remote.url)

    assert done.returncode == 0, done.stderr
    assert all((f"web{i}.{ZONE}", "A") in remote.by_key() for i in range(5))
    assert remote.duplicates() == []


def test_once_exits_one_when_a_record_is_really_refused(cluster: LocalCluster, remote: ListWebhook) -> None:
    for i in range(5):
        run(cluster.create("v1", "services", lb_service(f"web{i}", f"{f'web{i}'}.{ZONE}", f"203.0.113.{i + 1}")))
    remote.refuse = {f"web3.{ZONE}"}

    done = once(cluster, remote.url)

    assert done.returncode == 1, done.stderr
    held = remote.by_key()
    assert all((f"web{i}.{ZONE}", "A") in held for i in (0, 1, 2, 4)) and (f"web3.{ZONE}", "A") not in held
