"""The zone cache: what a zone holds after a listing and after each applied batch."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from external_dns import zonecache
from external_dns.endpoint import OWNER_LABEL, Endpoint, ObjectRef
from external_dns.providers.base import Changes, ZoneChanges
from external_dns.zonecache import INDEXED_ON_THE_LOOP_AT_MOST, ZoneCache

REF = ObjectRef("Service", "v1", "default", "web")


def a(name: str, *targets: str) -> Endpoint:
    return Endpoint(name, "A", targets)


def test_replace_loads_records_indexed_by_normalised_name() -> None:
    cache = ZoneCache()
    assert not cache.loaded
    cache.replace([a("Web.Example.com.", "203.0.113.10"), Endpoint("web.example.com", "TXT", ('"x"',))])
    assert cache.loaded
    assert cache.names() == {"web.example.com"}
    assert len(cache) == 2
    assert {r.record_type for r in cache.at(["web.example.com", "missing.example.com"])} == {"A", "TXT"}


def test_replace_forgets_what_the_previous_listing_held() -> None:
    cache = ZoneCache()
    cache.replace([a("old.example.com", "203.0.113.1")])
    cache.replace([a("new.example.com", "203.0.113.2")])
    assert cache.names() == {"new.example.com"}


def test_apply_patches_every_change_except_the_failed_ones() -> None:
    cache = ZoneCache()
    cache.replace(
        [
            a("gone.example.com", "203.0.113.1"),
            a("kept.example.com", "203.0.113.2"),
            a("moved.example.com", "203.0.113.3"),
            a("stuck.example.com", "203.0.113.4"),
        ]
    )
    changes = Changes(
        create=[a("new.example.com", "203.0.113.5"), a("refused.example.com", "203.0.113.6")],
        update_old=[a("moved.example.com", "203.0.113.3")],
        update_new=[a("moved.example.com", "203.0.113.30")],
        delete=[a("gone.example.com", "203.0.113.1"), a("stuck.example.com", "203.0.113.4")],
    )
    failed = {a("refused.example.com").key, a("stuck.example.com").key}

    cache.apply(changes, failed)

    held = {r.dns_name: r.targets for r in cache.all()}
    assert held == {
        "kept.example.com": ("203.0.113.2",),
        "moved.example.com": ("203.0.113.30",),
        "stuck.example.com": ("203.0.113.4",),
        "new.example.com": ("203.0.113.5",),
    }


def test_a_delete_of_the_last_record_at_a_name_forgets_the_name() -> None:
    cache = ZoneCache()
    cache.replace([a("web.example.com", "203.0.113.1")])
    cache.apply(Changes(delete=[a("web.example.com", "203.0.113.1"), a("never.example.com", "203.0.113.9")]))
    assert cache.names() == set()
    assert len(cache) == 0


def test_records_are_cached_as_a_provider_would_list_them_without_labels_or_refs() -> None:
    cache = ZoneCache()
    labelled = Endpoint("web.example.com", "A", ("203.0.113.10",), labels={OWNER_LABEL: "me"}, refs=(REF,))
    cache.apply(Changes(create=[labelled]))
    cache.replace([*cache.all(), labelled.with_(dns_name="www.example.com")])
    for record in cache.all():
        assert record.labels == {}
        assert record.refs == ()


def test_one_record_of_a_name_is_updated_and_another_deleted_and_the_third_left_alone() -> None:
    cache = ZoneCache()
    records = [a("web.example.com", "203.0.113.1"), Endpoint("web.example.com", "AAAA", ("2001:db8::1",))]
    cache.replace([*records, Endpoint("web.example.com", "TXT", ('"x"',))])
    moved = a("web.example.com", "203.0.113.2")
    cache.apply(Changes(update_old=[records[0]], update_new=[moved], delete=[records[1]]))
    assert sorted((r.record_type, r.targets) for r in cache.at(["web.example.com"])) == [
        ("A", ("203.0.113.2",)),
        ("TXT", ('"x"',)),
    ]
    assert all(not r.labels and not r.refs for r in cache.all())  # stored as a provider would list them


async def test_a_small_zone_is_indexed_on_the_loop_and_a_large_one_in_a_thread(monkeypatch: pytest.MonkeyPatch) -> None:
    threaded: list[int] = []

    async def to_thread(function: Callable[..., Any], records: list[Endpoint]) -> Any:
        threaded.append(len(records))
        return function(records)

    monkeypatch.setattr(zonecache.asyncio, "to_thread", to_thread)
    small = [a(f"n{i}.example.com", "192.0.2.1") for i in range(INDEXED_ON_THE_LOOP_AT_MOST)]
    large = [*small, a("one-more.example.com", "192.0.2.2")]
    cache = ZoneCache()
    await cache.refill(small)
    assert threaded == [] and len(cache) == len(small)
    await cache.refill(large)
    assert threaded == [len(large)] and len(cache) == len(large) and cache.loaded


def ttl(record: Endpoint, value: int) -> Endpoint:
    return record.with_(ttl=value)


@pytest.mark.parametrize(
    ("held", "steps", "after"),
    [
        pytest.param(
            [a("web.example.com", "192.0.2.1", "192.0.2.2")],
            [((a("web.example.com", "192.0.2.1"),), (a("web.example.com", "192.0.2.3"),))],
            [a("web.example.com", "192.0.2.2", "192.0.2.3")],
            id="a value of a set is replaced by another, the rest of the set kept",
        ),
        pytest.param(
            [a("web.example.com", "192.0.2.1"), Endpoint("web.example.com", "TXT", ('"x"',))],
            [((a("web.example.com", "192.0.2.1"),), ())],
            [Endpoint("web.example.com", "TXT", ('"x"',))],
            id="the last value of a set removes the set, not the name's other sets",
        ),
        pytest.param(
            [a("web.example.com", "192.0.2.1")],
            [((a("web.example.com", "192.0.2.1"), Endpoint("web.example.com", "TXT", ('"x"',))), ())],
            [],
            id="the name goes with its last set; a value not held is ignored",
        ),
        pytest.param(
            [ttl(a("web.example.com", "192.0.2.1"), 300)],
            [((), (ttl(a("Web.Example.com", "192.0.2.2"), 600),))],
            [ttl(a("web.example.com", "192.0.2.1", "192.0.2.2"), 600)],
            id="an added value joins its set under the set's new TTL, whatever the name's case",
        ),
        pytest.param(
            [],
            [
                ((), (a("new.example.com", "192.0.2.1"),)),
                ((a("new.example.com", "192.0.2.1"),), (a("new.example.com", "192.0.2.2"),)),
            ],
            [a("new.example.com", "192.0.2.2")],
            id="steps apply in order, each removing before adding",
        ),
    ],
)
async def test_follow_patches_the_cache_value_by_value(held: list[Endpoint], steps: Any, after: list[Endpoint]) -> None:
    cache = ZoneCache()
    cache.replace(held, version=1)
    await cache.follow(ZoneChanges(version=2, steps=tuple(steps)))
    assert {(r.key, r.targets, r.ttl) for r in cache.all()} == {(r.key, r.targets, r.ttl) for r in after}
    assert cache.version == 2


async def test_follow_refills_from_a_whole_zone() -> None:
    cache = ZoneCache()
    cache.replace([a("old.example.com", "192.0.2.1")], version=1)
    await cache.follow(ZoneChanges(version=7, whole=[a("new.example.com", "192.0.2.2")]))
    assert (cache.names(), cache.version) == ({"new.example.com"}, 7)


def step(removed: tuple[Endpoint, ...] = (), added: tuple[Endpoint, ...] = ()) -> ZoneChanges:
    return ZoneChanges(version=9, steps=((removed, added),))


def test_own_writes_are_confirmed_only_by_changes_that_show_each_value_as_applied() -> None:
    cache = ZoneCache()
    cache.replace([a("web.example.com", "192.0.2.1", "192.0.2.2")], version=7)
    cache.apply(
        Changes(
            create=[a("new.example.com", "192.0.2.9")],
            update_old=[a("web.example.com", "192.0.2.1", "192.0.2.2")],
            update_new=[a("web.example.com", "192.0.2.2", "192.0.2.3")],  # 192.0.2.2 stays: nothing to show
        )
    )
    applied = step(
        removed=(a("web.example.com", "192.0.2.1"),),
        added=(a("new.example.com", "192.0.2.9"), a("web.example.com", "192.0.2.3")),
    )
    dropped = step(removed=(a("web.example.com", "192.0.2.1"),), added=(a("web.example.com", "192.0.2.3"),))

    assert cache.version == 7  # still the version read: the writes are remembered instead
    assert cache.confirmed_by(applied)
    assert not cache.confirmed_by(dropped)  # the create was accepted and dropped (an A record at a CNAME's name)
    assert not cache.confirmed_by(ZoneChanges(version=7))  # nothing changed at all: nothing was applied


async def test_following_confirmed_changes_forgets_the_writes_and_a_whole_read_too() -> None:
    cache = ZoneCache()
    cache.replace([], version=1)
    cache.apply(Changes(create=[a("new.example.com", "192.0.2.9")]))
    await cache.follow(step(added=(a("new.example.com", "192.0.2.9"),)))
    assert cache.confirmed_by(ZoneChanges(version=9))  # nothing left to show
    cache.apply(Changes(create=[a("other.example.com", "192.0.2.8")]))
    cache.replace([a("other.example.com", "192.0.2.8")], version=10)
    assert cache.confirmed_by(ZoneChanges(version=10))


def test_a_failed_write_is_not_expected_and_too_many_writes_drop_the_version(monkeypatch: pytest.MonkeyPatch) -> None:
    cache = ZoneCache()
    cache.replace([], version=1)
    refused = a("refused.example.com", "192.0.2.7")
    cache.apply(Changes(create=[refused]), failed={refused.key})
    assert cache.confirmed_by(ZoneChanges(version=1))  # a failed write is not applied, so not expected

    monkeypatch.setattr(zonecache, "WRITES_REMEMBERED_AT_MOST", 2)
    cache.apply(Changes(create=[a("one.example.com", "192.0.2.1", "192.0.2.2", "192.0.2.3")]))
    assert cache.version is None  # more to confirm than remembered: the zone is read whole next


@pytest.mark.parametrize("read_sees_the_write", [False, True])
async def test_a_write_during_a_zone_read_is_applied_over_the_read(read_sees_the_write: bool) -> None:
    """A change planned while the zone is read (startchanges.py): the read may have been made before the write
    or after it; the cache ends with the write either way, and the write is still to be confirmed."""
    cache = ZoneCache()
    before = [Endpoint("web.example.com", "A", ("192.0.2.1",)), Endpoint("api.example.com", "A", ("192.0.2.2",))]
    moved = Endpoint("web.example.com", "A", ("192.0.2.10",))
    gone = Endpoint("api.example.com", "A", ("192.0.2.2",))

    cache.read_begins()
    cache.apply(Changes(update_old=[before[0]], update_new=[moved], delete=[gone]))
    read = [moved] if read_sees_the_write else before
    await cache.refill(read, version=7)

    assert cache.all() == [moved]
    assert cache.version == 7
    assert not cache.confirmed_by(ZoneChanges(version=8))  # the next changes must show it (or the zone is read)


async def test_a_read_that_failed_applies_nothing_again_and_the_next_read_is_taken_as_it_comes() -> None:
    cache = ZoneCache()
    cache.read_begins()
    cache.apply(Changes(create=[Endpoint("web.example.com", "A", ("192.0.2.1",))]))
    cache.read_failed()  # the next read is made after the write: it shows it, or someone removed it since
    await cache.refill([Endpoint("api.example.com", "A", ("192.0.2.2",))], version=3)

    assert cache.all() == [Endpoint("api.example.com", "A", ("192.0.2.2",))]
