"""The moto server the tests use starts empty, whatever an earlier server in the process was left with.

moto keeps its state per process. A test that started its own server found the zones an earlier test had left, so
two zones were named example.com; the operator wrote to the old one while the test read the new one (a CI failure
of test_start_changes_cloud that depended on which tests ran before it).
"""

from __future__ import annotations

import uuid

from aiobotocore.session import get_session
from tests.backends.moto import MotoServer


async def zone_names(url: str, create: str | None = None) -> list[str]:
    async with get_session().create_client(
        "route53", endpoint_url=url, region_name="us-east-1", aws_access_key_id="a", aws_secret_access_key="b"
    ) as api:
        if create is not None:
            await api.create_hosted_zone(Name=create, CallerReference=str(uuid.uuid4()))
        return [zone["Name"] for zone in (await api.list_hosted_zones())["HostedZones"]]


async def test_a_new_server_does_not_hold_the_zones_an_earlier_one_was_left_with() -> None:
    with MotoServer() as earlier:
        assert await zone_names(earlier.url, create="left.example.com") == ["left.example.com."]
    with MotoServer() as later:
        assert await zone_names(later.url) == []
