"""The planner: which creates, updates and deletes move the current records towards the desired ones.

A pure function with ExternalDNS's rules (``plan/plan.go``, ``plan/conflict.go``, ``plan/policy.go``):

1. Both lists are filtered by the domain filters and the managed/excluded record types.
2. Records are grouped in *rows*: one row per normalised name and set identifier, holding every record type.
3. Per row: no current record -> create (one candidate per type, CNAME candidates dropped when other types
   are wanted too); no candidate -> delete; both -> per type delete, update or tentative create. Tentative
   creates are kept only if this instance owns every current record of the row: a foreign or unowned record
   at a name blocks every other type there.
4. The policy drops what it does not allow; then, with an owner id, deletes and updates of records this
   instance does not own are dropped.

Current records marked as ownership TXT records (``OWNERSHIP_TXT_LABEL``, see ``RegistryView.current_at``) are
never changed: a desired record of the same name and type is skipped, whoever owns the TXT, since a value added
to an ownership TXT changes who owns the records it covers. (ExternalDNS hides them from its planner, so a
DNSEndpoint can add values to another owner's TXT when TXT is a managed type.)

Each row is planned on its own, so planning only the rows of some names gives the same changes for those rows
as planning the whole zone: the reconciler relies on that for incremental syncs.

Besides the changes, the plan lists the desired endpoints it did not act on and why (:class:`Skipped`): those
become Warning events on the objects that asked for them.
"""

from __future__ import annotations

import ipaddress
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from external_dns.domain_filter import DomainFilter, match_all
from external_dns.endpoint import (
    OWNER_LABEL,
    OWNERSHIP_TXT_LABEL,
    RESOURCE_LABEL,
    Endpoint,
    EndpointKey,
    ObjectRef,
    RecordType,
    RowKey,
    same_targets,
)
from external_dns.endpoint import merge_endpoints as merge_endpoints  # the one merge, used by the reconciler
from external_dns.model import Changes

logger = logging.getLogger(__name__)

_CNAME = RecordType.CNAME.value


class Policy(StrEnum):
    """``--policy``: which kinds of change the plan may contain."""

    SYNC = "sync"
    UPSERT_ONLY = "upsert-only"
    CREATE_ONLY = "create-only"


@dataclass(frozen=True, slots=True)
class PlanSettings:
    """Everything the planner needs besides the records; ``owner_id`` empty means no ownership checks."""

    policy: Policy = Policy.SYNC
    owner_id: str = ""
    old_owner_id: str = ""
    managed_types: frozenset[str] = frozenset({"A", "AAAA", "CNAME"})
    exclude_types: frozenset[str] = frozenset()
    domain_filters: tuple[DomainFilter, ...] = ()

    def is_managed(self, record_type: str) -> bool:
        """ExternalDNS's IsManagedRecord: exclusion wins; an empty managed set manages nothing."""
        return record_type not in self.exclude_types and record_type in self.managed_types


@dataclass(frozen=True, slots=True)
class Skipped:
    """A desired endpoint the plan did not act on, and why, in words meant for the object's owner."""

    endpoint: Endpoint
    reason: str
    #: For ownership skips: the owner of the record in the way ("" when it has none); None for other skips.
    foreign_owner: str | None = None


@dataclass(slots=True)
class Plan:
    """The changes to apply, and the desired endpoints left out of them."""

    changes: Changes = field(default_factory=Changes)
    skipped: list[Skipped] = field(default_factory=list)


@dataclass(slots=True)
class _TypeCell:
    """One record type of a row: the current record (if any) and the endpoints that want it."""

    current: Endpoint | None = None
    candidates: list[Endpoint] = field(default_factory=list)


@dataclass(slots=True)
class _Row:
    """All record types at one name and set identifier."""

    currents: list[Endpoint] = field(default_factory=list)
    candidates: list[Endpoint] = field(default_factory=list)
    cells: dict[str, _TypeCell] = field(default_factory=dict)
    #: Ownership TXT record sets at this name, by type: never written into (see the module docstring).
    held: dict[str, Endpoint] = field(default_factory=dict)

    def cell(self, record_type: str) -> _TypeCell:
        return self.cells.setdefault(record_type, _TypeCell())


@dataclass(slots=True)
class _Draft:
    """Changes of one row before policy and ownership filtering, with the skips found so far."""

    creates: list[Endpoint] = field(default_factory=list)
    deletes: list[Endpoint] = field(default_factory=list)
    updates: list[tuple[Endpoint, Endpoint]] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)


def calculate(current: Sequence[Endpoint], desired: Sequence[Endpoint], settings: PlanSettings) -> Plan:
    """Plan the changes from ``current`` (registry-level records) to ``desired`` (adjusted source endpoints).

    The result does not depend on the order of either list.
    """
    rows: dict[RowKey, _Row] = {}
    ownership_txts: dict[tuple[str, str], Endpoint] = {}
    for record in current:
        if OWNERSHIP_TXT_LABEL in record.labels:
            ownership_txts.setdefault((record.key.name, record.record_type), record)
    for record in _relevant(current, settings):
        if OWNERSHIP_TXT_LABEL in record.labels:
            continue
        row = rows.setdefault(record.row, _Row())
        row.currents.append(record)
        # As upstream, a second current record of one type replaces the first in the type cell.
        row.cell(record.record_type).current = record
    for wanted in _relevant(desired, settings):
        row = rows.setdefault(wanted.row, _Row())
        holder = ownership_txts.get((wanted.key.name, wanted.record_type))
        if holder is not None:
            row.held[wanted.record_type] = holder
        row.candidates.append(wanted)
        row.cell(wanted.record_type).candidates.append(wanted)

    plan = Plan()
    for key in sorted(rows):
        draft = _plan_row(key, rows[key], settings)
        _apply_policy(draft, settings.policy)
        _filter_by_owner(draft, settings.owner_id)
        plan.changes.create.extend(draft.creates)
        plan.changes.delete.extend(draft.deletes)
        for old, new in draft.updates:
            plan.changes.update_old.append(old)
            plan.changes.update_new.append(new)
        plan.skipped.extend(draft.skipped)
    return plan


def _relevant(records: Iterable[Endpoint], settings: PlanSettings) -> Iterable[Endpoint]:
    for record in records:
        if not match_all(settings.domain_filters, record.dns_name):
            logger.debug("ignoring record %s that does not match the domain filter", record.dns_name)
            continue
        if settings.is_managed(record.record_type):
            yield record


def _ownership_txt_skip(wanted: Endpoint, holder: Endpoint, owner_id: str) -> Skipped:
    owner = holder.labels.get(OWNER_LABEL, "")
    owned = holder.labels[OWNERSHIP_TXT_LABEL]  # the mark that made it a holder
    what = f'the {holder.record_type} record "{holder.dns_name}" is the ownership record of "{owned}"'
    if owner and owner == owner_id:
        return Skipped(wanted, f'{what}, kept by this instance ("{owner_id}"); no source may write to it')
    whose = f'owned by "{owner}"' if owner else "with no owner"
    reason = f'owner id does not match: {what}, {whose}, not by this instance ("{owner_id}"); it is left alone'
    return Skipped(wanted, reason, owner)


def _plan_row(key: RowKey, row: _Row, settings: PlanSettings) -> _Draft:
    draft = _Draft()
    if not row.candidates:
        # The name was released, or is held by records nobody wants any more.
        draft.deletes.extend(row.currents)
        return draft

    cells = _resolve_record_types(key, row, draft)
    tentative: list[Endpoint] = []
    for record_type in sorted(cells):
        cell = cells[record_type]
        if cell.current is not None and not cell.candidates:
            draft.deletes.append(cell.current)
        elif cell.current is None and cell.candidates and record_type in row.held:
            holder = row.held[record_type]
            draft.skipped.extend(_ownership_txt_skip(wanted, holder, settings.owner_id) for wanted in cell.candidates)
        elif cell.current is None and cell.candidates:
            tentative.append(_resolve_create(cell.candidates, draft))
        elif cell.current is not None:
            _plan_update(cell.current, cell.candidates, settings, draft)

    if not row.currents:
        draft.creates.extend(tentative)
        return draft
    # A create next to records of other types is allowed only when this instance owns all of them: a CNAME may
    # not appear beside someone else's A record, and no record may appear beside a record nobody owns.
    # Sorted so that the blocker named in the skip does not depend on the order the provider listed records in.
    blockers = sorted(
        (record for record in row.currents if settings.owner_id and not _owned(record, settings.owner_id)),
        key=lambda record: record.key,
    )
    if not blockers:
        draft.creates.extend(tentative)
        return draft
    for create in tentative:
        for blocker in blockers:
            logger.debug(
                "Skipping endpoint %s because owner id does not match, found: %r, required: %r",
                create.describe(),
                blocker.labels.get(OWNER_LABEL, ""),
                settings.owner_id,
            )
        blocker = blockers[0]
        draft.skipped.append(
            Skipped(create, _owner_mismatch_reason(blocker, settings.owner_id), blocker.labels.get(OWNER_LABEL, ""))
        )
    return draft


def _resolve_record_types(key: RowKey, row: _Row, draft: _Draft) -> dict[str, _TypeCell]:
    """ExternalDNS's ResolveRecordTypes: a CNAME cannot share its name, so other types win over it."""
    wanted_types = {candidate.record_type for candidate in row.candidates}
    if _CNAME not in wanted_types or len(wanted_types) == 1:
        return row.cells
    logger.warning("Domain %s contains conflicting record type candidates; discarding CNAME record", key.name)
    others = sorted(wanted_types - {_CNAME})
    cells = dict(row.cells)
    cname = row.cells[_CNAME]
    # The current CNAME stays in the cell (without candidates) so that it gets deleted.
    cells[_CNAME] = _TypeCell(current=cname.current)
    for candidate in cname.candidates:
        reason = (
            f'a CNAME record cannot coexist with other records at "{candidate.dns_name}", and '
            f"{' and '.join(others)} records are wanted there too; the CNAME was discarded"
        )
        draft.skipped.append(Skipped(candidate, reason))
    return cells


def _plan_update(current: Endpoint, candidates: list[Endpoint], settings: PlanSettings, draft: _Draft) -> None:
    """ExternalDNS's appendEndpointUpdates: update when TTL, targets, properties or the owner must change."""
    desired = _resolve_update(current, candidates, draft)
    needed = (
        (desired.ttl > 0 and desired.ttl != current.ttl)
        or not same_targets(desired.targets, current.targets)
        or dict(desired.provider_specific) != dict(current.provider_specific)
        or (settings.old_owner_id != "" and current.labels.get(OWNER_LABEL) != settings.old_owner_id)
    )
    if needed:
        # The record stays with its owner: the desired endpoint inherits it (labels other than owner come from
        # the desired endpoint, so the resource label follows the object that now holds the record).
        new = desired.with_labels(**{OWNER_LABEL: current.labels.get(OWNER_LABEL, "")})
        draft.updates.append((current, new))


def _resolve_create(candidates: list[Endpoint], draft: _Draft) -> Endpoint:
    """ExternalDNS's ResolveCreate: the candidate with the fewest, then lowest-sorting, targets wins."""
    winner = candidates[0]
    for candidate in candidates[1:]:
        if targets_less(candidate.targets, winner.targets):
            winner = candidate
    return _settle(winner, candidates, "it has fewer or lower-sorting targets", draft)


def _resolve_update(current: Endpoint, candidates: list[Endpoint], draft: _Draft) -> Endpoint:
    """ExternalDNS's ResolveUpdate: the object holding the record keeps it; otherwise as a create."""
    holder = current.labels.get(RESOURCE_LABEL, "")
    ordered = _stable_sort_by_targets(candidates)
    for candidate in ordered:
        if candidate.labels.get(RESOURCE_LABEL, "") == holder:
            return _settle(candidate, ordered, "it already holds the record", draft)
    return _resolve_create(ordered, draft)


def _settle(winner: Endpoint, candidates: list[Endpoint], why: str, draft: _Draft) -> Endpoint:
    """Record the losers of a conflict as skipped; candidates asking for the same record join the winner."""
    refs: list[ObjectRef] = list(winner.refs)
    for candidate in candidates:
        if candidate is winner:
            continue
        if _same_record(candidate, winner):
            refs.extend(ref for ref in candidate.refs if ref not in refs)
            continue
        holder = ", ".join(ref.display for ref in winner.refs) or "another source"
        reason = (
            f'conflicts with {holder}, which wants {winner.record_type} record "{winner.dns_name}" -> '
            f"{', '.join(winner.targets)}; only one of them can have it and {holder} was chosen because {why}"
        )
        draft.skipped.append(Skipped(candidate, reason))
    return winner.with_(refs=tuple(refs)) if len(refs) != len(winner.refs) else winner


def _same_record(left: Endpoint, right: Endpoint) -> bool:
    return (
        same_targets(left.targets, right.targets)
        and left.ttl == right.ttl
        and dict(left.provider_specific) == dict(right.provider_specific)
    )


def _apply_policy(draft: _Draft, policy: Policy) -> None:
    """plan/policy.go: upsert-only never deletes; create-only only creates."""
    if policy is Policy.SYNC:
        return
    draft.deletes.clear()
    if policy is Policy.CREATE_ONLY:
        draft.updates.clear()


def _filter_by_owner(draft: _Draft, owner_id: str) -> None:
    """Drop deletes and updates of records this instance does not own; deletes de-duplicated by key."""
    if not owner_id:
        return
    deletes: dict[EndpointKey, Endpoint] = {}
    for record in draft.deletes:
        if _owned(record, owner_id):
            deletes.setdefault(record.key, record)
    draft.deletes = list(deletes.values())
    updates: list[tuple[Endpoint, Endpoint]] = []
    for old, new in draft.updates:
        if _owned(old, owner_id):
            updates.append((old, new))
        else:
            draft.skipped.append(Skipped(new, _owner_mismatch_reason(old, owner_id), old.labels.get(OWNER_LABEL, "")))
    draft.updates = updates


def _owned(record: Endpoint, owner_id: str) -> bool:
    return record.labels.get(OWNER_LABEL) == owner_id


def _owner_mismatch_reason(record: Endpoint, owner_id: str) -> str:
    owner = record.labels.get(OWNER_LABEL)
    existing = f'the existing {record.record_type} record "{record.dns_name}"'
    if owner:
        return f'owner id does not match: {existing} is owned by "{owner}", not by this instance ("{owner_id}")'
    return (
        f"owner id does not match: {existing} has no owner (it was not created by ExternalDNS, or its "
        "ownership TXT record is missing), so it is left alone"
    )


def targets_less(left: Sequence[str], right: Sequence[str]) -> bool:
    """ExternalDNS's Targets.IsLess: fewer targets first.

    With as many targets, the first difference between the sorted targets decides: an IP address before a
    hostname, addresses by value (IPv4 before IPv6), hostnames by string.
    """
    if len(left) != len(right):
        return len(left) < len(right)
    for mine, theirs in zip(sorted(left), sorted(right), strict=True):
        if mine == theirs:
            continue
        mine_ip, their_ip = _parse_ip(mine), _parse_ip(theirs)
        if mine_ip is not None and their_ip is not None:
            return (mine_ip.version, int(mine_ip)) < (their_ip.version, int(their_ip))
        if mine_ip is not None or their_ip is not None:
            return mine_ip is not None
        return mine < theirs
    return False


def _parse_ip(target: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(target)
    except ValueError:
        return None


def _stable_sort_by_targets(candidates: list[Endpoint]) -> list[Endpoint]:
    # Insertion sort keeps equal elements in input order, as Go's sort.SliceStable with a less function does.
    ordered: list[Endpoint] = []
    for candidate in candidates:
        index = len(ordered)
        while index > 0 and targets_less(candidate.targets, ordered[index - 1].targets):
            index -= 1
        ordered.insert(index, candidate)
    return ordered


def dedup_endpoints(endpoints: Iterable[Endpoint]) -> list[Endpoint]:
    """Drop exact duplicates across sources (same type, name, set identifier and sorted targets), keeping the
    first and the refs of all, as ExternalDNS's dedup source wrapper does."""
    kept: dict[tuple[str, str, str, tuple[str, ...]], Endpoint] = {}
    for endpoint in endpoints:
        key = (
            endpoint.record_type,
            endpoint.dns_name,
            endpoint.set_identifier,
            tuple(sorted(endpoint.targets)),
        )
        first = kept.get(key)
        if first is None:
            kept[key] = endpoint
        else:
            refs = first.refs + tuple(ref for ref in endpoint.refs if ref not in first.refs)
            kept[key] = first.with_(refs=refs)
    return list(kept.values())
