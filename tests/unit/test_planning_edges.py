"""Edges of the planner, the desired state and the domain filter that mutation testing found unpinned (issue 9).

Each test states a behaviour (which change is planned, what the object's owner is told, which names an update
touches, which names a filter lets through); the comment under it names the mutant it was written against.
"""

from __future__ import annotations

import pytest

from external_dns.desired import DesiredState, ObjectKey
from external_dns.domain_filter import DomainFilter, normalize_domain
from external_dns.endpoint import OWNER_LABEL, OWNERSHIP_TXT_LABEL, RESOURCE_LABEL, Endpoint, ObjectRef
from external_dns.plan import PlanSettings, calculate
from external_dns.recordstate import RecordStates

ME = PlanSettings(owner_id="me")
WITH_TXT = PlanSettings(owner_id="me", managed_types=frozenset({"A", "TXT"}))
WEB = ObjectKey("service", "default", "web")
WEB_REF = ObjectRef("Service", "v1", "default", "web")
API_REF = ObjectRef("Service", "v1", "default", "api")


def record(name: str, kind: str, *targets: str, owner: str | None = "me", ttl: int = 0, resource: str = "") -> Endpoint:
    labels = {} if owner is None else {OWNER_LABEL: owner}
    if resource:
        labels[RESOURCE_LABEL] = resource
    return Endpoint(name, kind, targets, ttl, labels=labels)


def wanted(name: str, kind: str, *targets: str, ttl: int = 0, resource: str = "service/default/web") -> Endpoint:
    return Endpoint(name, kind, targets, ttl, labels={RESOURCE_LABEL: resource})


# --- planner --------------------------------------------------------------------------------------------------


def test_an_ownership_txt_listed_first_does_not_hide_the_records_after_it() -> None:
    # With TXT managed, the registry's ownership stand-ins are among the current records; they are passed over.
    # Kills `continue` -> `break` after the OWNERSHIP_TXT_LABEL check in calculate.
    holder = Endpoint("a-gone.example.com", "TXT", ('"heritage=external-dns"',), labels={OWNERSHIP_TXT_LABEL: "gone"})
    plan = calculate([holder, record("gone.example.com", "A", "192.0.2.1")], [], WITH_TXT)
    assert [r.dns_name for r in plan.changes.delete] == ["gone.example.com"]


def test_a_txt_asked_for_at_an_ownership_txt_with_no_owner_is_refused_saying_so() -> None:
    # Kills the `holder.labels.get(OWNER_LABEL, "")` default mutants and the "with no owner" text mutant.
    holder = Endpoint(
        "a-x.example.com", "TXT", ('"heritage=external-dns"',), labels={OWNERSHIP_TXT_LABEL: "x.example.com"}
    )
    plan = calculate([holder], [wanted("a-x.example.com", "TXT", "hello")], WITH_TXT)
    (skip,) = plan.skipped
    assert not plan.changes.has_changes()
    assert skip.foreign_owner == ""
    assert skip.reason == (
        'owner id does not match: the TXT record "a-x.example.com" is the ownership record of "x.example.com", '
        'with no owner, not by this instance ("me"); it is left alone'
    )


@pytest.mark.parametrize("reverse", [False, True], ids=["A listed first", "AAAA listed first"])
def test_a_create_blocked_by_several_records_names_the_same_blocker_whatever_their_order(reverse: bool) -> None:
    # Kills the sort key of the blockers (`key=None`, `key=lambda record: None`, no key: Endpoints do not order).
    currents = [
        record("x.example.com", "A", "192.0.2.1", owner="other"),
        record("x.example.com", "AAAA", "2001:db8::1", owner=None),
    ]
    plan = calculate(currents[::-1] if reverse else currents, [wanted("x.example.com", "CNAME", "lb.example.net")], ME)
    (skip,) = plan.skipped
    assert skip.foreign_owner == "other"
    assert 'the existing A record "x.example.com" is owned by "other"' in skip.reason


def test_an_update_of_a_record_nobody_owns_is_refused_saying_why() -> None:
    # Kills the text mutants of the "has no owner" reason.
    plan = calculate(
        [record("free.example.com", "A", "192.0.2.1", owner=None)], [wanted("free.example.com", "A", "192.0.2.2")], ME
    )
    (skip,) = plan.skipped
    assert skip.reason == (
        'owner id does not match: the existing A record "free.example.com" has no owner (it was not created by '
        "ExternalDNS, or its ownership TXT record is missing), so it is left alone"
    )


def test_a_conflict_loser_is_told_every_object_behind_the_winner_and_its_targets() -> None:
    # Kills `", ".join(...)` -> `"XX, XX".join(...)` for the winner's objects and for its targets.
    winner = Endpoint("c.example.com", "A", ("192.0.2.1", "192.0.2.2"), refs=(WEB_REF, API_REF))
    loser = Endpoint(
        "c.example.com",
        "A",
        ("192.0.2.3", "192.0.2.4", "192.0.2.5"),
        refs=(ObjectRef("Service", "v1", "default", "late"),),
    )
    (skip,) = calculate([], [loser, winner], ME).skipped
    assert skip.endpoint is loser
    assert skip.reason == (
        'conflicts with Service default/web, Service default/api, which wants A record "c.example.com" -> '
        "192.0.2.1, 192.0.2.2; only one of them can have it and Service default/web, Service default/api was "
        "chosen because it has fewer or lower-sorting targets"
    )


def test_when_the_holder_is_gone_the_first_of_equal_candidates_takes_the_record() -> None:
    # ExternalDNS sorts the candidates stably: of two asking for the same targets, the one listed first wins
    # (the reconciler lists them by object). Kills `index -= 1` -> `index -= 2` in _stable_sort_by_targets.
    current = record("h.example.com", "A", "192.0.2.9", ttl=60, resource="service/default/gone")
    candidates = [
        wanted("h.example.com", "A", "192.0.2.1", ttl=60, resource="service/default/first"),
        wanted("h.example.com", "A", "192.0.2.2", ttl=60, resource="service/default/second"),
        wanted("h.example.com", "A", "192.0.2.1", ttl=300, resource="service/default/third"),
    ]
    (new,) = calculate([current], candidates, ME).changes.update_new
    assert (new.labels[RESOURCE_LABEL], new.ttl) == ("service/default/first", 60)


# --- desired state --------------------------------------------------------------------------------------------


def test_the_desired_state_reports_releases_to_the_record_state_store_it_was_given() -> None:
    # The reconciler shares one store between the desired state and the events. Kills `states if ... and False`.
    states = RecordStates()
    desired = DesiredState(states)
    desired.update(WEB, [Endpoint("web.example.com", "A", ("192.0.2.1",), refs=(WEB_REF,))])
    desired.remove(WEB)
    assert states.former_refs("web.example.com") == (WEB_REF,)


def test_an_objects_endpoints_are_kept_as_given() -> None:
    # Kills `self._by_object[key] = None` and `endpoints_of` looking up None.
    endpoints = [Endpoint("web.example.com", "A", ("192.0.2.1",), refs=(WEB_REF,))]
    desired = DesiredState()
    desired.update(WEB, endpoints)
    assert desired.endpoints_of(WEB) == tuple(endpoints)
    desired.remove(WEB)
    assert desired.endpoints_of(WEB) == ()


def test_an_object_removed_then_added_again_changes_its_names_again() -> None:
    # Kills `self._grouped.pop(key, None)` -> `pop(None, None)` (a stale group would hide the re-added name).
    endpoints = [Endpoint("web.example.com", "A", ("192.0.2.1",), refs=(WEB_REF,))]
    desired = DesiredState()
    assert desired.update(WEB, endpoints) == {"web.example.com"}
    assert desired.remove(WEB) == {"web.example.com"}
    assert desired.update(WEB, endpoints) == {"web.example.com"}
    assert desired.endpoints_at(["web.example.com"]) == endpoints


def test_nobody_wants_a_name_nobody_asked_for() -> None:
    # Kills the `get(name, ())` default mutants of wanted_by (sorted(None) would raise).
    assert DesiredState().wanted_by("unknown.example.com") == []


# --- domain filter --------------------------------------------------------------------------------------------


def test_names_are_compared_as_idna_maps_them() -> None:
    # UTS 46 maps compatibility characters (full-width letters, ligatures) before comparing, as a resolver does.
    # Kills `idna.decode(label, uts46=True)` -> uts46=False / None / left out.
    assert DomainFilter(include=("bucher.example",)).match(
        "\uff22\uff35\uff23\uff28\uff25\uff32.example"
    )  # full-width BUCHER
    assert normalize_domain("\ufb01le.example")  # the "fi" ligature == "file.example"


def test_with_no_include_entries_every_zone_is_a_parent_unless_excluded() -> None:
    # --aws-zone-match-parent without --domain-filter: no zone is left out by it. Kills `return True` -> False.
    assert DomainFilter().match_parent("example.com")
    assert not DomainFilter(exclude=("example.com",)).match_parent("example.com")


def test_a_label_idna_refuses_is_still_lower_cased() -> None:
    # Kills `label.lower()` -> `label.upper()` on the IDNA error path.
    assert normalize_domain("Ü_SIP.Example") == "ü_sip.example"


def test_a_domain_filter_json_with_lists_and_a_regex_is_refused_saying_so() -> None:
    with pytest.raises(ValueError) as raised:
        DomainFilter.from_json({"include": ["example.com"], "regexInclude": "example"})
    assert str(raised.value) == "a domain filter cannot have both a domain list and a regex"
