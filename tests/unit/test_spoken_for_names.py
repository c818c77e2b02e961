"""Names whose ownership is spoken for already are not created (issue 9 leftovers, ``zoneplan.refuse_spoken_for``).

Two cases ExternalDNS creates anyway: an ownership TXT of another owner whose record is not there (an "orphan"
claim), and a TXT record that is not an ownership record at the name our ownership TXT would take. Each is
refused with a reason naming the TXT record and what to do, counted as an owner mismatch, and nothing else at
the name is held back.
"""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from external_dns.endpoint import RESOURCE_LABEL, Endpoint, ObjectRef
from external_dns.model import Zone
from external_dns.plan import PlanSettings, Policy, Skipped
from external_dns.registry import Registry
from external_dns.registry.crypto import encrypt_text
from external_dns.registry.noop import NoopRegistry
from external_dns.registry.txt import TXTRegistry
from external_dns.zonecache import ZoneCache
from external_dns.zoneplan import ZonePlan, plan_zone

ZONE = Zone("example.com", "example.com")
REF = ObjectRef("Service", "v1", "default", "team", "uid-team")
OTHERS = '"heritage=external-dns,external-dns/owner=other,external-dns/resource=service/default/victim"'
MINE = '"heritage=external-dns,external-dns/owner=me,external-dns/resource=service/default/victim"'
KEY = b"12345678901234567890123456789012"
OTHER_KEY = b"abcdefghijklmnopqrstuvwxyz012345"
ME = PlanSettings(owner_id="me", managed_types=frozenset({"A", "AAAA", "CNAME", "TXT"}))


def wanted(name: str, record_type: str = "A", *targets: str) -> Endpoint:
    targets = targets or ("192.0.2.1",)
    return Endpoint(name, record_type, targets, labels={RESOURCE_LABEL: "service/default/team"}, refs=(REF,))


def txt(name: str, *values: str) -> Endpoint:
    return Endpoint(name, "TXT", values, 300)


async def _identity(endpoints: list[Endpoint]) -> list[Endpoint]:
    return endpoints


async def plan(
    want: Sequence[Endpoint],
    held: Sequence[Endpoint],
    registry: Registry | None = None,
    settings: PlanSettings = ME,
) -> ZonePlan:
    cache = ZoneCache()
    cache.replace(held)
    names = {ep.key.name for ep in want}
    registry = registry or TXTRegistry("me", managed_types=settings.managed_types)
    return await plan_zone(ZONE, cache, registry, list(want), names, settings, _identity)


def refused(planned: ZonePlan) -> Skipped:
    [skip] = planned.skipped
    assert planned.changes.create == [] and not planned.batch.has_changes(), planned.batch
    return skip


# --- a TXT record that is not an ownership record, at the ownership TXT's name ------------------------------------


async def test_a_plain_txt_at_the_ownership_name_refuses_the_record_and_says_what_to_do() -> None:
    skip = refused(await plan([wanted("team.example.com")], [txt("a-team.example.com", '"hello"')]))
    assert skip.endpoint.refs == (REF,)
    assert 'ownership TXT record "a-team.example.com"' in skip.reason and '("hello")' in skip.reason
    assert "Delete that TXT record" in skip.reason and "--txt-prefix" in skip.reason
    assert skip.foreign_owner == ""  # counted as an owner mismatch (registry_skipped_records_owner_mismatch_per_sync)


@pytest.mark.parametrize(
    ("registry", "taken", "free"),
    [
        (TXTRegistry("me", prefix="txt."), "txt.a-team.example.com", "a-team.example.com"),
        (TXTRegistry("me", suffix="-own"), "a-team-own.example.com", "a-team.example.com"),
        (TXTRegistry("me", prefix="%{record_type}.own."), "a.own.team.example.com", "a-team.example.com"),
    ],
    ids=["a prefix moves the name", "a suffix moves the name", "a templated prefix moves the name"],
)
async def test_the_name_checked_is_the_one_the_registry_writes(registry: TXTRegistry, taken: str, free: str) -> None:
    skip = refused(await plan([wanted("team.example.com")], [txt(taken, '"hello"')], registry))
    assert f'"{taken}"' in skip.reason
    planned = await plan([wanted("team.example.com")], [txt(free, '"hello"')], registry)
    assert [ep.dns_name for ep in planned.changes.create] == ["team.example.com"] and planned.skipped == []
    assert sorted(ep.dns_name for ep in planned.batch.create) == sorted(["team.example.com", taken])


async def test_a_wildcard_is_checked_at_its_replacement_name() -> None:
    registry = TXTRegistry("me", wildcard_replacement="any")
    skip = refused(await plan([wanted("*.example.com")], [txt("a-any.example.com", '"hello"')], registry))
    assert '"a-any.example.com"' in skip.reason


async def test_only_the_record_type_whose_name_is_taken_is_refused() -> None:
    planned = await plan(
        [wanted("team.example.com"), wanted("team.example.com", "AAAA", "2001:db8::1")],
        [txt("a-team.example.com", '"hello"')],
    )
    assert [(skip.endpoint.record_type, skip.endpoint.dns_name) for skip in planned.skipped] == [
        ("A", "team.example.com")
    ]
    assert [ep.record_type for ep in planned.changes.create] == ["AAAA"]
    assert sorted(ep.dns_name for ep in planned.batch.create) == ["aaaa-team.example.com", "team.example.com"]


async def test_a_plain_txt_created_in_the_same_batch_is_not_joined_either() -> None:
    planned = await plan([wanted("team.example.com"), wanted("a-team.example.com", "TXT", '"hello"')], [])
    assert [skip.endpoint.key.name for skip in planned.skipped] == ["team.example.com"]
    assert [(ep.dns_name, ep.record_type) for ep in planned.changes.create] == [("a-team.example.com", "TXT")]
    # The wanted TXT record itself is created, with its own ownership TXT.
    assert sorted(ep.dns_name for ep in planned.batch.create) == ["a-team.example.com", "txt-a-team.example.com"]


async def test_a_value_that_looks_encrypted_is_taken_as_a_claim_this_instance_cannot_read() -> None:
    sealed = f'"{encrypt_text("heritage=external-dns,external-dns/owner=other", OTHER_KEY, "AAAAAAAAAAAAAAAA")}"'
    registry = TXTRegistry("me", encrypt=True, aes_key=KEY)
    skip = refused(await plan([wanted("team.example.com")], [txt("a-team.example.com", sealed)], registry))
    assert "looks like an encrypted ownership record this instance cannot read" in skip.reason
    assert "--txt-encrypt-aes-key" in skip.reason


# --- an ownership TXT of another owner whose record is not there ---------------------------------------------------


async def test_an_orphan_claim_of_another_owner_refuses_the_record_naming_the_owner_and_the_hand_over() -> None:
    skip = refused(await plan([wanted("victim.example.com")], [txt("a-victim.example.com", OTHERS)]))
    assert skip.foreign_owner == "other"
    assert '"a-victim.example.com" gives "victim.example.com" to "other"' in skip.reason
    assert "delete that TXT record" in skip.reason and "--migrate-from-txt-owner=other" in skip.reason


@pytest.mark.parametrize(
    ("registry", "claim"),
    [
        (TXTRegistry("me"), txt("victim.example.com", OTHERS)),
        (TXTRegistry("me", prefix="txt."), txt("txt.a-victim.example.com", OTHERS)),
        (
            TXTRegistry("me", encrypt=True, aes_key=KEY),
            txt(
                "a-victim.example.com",
                f'"{encrypt_text("heritage=external-dns,external-dns/owner=other", KEY, "AAAAAAAAAAAAAAAA")}"',
            ),
        ),
    ],
    ids=["a legacy same-name claim", "a claim under a prefix", "an encrypted claim this instance can read"],
)
async def test_every_claim_format_the_registry_reads_counts(registry: TXTRegistry, claim: Endpoint) -> None:
    skip = refused(await plan([wanted("victim.example.com")], [claim], registry))
    assert skip.foreign_owner == "other" and f'"{claim.dns_name}"' in skip.reason


async def test_a_claim_on_a_wildcard_is_found_under_its_replacement_name() -> None:
    registry = TXTRegistry("me", wildcard_replacement="any")
    skip = refused(await plan([wanted("*.example.com")], [txt("a-any.example.com", OTHERS)], registry))
    assert skip.foreign_owner == "other" and '"a-any.example.com"' in skip.reason


async def test_an_orphan_claim_of_this_owner_is_taken_up_without_a_second_txt() -> None:
    planned = await plan([wanted("victim.example.com")], [txt("a-victim.example.com", MINE)])
    assert planned.skipped == []
    assert [ep.dns_name for ep in planned.batch.create] == ["victim.example.com"]


async def test_a_claim_of_the_owner_being_migrated_from_is_taken_up() -> None:
    registry = TXTRegistry("me", old_owner_id="other")
    settings = PlanSettings(owner_id="me", old_owner_id="other")
    planned = await plan([wanted("victim.example.com")], [txt("a-victim.example.com", OTHERS)], registry, settings)
    assert planned.skipped == []
    assert [ep.dns_name for ep in planned.changes.create] == ["victim.example.com"]


async def test_a_claim_on_another_type_at_the_name_does_not_refuse_this_one() -> None:
    planned = await plan([wanted("victim.example.com")], [txt("aaaa-victim.example.com", OTHERS)])
    assert planned.skipped == []
    assert sorted(ep.dns_name for ep in planned.batch.create) == ["a-victim.example.com", "victim.example.com"]


@pytest.mark.parametrize("policy", list(Policy))
async def test_every_policy_refuses_the_same(policy: Policy) -> None:
    settings = PlanSettings(owner_id="me", policy=policy)
    skip = refused(await plan([wanted("victim.example.com")], [txt("a-victim.example.com", OTHERS)], None, settings))
    assert skip.foreign_owner == "other"


async def test_without_ownership_nothing_is_spoken_for() -> None:
    planned = await plan(
        [wanted("team.example.com")], [txt("a-team.example.com", '"hello"')], NoopRegistry(), PlanSettings()
    )
    assert planned.skipped == [] and [ep.dns_name for ep in planned.batch.create] == ["team.example.com"]


# --- an update that writes the new-format TXT of a record owned through a legacy one ------------------------------

LEGACY_MINE = '"heritage=external-dns,external-dns/owner=me,external-dns/resource=service/default/team"'


@pytest.mark.parametrize("target", ["192.0.2.1", "192.0.2.9"], ids=["migration only", "migration and a new target"])
async def test_the_legacy_to_new_format_update_does_not_join_a_plain_txt(target: str) -> None:
    held = [Endpoint("team.example.com", "A", ("192.0.2.1",), 300), txt("team.example.com", LEGACY_MINE)]
    skip = refused(await plan([wanted("team.example.com", "A", target)], [*held, txt("a-team.example.com", '"hello"')]))
    assert 'ownership TXT record "a-team.example.com" would join the TXT record already there ("hello")' in skip.reason
    migrated = await plan([wanted("team.example.com", "A", target)], held)
    assert migrated.skipped == []
    assert [ep.dns_name for ep in migrated.batch.update_new] == ["team.example.com", "a-team.example.com"]
