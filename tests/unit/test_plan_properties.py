"""Property-based tests of the planner and the TXT registry together (issue 9, deliverable 4).

For any zone (records of this owner, of another owner, of nobody; ownership TXT in the new format, the legacy
format or both, with a prefix, a suffix or neither, a wildcard replacement, encrypted or not; forged values
added to another owner's TXT; ownership TXT whose record is gone; unrelated TXT records) and any desired set,
planned as the zone worker plans:

* no plan removes a value this owner does not own, or adds one to a record set another owner holds;
* upsert-only never deletes; create-only never updates or deletes;
* applying the plan (a DNS server's semantics: values added and removed per record set) and planning again
  gives an empty plan;
* the order of the current records, of the desired endpoints and of their targets does not change the plan.

Generated names avoid one ambiguity ExternalDNS's name mapping has by design (reference §1.2): a legacy TXT of
a name whose first label starts with ``<type>-`` (``a-team``) reads as new-format ownership of ``team``.
"""

from __future__ import annotations

import random
from collections.abc import Iterable
from dataclasses import dataclass

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from external_dns.endpoint import OWNER_LABEL, RESOURCE_LABEL, Endpoint, EndpointKey, normalize_name
from external_dns.model import Changes, Zone
from external_dns.plan import Plan, PlanSettings, Policy
from external_dns.registry.base import RegistryView
from external_dns.registry.labels import parse_labels
from external_dns.registry.txt import TXTRegistry
from external_dns.zoneplan import plan_adjusted

ME, OTHER = "me", "other"
KEY = b"12345678901234567890123456789012"
ZONE = "example.com"
NAMES = ("b", "my-app", "web-1", "*", "team", "a-team", "cname-x")
LEGACY_UNSAFE = ("a-team", "cname-x")  # first label reads as "<type>-..." (see the module docstring)
TARGETS = {
    "A": ("192.0.2.1", "192.0.2.2", "198.51.100.10"),
    "AAAA": ("2001:db8::1", "2001:db8::2"),
    "CNAME": ("lb1.example.net", "lb2.example.net"),
    "TXT": ('"hello"', '"v=spf1 -all"'),
}
ALL_TYPES = frozenset({"A", "AAAA", "CNAME", "TXT"})
# derandomize: the same 200 examples on every machine and every run, so the suite gives one answer (CI included);
# the example database is off for the same reason. Exploring further is a local run with derandomize=False.
PROPERTY_SETTINGS = settings(
    max_examples=200,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)


@dataclass(frozen=True)
class Layout:
    """How ownership TXT records are named and written in this zone (the same for every owner in it)."""

    prefix: str
    suffix: str
    wildcard: str
    encrypt: bool
    managed: frozenset[str]

    def registry(self, owner: str, *, encrypt: bool | None = None) -> TXTRegistry:
        write_encrypted = self.encrypt if encrypt is None else encrypt
        return TXTRegistry(
            owner,
            prefix=self.prefix,
            suffix=self.suffix,
            wildcard_replacement=self.wildcard,
            encrypt=write_encrypted,
            aes_key=KEY,
            managed_types=self.managed,
        )


@dataclass(frozen=True)
class Seed:
    """One record of the generated zone: who owns it and in which TXT format(s)."""

    name: str
    record_type: str
    targets: tuple[str, ...]
    owner: str | None  # None: nobody (no ownership TXT)
    txt_format: str  # "new", "legacy" or "both"
    forged: bool  # a value of ours added to the ownership TXT of another owner
    orphan: bool = False  # only the ownership TXT is there: the record itself was deleted (by hand, say)


layouts = st.builds(
    Layout,
    prefix=st.sampled_from(("", "txt.", "%{record_type}-ext.")),
    suffix=st.just(""),
    wildcard=st.sampled_from(("", "wildcard")),
    encrypt=st.booleans(),
    managed=st.sampled_from((frozenset({"A", "AAAA", "CNAME"}), ALL_TYPES)),
) | st.builds(
    Layout,
    prefix=st.just(""),
    suffix=st.sampled_from(("-txt", "-%{record_type}")),
    wildcard=st.sampled_from(("", "wildcard")),
    encrypt=st.booleans(),
    managed=st.sampled_from((frozenset({"A", "AAAA", "CNAME"}), ALL_TYPES)),
)


@st.composite
def seeds(draw: st.DrawFn) -> Seed:
    name = draw(st.sampled_from(NAMES))
    record_type = draw(st.sampled_from(("A", "AAAA", "CNAME", "TXT")))
    pool = TARGETS[record_type]
    count = 1 if record_type == "CNAME" else draw(st.integers(1, len(pool)))
    targets = tuple(draw(st.permutations(pool))[:count])
    owner = draw(st.sampled_from((ME, OTHER, None)))
    formats = ("new",) if name in LEGACY_UNSAFE else ("new", "legacy", "both")
    return Seed(
        f"{name}.{ZONE}",
        record_type,
        targets,
        owner,
        draw(st.sampled_from(formats)),
        draw(st.booleans()) if owner == OTHER else False,
        draw(st.booleans()) if owner is not None else False,
    )


@st.composite
def wanted(draw: st.DrawFn) -> Endpoint:
    name = draw(st.sampled_from(NAMES))
    record_type = draw(st.sampled_from(("A", "AAAA", "CNAME", "TXT")))
    pool = TARGETS[record_type]
    count = 1 if record_type == "CNAME" else draw(st.integers(1, len(pool)))
    targets = tuple(draw(st.permutations(pool))[:count])
    ttl = draw(st.sampled_from((0, 300)))
    resource = f"service/default/{draw(st.sampled_from(('x', 'y')))}"
    return Endpoint(f"{name}.{ZONE}", record_type, targets, ttl, labels={RESOURCE_LABEL: resource})


#: A zone as a DNS server holds it: per record set, its TTL and its values.
ZoneState = dict[EndpointKey, tuple[int, list[str]]]


@dataclass
class World:
    """A generated zone (provider level) and what the test knows about who owns what in it."""

    zone: ZoneState
    foreign: set[EndpointKey]  # record sets held by another owner or by nobody, or claimed by another owner
    removable: set[tuple[EndpointKey, str]]  # values this owner may remove


def build_world(layout: Layout, seeded: Iterable[Seed]) -> World:
    world = World({}, set(), set())
    unique = {(normalize_name(seed.name), seed.record_type): seed for seed in seeded}
    owners_at: dict[str, set[str | None]] = {}
    for seed in unique.values():
        owners_at.setdefault(seed.name, set()).add(seed.owner)
    for seed in unique.values():
        # A legacy TXT names no type: it owns every record at its name (but AAAA), so it is only written where
        # every record at the name has the same owner, as it was by ExternalDNS.
        txt_format = seed.txt_format if len(owners_at[seed.name]) == 1 else "new"
        if seed.orphan and seed.record_type == "AAAA":
            txt_format = "new"  # ExternalDNS never wrote a legacy TXT for AAAA: alone, one would claim nothing
        record = Endpoint(seed.name, seed.record_type, seed.targets, labels={RESOURCE_LABEL: "service/default/x"})
        if not seed.orphan:
            add(world, record.key, seed.targets)
        if seed.owner is None:
            world.foreign.add(record.key)
            continue
        writer = layout.registry(seed.owner)
        txts: list[Endpoint] = []
        if txt_format in ("new", "both"):
            txts += writer.ownership_changes(Changes(create=[record]), _empty()).create[1:]
        if txt_format in ("legacy", "both"):
            plain = layout.registry(seed.owner, encrypt=False)
            (legacy_value,) = plain.ownership_changes(Changes(create=[record]), _empty()).create[1].targets
            txts.append(Endpoint(writer.mapper.to_legacy_txt_name(seed.name), "TXT", (legacy_value,)))
        for txt in txts:
            add(world, txt.key, txt.targets)
            if seed.forged:
                forged = layout.registry(ME).ownership_changes(Changes(create=[record]), _empty()).create[1]
                add(world, txt.key, forged.targets)
        if seed.owner == ME:
            world.removable |= {(record.key, target) for target in seed.targets if not seed.orphan}
            world.removable |= {(txt.key, value) for txt in txts for value in txt.targets}
        else:
            world.foreign.add(record.key)
            world.foreign |= {txt.key for txt in txts}
    return world


def _empty() -> RegistryView:
    return RegistryView(records=[])


def add(world: World, key: EndpointKey, values: Iterable[str]) -> None:
    _, held = world.zone.setdefault(key, (0, []))
    held.extend(value for value in values if value not in held)


def values_at(zone: ZoneState, key: EndpointKey) -> list[str]:
    return zone.get(key, (0, []))[1]


def provider_records(zone: ZoneState) -> list[Endpoint]:
    return [Endpoint(key.name, key.record_type, tuple(values), ttl, key.set_identifier)
            for key, (ttl, values) in zone.items()]  # fmt: skip


def plan_zone(layout: Layout, zone: ZoneState, desired: list[Endpoint], policy: Policy) -> tuple[Plan, Changes]:
    """What the zone worker does in one sync of every name: read, plan, add the ownership records, refuse what
    cannot be owned (the zone plan's pure part, refusals included)."""
    registry = layout.registry(ME)
    view = registry.read(provider_records(zone))
    names = {key.name for key in zone} | {endpoint.key.name for endpoint in desired}
    plan_settings = PlanSettings(policy=policy, owner_id=ME, managed_types=layout.managed)
    planned = plan_adjusted(Zone(ZONE, ZONE), view, view.current_at(names), desired, registry, plan_settings)
    return Plan(planned.changes, planned.skipped), planned.batch


def apply(zone: ZoneState, batch: Changes) -> ZoneState:
    """A DNS server's answer to an RFC 2136 update: values removed, then values added (with the TTL of the
    change, 0 standing for the server's default), per record set."""
    result = {key: (ttl, list(values)) for key, (ttl, values) in zone.items()}
    for record in (*batch.delete, *batch.update_old):
        ttl, held = result.get(record.key, (0, []))
        result[record.key] = (ttl, [value for value in held if value not in record.targets])
        if not result[record.key][1]:
            del result[record.key]
    for record in (*batch.update_new, *batch.create):
        _, held = result.get(record.key, (0, []))
        result[record.key] = (record.ttl, held + [value for value in record.targets if value not in held])
    return result


def canonical(changes: Changes) -> tuple[list[tuple[object, ...]], ...]:
    def rows(records: Iterable[Endpoint]) -> list[tuple[object, ...]]:
        return sorted(
            (r.key.name, r.record_type, r.set_identifier, tuple(sorted(r.targets)), r.ttl, sorted(r.labels.items()))
            for r in records
        )

    return rows(changes.create), rows(changes.update_old), rows(changes.update_new), rows(changes.delete)


def world_and_desired() -> st.SearchStrategy[tuple[Layout, World, list[Endpoint]]]:
    return st.tuples(layouts, st.lists(seeds(), max_size=6), st.lists(wanted(), max_size=6)).map(
        lambda drawn: (drawn[0], build_world(drawn[0], drawn[1]), distinct_requests(drawn[2]))
    )


def distinct_requests(desired: list[Endpoint]) -> list[Endpoint]:
    """One request per record set and set of targets: between two that differ only in TTL or labels, ExternalDNS
    (and so the planner) keeps whichever comes first, so their order matters by design."""
    kept: dict[tuple[EndpointKey, frozenset[str]], Endpoint] = {}
    for endpoint in desired:
        kept.setdefault((endpoint.key, frozenset(endpoint.targets)), endpoint)
    return list(kept.values())


@PROPERTY_SETTINGS
@given(world_and_desired(), st.sampled_from(list(Policy)))
def test_no_plan_touches_what_this_owner_does_not_own(
    generated: tuple[Layout, World, list[Endpoint]], policy: Policy
) -> None:
    layout, world, desired = generated
    _, batch = plan_zone(layout, world.zone, desired, policy)
    for record in (*batch.delete, *batch.update_old):
        # A value that is not there (the new-format TXT of a record owned through a legacy one) removes nothing.
        for value in set(record.targets) & set(values_at(world.zone, record.key)):
            assert (record.key, value) in world.removable, f"removes {value} from {record.key}"
    for record in (*batch.create, *batch.update_new):
        assert record.key not in world.foreign, f"adds {record.targets} to {record.key}"


@PROPERTY_SETTINGS
@given(world_and_desired())
def test_upsert_only_never_deletes_and_create_only_only_creates(
    generated: tuple[Layout, World, list[Endpoint]],
) -> None:
    layout, world, desired = generated
    upsert_plan, upsert_batch = plan_zone(layout, world.zone, desired, Policy.UPSERT_ONLY)
    assert upsert_plan.changes.delete == [] and upsert_batch.delete == []
    create_plan, create_batch = plan_zone(layout, world.zone, desired, Policy.CREATE_ONLY)
    assert create_plan.changes.delete == [] and create_plan.changes.update_old == []
    assert create_batch.delete == [] and create_batch.update_old == [] and create_batch.update_new == []


@PROPERTY_SETTINGS
@given(world_and_desired(), st.sampled_from(list(Policy)))
def test_planning_again_after_applying_plans_nothing(
    generated: tuple[Layout, World, list[Endpoint]], policy: Policy
) -> None:
    layout, world, desired = generated
    _, batch = plan_zone(layout, world.zone, desired, policy)
    after = apply(world.zone, batch)
    again, again_batch = plan_zone(layout, after, desired, policy)
    assert not again.changes.has_changes(), again.changes
    assert not again_batch.has_changes()


@PROPERTY_SETTINGS
@given(world_and_desired(), st.randoms(use_true_random=False))
def test_the_order_of_records_and_targets_does_not_change_the_plan(
    generated: tuple[Layout, World, list[Endpoint]], shuffler: random.Random
) -> None:
    layout, world, desired = generated
    plan, _ = plan_zone(layout, world.zone, desired, Policy.SYNC)
    zone_order = [(key, (ttl, shuffler.sample(values, len(values)))) for key, (ttl, values) in world.zone.items()]
    shuffler.shuffle(zone_order)
    shuffled_desired = [ep.with_(targets=tuple(shuffler.sample(ep.targets, len(ep.targets)))) for ep in desired]
    shuffler.shuffle(shuffled_desired)
    other, _ = plan_zone(layout, dict(zone_order), shuffled_desired, Policy.SYNC)
    assert canonical(other.changes) == canonical(plan.changes)
    assert sorted((s.endpoint.key, str(s.foreign_owner)) for s in other.skipped) == sorted(
        (s.endpoint.key, str(s.foreign_owner)) for s in plan.skipped
    )


def test_the_generated_ownership_values_name_their_owner() -> None:
    """The world builder itself: a value written for OTHER reads as OTHER's (else the properties prove nothing)."""
    layout = Layout("", "", "", False, ALL_TYPES)
    world = build_world(layout, [Seed(f"b.{ZONE}", "A", ("192.0.2.1",), OTHER, "new", False)])
    txt_values = [values for key, (_, values) in world.zone.items() if key.record_type == "TXT"]
    assert [parse_labels(value)[OWNER_LABEL] for values in txt_values for value in values] == [OTHER]
    assert world.removable == set()


def test_no_ownership_txt_joins_a_plain_txt_at_its_name() -> None:
    """The case a random run found (issue 9): a TXT nobody owns at ``a-team``, and the A record ``team`` wanted.
    Our ownership TXT would join that record set; the record is refused instead, and the TXT left as it was."""
    layout = Layout("", "", "", False, frozenset({"A", "AAAA", "CNAME"}))
    world = build_world(layout, [Seed(f"a-team.{ZONE}", "TXT", ('"hello"',), None, "new", False)])
    desired = [Endpoint(f"team.{ZONE}", "A", ("192.0.2.1",), labels={RESOURCE_LABEL: "service/default/x"})]
    for policy in Policy:
        plan, batch = plan_zone(layout, world.zone, desired, policy)
        assert not batch.has_changes(), batch
        assert [skip.endpoint.key.name for skip in plan.skipped] == [f"team.{ZONE}"]
        assert values_at(apply(world.zone, batch), EndpointKey(f"a-team.{ZONE}", "TXT", "")) == ['"hello"']
