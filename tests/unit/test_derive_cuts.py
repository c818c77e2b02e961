"""Cuts in a derivation's CPU that must change no result: each compared with the code it replaced, kept here.

* the store packs with one shared JSON encoder: the same bytes as ``json.dumps`` with the same arguments;
* the desired state takes an object's first endpoints without comparing them with none: the same changed names,
  lookups and released refs as the general update, over generated sequences of updates;
* ``status.loadBalancer.ingress[]`` entries skip absent fields before writing their paths, and a Service's ports
  that are objects write none: the same targets, ports and problems for well-formed, odd and hostile entries;
* record types are compared as the strings they are (no ``.value``): the same verdict on every target.
"""

from __future__ import annotations

import json
import random
from collections.abc import Mapping
from typing import Any

import pytest

from external_dns.desired import DesiredState, ObjectKey, _group, _same_refs
from external_dns.endpoint import Endpoint, ObjectRef, RecordType, ip_version
from external_dns.hostnames import NameRule, name_problem
from external_dns.sources.base import FieldReader, load_balancer_targets, validate_target
from external_dns.sources.checks import _HOST_AFTER_NUMBERS, _target_problem, claimed_owner
from external_dns.sources.service import _ports
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


# --- record targets and Service ports ----------------------------------------------------------------------------


def former_target_problem(kind: str, target: str, aes_key: bytes | None) -> str | None:
    if kind == RecordType.TXT.value:
        owner = claimed_owner(target, aes_key)
        if owner is None:
            return None
        claim = f" claiming owner {owner!r}" if owner else ""
        return (
            f"TXT value {target[:80]!r} reads as an ExternalDNS ownership record{claim}; "
            "no object may write one (it would forge ownership of a name)"
        )
    if kind in (RecordType.A.value, RecordType.AAAA.value):
        return None if ip_version(target) else f"{kind} target {target!r} is not an IP address"
    if kind in _HOST_AFTER_NUMBERS:
        host = target.split()[-1] if target.split() else ""
        problem = name_problem(host, NameRule.HOSTNAME, wildcard=False)
        return f"{kind} target host: {problem}" if problem else None
    if kind == RecordType.CNAME.value:
        problem = name_problem(target, NameRule.DNS_NAME, wildcard=False)
        return f"CNAME target: {problem}" if problem else None
    return None


TARGETS = [
    "203.0.113.10", "2001:db8::1", "lb.example.net", "*.example.net", "a..b", "", " ", "10 mx.example.net",
    "0 50 8080 _sip.example.net.", '"heritage=external-dns,external-dns/owner=x"', "v=spf1 -all", "256.1.1.1",
]  # fmt: skip
TYPES = [*(kind.value for kind in RecordType), "SOA", "a"]


@pytest.mark.parametrize("kind", TYPES)
def test_record_targets_are_judged_as_they_were(kind: str) -> None:
    for target in TARGETS:
        assert _target_problem(kind, target, None) == former_target_problem(kind, target, None)


def former_ports(reader: FieldReader, value: object) -> tuple[Any, ...]:
    ports: list[Any] = []
    for index, item in enumerate(reader.items(value, "spec.ports")):
        port = reader.mapping(item, f"spec.ports[{index}]")
        node_port = port.get("nodePort")
        if node_port is None:
            continue
        if not isinstance(node_port, int) or isinstance(node_port, bool):
            reader.problem(f"spec.ports[{index}].nodePort", "expected a number")
            continue
        protocol = reader.text(port.get("protocol"), f"spec.ports[{index}].protocol")
        ports.append((node_port, protocol.lower() or "tcp"))
    return tuple(ports)


PORTS: list[Any] = [
    None,
    "80",
    [],
    [{"port": 80}],
    [{"nodePort": 30080, "protocol": "UDP"}, {"nodePort": 30081}],
    [None, "x", 5, ["nodePort"], {"nodePort": True}, {"nodePort": "1"}, {"nodePort": 1, "protocol": 7}],
    [{"nodePort": 0}, {"nodePort": -1, "protocol": "SCTP"}],
]


@pytest.mark.parametrize("ports", PORTS, ids=repr)
def test_service_ports_give_the_ports_and_problems_they_gave(ports: Any) -> None:
    reader, former = FieldReader(), FieldReader()
    assert tuple((port.node_port, port.protocol) for port in _ports(reader, ports)) == former_ports(former, ports)
    assert [(p.field, p.message) for p in reader.problems] == [(p.field, p.message) for p in former.problems]
