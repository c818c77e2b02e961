"""The leader's resync by what changed (zoneread.py): with a provider that says what changed since a version
(FollowingChanges), a resync asks that instead of reading the zone whole, patches its cache and plans only the
names touched, when the changes show every value the worker wrote since; a write the server accepted but dropped
(not among the changes), more writes than the cache remembers, or the hourly whole read due, and the zone is read
whole as before (fake clock, no sleeping)."""

from __future__ import annotations

from collections.abc import Sequence

import pytest
from tests.unit.test_reconciler import PRODUCTION, WEB, ZONE, make_rig, wanted
from tests.unit.test_reconciler_drift import A_RECORD, running, until
from tests.unit.test_zonesahead import FollowingInMemory

from external_dns import zonecache
from external_dns.endpoint import Endpoint
from external_dns.model import ApplyOutcome, Changes, Zone, ZoneChanges
from external_dns.providers.base import FollowingChanges
from external_dns.providers.inmemory import InMemoryProvider

SETTINGS = PRODUCTION  # --interval 1m, --zone-full-read-interval 1h
ZONE_ = Zone(ZONE, ZONE)
Step = tuple[tuple[Endpoint, ...], tuple[Endpoint, ...]]


def values(records: Sequence[Endpoint]) -> tuple[Endpoint, ...]:
    return tuple(record.with_(targets=(target,)) for record in records for target in record.targets)


class JournalingProvider(FollowingInMemory):
    """The in-memory provider with a version and a journal of what each write changed, as BIND's SOA serial and
    IXFR journal; ``ignored`` names are dropped from writes that still answer success (BIND's silent ignore)."""

    def __init__(self) -> None:
        super().__init__()
        self.journal: list[tuple[int, Step]] = []  # (version after, step)
        self.ignored: set[str] = set()

    def changes_after(self, zone: Zone, version: int) -> ZoneChanges:
        return ZoneChanges(version=self.version, steps=tuple(step for after, step in self.journal if after > version))

    async def apply_changes(self, zone: Zone, changes: Changes) -> ApplyOutcome:
        kept = Changes(
            create=[ep for ep in changes.create if ep.dns_name not in self.ignored],
            update_old=list(changes.update_old),
            update_new=list(changes.update_new),
            delete=list(changes.delete),
        )
        outcome = await super().apply_changes(zone, kept)
        removed = values([*kept.delete, *kept.update_old])
        added = values([*kept.create, *kept.update_new])
        if removed or added:
            self.version += 1
            self.journal.append((self.version, (removed, added)))
        return outcome

    async def written_by_another(self, changes: Changes) -> None:
        await self.apply_changes(ZONE_, changes)


def a_record(provider: InMemoryProvider) -> Endpoint:
    (record,) = [ep for ep in provider.snapshot()[ZONE] if ep.record_type == "A"]
    return record


def test_the_journaling_provider_follows_changes() -> None:
    assert isinstance(JournalingProvider(), FollowingChanges)


@pytest.mark.looptime
async def test_the_worker_confirms_its_own_writes_and_a_quiet_zone_is_never_read_whole_again() -> None:
    provider = JournalingProvider()
    rig = make_rig(provider, inner=provider, settings=SETTINGS)
    rig.want(WEB, wanted("web.example.com", "203.0.113.10"))

    async def check() -> None:
        # The first sync wrote; the first resync finds those writes among the changes since the read, and follows.
        await until(lambda: len(provider.asked_since) >= 5, within=6 * 1.1 * SETTINGS.resync_interval)

        assert provider.calls.records == 1  # the load only: five resyncs, no whole read
        assert A_RECORD in rig.records()

    await running(rig, check)


@pytest.mark.looptime
async def test_more_writes_than_the_cache_remembers_make_the_next_resync_read_whole(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(zonecache, "WRITES_REMEMBERED_AT_MOST", 1)  # the record and its TXT are two values
    provider = JournalingProvider()
    rig = make_rig(provider, inner=provider, settings=SETTINGS)
    rig.want(WEB, wanted("web.example.com", "203.0.113.10"))

    async def check() -> None:
        await until(lambda: provider.calls.records == 2, within=1.1 * SETTINGS.resync_interval + 1)

        assert provider.asked_since == []  # no version left to ask from

    await running(rig, check)


@pytest.mark.looptime
async def test_a_record_another_writer_removed_is_written_again_at_the_next_resync_without_a_whole_read() -> None:
    provider = JournalingProvider()
    rig = make_rig(provider, inner=provider, settings=SETTINGS)
    rig.want(WEB, wanted("web.example.com", "203.0.113.10"))

    async def check() -> None:
        await provider.written_by_another(Changes(delete=[a_record(provider)]))
        assert A_RECORD not in rig.records()

        await until(lambda: A_RECORD in rig.records(), within=1.1 * SETTINGS.resync_interval + 1)

        assert provider.calls.records == 1  # found by the changes since the version read, not by a whole read

    await running(rig, check)


@pytest.mark.looptime
async def test_a_write_the_server_accepted_and_dropped_is_found_by_the_next_resync() -> None:
    provider = JournalingProvider()
    rig = make_rig(provider, inner=provider, settings=SETTINGS)
    provider.ignored.add("web.example.com")  # answered with success, never applied, never in the journal
    rig.want(WEB, wanted("web.example.com", "203.0.113.10"))

    async def check() -> None:
        assert A_RECORD not in rig.records()
        provider.ignored.clear()

        # The worker's cache holds the record, but the changes since its read do not show it: the next resync
        # reads the zone whole, sees it missing, and writes it.
        await until(lambda: A_RECORD in rig.records(), within=1.1 * SETTINGS.resync_interval + 1)

        assert provider.calls.records == 2
        assert len(provider.asked_since) == 1  # asked first: the changes did not show the write

    await running(rig, check)


@pytest.mark.looptime
async def test_a_record_edited_in_place_with_no_change_recorded_waits_for_the_hourly_whole_read() -> None:
    provider = JournalingProvider()
    rig = make_rig(provider, inner=provider, settings=SETTINGS)
    rig.want(WEB, wanted("web.example.com", "203.0.113.10"))

    async def check() -> None:
        record = a_record(provider)
        # Edited behind every journal (a zone file edited and reloaded at the same serial).
        provider.seed(
            ZONE, [*(ep for ep in provider.snapshot()[ZONE] if ep != record), record.with_(targets=("198.51.100.1",))]
        )

        await until(lambda: len(provider.asked_since) >= 10, within=11 * 1.1 * SETTINGS.resync_interval)
        assert rig.records()[A_RECORD] == ("198.51.100.1",)  # the changes cannot show it
        assert provider.calls.records == 1

        await until(lambda: rig.records()[A_RECORD] == ("203.0.113.10",), SETTINGS.full_read_interval + 70, 1.0)
        assert provider.calls.records == 2

    await running(rig, check)


@pytest.mark.looptime
async def test_a_provider_that_cannot_be_asked_is_asked_again_at_the_next_resync() -> None:
    provider = JournalingProvider()
    rig = make_rig(provider, inner=provider, settings=SETTINGS)
    rig.want(WEB, wanted("web.example.com", "203.0.113.10"))

    async def check() -> None:
        provider.unreachable = True
        await until(lambda: len(provider.asked_since) == 1, within=1.1 * SETTINGS.resync_interval + 1)
        assert provider.calls.records == 1  # no whole read instead: it would fail the same way
        provider.unreachable = False
        await provider.written_by_another(Changes(delete=[a_record(provider)]))

        await until(lambda: A_RECORD in rig.records(), within=1.1 * SETTINGS.resync_interval + 1)

        assert provider.calls.records == 1

    await running(rig, check)
