"""providers/pointreads.read_each: the names of a zone read together, a bounded number at once, all or nothing."""

from __future__ import annotations

import asyncio

import pytest

from external_dns.endpoint import Endpoint
from external_dns.errors import ProviderError, TransientProviderError
from external_dns.model import Zone
from external_dns.providers import pointreads
from external_dns.providers.pointreads import read_each

ZONE = Zone("example.com", "Z1")


async def test_names_are_normalised_kept_to_the_zone_and_answered_in_name_order() -> None:
    asked: list[str] = []

    async def read_one(name: str) -> list[Endpoint]:
        asked.append(name)
        return [Endpoint(name, "A", ("192.0.2.1",))]

    names = ["WWW.example.com.", "a.example.com", "www.example.com", "x.example.org", "example.com.evil.org"]
    found = await read_each(ZONE, names, read_one)

    assert sorted(asked) == ["a.example.com", "www.example.com"]
    assert [endpoint.dns_name for endpoint in found] == ["a.example.com", "www.example.com"]


async def test_the_names_of_a_change_are_asked_together() -> None:
    # Each read finishes only once all three are under way: read one after another, this would never end.
    all_started = asyncio.Barrier(3)

    async def read_one(name: str) -> list[Endpoint]:
        await all_started.wait()
        return []

    assert await read_each(ZONE, ["x.example.com", "a-x.example.com", "cname-x.example.com"], read_one) == []


async def test_at_most_a_few_names_are_in_flight() -> None:
    in_flight = most = 0
    several_in_flight = asyncio.Event()

    async def read_one(name: str) -> list[Endpoint]:
        nonlocal in_flight, most
        in_flight += 1
        most = max(most, in_flight)
        if in_flight == pointreads.NAMES_AT_ONCE:
            several_in_flight.set()
        await several_in_flight.wait()
        await asyncio.sleep(0)  # let the others of this round take their slots before this one frees its own
        in_flight -= 1
        return []

    await read_each(ZONE, [f"h{i}.example.com" for i in range(3 * pointreads.NAMES_AT_ONCE)], read_one)

    assert most == pointreads.NAMES_AT_ONCE


@pytest.mark.parametrize("error", [ProviderError("refused"), TransientProviderError("throttled")], ids=repr)
async def test_the_first_failure_is_raised_and_the_other_reads_are_cancelled(error: ProviderError) -> None:
    never = asyncio.Event()
    cancelled: list[str] = []

    async def read_one(name: str) -> list[Endpoint]:
        if name == "b.example.com":
            raise error
        try:
            await never.wait()
        except asyncio.CancelledError:
            cancelled.append(name)
            raise
        return []

    with pytest.raises(type(error)) as raised:
        await read_each(ZONE, ["a.example.com", "b.example.com", "c.example.com"], read_one)

    assert raised.value is error
    assert sorted(cancelled) == ["a.example.com", "c.example.com"]
