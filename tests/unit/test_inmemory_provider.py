"""The in-memory provider: strict create/update/delete validation, per-endpoint failures and call counting."""

from __future__ import annotations

import pytest

from external_dns.endpoint import OWNED_RECORD_LABEL, Endpoint, ObjectRef
from external_dns.errors import ProviderError
from external_dns.providers.base import Changes, Provider, Zone
from external_dns.providers.inmemory import InMemoryProvider

ZONE = Zone("example.com", "example.com")
WWW = Endpoint("www.example.com", "A", ("192.0.2.1",), ttl=300)
WWW_TXT = Endpoint(
    "a-www.example.com",
    "TXT",
    ('"heritage=external-dns,external-dns/owner=default"',),
    labels={OWNED_RECORD_LABEL: "www.example.com"},
)
API = Endpoint("api.example.com", "CNAME", ("lb.example.net",))


@pytest.fixture
def provider() -> InMemoryProvider:
    return InMemoryProvider(["example.com", "example.org"])


def test_it_implements_the_provider_protocol(provider: InMemoryProvider) -> None:
    assert isinstance(provider, Provider)
    assert provider.name == "inmemory"


async def test_zones_are_the_configured_ones(provider: InMemoryProvider) -> None:
    assert [zone.name for zone in await provider.zones()] == ["example.com", "example.org"]


async def test_created_records_are_listed_with_their_ownership_txt(provider: InMemoryProvider) -> None:
    outcome = await provider.apply_changes(ZONE, Changes(create=[WWW, WWW_TXT]))

    assert outcome.failed == []
    stored_txt = WWW_TXT.with_(labels={})  # a DNS server does not keep labels
    assert await provider.records(ZONE) == [stored_txt, WWW]  # sorted by name
    assert provider.snapshot() == {"example.com": (stored_txt, WWW), "example.org": ()}


async def test_stored_records_keep_no_labels_or_refs_as_a_dns_server_would(provider: InMemoryProvider) -> None:
    ref = ObjectRef("Service", "v1", "default", "web")
    await provider.apply_changes(ZONE, Changes(create=[WWW.with_(labels={"owner": "me"}, refs=(ref,)), WWW_TXT]))

    stored = {e.record_type: e for e in await provider.records(ZONE)}

    assert stored["A"].labels == {} and stored["A"].refs == ()
    assert stored["TXT"].labels == {}
    assert stored["TXT"].targets == WWW_TXT.targets  # the literal quotes stay


async def test_update_replaces_the_record(provider: InMemoryProvider) -> None:
    await provider.apply_changes(ZONE, Changes(create=[WWW]))
    new = WWW.with_(targets=("192.0.2.2", "192.0.2.3"), ttl=60)

    outcome = await provider.apply_changes(ZONE, Changes(update_old=[WWW], update_new=[new]))

    assert outcome.failed == []
    assert await provider.records(ZONE) == [new]


async def test_delete_removes_the_record(provider: InMemoryProvider) -> None:
    await provider.apply_changes(ZONE, Changes(create=[WWW, API]))

    outcome = await provider.apply_changes(ZONE, Changes(delete=[WWW]))

    assert outcome.failed == []
    assert await provider.records(ZONE) == [API]


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        pytest.param(
            Changes(create=[WWW.with_(targets=("192.0.2.9",))]),
            'A record "www.example.com" already exists',
            id="creating an existing record fails",
        ),
        pytest.param(
            Changes(update_old=[API], update_new=[API.with_(targets=("other.example.net",))]),
            'CNAME record "api.example.com" does not exist',
            id="updating a missing record fails",
        ),
        pytest.param(
            Changes(delete=[API]),
            'CNAME record "api.example.com" does not exist',
            id="deleting a missing record fails",
        ),
        pytest.param(
            Changes(create=[Endpoint("www.example.org", "A", ("192.0.2.1",))]),
            'A record "www.example.org" is outside zone "example.com"',
            id="a record outside the zone fails",
        ),
    ],
)
async def test_an_invalid_change_fails_alone_and_the_rest_is_applied(
    provider: InMemoryProvider, changes: Changes, message: str
) -> None:
    await provider.apply_changes(ZONE, Changes(create=[WWW]))
    other = Endpoint("other.example.com", "A", ("192.0.2.5",))
    # A fresh batch: the parametrized one is shared by every run of this test in the process.
    changes = Changes(
        create=[*changes.create, other],
        update_old=list(changes.update_old),
        update_new=list(changes.update_new),
        delete=list(changes.delete),
    )

    outcome = await provider.apply_changes(ZONE, changes)

    assert [text for _, text in outcome.failed] == [message]
    assert outcome.failed[0][0] in [*changes.create, *changes.update_new, *changes.delete]
    assert other in await provider.records(ZONE)
    assert WWW in await provider.records(ZONE)  # the failed change did not touch the existing record


async def test_a_batch_may_delete_and_recreate_the_same_record(provider: InMemoryProvider) -> None:
    await provider.apply_changes(ZONE, Changes(create=[WWW]))
    recreated = WWW.with_(targets=("192.0.2.8",))

    outcome = await provider.apply_changes(ZONE, Changes(delete=[WWW], create=[recreated]))

    assert outcome.failed == []
    assert await provider.records(ZONE) == [recreated]


async def test_set_identifiers_make_separate_records(provider: InMemoryProvider) -> None:
    blue = WWW.with_(set_identifier="blue")
    green = WWW.with_(set_identifier="green", targets=("192.0.2.2",))

    outcome = await provider.apply_changes(ZONE, Changes(create=[blue, green]))

    assert outcome.failed == []
    assert len(await provider.records(ZONE)) == 2


async def test_calls_are_counted_so_tests_can_assert_no_listing_per_change(provider: InMemoryProvider) -> None:
    await provider.zones()
    await provider.apply_changes(ZONE, Changes(create=[WWW]))
    await provider.apply_changes(ZONE, Changes(create=[API]))
    await provider.records(ZONE)

    assert (provider.calls.zones, provider.calls.apply_changes, provider.calls.records) == (1, 2, 1)


async def test_seeded_records_are_listed_without_counting_a_call(provider: InMemoryProvider) -> None:
    provider.seed("example.org", [Endpoint("mail.example.org", "MX", ("10 mx.example.org",))])

    assert provider.calls.apply_changes == 0
    assert [e.dns_name for e in await provider.records(Zone("example.org"))] == ["mail.example.org"]


async def test_adjust_endpoints_returns_them_unchanged(provider: InMemoryProvider) -> None:
    desired = [WWW, API.with_(ttl=0)]
    assert provider.adjust_endpoints(desired) == desired


async def test_an_unknown_zone_is_a_provider_error(provider: InMemoryProvider) -> None:
    with pytest.raises(ProviderError, match=r"example\.net"):
        await provider.records(Zone("example.net"))
