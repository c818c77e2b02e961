"""Edges of the planner and the TXT registry that mutation testing found unpinned (issue 9, deliverable 5).

Each test names the behaviour; the comment under it says which mutant it kills, so that a later mutation run
can be read against it.
"""

from __future__ import annotations

import itertools

import pytest

from external_dns.domain_filter import DomainFilter, normalize_domain
from external_dns.endpoint import NONCE_LABEL, OWNER_LABEL, RESOURCE_LABEL, Endpoint, ObjectRef
from external_dns.plan import PlanSettings, Policy, calculate, targets_less
from external_dns.providers.base import Changes
from external_dns.registry import RegistryView, TXTRegistry
from external_dns.registry.crypto import DecryptionError, decrypt_text
from external_dns.registry.mapper import AffixNameMapper

KEY = b"12345678901234567890123456789012"
ME = PlanSettings(owner_id="me", managed_types=frozenset({"A", "AAAA", "CNAME"}))


def value(owner: str) -> str:
    return f'"heritage=external-dns,external-dns/owner={owner}"'


def owned(name: str, kind: str, *targets: str, owner: str = "me", ttl: int = 0) -> Endpoint:
    return Endpoint(name, kind, targets, ttl, labels={OWNER_LABEL: owner})


def wanted(name: str, kind: str, *targets: str, ttl: int = 0, resource: str = "service/default/a") -> Endpoint:
    return Endpoint(name, kind, targets, ttl, labels={RESOURCE_LABEL: resource})


# --- registry: --migrate-from-txt-owner ------------------------------------------------------------------------


def test_migrating_from_an_old_owner_relabels_only_that_owners_records() -> None:
    # Kills `old_owner_id and owner == old` -> `or` (read and write side).
    registry = TXTRegistry("me", old_owner_id="old")
    zone = [
        Endpoint("old.example.com", "A", ("192.0.2.1",)),
        Endpoint("a-old.example.com", "TXT", (value("old"),)),
        Endpoint("third.example.com", "A", ("192.0.2.2",)),
        Endpoint("a-third.example.com", "TXT", (value("third"),)),
        Endpoint("nobody.example.com", "A", ("192.0.2.3",)),
    ]
    owners = {record.dns_name: record.labels.get(OWNER_LABEL) for record in registry.read(zone).records}
    assert owners == {"old.example.com": "me", "third.example.com": "third", "nobody.example.com": None}


def test_without_an_old_owner_a_record_with_an_empty_owner_stays_unowned() -> None:
    # Kills `old_owner_id and ...` -> `or` when no old owner is configured.
    registry = TXTRegistry("me")
    zone = [Endpoint("e.example.com", "A", ("192.0.2.1",)), Endpoint("a-e.example.com", "TXT", (value(""),))]
    (record,) = registry.read(zone).records
    assert record.labels[OWNER_LABEL] == ""


# --- registry: its own ownership guard, apart from the planner's ---------------------------------------------


@pytest.mark.parametrize(
    ("old_owner", "new_owner"),
    [("other", "me"), ("me", "other")],
    ids=["the current record is someone else's", "the new record names someone else"],
)
def test_the_registry_drops_an_update_unless_both_sides_are_ours(old_owner: str, new_owner: str) -> None:
    # Kills `_is_owned(old) and _is_owned(new)` -> `or`.
    registry = TXTRegistry("me")
    old = owned("x.example.com", "A", "192.0.2.1", owner=old_owner)
    new = owned("x.example.com", "A", "192.0.2.2", owner=new_owner)
    batch = registry.ownership_changes(Changes(update_old=[old], update_new=[new]), RegistryView([]))
    assert not batch.has_changes()


def test_the_registry_drops_a_delete_of_someone_elses_record() -> None:
    registry = TXTRegistry("me")
    batch = registry.ownership_changes(
        Changes(delete=[owned("x.example.com", "A", "1.2.3.4", owner="other")]), RegistryView([])
    )
    assert batch.delete == []


# --- registry: reading --------------------------------------------------------------------------------------------


def test_an_empty_txt_record_does_not_hide_the_records_after_it() -> None:
    # Kills `continue` -> `break` after "TXT record has no value".
    zone = [
        Endpoint("empty.example.com", "TXT", ()),
        Endpoint("web.example.com", "A", ("192.0.2.1",)),
        Endpoint("a-web.example.com", "TXT", (value("me"),)),
    ]
    view = TXTRegistry("me").read(zone)
    assert [(r.dns_name, r.labels.get(OWNER_LABEL)) for r in view.records] == [("web.example.com", "me")]


def test_an_aes_key_given_for_reading_only_keeps_writes_in_plain_text() -> None:
    # Kills `not self.encrypt or self.aes_key is None` -> `and`.
    registry = TXTRegistry("me", aes_key=KEY)
    batch = registry.ownership_changes(Changes(create=[owned("w.example.com", "A", "192.0.2.1")]), RegistryView([]))
    assert batch.create[1].targets == (value("me"),)
    with pytest.raises(DecryptionError):
        decrypt_text(batch.create[1].targets[0].strip('"'), KEY)


def test_an_aes_key_with_encryption_writes_encrypted_values() -> None:
    registry = TXTRegistry("me", aes_key=KEY, encrypt=True)
    batch = registry.ownership_changes(Changes(create=[owned("w.example.com", "A", "192.0.2.1")]), RegistryView([]))
    plain, _ = decrypt_text(batch.create[1].targets[0].strip('"'), KEY)
    assert plain == "heritage=external-dns,external-dns/owner=me"


# --- registry: the 63-character label limit --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("label_length", "has_txt"),
    [(61, True), (62, False)],
    ids=["a-<61 chars> is 63 characters: written", "a-<62 chars> is 64 characters: not written"],
)
def test_an_ownership_txt_label_may_have_at_most_63_characters(label_length: int, has_txt: bool) -> None:
    # Kills `len(label) > 63` -> `>= 63` / `> 64`.
    record = owned("x" * label_length + ".example.com", "A", "192.0.2.1")
    batch = TXTRegistry("me").ownership_changes(Changes(create=[record]), RegistryView([]))
    assert [r.record_type for r in batch.create] == (["A", "TXT"] if has_txt else ["A"])


def test_a_long_label_elsewhere_in_the_name_also_counts() -> None:
    record = owned("x." + "y" * 64 + ".example.com", "A", "192.0.2.1")
    batch = TXTRegistry("me").ownership_changes(Changes(create=[record]), RegistryView([]))
    assert [r.record_type for r in batch.create] == ["A"]


# --- mapper: hyphenated names and wildcards ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("mapper", "txt_name", "owned_record"),
    [
        (AffixNameMapper(), "a-my-app.example.com", ("my-app.example.com", "A")),
        (AffixNameMapper(), "cname-my-web-app.example.com", ("my-web-app.example.com", "CNAME")),
        (AffixNameMapper(prefix="txt."), "txt.aaaa-my-app.example.com", ("my-app.example.com", "AAAA")),
        (AffixNameMapper(suffix="-txt"), "a-my-app-txt.example.com", ("my-app.example.com", "A")),
        (AffixNameMapper(), "my-app.example.com", ("my-app.example.com", "")),
    ],
    ids=["new format", "CNAME with two hyphens", "prefix", "suffix", "legacy"],
)
def test_hyphenated_names_map_back_to_their_record(
    mapper: AffixNameMapper, txt_name: str, owned_record: tuple[str, str]
) -> None:
    # Kills `split("-", 1)` -> `rsplit("-", 1)` in the type extraction.
    assert mapper.to_endpoint_name(txt_name) == owned_record


@pytest.mark.parametrize(
    ("replacement", "name", "txt_name", "legacy_name"),
    [
        ("wc", "*.apps.example.com", "a-wc.apps.example.com", "wc.apps.example.com"),
        ("", "*.apps.example.com", "a-*.apps.example.com", "*.apps.example.com"),
        ("wc", "api.apps.example.com", "a-api.apps.example.com", "api.apps.example.com"),
    ],
    ids=["a wildcard with a replacement", "a wildcard without one", "a plain name with a replacement set"],
)
def test_the_wildcard_replacement_applies_to_a_leading_star_only(
    replacement: str, name: str, txt_name: str, legacy_name: str
) -> None:
    # Kills the `replacement and first == "*"` -> `or` mutants in the mapper (both TXT formats).
    mapper = AffixNameMapper(wildcard_replacement=replacement)
    assert mapper.to_txt_name(name, "A") == txt_name
    assert mapper.to_legacy_txt_name(name) == legacy_name


@pytest.mark.parametrize(
    ("replacement", "record_name", "txt_name", "owner"),
    [
        ("wc", "*.x.example.com", "a-wc.x.example.com", "me"),
        ("", "*.x.example.com", "a-*.x.example.com", "me"),
        ("wc", "api.x.example.com", "a-wc.x.example.com", None),
    ],
    ids=["a wildcard owned through the replacement", "a wildcard owned without one", "a plain name is not a wildcard"],
)
def test_reading_finds_a_wildcards_owner_through_the_replacement(
    replacement: str, record_name: str, txt_name: str, owner: str | None
) -> None:
    # Kills the `replacement and first == "*"` -> `or` mutant of the registry's lookup name.
    zone = [Endpoint(record_name, "A", ("192.0.2.1",)), Endpoint(txt_name, "TXT", (value("me"),))]
    view = TXTRegistry("me", wildcard_replacement=replacement).read(zone)
    assert [record.labels.get(OWNER_LABEL) for record in view.records] == [owner]


# --- planner: domain filter, TTL, conflicts, order -------------------------------------------------------------


def test_the_planner_applies_the_domain_filter_to_current_and_desired_records() -> None:
    # Kills the removal of the planner's own domain-filter check: the excluded names differ on both sides.
    settings = PlanSettings(
        owner_id="me",
        managed_types=frozenset({"A"}),
        domain_filters=(DomainFilter(include=("example.com",), exclude=("ex.example.com",)),),
    )
    current = [owned("old.ex.example.com", "A", "192.0.2.1"), owned("gone.example.com", "A", "192.0.2.2")]
    desired = [wanted("new.ex.example.com", "A", "192.0.2.3"), wanted("new.example.com", "A", "192.0.2.4")]
    plan = calculate(current, desired, settings)
    assert [r.dns_name for r in plan.changes.create] == ["new.example.com"]
    assert [r.dns_name for r in plan.changes.delete] == ["gone.example.com"]


@pytest.mark.parametrize(
    ("current_ttl", "desired_ttl", "updated"),
    [(300, 300, False), (300, 0, False), (0, 0, False), (300, 600, True), (0, 300, True)],
    ids=[
        "the same TTL on both sides: a second sync plans nothing",
        "no TTL asked for: the record keeps its own",
        "no TTL anywhere",
        "another TTL asked for",
        "a TTL asked for where the record has none",
    ],
)
def test_a_ttl_change_is_an_update_only_when_a_ttl_is_asked_for(
    current_ttl: int, desired_ttl: int, updated: bool
) -> None:
    # Kills `desired.ttl > 0 and desired.ttl != current.ttl` -> `>= 0` / `or`.
    current = owned("t.example.com", "A", "192.0.2.1", ttl=current_ttl)
    plan = calculate([current], [wanted("t.example.com", "A", "192.0.2.1", ttl=desired_ttl)], ME)
    assert bool(plan.changes.update_new) is updated


def test_every_loser_of_a_conflict_is_reported() -> None:
    # Kills `continue` -> `break` in the losers loop (a joining candidate first, then two losers).
    winner = wanted("c.example.com", "CNAME", "a.example.net", resource="service/default/a")
    joiner = wanted("c.example.com", "CNAME", "a.example.net", resource="service/default/b")
    losers = [wanted("c.example.com", "CNAME", f"{x}.example.net", resource=f"service/default/{x}") for x in "yz"]
    plan = calculate([], [winner, joiner, *losers], ME)
    assert [r.targets for r in plan.changes.create] == [("a.example.net",)]
    assert sorted(skip.endpoint.targets[0] for skip in plan.skipped) == ["y.example.net", "z.example.net"]


@pytest.mark.parametrize(
    ("left", "right"),
    [
        (("9.0.0.1",), ("10.0.0.2",)),
        (("192.0.2.9",), ("192.0.2.10",)),
        (("203.0.113.1",), ("2001:db8::1",)),
        (("2001:db8::2",), ("2001:db8::10",)),
        (("192.0.2.1",), ("a.example.net",)),
        (("a.example.net",), ("b.example.net",)),
        (("192.0.2.1", "192.0.2.9"), ("192.0.2.1", "192.0.2.10")),
        (("192.0.2.200",), ("192.0.2.1", "192.0.2.2")),
    ],
    ids=[
        "IPv4 by value, not by text",
        "the last octet by value",
        "IPv4 before IPv6",
        "IPv6 by value",
        "an address before a hostname",
        "hostnames by text",
        "the first difference decides",
        "fewer targets first",
    ],
)
def test_targets_order_as_externaldns_orders_them(left: tuple[str, ...], right: tuple[str, ...]) -> None:
    # Kills the comparison mutants in targets_less (and the order of its two IP targets).
    assert targets_less(left, right)
    assert not targets_less(right, left)
    assert not targets_less(left, left)


def test_shuffled_candidates_and_targets_give_the_same_plan() -> None:
    candidates = [
        wanted("s.example.com", "A", "10.0.0.2", "9.0.0.1", resource="service/default/a"),
        wanted("s.example.com", "A", "9.0.0.1", "10.0.0.3", resource="service/default/b"),
        wanted("s.example.com", "A", "192.0.2.1", resource="service/default/c"),
        wanted("s.example.com", "A", "192.0.2.10", resource="service/default/d"),
    ]
    plans = set()
    for order in itertools.permutations(candidates):
        plan = calculate([], list(order), ME)
        plans.add(tuple((r.labels[RESOURCE_LABEL], tuple(sorted(r.targets))) for r in plan.changes.create))
        reversed_targets = [c.with_(targets=tuple(reversed(c.targets))) for c in order]
        plan = calculate([], reversed_targets, ME)
        plans.add(tuple((r.labels[RESOURCE_LABEL], tuple(sorted(r.targets))) for r in plan.changes.create))
    assert plans == {(("service/default/c", ("192.0.2.1",)),)}


def test_policies_apply_before_the_ownership_filter() -> None:
    current = [owned("d.example.com", "A", "192.0.2.1"), owned("u.example.com", "A", "192.0.2.2")]
    desired = [wanted("u.example.com", "A", "192.0.2.3"), wanted("c.example.com", "A", "192.0.2.4")]
    kinds = {}
    for policy in Policy:
        changes = calculate(current, desired, PlanSettings(policy=policy, owner_id="me")).changes
        kinds[policy] = (len(changes.create), len(changes.update_new), len(changes.delete))
    assert kinds == {Policy.SYNC: (1, 1, 1), Policy.UPSERT_ONLY: (1, 1, 0), Policy.CREATE_ONLY: (1, 0, 0)}


# --- second round: mutants left by the first mutation run -------------------------------------------------------


def test_a_ttl_of_one_second_is_a_ttl() -> None:
    # Kills `desired.ttl > 0` -> `> 1`.
    plan = calculate(
        [owned("t.example.com", "A", "192.0.2.1", ttl=300)], [wanted("t.example.com", "A", "192.0.2.1", ttl=1)], ME
    )
    assert [r.ttl for r in plan.changes.update_new] == [1]


@pytest.mark.parametrize(
    ("current_owner", "updated"),
    [("old", False), ("other", True), (None, True)],
    ids=["a record of the old owner is not rewritten", "another owner's is", "an unowned one is"],
)
def test_the_old_owner_clause_of_an_update_without_ownership_checks(current_owner: str | None, updated: bool) -> None:
    # Kills the `current.labels.get(OWNER_LABEL, "")` mutants of the owner-migration clause.
    labels = {} if current_owner is None else {OWNER_LABEL: current_owner}
    current = Endpoint("m.example.com", "A", ("192.0.2.1",), labels=labels)
    settings = PlanSettings(owner_id="", old_owner_id="old")
    plan = calculate([current], [wanted("m.example.com", "A", "192.0.2.1")], settings)
    assert bool(plan.changes.update_new) is updated


def test_addresses_that_are_equal_as_addresses_are_not_less() -> None:
    # Kills `(version, int(mine)) < ...` -> `<=`: the texts differ, the addresses do not.
    assert not targets_less(("2001:DB8::1",), ("2001:db8::1",))
    assert not targets_less(("2001:db8::1",), ("2001:DB8::1",))


def test_the_candidate_of_the_holding_object_wins_even_with_more_targets() -> None:
    # Kills the stable sort's `index > 0` -> `> 1` and the holder's default "" -> None mutants.
    current = owned("h.example.com", "A", "192.0.2.50")
    two = Endpoint("h.example.com", "A", ("192.0.2.1", "192.0.2.2"))  # no resource label, like the current record
    one = wanted("h.example.com", "A", "192.0.2.3", resource="service/default/other")
    plan = calculate([current], [one, two], ME)
    assert [r.targets for r in plan.changes.update_new] == [("192.0.2.1", "192.0.2.2")]
    holder = current.with_labels(**{RESOURCE_LABEL: "service/default/h"})
    three = wanted("h.example.com", "A", "192.0.2.7", "192.0.2.8", "192.0.2.9", resource="service/default/h")
    single = wanted("h.example.com", "A", "192.0.2.4", resource="service/default/h")
    plan = calculate([holder], [three, single], ME)
    assert [r.targets for r in plan.changes.update_new] == [("192.0.2.4",)]


def test_an_update_skipped_for_ownership_names_the_owner_and_this_instance() -> None:
    # Kills the mutants of the skip's foreign owner ("" for none) and reason.
    unowned = Endpoint("u.example.com", "A", ("192.0.2.1",))
    plan = calculate([unowned], [wanted("u.example.com", "A", "192.0.2.2")], ME)
    (skip,) = plan.skipped
    assert skip.foreign_owner == ""
    theirs = owned("v.example.com", "A", "192.0.2.1", owner="other")
    plan = calculate([theirs], [wanted("v.example.com", "A", "192.0.2.2")], ME)
    (skip,) = plan.skipped
    assert (skip.foreign_owner, '"other", not by this instance ("me")' in skip.reason) == ("other", True)


def test_a_create_blocked_by_a_record_of_another_type_names_its_owner() -> None:
    for blocker_owner, foreign in (("other", "other"), (None, "")):
        labels = {} if blocker_owner is None else {OWNER_LABEL: blocker_owner}
        blocker = Endpoint("b.example.com", "CNAME", ("x.example.net",), labels=labels)
        plan = calculate([blocker], [wanted("b.example.com", "A", "192.0.2.1")], ME)
        assert [skip.foreign_owner for skip in plan.skipped] == [foreign]


def test_a_conflict_loser_is_told_which_object_won_and_why() -> None:
    ref = ObjectRef("Service", "v1", "default", "a")
    winner = wanted("w.example.com", "CNAME", "a.example.net").with_(refs=(ref,))
    loser = wanted("w.example.com", "CNAME", "b.example.net", resource="service/default/b")
    (skip,) = calculate([], [loser, winner], ME).skipped
    assert skip.reason == (
        'conflicts with Service default/a, which wants CNAME record "w.example.com" -> a.example.net; only one of '
        "them can have it and Service default/a was chosen because it has fewer or lower-sorting targets"
    )
    (skip,) = calculate([], [loser, winner.with_(refs=())], ME).skipped
    assert skip.reason.startswith("conflicts with another source, which wants")


def test_candidates_asking_for_the_same_record_share_it_and_nothing_else_changes() -> None:
    a, b = ObjectRef("Service", "v1", "default", "a"), ObjectRef("Service", "v1", "default", "b")
    first = wanted("j.example.com", "A", "192.0.2.1").with_(refs=(a,))
    plan = calculate([], [first], ME)
    assert plan.changes.create[0] is first  # no copy when no other candidate joins
    plan = calculate([], [first, first.with_(refs=(b,))], ME)
    assert plan.changes.create[0].refs == (a, b)


def test_a_refused_ownership_txt_request_does_not_stop_the_requests_after_it() -> None:
    # Kills `continue` -> `break` after refusing a desired record at an ownership TXT.
    settings = PlanSettings(owner_id="me", managed_types=frozenset({"A", "TXT"}))
    ownership_txt = Endpoint("a-x.example.com", "TXT", (value("other"),), labels={"txt-ownership-of": "x.example.com"})
    desired = [wanted("a-x.example.com", "TXT", '"hello"'), wanted("z.example.com", "A", "192.0.2.1")]
    plan = calculate([ownership_txt], desired, settings)
    assert [r.dns_name for r in plan.changes.create] == ["z.example.com"]
    assert [s.endpoint.dns_name for s in plan.skipped] == ["a-x.example.com"]


def test_an_update_of_an_encrypted_txt_keeps_the_nonce_of_the_new_record_first() -> None:
    # Kills `new.labels.get(NONCE_LABEL) or ...` -> `get(None)`.
    registry = TXTRegistry("me", encrypt=True, aes_key=KEY)
    old = owned("n.example.com", "A", "192.0.2.1").with_labels(**{NONCE_LABEL: "AAAAAAAAAAAAAAAA"})
    new = owned("n.example.com", "A", "192.0.2.2").with_labels(**{NONCE_LABEL: "BBBBBBBBBBBBBBBB"})
    batch = registry.ownership_changes(Changes(update_old=[old], update_new=[new]), RegistryView([]))
    _, nonce = decrypt_text(batch.update_new[1].targets[0].strip('"'), KEY)
    assert nonce == "BBBBBBBBBBBBBBBB"


def test_the_stored_txt_of_a_record_is_sent_as_read() -> None:
    # Kills the `_stored_txt` condition mutants: one value as read; several only when ours is among them.
    registry = TXTRegistry("me")
    raw = '"heritage=external-dns,external-dns/owner=me,external-dns/resource=service/default/x"'
    zone = [Endpoint("s.example.com", "A", ("192.0.2.1",)), Endpoint("a-s.example.com", "TXT", (raw,))]
    view = registry.read(zone)
    deleted = registry.ownership_changes(Changes(delete=view.records), view).delete
    assert [r.targets for r in deleted] == [("192.0.2.1",), (raw,)]
    unknown = owned("s.example.com", "A", "192.0.2.1").with_labels(**{"txt-raw-value": value("me")})
    deleted = registry.ownership_changes(Changes(delete=[unknown]), view).delete
    assert deleted[1].targets == (value("me"),)
    fresh = owned("s.example.com", "A", "192.0.2.1")
    deleted = registry.ownership_changes(Changes(delete=[fresh]), view).delete
    assert deleted[1].targets == (value("me"),)


def test_ownership_txt_names_have_no_trailing_dot_and_a_default_ttl() -> None:
    batch = TXTRegistry("me").ownership_changes(
        Changes(create=[owned("d.example.com.", "A", "192.0.2.1", ttl=300)]), RegistryView([])
    )
    assert (batch.create[1].dns_name, batch.create[1].ttl) == ("a-d.example.com", 0)


def test_only_an_alias_a_record_falls_back_to_its_cname_ownership() -> None:
    # Kills `record_type == A and alias` -> `or`.
    zone = [
        Endpoint("plain.example.com", "A", ("192.0.2.1",)),
        Endpoint("cname-plain.example.com", "TXT", (value("me"),)),
        Endpoint("alias.example.com", "A", ("lb.example.net",), provider_specific={"alias": "true"}),
        Endpoint("cname-alias.example.com", "TXT", (value("me"),)),
    ]
    owners = {r.dns_name: r.labels.get(OWNER_LABEL) for r in TXTRegistry("me").read(zone).records}
    assert owners == {"plain.example.com": None, "alias.example.com": "me"}


@pytest.mark.parametrize(
    ("mapper", "txt_name", "owned_record"),
    [
        (AffixNameMapper(suffix="-%{record_type}"), "foo-.example.com", ("foo.example.com", "")),
        (AffixNameMapper(suffix="-txt"), "a-foo-txt", ("", "")),
        (AffixNameMapper(suffix=".txt"), "a-foo.txt", ("", "")),
    ],
    ids=["a legacy TXT of a templated suffix", "too few labels for the suffix", "too few labels for a dotted suffix"],
)
def test_suffix_names_map_back_or_are_ignored(
    mapper: AffixNameMapper, txt_name: str, owned_record: tuple[str, str]
) -> None:
    assert mapper.to_endpoint_name(txt_name) == owned_record


def test_the_legacy_name_of_a_templated_suffix_drops_the_template() -> None:
    assert AffixNameMapper(suffix="-%{record_type}").to_legacy_txt_name("foo.example.com") == "foo-.example.com"


def test_an_empty_domain_normalises_to_nothing() -> None:
    assert normalize_domain("") == ""
    assert normalize_domain(" Example.COM. ") == "example.com"


@pytest.mark.parametrize(
    ("data", "field"),
    [({"include": "example.com"}, "include"), ({"exclude": [1]}, "exclude"), ({"regexInclude": 5}, "regexInclude")],
    ids=["a string for a list", "a list of non-strings", "a number for a regex"],
)
def test_a_malformed_domain_filter_json_names_its_field(data: dict[str, object], field: str) -> None:
    with pytest.raises(ValueError, match=field):
        DomainFilter.from_json(data)
