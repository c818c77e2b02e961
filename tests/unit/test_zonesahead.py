"""Zones read before their workers run (zonesahead.py): a followed zone is read whole once, is neither read ahead
again nor discarded when the leader falls silent or comes back, and is brought up to date once more at the
takeover; a zone whose last step fails is read whole by its worker."""

from __future__ import annotations

import logging

import pytest
from tests.unit.test_reconciler import ZONE, eventually, make_rig, wanted

from external_dns.endpoint import Endpoint
from external_dns.errors import TransientProviderError
from external_dns.model import Zone, ZoneChanges
from external_dns.providers.base import FollowingChanges
from external_dns.providers.inmemory import InMemoryProvider
from external_dns.reconciler import ZoneWorker
from external_dns.zonesahead import ZonesAhead

ZONE_ = Zone(ZONE, ZONE)


class FollowingInMemory(InMemoryProvider):
    """The in-memory provider, following by version: every change since is sent as the whole zone."""

    def __init__(self) -> None:
        super().__init__([ZONE])
        self.version = 1
        self.asked_since: list[int] = []
        self.unreachable = False

    async def versioned_records(self, zone: Zone) -> tuple[list[Endpoint], int]:
        return await self.records(zone), self.version

    async def changes_since(self, zone: Zone, version: int) -> ZoneChanges | None:
        self.asked_since.append(version)
        if self.unreachable:
            raise TransientProviderError("the server does not answer")
        if version == self.version:
            return ZoneChanges(version=version)
        return self.changes_after(zone, version)

    def changes_after(self, zone: Zone, version: int) -> ZoneChanges:
        """What changed since ``version`` (older than the zone's): here the whole zone, as without history."""
        return ZoneChanges(version=self.version, whole=list(self._store(zone).values()))


def zones_ahead(provider: FollowingInMemory, follow_every: float = 3600) -> ZonesAhead:
    rig = make_rig(provider)

    async def new_workers() -> dict[Zone, ZoneWorker]:
        return {rig.worker.zone: rig.worker}

    return ZonesAhead(new_workers, follow_every)  # by default no step but the takeover's last one


def written_behind_the_standby(provider: FollowingInMemory) -> None:
    provider.seed(ZONE, [wanted("new.example.com", "203.0.113.7")])
    provider.version += 1


async def test_a_followed_zone_is_read_once_and_brought_up_to_date_at_the_takeover() -> None:
    provider = FollowingInMemory()
    assert isinstance(provider, FollowingChanges)
    ahead = zones_ahead(provider)
    ahead.follow()
    await eventually(lambda: bool(ahead.caches()))  # the first whole read
    ahead.read_ahead()  # the leader fell silent: nothing to read again
    ahead.discard()  # the leader is back: the followed cache stays
    written_behind_the_standby(provider)

    workers = await ahead.take()

    (worker,) = workers.values()
    assert provider.calls.records == 1  # the one whole read
    assert provider.asked_since == [1]  # the last step, from the version read
    assert worker.cache.loaded and worker.cache.version == 2
    assert "new.example.com" in worker.cache.names()
    assert not ahead.following


async def test_a_zone_whose_last_step_fails_is_read_whole_by_its_worker() -> None:
    provider = FollowingInMemory()
    ahead = zones_ahead(provider)
    ahead.follow()
    await eventually(lambda: bool(ahead.caches()))
    provider.unreachable = True

    (worker,) = (await ahead.take()).values()

    assert provider.asked_since == [1]
    assert not worker.cache.loaded  # ZoneWorker.run reads it whole before planning anything


async def test_zones_read_ahead_without_following_are_discarded_when_the_leader_is_back() -> None:
    provider = FollowingInMemory()
    ahead = zones_ahead(provider)
    ahead.read_ahead()
    ahead.discard()

    assert await ahead.take() == {}


async def test_a_server_that_stays_unreachable_is_said_once_and_its_recovery_once(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="external_dns.zonesahead")
    provider = FollowingInMemory()
    ahead = zones_ahead(provider, follow_every=0.001)
    ahead.follow()
    await eventually(lambda: bool(ahead.caches()))
    provider.unreachable = True
    asked = len(provider.asked_since)
    await eventually(lambda: len(provider.asked_since) >= asked + 3)  # three steps failed
    provider.unreachable = False
    written_behind_the_standby(provider)
    await eventually(lambda: "new.example.com" in ahead.caches()[ZONE_].names())
    await ahead.take()

    said = [record.getMessage() for record in caplog.records]
    assert sum("cannot follow its changes" in line for line in said) == 1
    assert sum("following its changes again" in line for line in said) == 1
