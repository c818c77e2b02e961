"""The webhook client against a naive remote that accepts duplicate records and fails on purpose.

A refused record must fail alone (the batch is split until only its group fails), and an answer lost after the
remote applied a batch must never make the client, or the operator's retry, send the same creates again.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest
from tests.backends.webhook import ListWebhook
from tests.builders import lb_service
from tests.harness import OperatorThread, operator_settings, wait_for
from tests.integration.test_operator_providers import LoopThread

from external_dns.domain_filter import DomainFilter
from external_dns.endpoint import OWNED_RECORD_LABEL, Endpoint
from external_dns.errors import AmbiguousProviderError
from external_dns.providers.base import Changes, Zone
from external_dns.providers.webhook.provider import WebhookConfig, WebhookProvider
from external_dns.testing.cluster import LocalCluster

ROOT = Zone(name="")
ZONE = "example.com"
OWNER = "faults"


def ownership(name: str) -> Endpoint:
    value = f'"heritage=external-dns,external-dns/owner={OWNER},external-dns/resource=service/default/x"'
    return Endpoint(f"a-{name}", "TXT", (value,), labels={OWNED_RECORD_LABEL: name})


@pytest.fixture
async def remote() -> AsyncIterator[ListWebhook]:
    webhook = ListWebhook(domain_filter=DomainFilter(include=(ZONE,)))
    await webhook.start()
    yield webhook
    await webhook.stop()


@pytest.fixture
async def client(remote: ListWebhook) -> AsyncIterator[WebhookProvider]:
    provider = WebhookProvider(WebhookConfig(url=remote.url), backoff_seconds=0)
    yield provider
    await provider.close()


async def test_a_record_the_remote_refuses_fails_alone_with_its_ownership_txt(
    remote: ListWebhook, client: WebhookProvider
) -> None:
    remote.refuse = {"bad.example.com"}
    names = [f"good{i:02d}.{ZONE}" for i in range(50)]
    goods = [Endpoint(name, "A", ("192.0.2.1",)) for name in names]
    bad = Endpoint("bad.example.com", "A", ("192.0.2.2",))
    creates = [*goods[:10], bad, *goods[10:], *(ownership(name) for name in names), ownership(bad.dns_name)]

    outcome = await client.apply_changes(ROOT, Changes(create=creates))

    assert sorted(endpoint.dns_name for endpoint, _ in outcome.failed) == ["a-bad.example.com", "bad.example.com"]
    assert all("refused: bad.example.com" in message for _, message in outcome.failed)
    held = remote.by_key()
    assert all((name, "A") in held and (f"a-{name}", "TXT") in held for name in names)
    assert remote.duplicates() == []
    assert remote.stats.change_batches <= 1 + 2 * 6  # a bisection, not one batch per record


async def test_an_answer_lost_after_applying_does_not_send_the_creates_again(
    remote: ListWebhook, client: WebhookProvider
) -> None:
    remote.lose_answers = 1
    names = [f"svc{i}.{ZONE}" for i in range(10)]
    creates = [*(Endpoint(name, "A", ("192.0.2.1",)) for name in names), *(ownership(name) for name in names)]

    outcome = await client.apply_changes(ROOT, Changes(create=creates))

    assert outcome.failed == [] and not outcome.ambiguous, "the re-read showed everything landed"
    assert remote.duplicates() == []
    assert remote.stats.change_batches == 1


async def test_a_lost_answer_for_a_single_record_is_reported_ambiguous(
    remote: ListWebhook, client: WebhookProvider
) -> None:
    remote.lose_answers = 1
    record, txt = Endpoint(f"one.{ZONE}", "A", ("192.0.2.1",)), ownership(f"one.{ZONE}")

    # One group: nothing to split; it is reported failed, and ambiguous: the caller must re-read first.
    outcome = await client.apply_changes(ROOT, Changes(create=[record, txt]))

    assert sorted(endpoint.dns_name for endpoint, _ in outcome.failed) == [txt.dns_name, record.dns_name]
    assert outcome.ambiguous
    assert remote.duplicates() == []


async def test_a_remote_that_stops_answering_after_a_lost_answer_is_an_ambiguous_failure(
    remote: ListWebhook, client: WebhookProvider
) -> None:
    remote.lose_answers = 1
    remote.fault_rate = 1.0  # every later request fails, the re-read included
    creates = [Endpoint(f"h{i}.{ZONE}", "A", ("192.0.2.1",)) for i in range(4)]

    with pytest.raises(AmbiguousProviderError):
        await client.apply_changes(ROOT, Changes(create=creates))


# -- through the operator ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def loop() -> Iterator[LoopThread]:
    thread = LoopThread()
    yield thread
    thread.close()


@pytest.fixture
def served(loop: LoopThread) -> Iterator[ListWebhook]:
    webhook = ListWebhook(domain_filter=DomainFilter(include=(ZONE,)))
    loop.run(webhook.start())
    yield webhook
    loop.run(webhook.stop())


def test_the_operator_re_reads_the_zone_after_a_lost_answer_instead_of_creating_twice(
    cluster: LocalCluster, loop: LoopThread, served: ListWebhook
) -> None:
    served.lose_answers = 1  # the operator's first batch lands, but its answer is a 500
    settings = operator_settings(
        cluster.kubeconfig,
        source=["service"],
        provider="webhook",
        webhook_provider_url=served.url,
        txt_owner_id=OWNER,
    )
    loop.run(cluster.create("v1", "services", lb_service("web", f"{'web'}.{ZONE}", "203.0.113.10")))
    with OperatorThread(settings) as op:
        wait_for(lambda: (f"web.{ZONE}", "A") in served.by_key(), what="the record at the remote")
        op.wait_idle()
        for worker in op.app.workers.values():  # a full pass, as the periodic resync makes
            op.call(lambda: worker.sync_all())  # noqa: B023 - called at once, inside the loop iteration
        op.wait_idle()
    assert served.duplicates() == []
    assert served.by_key()[(f"web.{ZONE}", "A")] == {"203.0.113.10"}
    assert (f"a-web.{ZONE}", "TXT") in served.by_key()
