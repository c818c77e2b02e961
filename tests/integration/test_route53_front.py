"""The benchmark's Route 53 front answers like Route 53 at its limits, as botocore reads the answers."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError
from tests.backends.moto import MotoServer

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))

from route53_front import Route53Front, Route53FrontThread


@pytest.fixture
def route53(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Any, Route53Front]]:
    """A boto3 client (no retries) through the front to moto, and the front."""
    for key, value in {"AWS_ACCESS_KEY_ID": "AKIATESTING", "AWS_SECRET_ACCESS_KEY": "x"}.items():
        monkeypatch.setenv(key, value)
    with MotoServer() as moto, Route53FrontThread(Route53Front(moto.url, rate=5.0, burst=5.0)) as front:
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
