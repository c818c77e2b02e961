"""Cuts in a derivation's CPU that must change no result: each compared with the code it replaced, kept here.

* the store packs with one shared JSON encoder: the same bytes as ``json.dumps`` with the same arguments;
* the desired state takes an object's first endpoints without comparing them with none: the same changed names,
  lookups and released refs as the general update, over generated sequences of updates;
* ``status.loadBalancer.ingress[]`` entries skip absent fields before writing their paths: the same targets and
  problems for well-formed, odd and hostile entries.
"""

from __future__ import annotations

import json
import random
from collections.abc import Mapping
from typing import Any

import pytest

from external_dns.desired import DesiredState, ObjectKey, _group, _same_refs
from external_dns.endpoint import Endpoint, ObjectRef
from external_dns.sources.base import FieldReader, load_balancer_targets, validate_target
from external_dns.store import ObjectStore, slim

# --- the store's JSON ----------------------------------------------------------------------------------------------

ODD_OBJECTS: list[dict[str, Any]] = [
    {"metadata": {"name": "web", "namespace": "default", "resourceVersion": "1"}},
    {
        "metadata": {"name": "ünï", "namespace": "default", "annotations": {"a": 'é\u2028\x00"\\/</script>'}},
        "spec": {"type": "LoadBalancer", "ports": [{"port": 80, "nodePort": 2**70}], "x": [1.5, 1e300, -0.0]},
        "status": {"loadBalancer": {"ingress": [{"ip": "203.0.113.10"}, {"hostname": "lb.example.net"}]}},
    },
    {"metadata": {"name": "nan"}, "spec": {"weights": [float("nan"), float("inf"), float("-inf")], "b": [True, None]}},
    {"metadata": {"name": "emoji", "labels": {"k": "\U0001f600"}}, "spec": {}, "status": {}},
]


@pytest.mark.parametrize("obj", ODD_OBJECTS, ids=lambda obj: repr(obj)[:40])
@pytest.mark.parametrize("whole", [False, True])
def test_packed_bodies_are_the_bytes_json_dumps_wrote(obj: dict[str, Any], whole: bool) -> None:
    store = ObjectStore("services", whole=whole)
    packed, slimmed = store.pack_slimmed(obj)
    assert packed.body == json.dumps(slimmed, separators=(",", ":"), ensure_ascii=False).encode(
        "utf-8", "surrogatepass"
    )
    assert slimmed == slim(obj, "services", whole=whole)


# --- the desired state's first update --------------------------------------------------------------------------


class FormerDesiredState(DesiredState):
    """The desired state with update as it was before the first-endpoints path (verbatim)."""

    def update(self, key: ObjectKey, endpoints: Any) -> set[str]:
        new = tuple(endpoints)
        old = self._by_object.get(key, ())
        if old == new and _same_refs(old, new):
            return set()
        old_groups = self._groups_of(key)
        new_groups = _group(new)
        if new:
            self._by_object[key] = new
            if len(new_groups) > 1:
                self._grouped[key] = new_groups
            else:
                self._grouped.pop(key, None)
        else:
            del self._by_object[key]
            self._grouped.pop(key, None)
        for name in old_groups.keys() - new_groups.keys():
            self._forget(name, key, old_groups[name])
        for name in new_groups:
            self._want(name, key)
        changed = old_groups.keys() ^ new_groups.keys()
        changed |= {
            name
            for name in old_groups.keys() & new_groups.keys()
            if old_groups[name] != new_groups[name] or not _same_refs(old_groups[name], new_groups[name])
        }
        return changed


NAMES = ("a.example.com", "B.example.com", "c.example.com.", "d.example.com")
KEYS = [ObjectKey("service", "default", name) for name in ("one", "two", "three")]


def random_endpoints(rng: random.Random, key: ObjectKey) -> list[Endpoint]:
    ref = ObjectRef("Service", "v1", key.namespace, key.name, rng.choice(["uid-1", "uid-2"]))
    return [
        Endpoint(rng.choice(NAMES), rng.choice(["A", "TXT"]), (rng.choice(["192.0.2.1", "192.0.2.2"]),), refs=(ref,))
        for _ in range(rng.choice([0, 0, 1, 1, 2, 3]))
    ]


def view(state: DesiredState) -> Mapping[str, Any]:
    names = sorted(state.names())
    return {
        "objects": {key: state.endpoints_of(key) for key in state.keys()},
        "names": names,
        "at": [(ep, ep.refs) for ep in state.endpoints_at(names)],
        "owners": {name: state.wanted_by(name) for name in names},
        "former": {name: state.former_refs(name) for name in map(str.lower, NAMES)},
    }


@pytest.mark.parametrize("seed", range(40))
def test_the_first_update_of_an_object_changes_what_the_general_update_changed(seed: int) -> None:
    rng = random.Random(seed)
    state, former = DesiredState(), FormerDesiredState()
    for _ in range(30):
        key = rng.choice(KEYS)
        endpoints = random_endpoints(rng, key) if rng.random() > 0.2 else []
        assert state.update(key, endpoints) == former.update(key, endpoints)
        assert view(state) == view(former)


# --- load balancer targets ---------------------------------------------------------------------------------------


def former_load_balancer_targets(reader: FieldReader, status: Mapping[str, Any]) -> list[str]:
    load_balancer = reader.mapping(status.get("loadBalancer"), "status.loadBalancer")
    targets: list[str] = []
    for index, item in enumerate(reader.items(load_balancer.get("ingress"), "status.loadBalancer.ingress")):
        path = f"status.loadBalancer.ingress[{index}]"
        entry = reader.mapping(item, path)
        for key in ("ip", "hostname"):
            value = reader.text(entry.get(key), f"{path}.{key}")
            if not value:
                continue
            if problem := validate_target(value, f"{path}.{key}"):
                reader.problem(problem.field, problem.message)
            else:
                targets.append(value)
    return targets


STATUSES: list[Any] = [
    {},
    {"loadBalancer": None},
    {"loadBalancer": "up"},
    {"loadBalancer": {"ingress": None}},
    {"loadBalancer": {"ingress": "203.0.113.10"}},
    {"loadBalancer": {"ingress": []}},
    {"loadBalancer": {"ingress": [{"ip": "203.0.113.10"}]}},
    {"loadBalancer": {"ingress": [{"hostname": "lb.example.net"}, {"ip": "2001:db8::1", "hostname": "x.example"}]}},
    {"loadBalancer": {"ingress": [{"ip": None, "hostname": None}, {}, None, "203.0.113.9", 7]}},
    {"loadBalancer": {"ingress": [{"ip": ""}, {"ip": 5}, {"hostname": ["a"]}, {"ip": False}, {"ip": 0}]}},
    {"loadBalancer": {"ingress": [{"ip": "999.1.1.1"}, {"hostname": "-bad-.example"}, {"ip": "a..b"}]}},
    {"loadBalancer": {"ingress": [{"ip": "203.0.113.10", "ports": [{"port": 80}]}] * 3}},
]


@pytest.mark.parametrize("status", STATUSES, ids=repr)
def test_load_balancer_entries_give_the_targets_and_problems_they_gave(status: Any) -> None:
    reader, former = FieldReader(), FieldReader()
    assert load_balancer_targets(reader, status) == former_load_balancer_targets(former, status)
    assert [(p.field, p.message) for p in reader.problems] == [(p.field, p.message) for p in former.problems]
