"""Ownership TXT records cannot be written into, and TXT values that disagree make nothing ours (issue 9.1, 9.4).

Registry and planner together, as the zone worker uses them: provider-level records -> ``TXTRegistry.read`` ->
``calculate`` on ``view.current_at(names)`` -> ``ownership_changes``.
"""

from __future__ import annotations

import pytest

from external_dns.endpoint import OWNER_LABEL, OWNERSHIP_TXT_LABEL, RAW_TXT_LABEL, Endpoint
from external_dns.errors import ConfigError
from external_dns.plan import Plan, PlanSettings, calculate
from external_dns.providers.base import Changes
from external_dns.registry import FORCE_UPDATE_PROPERTY, RegistryView, TXTRegistry

THEIRS = '"heritage=external-dns,external-dns/owner=other-cluster,external-dns/resource=service/default/victim"'
FORGED = '"heritage=external-dns,external-dns/owner=bars"'
MINE = '"heritage=external-dns,external-dns/owner=bars,external-dns/resource=service/default/mine"'
WITH_TXT = frozenset({"A", "AAAA", "CNAME", "TXT"})
SETTINGS = PlanSettings(owner_id="bars", managed_types=WITH_TXT)

VICTIM_A = Endpoint("victim.example.com", "A", ("192.0.2.200",))


def plan_for(zone: list[Endpoint], desired: list[Endpoint], registry: TXTRegistry | None = None) -> Plan:
    registry = registry or TXTRegistry("bars", managed_types=WITH_TXT)
    view = registry.read(zone)
    names = {record.key.name for record in zone} | {record.key.name for record in desired}
    return calculate(view.current_at(names), desired, SETTINGS)


def test_a_txt_asked_for_at_another_owners_ownership_txt_is_skipped_naming_the_owner() -> None:
    zone = [VICTIM_A, Endpoint("a-victim.example.com", "TXT", (THEIRS,))]
    forged = Endpoint("a-victim.example.com", "TXT", (FORGED,))
    wants_victim = Endpoint("victim.example.com", "A", ("6.6.6.6",))
    plan = plan_for(zone, [forged, wants_victim])
    assert not plan.changes.has_changes()
    skipped = {skip.endpoint.dns_name: skip for skip in plan.skipped}
    assert skipped[forged.dns_name].endpoint == forged
    assert skipped[forged.dns_name].foreign_owner == "other-cluster"
    reason = skipped[forged.dns_name].reason
    assert '"a-victim.example.com" is the ownership record of "victim.example.com"' in reason
    assert 'owned by "other-cluster"' in reason
    assert skipped[wants_victim.dns_name].foreign_owner == "other-cluster"


def test_a_txt_asked_for_at_our_own_ownership_txt_is_skipped_too() -> None:
    zone = [Endpoint("mine.example.com", "A", ("192.0.2.1",)), Endpoint("a-mine.example.com", "TXT", (MINE,))]
    squatter = Endpoint("a-mine.example.com", "TXT", ('"hello"',))
    plan = plan_for(zone, [squatter, Endpoint("mine.example.com", "A", ("192.0.2.1",))])
    assert not plan.changes.has_changes()
    (skip,) = plan.skipped
    assert skip.endpoint == squatter
    assert skip.foreign_owner is None
    assert 'kept by this instance ("bars")' in skip.reason


def test_a_txt_in_an_ownership_txt_without_owner_is_skipped() -> None:
    zone = [Endpoint("a-x.example.com", "TXT", ('"heritage=external-dns"',))]
    plan = plan_for(zone, [Endpoint("a-x.example.com", "TXT", ('"hello"',))])
    assert not plan.changes.has_changes()
    assert plan.skipped[0].foreign_owner == ""
    assert "with no owner" in plan.skipped[0].reason


def test_ownership_txt_records_are_never_deleted_or_updated_by_the_planner() -> None:
    zone = [Endpoint("mine.example.com", "A", ("192.0.2.1",)), Endpoint("a-mine.example.com", "TXT", (MINE,))]
    view = TXTRegistry("bars", managed_types=WITH_TXT).read(zone)
    (ownership_txt,) = view.ownership_records
    assert ownership_txt.labels == {OWNERSHIP_TXT_LABEL: "mine.example.com", OWNER_LABEL: "bars"}
    current = view.current_at({"mine.example.com", "a-mine.example.com"})
    assert ownership_txt in current
    plan = calculate(current, [], SETTINGS)
    assert plan.changes.delete == [view.records[0]]  # the A record only; its TXT goes with it in the registry


def test_an_ownership_txt_blocks_only_its_own_record_type_at_its_name() -> None:
    zone = [VICTIM_A, Endpoint("a-victim.example.com", "TXT", (THEIRS,))]
    wanted = Endpoint("a-victim.example.com", "A", ("192.0.2.9",))
    plan = plan_for(zone, [wanted])
    assert plan.changes.create == [wanted]
    assert plan.skipped == []


@pytest.mark.parametrize(
    "values",
    [(THEIRS, FORGED), (FORGED, THEIRS)],
    ids=["the foreign value first", "the forged value first"],
)
def test_txt_values_that_disagree_about_the_owner_make_nothing_ours(values: tuple[str, str]) -> None:
    zone = [VICTIM_A, Endpoint("a-victim.example.com", "TXT", values)]
    registry = TXTRegistry("bars", managed_types=WITH_TXT)
    view = registry.read(zone)
    (victim,) = view.records
    assert victim.labels[OWNER_LABEL] == "other-cluster"
    assert view.ownership_records[0].labels[OWNER_LABEL] == "other-cluster"
    plan = plan_for(zone, [], registry)
    assert not plan.changes.has_changes()


def test_txt_values_split_over_two_records_of_one_name_also_disagree() -> None:
    zone = [
        VICTIM_A,
        Endpoint("a-victim.example.com", "TXT", (FORGED,)),
        Endpoint("A-victim.example.com", "TXT", (THEIRS,)),
    ]
    (victim,) = TXTRegistry("bars").read(zone).records
    assert victim.labels[OWNER_LABEL] == "other-cluster"


def test_the_old_owner_and_this_owner_agree_during_a_migration() -> None:
    old = '"heritage=external-dns,external-dns/owner=old"'
    zone = [VICTIM_A, Endpoint("a-victim.example.com", "TXT", (old, FORGED))]
    (victim,) = TXTRegistry("bars", old_owner_id="old").read(zone).records
    assert victim.labels[OWNER_LABEL] == "bars"


def test_a_provider_label_cannot_make_a_record_an_ownership_txt() -> None:
    marked = Endpoint("hello.example.com", "TXT", ('"hello"',), labels={OWNERSHIP_TXT_LABEL: "x"})
    view = TXTRegistry("bars").read([marked])
    assert OWNERSHIP_TXT_LABEL not in view.records[0].labels
    assert view.ownership_records == []


def test_duplicate_ownership_values_are_rewritten_as_one() -> None:
    registry = TXTRegistry("bars", managed_types=WITH_TXT)
    zone = [Endpoint("mine.example.com", "A", ("192.0.2.1",)), Endpoint("a-mine.example.com", "TXT", (MINE, MINE))]
    view = registry.read(zone)
    (mine,) = view.records
    assert mine.provider_specific == {FORCE_UPDATE_PROPERTY: "true"}
    assert mine.labels[RAW_TXT_LABEL] == MINE
    desired = Endpoint("mine.example.com", "A", ("192.0.2.1",), labels={"resource": "service/default/mine"})
    plan = calculate(view.current_at({"mine.example.com"}), [desired], SETTINGS)
    batch = registry.ownership_changes(plan.changes, view)
    old_txt, new_txt = batch.update_old[1], batch.update_new[1]
    assert (old_txt.dns_name, old_txt.targets) == ("a-mine.example.com", (MINE, MINE))
    assert (new_txt.dns_name, new_txt.targets) == ("a-mine.example.com", (MINE,))
    deleted = registry.ownership_changes(Changes(delete=[mine]), view).delete
    assert [record.targets for record in deleted] == [("192.0.2.1",), (MINE, MINE)]


def test_duplicate_ownership_values_of_someone_else_are_left_alone() -> None:
    zone = [VICTIM_A, Endpoint("a-victim.example.com", "TXT", (THEIRS, THEIRS))]
    (victim,) = TXTRegistry("bars").read(zone).records
    assert FORCE_UPDATE_PROPERTY not in victim.provider_specific


def test_duplicate_targets_of_a_record_are_planned_away() -> None:
    current = Endpoint("dup.example.com", "A", ("192.0.2.1", "192.0.2.1"), labels={OWNER_LABEL: "bars"})
    plan = calculate([current], [Endpoint("dup.example.com", "A", ("192.0.2.1",))], SETTINGS)
    assert plan.changes.update_old == [current]
    assert [record.targets for record in plan.changes.update_new] == [("192.0.2.1",)]


@pytest.mark.parametrize("values", [(THEIRS, FORGED), (FORGED, THEIRS)], ids=["theirs first", "forged first"])
def test_a_forged_value_does_not_become_ours_during_a_migration_either(values: tuple[str, str]) -> None:
    zone = [VICTIM_A, Endpoint("a-victim.example.com", "TXT", values)]
    (victim,) = TXTRegistry("bars", old_owner_id="old").read(zone).records
    assert victim.labels[OWNER_LABEL] == "other-cluster"


def test_ownership_values_at_two_spellings_of_one_name_are_all_removed() -> None:
    registry = TXTRegistry("bars", managed_types=WITH_TXT)
    other_spelling = MINE.replace("mine", "mine-too")
    zone = [
        Endpoint("mine.example.com", "A", ("192.0.2.1",)),
        Endpoint("a-mine.example.com", "TXT", (MINE,)),
        Endpoint("A-Mine.example.com", "TXT", (other_spelling,)),
    ]
    view = registry.read(zone)
    deleted = registry.ownership_changes(Changes(delete=view.records), view).delete
    assert [record.targets for record in deleted] == [("192.0.2.1",), (MINE, other_spelling)]


def test_deleting_a_record_whose_txt_name_cannot_exist_deletes_the_record_alone() -> None:
    record = Endpoint("x" * 62 + ".example.com", "A", ("192.0.2.1",), labels={OWNER_LABEL: "bars"})
    deleted = TXTRegistry("bars").ownership_changes(Changes(delete=[record]), RegistryView([])).delete
    assert deleted == [record]


def test_encryption_without_a_key_is_refused_with_the_flag_to_set() -> None:
    with pytest.raises(ConfigError, match="--txt-encrypt-aes-key must be set when --txt-encrypt-enabled is true"):
        TXTRegistry("bars", encrypt=True)
