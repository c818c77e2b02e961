"""One function plans a zone for a set of names: the zone worker and ``external-dns explain`` both call it.

Given what the zone holds (a read-only view of provider-level records), the registry, the endpoints wanted at
some names and the plan settings, :func:`plan_zone` returns everything a pass over those names decides: the
registry-level changes, the provider-level batch with its ownership records, and every wanted endpoint the plan
leaves alone with the reason (foreign owner, conflict, unmanaged type, filtered name, an ownership record that
would fall outside the zone, a name whose ownership is spoken for already: spoken_for.py). Only the provider's remote
canonicalisation (webhooks) makes it await; the rest is pure. Because both callers share it, ``explain`` cannot
predict something the operator would not do.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Collection, Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Protocol

from external_dns.domain_filter import match_all
from external_dns.endpoint import OWNED_RECORD_LABEL, RESOURCE_LABEL, Endpoint, EndpointKey, ObjectRef
from external_dns.model import Changes, Zone
from external_dns.plan import Plan, PlanSettings, Skipped, calculate, dedup_endpoints, merge_endpoints
from external_dns.providers.base import Provider, RemotelyAdjusting
from external_dns.registry import Registry, RegistryView
from external_dns.spoken_for import refuse_claimed, refuse_joining

#: Canonicalises desired endpoints the way the provider lists records (``Provider.adjust_endpoints``).
Adjust = Callable[[list[Endpoint]], Awaitable[list[Endpoint]]]

#: Kinds whose source merges one record wanted by several objects into one (ExternalDNS service and pod sources).
MERGING_KINDS = ("Service", "Pod")


class WantedScreen(Protocol):
    """A guard that holds some wanted endpoints back before planning (namespace isolation), with the reasons."""

    def apply(self, wanted: list[Endpoint], current: list[Endpoint]) -> tuple[list[Endpoint], list[Skipped]]: ...


#: A guard that may hold changes of a finished plan back (the mass-deletion guard), adding its skips.
PlanCheck = Callable[[Plan], Plan]


class ZoneRecords(Protocol):
    """Read-only access to a zone's provider-level records (a :class:`~external_dns.zonecache.ZoneCache`)."""

    def at(self, names: Iterable[str]) -> list[Endpoint]: ...


@dataclass(slots=True)
class ZonePlan:
    """What one pass over some names of a zone decides."""

    #: Registry-level changes the zone can take (what logs and events report once applied).
    changes: Changes = field(default_factory=Changes)
    #: The provider-level batch: ``changes`` plus their ownership records.
    batch: Changes = field(default_factory=Changes)
    #: Wanted endpoints the plan leaves alone, each with the reason meant for the object's owner (Warnings).
    skipped: list[Skipped] = field(default_factory=list)
    #: Wanted endpoints the flags exclude (record type, domain filter): no record, but no Warning either, as a
    #: NodePort Service's SRV records are unmanaged by default. Status and ``explain`` still say so.
    ignored: list[Skipped] = field(default_factory=list)
    #: Registry-level records at the names, as the plan saw them (owner labels attached).
    current: list[Endpoint] = field(default_factory=list)


def provider_adjust(provider: Provider) -> Adjust:
    """The provider's canonical form: local, or remote for webhooks (whose protocol does not carry refs)."""

    async def adjust(endpoints: list[Endpoint]) -> list[Endpoint]:
        if isinstance(provider, RemotelyAdjusting):
            return with_refs_of(endpoints, await provider.adjust_endpoints_remote(endpoints))
        return provider.adjust_endpoints(endpoints)

    return adjust


async def plan_zone(
    zone: Zone,
    records: ZoneRecords,
    registry: Registry,
    wanted: Sequence[Endpoint],
    names: Collection[str],
    settings: PlanSettings,
    adjust: Adjust,
    *,
    screen: WantedScreen | None = None,
    check: PlanCheck | None = None,
) -> ZonePlan:
    """Plan the normalised ``names`` of ``zone``: ``wanted`` are the desired endpoints at those names.

    ``screen`` and ``check`` are the guards' hooks: before planning, and on the plan before its ownership
    records are added. Raises ProviderError only when a remote ``adjust`` fails.
    """
    view = registry.read(records.at(names_read(registry, names)))
    current = view.current_at(names)  # the records and the ownership TXT records there (never to be written into)
    in_zone = [ep for ep in wanted if zone.contains(ep.dns_name)]
    screened: list[Skipped] = []
    if screen is not None:
        in_zone, screened = screen.apply(in_zone, current)
    desired = await adjust(combine(in_zone))
    planned = plan_adjusted(zone, view, current, desired, registry, settings, check, screened)
    planned.current = [record for record in view.records if record.key.name in names]  # what explain lists
    return planned


def names_read(registry: Registry, names: Iterable[str], types: Collection[str] | None = None) -> set[str]:
    """The names whose records a plan of ``names`` reads: the names and every TXT name that can own them (their
    records of ``types``, when given)."""
    read = set(names)
    for name in list(read):
        read |= registry.related_names(name, types)
    return read


def types_owned(settings: PlanSettings) -> frozenset[str]:
    """The record types whose ownership a plan reads: those it acts on, and CNAME beside A (an alias A record may
    still be owned through a cname- TXT, registry/txt.py). A point read asks for no other TXT names: a record of
    another type is left as it is by the plan, whoever owns it."""
    managed = settings.managed_types - settings.exclude_types
    return managed | {"CNAME"} if "A" in managed else managed


def plan_adjusted(
    zone: Zone,
    view: RegistryView,
    current: Sequence[Endpoint],
    desired: Sequence[Endpoint],
    registry: Registry,
    settings: PlanSettings,
    check: PlanCheck | None = None,
    screened: Sequence[Skipped] = (),
) -> ZonePlan:
    """The pure part of :func:`plan_zone`, once the desired endpoints are in the provider's canonical form."""
    plan = calculate(current, desired, settings)
    plan.skipped.extend(screened)
    if check is not None:
        plan = check(plan)
    changes, claimed = refuse_claimed(registry, view, plan.changes)
    changes, batch, joining = refuse_joining(registry, view, changes, registry.ownership_changes(changes, view))
    batch, outside = refuse_outside_zone(zone, batch)
    return ZonePlan(
        changes=_without_creates(changes, {skip.endpoint.key for skip in outside}),
        batch=batch,
        skipped=[*plan.skipped, *claimed, *joining, *outside],
        ignored=left_out(desired, settings),
        current=list(current),
    )


def left_out(desired: Iterable[Endpoint], settings: PlanSettings) -> list[Skipped]:
    """Wanted endpoints the planner ignores by rule (record type, domain filter): they will have no record."""
    skipped: list[Skipped] = []
    for ep in desired:
        if ep.record_type in settings.exclude_types:
            skipped.append(Skipped(ep, f"{ep.record_type} records are excluded (--exclude-record-types)"))
        elif not settings.is_managed(ep.record_type):
            managed = ", ".join(sorted(settings.managed_types)) or "none"
            skipped.append(Skipped(ep, f"{ep.record_type} records are not managed (--managed-record-types: {managed})"))
        elif not match_all(settings.domain_filters, ep.dns_name):
            skipped.append(Skipped(ep, "the name does not match the domain filter"))
    return skipped


def refuse_outside_zone(zone: Zone, batch: Changes) -> tuple[Changes, list[Skipped]]:
    """Never create a record whose ownership TXT would fall outside the zone: it could not be owned.

    ExternalDNS creates it and drops the TXT silently (the record is then stuck unowned, #449); here the record
    and its TXT are both held back and the object gets a Warning naming the fix.
    """
    outside = {
        txt.labels[OWNED_RECORD_LABEL]
        for txt in batch.create
        if txt.record_type == "TXT" and OWNED_RECORD_LABEL in txt.labels and not zone.contains(txt.dns_name)
    }
    if not outside:
        return batch, []
    label = zone.name or "."
    reason = (
        f"its ownership TXT record would fall outside zone {label}; set a templated --txt-prefix ending in a dot, "
        'e.g. --txt-prefix="extdns-%{record_type}."'
    )
    refused: list[Skipped] = []
    kept: list[Endpoint] = []
    for ep in batch.create:
        if ep.labels.get(OWNED_RECORD_LABEL, ep.dns_name) not in outside:
            kept.append(ep)
        elif OWNED_RECORD_LABEL not in ep.labels:
            refused.append(Skipped(ep, reason))
    return replace(batch, create=kept), refused


def combine(endpoints: Sequence[Endpoint]) -> list[Endpoint]:
    """What ExternalDNS's source pipeline does before planning: the service and pod sources merge the targets of
    one record wanted by several objects; exact duplicates from any sources collapse into one (refs united)."""
    merged: list[Endpoint] = []
    for kind in MERGING_KINDS:
        same_kind = [ep for ep in endpoints if ep.refs and ep.refs[0].kind == kind]
        merged += merge_endpoints(sorted(same_kind, key=lambda ep: ep.labels.get(RESOURCE_LABEL, "")))
    others = [ep for ep in endpoints if not (ep.refs and ep.refs[0].kind in MERGING_KINDS)]
    return dedup_endpoints([*merged, *others])


def with_refs_of(originals: Sequence[Endpoint], adjusted: Sequence[Endpoint]) -> list[Endpoint]:
    """``adjusted`` with the refs of the originals they came from (same key, else same name)."""
    by_key = {ep.key: ep.refs for ep in originals}
    by_name: dict[str, tuple[ObjectRef, ...]] = {}
    for ep in originals:
        by_name[ep.key.name] = tuple(dict.fromkeys((*by_name.get(ep.key.name, ()), *ep.refs)))
    return [ep if ep.refs else ep.with_(refs=by_key.get(ep.key) or by_name.get(ep.key.name, ())) for ep in adjusted]


def _without_creates(changes: Changes, keys: set[EndpointKey]) -> Changes:
    if not keys:
        return changes
    return replace(changes, create=[ep for ep in changes.create if ep.key not in keys])
