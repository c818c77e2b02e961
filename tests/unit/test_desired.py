"""The desired state: which names an object update changes, the name index, and who wanted a removed name."""

from __future__ import annotations

import pytest

from external_dns.desired import DesiredState, ObjectKey
from external_dns.endpoint import Endpoint, ObjectRef

WEB = ObjectKey("service", "default", "web")
API = ObjectKey("service", "default", "api")
WEB_REF = ObjectRef("Service", "v1", "default", "web", "uid-web")
OTHER_REF = ObjectRef("Service", "v1", "default", "web", "uid-recreated")


def ep(name: str, *targets: str, type_: str = "A", refs: tuple[ObjectRef, ...] = (WEB_REF,)) -> Endpoint:
    return Endpoint(name, type_, targets, refs=refs)


BEFORE = [ep("web.example.com", "203.0.113.10"), ep("www.example.com", "203.0.113.10")]

# (id, endpoints after the update, expected changed names)
UPDATE_CASES: list[tuple[str, list[Endpoint], set[str]]] = [
    ("the same endpoints change nothing", list(BEFORE), set()),
    (
        "an added name is changed",
        [*BEFORE, ep("new.example.com", "203.0.113.10")],
        {"new.example.com"},
    ),
    ("a removed name is changed", BEFORE[:1], {"www.example.com"}),
    (
        "a target change changes only that name",
        [BEFORE[0], ep("www.example.com", "203.0.113.99")],
        {"www.example.com"},
    ),
    (
        "a refs change alone changes the name, so that events go to the new object",
        [BEFORE[0], ep("www.example.com", "203.0.113.10", refs=(OTHER_REF,))],
        {"www.example.com"},
    ),
    (
        "a new record type at a kept name changes that name",
        [*BEFORE, ep("web.example.com", "2001:db8::1", type_="AAAA")],
        {"web.example.com"},
    ),
    (
        "names are reported normalised",
        [*BEFORE, ep("New.Example.COM.", "203.0.113.10")],
        {"new.example.com"},
    ),
    ("no endpoints any more changes every name", [], {"web.example.com", "www.example.com"}),
]


@pytest.mark.parametrize(("after", "expected"), [(a, e) for _, a, e in UPDATE_CASES], ids=[c[0] for c in UPDATE_CASES])
def test_update_returns_exactly_the_changed_names(after: list[Endpoint], expected: set[str]) -> None:
    state = DesiredState()
    assert state.update(WEB, BEFORE) == {"web.example.com", "www.example.com"}
    assert state.update(WEB, after) == expected


def test_the_name_index_follows_updates_and_removals() -> None:
    state = DesiredState()
    state.update(WEB, [ep("web.example.com", "203.0.113.10"), ep("shared.example.com", "203.0.113.10")])
    state.update(API, [ep("shared.example.com", "203.0.113.20"), ep("api.example.com", "203.0.113.20")])
    assert sorted(state.names()) == ["api.example.com", "shared.example.com", "web.example.com"]
    assert len(state) == 2

    assert state.remove(WEB) == {"web.example.com", "shared.example.com"}
    assert sorted(state.names()) == ["api.example.com", "shared.example.com"]
    assert state.wanted_by("shared.example.com") == [API]
    assert state.endpoints_of(WEB) == ()
    assert state.keys() == [API]


def test_endpoints_at_returns_every_wanted_endpoint_at_the_names_in_object_order() -> None:
    state = DesiredState()
    state.update(WEB, [ep("shared.example.com", "203.0.113.10"), ep("web.example.com", "203.0.113.10")])
    state.update(API, [ep("shared.example.com", "203.0.113.20")])
    found = state.endpoints_at(["shared.example.com"])
    # api sorts before web: the same input order whatever order objects arrived in.
    assert [e.targets for e in found] == [("203.0.113.20",), ("203.0.113.10",)]
    assert state.endpoints_at(["nobody.example.com"]) == []


def test_wanted_by_is_sorted_and_accepts_unnormalised_names() -> None:
    state = DesiredState()
    keys = [ObjectKey("service", "b", "z"), ObjectKey("ingress", "a", "x"), ObjectKey("service", "a", "y")]
    for key in keys:
        state.update(key, [ep("shared.example.com", "203.0.113.10")])
    assert state.wanted_by("Shared.Example.com.") == sorted(keys)
    assert state.wanted_by("shared.example.com") == [
        ObjectKey("ingress", "a", "x"),
        ObjectKey("service", "a", "y"),
        ObjectKey("service", "b", "z"),
    ]


def test_former_refs_remember_who_wanted_a_name_after_it_is_removed() -> None:
    state = DesiredState()
    api_ref = ObjectRef("Service", "v1", "default", "api", "uid-api")
    state.update(WEB, [ep("shared.example.com", "203.0.113.10")])
    state.update(API, [ep("shared.example.com", "203.0.113.20", refs=(api_ref,))])
    assert state.former_refs("shared.example.com") == ()

    state.remove(WEB)
    assert state.former_refs("shared.example.com") == (WEB_REF,)
    state.remove(API)
    # The last object that wanted it is the one the deletion is reported on.
    assert state.former_refs("shared.example.com") == (api_ref,)


def test_former_refs_unite_the_refs_of_every_removed_endpoint_at_the_name() -> None:
    state = DesiredState()
    state.update(
        WEB,
        [
            ep("web.example.com", "203.0.113.10"),
            ep("web.example.com", "2001:db8::1", type_="AAAA", refs=(OTHER_REF, WEB_REF)),
        ],
    )
    state.remove(WEB)
    assert state.former_refs("web.example.com") == tuple(sorted({WEB_REF, OTHER_REF}))


def test_removing_an_unknown_object_changes_nothing() -> None:
    state = DesiredState()
    assert state.remove(WEB) == set()
    assert len(state) == 0


def test_an_object_moving_between_one_name_and_several_keeps_the_index_exact() -> None:
    # One-name objects are kept without a per-name grouping, several-name objects with one (memory at 100,000).
    state = DesiredState()
    one_name = [ep("Web.Example.com.", "203.0.113.10"), ep("web.example.com", "2001:db8::1", type_="AAAA")]
    assert state.update(WEB, one_name) == {"web.example.com"}
    assert state.endpoints_at(["web.example.com"]) == one_name
    assert state.update(WEB, [*one_name, ep("www.example.com", "203.0.113.10")]) == {"www.example.com"}
    assert [e.dns_name for e in state.endpoints_at(["www.example.com", "web.example.com"])] == [
        "www.example.com",
        "Web.Example.com.",
        "web.example.com",
    ]
    assert state.update(WEB, [ep("www.example.com", "203.0.113.10")]) == {"web.example.com"}
    assert state.names() == ["www.example.com"]
    assert state.endpoints_at(["web.example.com"]) == []
    assert state.wanted_by("www.example.com") == [WEB]


def test_a_name_wanted_by_several_objects_then_by_one_then_by_none() -> None:
    state = DesiredState()
    third = ObjectKey("ingress", "default", "third")
    for key in (WEB, API, third):
        state.update(key, [ep("shared.example.com", "203.0.113.10")])
    assert state.wanted_by("shared.example.com") == [third, API, WEB]
    state.remove(API)
    state.remove(third)
    assert state.wanted_by("shared.example.com") == [WEB]
    state.update(API, [ep("shared.example.com", "203.0.113.20")])
    assert state.wanted_by("shared.example.com") == [API, WEB]
    assert [e.targets for e in state.endpoints_at(["shared.example.com"])] == [("203.0.113.20",), ("203.0.113.10",)]
    state.remove(WEB)
    state.remove(API)
    assert state.names() == []
    assert state.wanted_by("shared.example.com") == []
