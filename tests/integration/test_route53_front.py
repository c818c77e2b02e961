"""The benchmark's Route 53 front answers like Route 53 at its limits, as botocore reads the answers; and the
operator, run for real through it, treats those answers as "later", never as errors on the objects."""

from __future__ import annotations

import asyncio
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError
from tests.backends.moto import MotoServer
from tests.builders import lb_service
from tests.harness import OperatorThread, operator_settings, wait_for

from external_dns.endpoint import Endpoint
from external_dns.model import Changes
from external_dns.providers.aws.provider import AWSConfig, AWSProvider
from external_dns.testing.cluster import LocalCluster

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))

from route53_front import Route53Front, Route53FrontThread


@pytest.fixture
def route53(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Any, Route53Front]]:
    """A boto3 client (no retries) through the front to moto, and the front."""
    for key, value in {"AWS_ACCESS_KEY_ID": "AKIATESTING", "AWS_SECRET_ACCESS_KEY": "x"}.items():
        monkeypatch.setenv(key, value)
    with MotoServer() as moto, Route53FrontThread(Route53Front(moto.url, rate=5.0, burst=5.0)) as front:
        moto.reset()  # moto's state is per process: no other test's zones
        config = Config(retries={"total_max_attempts": 1, "mode": "standard"})
        yield boto3.client("route53", endpoint_url=front.url, region_name="us-east-1", config=config), front


def test_past_five_requests_at_once_route53_answers_throttling(route53: tuple[Any, Route53Front]) -> None:
    client, front = route53
    codes = []
    for _ in range(8):
        try:
            client.list_hosted_zones()
            codes.append("ok")
        except ClientError as error:
            codes.append(error.response["Error"]["Code"])
    assert codes[:5] == ["ok"] * 5  # the burst; a loaded machine may let a token refill later, never fewer
    assert "Throttling" in codes[5:]
    assert front.calls[("ListHostedZones", "throttled")] == codes.count("Throttling")


@pytest.mark.parametrize(
    ("records", "value_length", "expected"),
    [(1001, 8, "InvalidChangeBatch"), (200, 200, "InvalidChangeBatch"), (100, 200, "ok")],
    ids=["over 1,000 changes", "over 32,000 characters of values", "within the limits"],
)
def test_a_change_batch_over_route53s_limits_is_refused(
    route53: tuple[Any, Route53Front], records: int, value_length: int, expected: str
) -> None:
    client, front = route53
    zone_id = client.create_hosted_zone(Name="example.com", CallerReference="t")["HostedZone"]["Id"]
    changes = [
        {
            "Action": "CREATE",
            "ResourceRecordSet": {
                "Name": f"r{index}.example.com",
                "Type": "TXT",
                "TTL": 300,
                "ResourceRecords": [{"Value": '"' + "x" * (value_length - 2) + '"'}],
            },
        }
        for index in range(records)
    ]
    try:
        client.change_resource_record_sets(HostedZoneId=zone_id, ChangeBatch={"Changes": changes})
        outcome = "ok"
    except ClientError as error:
        outcome = error.response["Error"]["Code"]
    assert outcome == expected
    assert front.calls[("ChangeResourceRecordSets", "accepted" if expected == "ok" else "invalid")] == 1


# --- the operator through the front ------------------------------------------------------------------------------

ZONE = "example.com"


class Neighbour:
    """Another client of the same AWS account spending its whole request budget (as a second ExternalDNS in the
    account would, Route 53 #1293): until it is stopped (the end of the ``with``), nearly every other request is
    answered Throttling. It stops at the latest after ``seconds``, should a test forget to."""

    def __init__(self, url: str, seconds: float = 120.0) -> None:
        self.url = f"{url}/2013-04-01/hostedzone"
        self.seconds = seconds
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="route53-neighbour", daemon=True)

    def __enter__(self) -> Neighbour:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        deadline = time.monotonic() + self.seconds
        while time.monotonic() < deadline and not self._stop.is_set():
            try:
                with urllib.request.urlopen(self.url, timeout=5) as answer:
                    answer.read()
            except urllib.error.HTTPError:
                pass  # throttled itself: it keeps asking, as a busy client does
            time.sleep(0.002)  # asks ~300 times a second: it takes each token as soon as the bucket refills


def test_a_throttled_burst_ends_with_every_record_written_and_no_record_error(
    cluster: LocalCluster, monkeypatch: pytest.MonkeyPatch
) -> None:
    for key, value in {"AWS_ACCESS_KEY_ID": "AKIATESTING", "AWS_SECRET_ACCESS_KEY": "x"}.items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent")
    with MotoServer() as moto, Route53FrontThread(Route53Front(moto.url, rate=5.0, burst=5.0)) as front:
        moto.reset()  # moto's state is per process: other tests' zones named example.com must not be here
        boto3.client("route53", endpoint_url=moto.url, region_name="us-east-1").create_hosted_zone(
            Name=ZONE, CallerReference="burst"
        )
        settings = operator_settings(
            cluster.kubeconfig,
            source=["service"],
            provider="aws",
            aws_endpoint_url=front.url,
            aws_api_retries=1,  # few retries: throttling outlasts them, which is the point
            domain_filter=[ZONE],
            txt_owner_id="burst",
        )
        with OperatorThread(settings) as operator:
            operator.wait_idle()
            with Neighbour(front.url):  # until a write of the operator's was throttled (a fixed time was flaky)
                wait_for(lambda: front.calls[("ListHostedZones", "throttled")] > 0, what="the neighbour's throttling")
                for index in range(20):
                    service = lb_service(f"web{index}", f"web{index}.{ZONE}", f"203.0.113.{index + 1}")
                    asyncio.run(cluster.create("v1", "services", service))
                wait_for(lambda: front.calls[("ChangeResourceRecordSets", "throttled")] > 0, what="a throttled write")
            wait_for(lambda: len(record_sets(moto.url)) >= 2 + 2 * 20, timeout=60, what="every record in the zone")
            operator.wait_idle()
        written = {(r["Name"], r["Type"]) for r in record_sets(moto.url)}

    assert {(f"web{index}.{ZONE}.", "A") for index in range(20)} <= written
    assert {(f"a-web{index}.{ZONE}.", "TXT") for index in range(20)} <= written
    errors = asyncio.run(cluster.list("v1", "events", field_selector="reason=RecordError"))
    assert [event["message"] for event in errors] == []


def record_sets(moto_url: str) -> list[dict[str, Any]]:
    """The zone's record sets, read from moto directly (not through the front, not counted)."""
    client = boto3.client("route53", endpoint_url=moto_url, region_name="us-east-1")
    (zone,) = client.list_hosted_zones()["HostedZones"]
    zone_id = zone["Id"]
    return list(client.list_resource_record_sets(HostedZoneId=zone_id)["ResourceRecordSets"])


@pytest.mark.parametrize(("rate", "refused"), [(0.0, True), (5.0, False)], ids=["no budget", "the default budget"])
def test_back_to_back_batches_stay_within_route53s_rate_by_the_request_budget(
    route53: tuple[Any, Route53Front], rate: float, refused: bool
) -> None:
    client, front = route53
    client.create_hosted_zone(Name=ZONE, CallerReference="paced")
    records = [Endpoint(f"r{index}.{ZONE}", "A", (f"192.0.2.{index + 1}",)) for index in range(12)]

    async def write() -> None:
        # One record per batch, no fixed pause between them (--aws-batch-change-interval not set), one attempt.
        config = AWSConfig(endpoint_url=front.url, batch_change_size=1, api_retries=0, api_rate_limit=rate)
        provider = AWSProvider(config)
        try:
            (zone,) = await provider.zones()
            await provider.apply_changes(zone, Changes(create=records))
        finally:
            await provider.close()

    asyncio.run(write())

    assert (front.refused() > 0) is refused
    if not refused:
        assert front.accepted("ChangeResourceRecordSets") == 12
