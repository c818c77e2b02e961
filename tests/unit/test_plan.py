"""The planner against ExternalDNS's own plan tests (reference §2.9), its conflict resolver and policies.

Fixture names follow upstream's ``plan/plan_test.go``; results are compared as upstream's ``SameEndpoints``
does: order-insensitive, targets case-insensitively, labels owner/resource/ownedRecord and provider-specific
properties included.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pytest

from external_dns.domain_filter import DomainFilter
from external_dns.endpoint import (
    OWNED_RECORD_LABEL,
    OWNER_LABEL,
    RAW_TXT_LABEL,
    RESOURCE_LABEL,
    Endpoint,
    ObjectRef,
    same_targets,
)
from external_dns.plan import (
    Plan,
    PlanSettings,
    Policy,
    calculate,
    dedup_endpoints,
    merge_endpoints,
    targets_less,
)
from external_dns.providers.base import Changes

A_CNAME = frozenset({"A", "CNAME"})
A_AAAA_CNAME = frozenset({"A", "AAAA", "CNAME"})
PROXIED = "external-dns.kubernetes.io/cloudflare-proxied"
DEFAULT_SETTINGS = PlanSettings(managed_types=A_CNAME)


def ep(
    name: str,
    record_type: str,
    *targets: str,
    ttl: int = 0,
    set_id: str = "",
    resource: str = "",
    owner: str | None = None,
    ps: Mapping[str, str] | None = None,
    refs: tuple[ObjectRef, ...] = (),
) -> Endpoint:
    labels = {RESOURCE_LABEL: resource} if resource else {}
    if owner is not None:
        labels[OWNER_LABEL] = owner
    return Endpoint(name, record_type, targets, ttl, set_id, labels, dict(ps or {}), refs)


def ingress(name: str) -> ObjectRef:
    return ObjectRef("Ingress", "networking.k8s.io/v1", "default", name)


# The fixtures of upstream's plan_test.go.
fooV1Cname = ep("foo", "CNAME", "v1", resource="ingress/default/foo-v1", owner="pwner")
fooV3CnameSameResource = ep("foo", "CNAME", "v3", resource="ingress/default/foo-v1", owner="pwner")
fooV2Cname = ep("foo", "CNAME", "v2", resource="ingress/default/foo-v2")
fooV2CnameUppercase = ep("foo", "CNAME", "V2", resource="ingress/default/foo-v2")
fooV2TXT = ep("foo", "TXT")
fooV2CnameNoLabel = ep("foo", "CNAME", "v2")
fooA5 = ep("foo", "A", "5.5.5.5", resource="ingress/default/foo-5")
fooAAAA = ep("foo", "AAAA", "2001:DB8::1", resource="ingress/default/foo-AAAA")
dsA = ep("ds", "A", "1.1.1.1", resource="ingress/default/ds")
dsAAAA = ep("ds", "AAAA", "2001:DB8::1", resource="ingress/default/ds-AAAAA")
bar127A = ep("bar", "A", "127.0.0.1", resource="ingress/default/bar-127")
bar127AWithTTL = ep("bar", "A", "127.0.0.1", ttl=300, resource="ingress/default/bar-127")
bar127AWithProviderSpecificTrue = bar127A.with_(provider_specific={"alias": "false", PROXIED: "true"})
bar127AWithProviderSpecificFalse = bar127A.with_(provider_specific={PROXIED: "false", "alias": "false"})
bar127AWithProviderSpecificUnset = bar127A.with_(provider_specific={"alias": "false"})
bar192A = ep("bar", "A", "192.168.0.1", resource="ingress/default/bar-192")
multiple1 = ep("multiple", "A", "192.168.0.1", set_id="test-set-1")
multiple2 = ep("multiple", "A", "192.168.0.2", set_id="test-set-1")
multiple3 = ep("multiple", "A", "192.168.0.2", set_id="test-set-2")
domainFilterFiltered1 = ep("foo.domain.tld", "A", "1.2.3.4")
domainFilterFiltered2 = ep("bar.domain.tld", "A", "1.2.3.5")
domainFilterFiltered3 = ep("baz.domain.tld", "A", "1.2.3.6")
domainFilterExcluded = ep("foo.ex.domain.tld", "A", "1.1.1.1")
DOMAIN_FILTER = DomainFilter(("domain.tld",), ("ex.domain.tld",))


def owned(endpoint: Endpoint, owner: str) -> Endpoint:
    return endpoint.with_labels(**{OWNER_LABEL: owner})


def comparable(endpoint: Endpoint) -> tuple[object, ...]:
    """What upstream's SameEndpoints compares."""
    labels = tuple(endpoint.labels.get(k, "") for k in (OWNER_LABEL, RESOURCE_LABEL, OWNED_RECORD_LABEL))
    targets = tuple(sorted(t.lower() for t in endpoint.targets))
    return (
        endpoint.dns_name,
        endpoint.record_type,
        endpoint.set_identifier,
        endpoint.ttl,
        targets,
        labels,
        tuple(sorted(endpoint.provider_specific.items())),
    )


def assert_same(actual: Sequence[Endpoint], expected: Sequence[Endpoint]) -> None:
    assert sorted(map(comparable, actual)) == sorted(map(comparable, expected))
    for record in actual:  # IPv6 spelling is compared after parsing, as Targets.Same does.
        assert any(same_targets(record.targets, other.targets) for other in expected)


@dataclass(frozen=True)
class Case:
    current: list[Endpoint]
    desired: list[Endpoint]
    settings: PlanSettings = DEFAULT_SETTINGS
    create: list[Endpoint] = field(default_factory=list)
    update_old: list[Endpoint] = field(default_factory=list)
    update_new: list[Endpoint] = field(default_factory=list)
    delete: list[Endpoint] = field(default_factory=list)


def settings(**changes: object) -> PlanSettings:
    values: dict[str, object] = {"managed_types": A_CNAME, **changes}
    return PlanSettings(**values)  # type: ignore[arg-type]


CONFORMANCE = [
    pytest.param(
        Case([], [fooV1Cname, fooV2Cname, bar127A], create=[fooV1Cname, bar127A]),
        id="first round creates the lowest candidate of each name (TestSyncFirstRound)",
    ),
    pytest.param(
        Case([fooV1Cname], [fooV2Cname, fooV1Cname, bar127A], create=[bar127A]),
        id="second round keeps the candidate that already holds the record (TestSyncSecondRound)",
    ),
    pytest.param(
        Case(
            [fooV2CnameNoLabel],
            [fooV2Cname, fooV1Cname, bar127A],
            create=[bar127A],
            update_old=[fooV2CnameNoLabel],
            # The update inherits the current (empty) owner, as upstream mutates fooV1Cname in this test.
            update_new=[owned(fooV1Cname, "")],
        ),
        id="a record without resource label goes to the lowest candidate (TestSyncSecondRoundMigration)",
    ),
    pytest.param(
        Case([bar127A], [bar127AWithTTL], update_old=[bar127A], update_new=[owned(bar127AWithTTL, "")]),
        id="a configured TTL change updates (TestSyncSecondRoundWithTTLChange)",
    ),
    pytest.param(
        Case(
            [bar127AWithProviderSpecificTrue],
            [bar127AWithProviderSpecificFalse],
            update_old=[bar127AWithProviderSpecificTrue],
            update_new=[owned(bar127AWithProviderSpecificFalse, "")],
        ),
        id="a changed provider-specific value updates (TestSyncSecondRoundWithProviderSpecificChange)",
    ),
    pytest.param(
        Case([bar127AWithProviderSpecificTrue], [bar127AWithProviderSpecificTrue]),
        id="identical provider-specific properties change nothing (...WithProviderSpecificNoChange)",
    ),
    pytest.param(
        Case(
            [bar127AWithProviderSpecificFalse],
            [bar127AWithProviderSpecificUnset],
            update_old=[bar127AWithProviderSpecificFalse],
            update_new=[owned(bar127AWithProviderSpecificUnset, "")],
        ),
        id="a removed provider-specific property updates (TestSyncSecondRoundWithProviderSpecificRemoval)",
    ),
    pytest.param(
        Case(
            [bar127AWithProviderSpecificUnset],
            [bar127AWithProviderSpecificTrue],
            update_old=[bar127AWithProviderSpecificUnset],
            update_new=[owned(bar127AWithProviderSpecificTrue, "")],
        ),
        id="an added provider-specific property updates (TestSyncSecondRoundWithProviderSpecificAddition)",
    ),
    pytest.param(
        Case([fooV1Cname], [fooV2Cname], update_old=[fooV1Cname], update_new=[owned(fooV2Cname, "pwner")]),
        id="the update inherits the current owner and takes the new resource (...WithOwnerInherited)",
    ),
    pytest.param(
        Case(
            [fooV1Cname, fooV2Cname],
            [fooV1Cname, fooV2Cname],
            settings=PlanSettings(managed_types=frozenset()),
        ),
        id="with no managed types nothing is planned (TestIdempotency)",
    ),
    pytest.param(
        Case([fooV1Cname, bar127A], [fooV2Cname, fooV1Cname, bar127A]),
        id="planning what is already there changes nothing (TestIdempotency with types managed)",
    ),
    pytest.param(
        Case([fooV1Cname], [fooA5], settings=settings(owner_id="pwner"), create=[fooA5], delete=[fooV1Cname]),
        id="a record type change creates the new type and deletes the old (TestRecordTypeChange)",
    ),
    pytest.param(
        Case(
            [fooV1Cname],
            [fooA5, fooAAAA],
            settings=settings(owner_id="pwner", managed_types=A_AAAA_CNAME),
            create=[fooA5, fooAAAA],
            delete=[fooV1Cname],
        ),
        id="an owned CNAME is replaced by a dual stack (TestExistingCNameWithDualStackDesired)",
    ),
    pytest.param(
        Case(
            [owned(fooA5, "nerf"), owned(fooAAAA, "nerf")],
            [fooV2Cname],
            settings=settings(owner_id="nerf", managed_types=A_AAAA_CNAME),
            create=[fooV2Cname],
            delete=[owned(fooA5, "nerf"), owned(fooAAAA, "nerf")],
        ),
        id="an owned dual stack is replaced by a CNAME (TestExistingDualStackWithCNameDesired)",
    ),
    pytest.param(
        Case(
            [fooA5.with_(labels={})],
            [fooV2Cname],
            settings=settings(owner_id="pwner", managed_types=A_AAAA_CNAME),
        ),
        id="an unowned record blocks other types at its name (TestExistingOwnerNotMatchingDualStackDesired)",
    ),
    pytest.param(
        Case([fooV1Cname, owned(fooA5, "pwner")], [owned(fooA5, "pwner")], delete=[fooV1Cname]),
        id="a current CNAME beside a wanted A is deleted (TestConflictingCurrentNonConflictingDesired)",
    ),
    pytest.param(
        Case(
            [fooV1Cname, owned(fooA5, "pwner")],
            [],
            delete=[fooV1Cname, owned(fooA5, "pwner")],
        ),
        id="conflicting current records nobody wants are all deleted (TestConflictingCurrentNoDesired)",
    ),
    pytest.param(
        Case(
            [owned(fooV1Cname, "nerf")],
            [fooV1Cname, fooA5, fooAAAA],
            settings=settings(owner_id="nerf", managed_types=A_AAAA_CNAME),
            create=[fooA5, fooAAAA],
            delete=[owned(fooV1Cname, "nerf")],
        ),
        id="other types win over a wanted CNAME that exists (TestCurrentWithConflictingDesired)",
    ),
    pytest.param(
        Case(
            [],
            [fooV1Cname, fooA5, fooAAAA],
            settings=settings(managed_types=A_AAAA_CNAME),
            create=[fooA5, fooAAAA],
        ),
        id="other types win over a wanted CNAME that is new (TestNoCurrentWithConflictingDesired)",
    ),
    pytest.param(
        Case([fooV2TXT], [fooV2Cname], create=[fooV2Cname]),
        id="unmanaged TXT records are not planned (TestIgnoreTXT)",
    ),
    pytest.param(
        Case(
            [fooV2TXT],
            [fooV2Cname],
            settings=settings(managed_types=frozenset({"A", "CNAME", "TXT"}), exclude_types=frozenset({"TXT"})),
            create=[fooV2Cname],
        ),
        id="excluded types win over managed types (TestExcludeTXT)",
    ),
    pytest.param(
        Case([fooV2Cname], [fooV2CnameUppercase], settings=PlanSettings(managed_types=frozenset())),
        id="with no managed types a target case change plans nothing (TestIgnoreTargetCase)",
    ),
    pytest.param(
        Case([fooV2Cname], [fooV2CnameUppercase]),
        id="targets differing only in case need no update (TestIgnoreTargetCase with types managed)",
    ),
    pytest.param(
        Case([fooV1Cname, bar192A], [fooV1Cname], delete=[bar192A]),
        id="a record nobody wants is deleted (TestRemoveEndpoint)",
    ),
    pytest.param(
        Case([fooV1Cname, bar192A], [fooV1Cname], settings=settings(policy=Policy.UPSERT_ONLY)),
        id="upsert-only keeps records nobody wants (TestRemoveEndpointWithUpsert)",
    ),
    pytest.param(
        Case(
            [multiple1],
            [multiple2, multiple3],
            create=[multiple3],
            update_old=[multiple1],
            update_new=[owned(multiple2, "")],
        ),
        id="set identifiers make separate rows (TestMultipleRecordsSameNameDifferentSetIdentifier)",
    ),
    pytest.param(
        Case([multiple2], [multiple3], create=[multiple3], delete=[multiple2]),
        id="a changed set identifier creates and deletes (TestSetIdentifierUpdateCreatesAndDeletes)",
    ),
    pytest.param(
        Case(
            [domainFilterExcluded],
            [domainFilterExcluded, domainFilterFiltered1, domainFilterFiltered2, domainFilterFiltered3],
            settings=settings(domain_filters=(DOMAIN_FILTER,)),
            create=[domainFilterFiltered1, domainFilterFiltered2, domainFilterFiltered3],
        ),
        id="names outside the domain filter are not planned (TestDomainFiltersInitial)",
    ),
    pytest.param(
        Case(
            [domainFilterExcluded, domainFilterFiltered1, domainFilterFiltered2],
            [domainFilterExcluded, domainFilterFiltered1, domainFilterFiltered2, domainFilterFiltered3],
            settings=settings(domain_filters=(DOMAIN_FILTER,)),
            create=[domainFilterFiltered3],
        ),
        id="only the new name inside the domain filter is created (TestDomainFiltersUpdate)",
    ),
    pytest.param(
        Case([], [fooAAAA], settings=settings(managed_types=frozenset({"AAAA", "CNAME"})), create=[fooAAAA]),
        id="AAAA records are created when managed (TestAAAARecords)",
    ),
    pytest.param(
        Case([], [dsA, dsAAAA], settings=settings(managed_types=A_AAAA_CNAME), create=[dsA, dsAAAA]),
        id="a dual stack is created (TestDualStackRecords)",
    ),
    pytest.param(
        Case([dsA, dsAAAA], [], settings=settings(managed_types=A_AAAA_CNAME), delete=[dsA, dsAAAA]),
        id="a dual stack nobody wants is deleted (TestDualStackRecordsDelete)",
    ),
    pytest.param(
        Case([dsA, dsAAAA], [dsA], settings=settings(managed_types=A_AAAA_CNAME), delete=[dsAAAA]),
        id="dropping IPv6 deletes only the AAAA record (TestDualStackToSingleStack)",
    ),
    pytest.param(
        Case(
            [owned(fooA5, "bar")],
            [owned(fooA5, "bar")],
            settings=settings(owner_id="bar", old_owner_id="foo"),
            update_old=[owned(fooA5, "bar")],
            update_new=[owned(fooA5, "bar")],
        ),
        id="owner migration updates every owned record (TestRecordOwnerIdMigration)",
    ),
]


@pytest.mark.parametrize("case", CONFORMANCE)
def test_plan_conformance(case: Case) -> None:
    changes = calculate(case.current, case.desired, case.settings).changes
    assert_same(changes.create, case.create)
    assert_same(changes.update_old, case.update_old)
    assert_same(changes.update_new, case.update_new)
    assert_same(changes.delete, case.delete)


@pytest.mark.parametrize(
    ("current_ps", "desired_ps", "expected"),
    [
        pytest.param(
            {"aws/evaluate-target-health": "true"},
            {"aws/evaluate-target-health": "true"},
            False,
            id="the same aws property needs no update",
        ),
        pytest.param({"custom": "a"}, {"custom": "a"}, False, id="the same custom property needs no update"),
        pytest.param({"custom": "a"}, {"custom": "b"}, True, id="a changed value needs an update"),
        pytest.param({"custom": "a"}, {"other": "a"}, True, id="a renamed property needs an update"),
    ],
)
def test_should_update_provider_specific(
    current_ps: dict[str, str], desired_ps: dict[str, str], expected: bool
) -> None:
    changes = calculate(
        [bar127A.with_(provider_specific=current_ps)],
        [bar127A.with_(provider_specific=desired_ps)],
        settings(),
    ).changes
    assert changes.has_changes() is expected


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        pytest.param(Changes(create=[fooV1Cname]), True, id="a create is a change (TestHasChangesCreate)"),
        pytest.param(Changes(delete=[fooV1Cname]), True, id="a delete is a change (TestHasChangesDelete)"),
        pytest.param(
            calculate([bar127AWithProviderSpecificTrue], [bar127AWithProviderSpecificFalse], settings()).changes,
            True,
            id="a provider-specific update is a change (TestHasChanges)",
        ),
        pytest.param(
            Changes(update_old=[fooV1Cname], update_new=[fooV1Cname]),
            False,
            id="an update to the same record is no change",
        ),
    ],
)
def test_has_changes(changes: Changes, expected: bool) -> None:
    assert changes.has_changes() is expected


def test_owner_mismatch_is_logged_at_debug_and_skipped(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="external_dns.plan")
    current = [ep("foo", "A", "1.1.1.1", owner="other")]
    plan = calculate(current, [fooV2Cname], settings(owner_id="pwner"))
    assert not plan.changes.has_changes()
    assert "owner id does not match" in caplog.text
    assert [s.endpoint for s in plan.skipped] == [fooV2Cname]
    assert plan.skipped[0].reason == (
        'owner id does not match: the existing A record "foo" is owned by "other", not by this instance ("pwner")'
    )


def test_unowned_record_blocking_a_create_is_explained() -> None:
    plan = calculate([fooA5.with_(labels={})], [fooV2Cname], settings(owner_id="pwner"))
    assert [s.endpoint for s in plan.skipped] == [fooV2Cname]
    assert 'the existing A record "foo" has no owner' in plan.skipped[0].reason


def test_update_of_a_foreign_record_is_dropped_and_explained() -> None:
    current = [owned(fooV1Cname, "other")]
    plan = calculate(current, [fooV1Cname.with_(targets=("v9",))], settings(owner_id="pwner"))
    assert not plan.changes.has_changes()
    assert len(plan.skipped) == 1
    assert plan.skipped[0].endpoint.targets == ("v9",)
    assert 'owned by "other"' in plan.skipped[0].reason


def test_no_owner_id_means_no_ownership_checks() -> None:
    current = [owned(fooA5, "other"), owned(fooV1Cname, "other")]
    plan = calculate(current, [fooA5.with_(targets=("6.6.6.6",))], settings())
    assert_same(plan.changes.delete, [owned(fooV1Cname, "other")])
    assert_same(
        plan.changes.update_new,
        [fooA5.with_(targets=("6.6.6.6",), labels={RESOURCE_LABEL: "ingress/default/foo-5", OWNER_LABEL: "other"})],
    )
    assert plan.skipped == []


def test_deletes_are_deduplicated_by_key() -> None:
    plan = calculate([dsA, dsA], [], settings(owner_id="", managed_types=A_AAAA_CNAME))
    assert len(plan.changes.delete) == 2  # Without an owner id upstream does not de-duplicate either.
    mine = owned(dsA, "me")
    plan = calculate([mine, mine], [], settings(owner_id="me"))
    assert plan.changes.delete == [mine]


# --- Conflict resolution (plan/conflict_test.go) ------------------------------------------------------------


@pytest.mark.parametrize(
    ("desired", "created_types"),
    [
        pytest.param([fooV1Cname], ["CNAME"], id="no conflict: cname record"),
        pytest.param([fooA5], ["A"], id="no conflict: a record"),
        pytest.param([fooA5, fooAAAA], ["A", "AAAA"], id="no conflict: a and aaaa records"),
        pytest.param([fooV1Cname, fooA5], ["A"], id="conflict: cname and a records"),
        pytest.param([fooV1Cname, fooA5, fooAAAA], ["A", "AAAA"], id="conflict: cname, a, and aaaa records"),
    ],
)
def test_resolve_record_types(desired: list[Endpoint], created_types: list[str]) -> None:
    plan = calculate([], desired, settings(managed_types=A_AAAA_CNAME))
    assert sorted(e.record_type for e in plan.changes.create) == created_types


def test_discarded_cname_is_logged_as_warning_and_skipped(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="external_dns.plan")
    plan = calculate([], [fooV1Cname, fooA5, fooAAAA], settings(managed_types=A_AAAA_CNAME))
    assert "contains conflicting record type candidates; discarding CNAME record" in caplog.text
    discarded = [r for r in caplog.records if "discarding CNAME record" in r.getMessage()]
    assert [r.levelno for r in discarded] == [logging.WARNING], [r.getMessage() for r in caplog.records]
    assert [s.endpoint for s in plan.skipped] == [fooV1Cname]
    assert "A and AAAA records are wanted there too" in plan.skipped[0].reason


@pytest.mark.parametrize(
    ("left", "right", "expected"),
    [
        pytest.param(["1.1.1.1"], ["1.1.1.1", "2.2.2.2"], True, id="fewer targets are less"),
        pytest.param(["1.1.1.1", "2.2.2.2"], ["9.9.9.9"], False, id="more targets are not less"),
        pytest.param(["9.0.0.1"], ["10.0.0.1"], True, id="addresses compare by value not by string"),
        pytest.param(["9.9.9.9"], ["1-1-1-1.example.com"], True, id="an address is less than a hostname"),
        pytest.param(["a.example.com"], ["1.1.1.1"], False, id="a hostname is not less than an address"),
        pytest.param(["255.255.255.255"], ["::1"], True, id="IPv4 is less than IPv6"),
        pytest.param(["a.example.com"], ["b.example.com"], True, id="hostnames compare as strings"),
        pytest.param(["2.2.2.2", "1.1.1.1"], ["1.1.1.1", "3.3.3.3"], True, id="targets are sorted first"),
        pytest.param(["1.1.1.1"], ["1.1.1.1"], False, id="equal targets are not less"),
    ],
)
def test_targets_less(left: list[str], right: list[str], expected: bool) -> None:
    assert targets_less(left, right) is expected


def test_resolve_create_picks_the_minimum_and_reports_the_loser() -> None:
    winner = ep("foo", "A", "9.0.0.1", refs=(ingress("winner"),))
    loser = ep("foo", "A", "10.0.0.1", refs=(ingress("loser"),))
    plan = calculate([], [loser, winner], settings())
    assert plan.changes.create == [winner]
    assert [s.endpoint for s in plan.skipped] == [loser]
    assert plan.skipped[0].reason.startswith("conflicts with Ingress default/winner, which wants A record")


def test_resolve_update_prefers_the_candidate_holding_the_record() -> None:
    # fooV3 sorts after fooV2 but comes from the resource holding the record, so it wins the update.
    plan = calculate([fooV1Cname], [fooV2Cname, fooV3CnameSameResource], settings(owner_id="pwner"))
    assert plan.changes.update_new == [fooV3CnameSameResource]
    assert [s.endpoint for s in plan.skipped] == [fooV2Cname]
    assert "because it already holds the record" in plan.skipped[0].reason


def test_candidates_asking_for_the_same_record_share_it() -> None:
    first = ep("foo", "A", "1.1.1.1", resource="ingress/default/a", refs=(ingress("a"),))
    second = ep("foo", "A", "1.1.1.1", resource="ingress/default/b", refs=(ingress("b"),))
    plan = calculate([], [first, second], settings())
    assert plan.skipped == []
    assert plan.changes.create == [first]
    assert plan.changes.create[0].refs == (ingress("a"), ingress("b"))


# --- Policies (plan/policy_test.go) -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("policy", "kinds"),
    [
        pytest.param(Policy.SYNC, {"create", "update", "delete"}, id="sync keeps every change"),
        pytest.param(Policy.UPSERT_ONLY, {"create", "update"}, id="upsert-only drops deletes"),
        pytest.param(Policy.CREATE_ONLY, {"create"}, id="create-only keeps only creates"),
    ],
)
def test_policies(policy: Policy, kinds: set[str]) -> None:
    current = [owned(bar192A, "me"), owned(fooV1Cname, "me")]
    desired = [fooV2Cname, dsA]
    changes = calculate(current, desired, settings(policy=policy, owner_id="me")).changes
    found = {
        kind
        for kind, records in (
            ("create", changes.create),
            ("update", changes.update_new),
            ("delete", changes.delete),
        )
        if records
    }
    assert found == kinds
    assert Policy(policy.value) is policy


# --- Labels and refs ----------------------------------------------------------------------------------------


def test_update_and_delete_keep_the_current_labels_and_update_new_carries_refs() -> None:
    labels = {
        OWNER_LABEL: "me",
        RESOURCE_LABEL: "ingress/default/foo-v1",
        RAW_TXT_LABEL: '"heritage=..."',
        "txt-encryption-nonce": "abc",
    }
    current_cname = fooV1Cname.with_(labels=labels)
    current_a = bar192A.with_(labels=labels)
    wanted = fooV2Cname.with_(refs=(ingress("foo-v2"),))
    plan = calculate([current_cname, current_a], [wanted], settings(owner_id="me"))
    assert plan.changes.update_old == [current_cname]
    assert dict(plan.changes.update_old[0].labels) == labels
    assert plan.changes.delete == [current_a]
    assert dict(plan.changes.delete[0].labels) == labels
    (new,) = plan.changes.update_new
    assert new.refs == (ingress("foo-v2"),)
    assert dict(new.labels) == {RESOURCE_LABEL: "ingress/default/foo-v2", OWNER_LABEL: "me"}


def test_names_are_compared_normalised() -> None:
    current = [ep("Foo.Example.COM.", "A", "1.1.1.1", owner="me")]
    desired = [ep("foo.example.com", "A", "1.1.1.1")]
    assert not calculate(current, desired, settings(owner_id="me")).changes.has_changes()


# --- Incremental planning -----------------------------------------------------------------------------------


def zone() -> tuple[list[Endpoint], list[Endpoint]]:
    current = [
        owned(ep("a.example.com", "A", "1.1.1.1"), "me"),
        owned(ep("b.example.com", "CNAME", "x.example.net"), "me"),
        owned(ep("c.example.com", "A", "3.3.3.3"), "other"),
        ep("d.example.com", "A", "4.4.4.4"),
        owned(ep("e.example.com", "A", "5.5.5.5", set_id="eu"), "me"),
        owned(ep("e.example.com", "A", "5.5.5.6", set_id="us"), "me"),
        owned(ep("gone.example.com", "AAAA", "2001:db8::1"), "me"),
    ]
    desired = [
        ep("a.example.com", "A", "1.1.1.2"),
        ep("b.example.com", "A", "2.2.2.2"),
        ep("c.example.com", "CNAME", "y.example.net"),
        ep("d.example.com", "AAAA", "2001:db8::4"),
        ep("e.example.com", "A", "5.5.5.7", set_id="us"),
        ep("new.example.com", "CNAME", "z.example.net"),
        ep("new.example.com", "CNAME", "w.example.net"),
    ]
    return current, desired


@pytest.mark.parametrize(
    "names",
    [
        pytest.param({"a.example.com"}, id="an updated name alone"),
        pytest.param({"b.example.com", "c.example.com"}, id="a type change and a foreign name together"),
        pytest.param({"e.example.com"}, id="a name with set identifiers"),
        pytest.param({"gone.example.com", "new.example.com", "d.example.com"}, id="deleted, new and blocked names"),
    ],
)
def test_planning_some_rows_gives_the_same_changes_for_them_as_the_whole_zone(names: set[str]) -> None:
    current, desired = zone()
    every = settings(owner_id="me", managed_types=A_AAAA_CNAME)
    whole = calculate(current, desired, every)
    part = calculate([e for e in current if e.dns_name in names], [e for e in desired if e.dns_name in names], every)
    assert restricted(whole, names) == restricted(part, names)
    assert part.changes.has_changes()


def restricted(plan: Plan, names: set[str]) -> tuple[list[Endpoint], ...]:
    changes = plan.changes
    lists = (changes.create, changes.update_old, changes.update_new, changes.delete)
    keep = [[e for e in records if e.dns_name in names] for records in lists]
    keep.append([s.endpoint for s in plan.skipped if s.endpoint.dns_name in names])
    return tuple(keep)


def test_the_plan_does_not_depend_on_input_order() -> None:
    current, desired = zone()
    every = settings(owner_id="me", managed_types=A_AAAA_CNAME)
    forward = calculate(current, desired, every)
    backward = calculate(current[::-1], desired[::-1], every)
    assert forward.changes == backward.changes
    assert forward.skipped == backward.skipped


def test_the_whole_zone_plan() -> None:
    current, desired = zone()
    plan = calculate(current, desired, settings(owner_id="me", managed_types=A_AAAA_CNAME))
    assert [(e.dns_name, e.record_type, e.targets) for e in plan.changes.create] == [
        ("b.example.com", "A", ("2.2.2.2",)),
        ("new.example.com", "CNAME", ("w.example.net",)),
    ]
    assert [(e.dns_name, e.targets) for e in plan.changes.update_new] == [
        ("a.example.com", ("1.1.1.2",)),
        ("e.example.com", ("5.5.5.7",)),
    ]
    assert [(e.dns_name, e.set_identifier) for e in plan.changes.update_old] == [
        ("a.example.com", ""),
        ("e.example.com", "us"),
    ]
    deleted = [(e.dns_name, e.record_type, e.set_identifier) for e in plan.changes.delete]
    assert deleted == [
        ("b.example.com", "CNAME", ""),
        ("e.example.com", "A", "eu"),
        ("gone.example.com", "AAAA", ""),
    ]
    skipped = {(s.endpoint.dns_name, s.endpoint.record_type) for s in plan.skipped}
    assert skipped == {("c.example.com", "CNAME"), ("d.example.com", "AAAA"), ("new.example.com", "CNAME")}


# --- Source-side merging ------------------------------------------------------------------------------------


def test_merge_endpoints_unions_targets_of_the_same_record() -> None:
    first = ep("svc", "A", "1.1.1.1", ttl=60, resource="service/default/a", ps={"k": "v"}, refs=(ingress("a"),))
    second = ep("svc", "A", "2.2.2.2", "1.1.1.1", ttl=60, resource="service/default/b", refs=(ingress("b"),))
    (merged,) = merge_endpoints([first, second])
    assert merged.targets == ("1.1.1.1", "2.2.2.2")
    assert merged.labels == first.labels
    assert merged.provider_specific == first.provider_specific
    assert merged.refs == (ingress("a"), ingress("b"))


@pytest.mark.parametrize(
    ("endpoints", "count"),
    [
        pytest.param([ep("s", "A", "1.1.1.1", ttl=60), ep("s", "A", "2.2.2.2", ttl=30)], 2, id="TTLs differ"),
        pytest.param([ep("s", "A", "1.1.1.1", set_id="x"), ep("s", "A", "2.2.2.2")], 2, id="set ids differ"),
        pytest.param([ep("s", "CNAME", "a.example"), ep("s", "CNAME", "b.example")], 2, id="CNAMEs are kept apart"),
        pytest.param([ep("s", "DNAME", "a.example"), ep("s", "DNAME", "b.example")], 2, id="DNAMEs are kept apart"),
        pytest.param([ep("s", "A", "1.1.1.1"), ep("s", "AAAA", "::1")], 2, id="types differ"),
    ],
)
def test_merge_endpoints_leaves_different_records_alone(endpoints: list[Endpoint], count: int) -> None:
    assert merge_endpoints(endpoints) == endpoints
    assert len(endpoints) == count


def test_dedup_endpoints_drops_exact_duplicates_and_keeps_their_refs() -> None:
    first = ep("s", "A", "1.1.1.1", "2.2.2.2", refs=(ingress("a"),))
    duplicate = ep("s", "A", "2.2.2.2", "1.1.1.1", refs=(ingress("b"),))
    different = ep("s", "A", "3.3.3.3", refs=(ingress("c"),))
    result = dedup_endpoints([first, duplicate, different])
    assert result == [first, different]
    assert result[0].refs == (ingress("a"), ingress("b"))
