"""Mass-deletion guard: a plan that would delete most of what this owner holds in a zone is held back.

The classic way to lose a zone is a configuration mistake, not a bug: a ``--label-filter`` typo, a wrong
``--namespace`` or ``--source``, a CRD that was uninstalled. The operator then sees no object wanting any record
and, under ``--policy=sync``, deletes every record it owns. This guard compares the deletes of one plan with
the records this owner holds in the zone: above ``--max-delete-ratio`` (on zones where it holds at least
``--max-delete-min-records``) the deletes are held back, with a log line and Warning events saying how to
allow them; creates and updates at other names still go through. Held deletes are planned again at every
resync and whenever their names change, so a fixed configuration (or objects coming back) clears the hold.

To allow a real mass deletion, run once with the guard off (``external-dns --once --max-delete-ratio=1`` with
the same flags, e.g. as a one-off Job) and leave the Deployment guarded; or set ``--max-delete-ratio=1``.

Deletes are counted at the registry level (one per record, ownership TXT records not counted), together with
the deletes applied in the zone in the last ten minutes (``DeletionLimit.window``): objects deleted in waves
(a namespace, an uninstalled CRD) arrive in several plans of a few deletes each, and must add up. The base is
what this owner held before them (held now + deleted within the window). Deletions spread wider than the
window are not held: the guard is for catastrophes, not for throttling.
"""

from __future__ import annotations

import collections
import logging
import time
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass, field

from external_dns.desired import DesiredState
from external_dns.endpoint import OWNER_LABEL, RESOURCE_LABEL, Endpoint, ObjectRef
from external_dns.events import Action, EventSink, Reason, RecordEvent
from external_dns.guards.metrics import GUARD_ACTIONS, HELD_DELETIONS
from external_dns.plan import Plan, PlanSettings
from external_dns.providers.base import Changes
from external_dns.reporting import ref_from_resource_label

logger = logging.getLogger("external_dns.guards")


@dataclass(frozen=True, slots=True)
class DeletionLimit:
    """``--max-delete-ratio`` and ``--max-delete-min-records``; a ratio of 1 turns the guard off."""

    max_ratio: float = 0.5
    min_owned: int = 20
    #: Seconds during which applied deletes still count against the next plans.
    window: float = 600.0

    @property
    def enabled(self) -> bool:
        return self.max_ratio < 1

    def may_exceed(self, deletes: int) -> bool:
        """Whether ``deletes`` could be over the limit for some zone: below ``max_ratio * min_owned`` it never
        is, so the owned records need not be counted (the common case of a few deletes costs nothing)."""
        return self.enabled and deletes > 0 and deletes > self.max_ratio * self.min_owned

    def exceeded(self, deletes: int, owned: int) -> bool:
        return self.enabled and owned >= self.min_owned and deletes > self.max_ratio * owned


@dataclass(frozen=True, slots=True)
class Verdict:
    """The changes that may go ahead, and the deletes held back (empty when the plan is within the limit)."""

    changes: Changes
    held: tuple[Endpoint, ...] = ()
    #: Records owned before the deletes counted: owned now plus those deleted within the window.
    owned: int = 0
    recently_deleted: int = 0


def judge(
    changes: Changes, owned_records: Callable[[], int], limit: DeletionLimit, recently_deleted: int = 0
) -> Verdict:
    """Hold back every change at the names of the deletes when, with ``recently_deleted``, they are too many.

    Pure. Creates and updates at the same names are held too: a delete and a create at one name are one change
    of record type (e.g. A -> CNAME), and the create alone would clash with the record that stays.
    """
    deletes = len(changes.delete) + recently_deleted
    if not changes.delete or not limit.may_exceed(deletes):
        return Verdict(changes)
    owned = owned_records() + recently_deleted
    if not limit.exceeded(deletes, owned):
        return Verdict(changes, owned=owned)
    held_names = {ep.key.name for ep in changes.delete}
    pairs = [
        (old, new)
        for old, new in zip(changes.update_old, changes.update_new, strict=True)
        if new.key.name not in held_names
    ]
    allowed = Changes(
        create=[ep for ep in changes.create if ep.key.name not in held_names],
        update_old=[old for old, _ in pairs],
        update_new=[new for _, new in pairs],
    )
    return Verdict(allowed, held=tuple(changes.delete), owned=owned, recently_deleted=recently_deleted)


def count_owned(records: Iterable[Endpoint], settings: PlanSettings) -> int:
    """Registry-level records the planner could delete: managed types, owned by this owner id (any without)."""
    return sum(
        1
        for record in records
        if settings.is_managed(record.record_type)
        and (not settings.owner_id or record.labels.get(OWNER_LABEL) == settings.owner_id)
    )


@dataclass
class MassDeletionGuard:
    """The guard of one zone: judges each plan and remembers which names it holds back.

    Plans often cover only some names (incremental syncs), so a held name stays held until a plan that covers
    it no longer holds it; a hold is logged when new names join it, and each object is warned once per hold.
    """

    zone_label: str
    limit: DeletionLimit
    owner_id: str
    events: EventSink
    desired: DesiredState
    clock: Callable[[], float] = time.monotonic
    held: set[str] = field(default_factory=set)
    #: (when, how many) deletes were applied, within the limit's window.
    _applied: collections.deque[tuple[float, int]] = field(default_factory=collections.deque)

    def check(self, plan: Plan, planned: Collection[str], owned_records: Callable[[], int]) -> Plan:
        """The plan of the names ``planned`` with its deletes held back if they are too many."""
        verdict = judge(plan.changes, owned_records, self.limit, self.recently_deleted())
        now_held = {ep.key.name for ep in verdict.held}
        newly_held = now_held - self.held
        if self.held:
            self.held = {name for name in self.held if name not in planned}
        self.held |= now_held
        HELD_DELETIONS.labels(zone=self.zone_label).set(len(self.held))
        if not verdict.held:
            return plan
        GUARD_ACTIONS.labels(guard="mass_deletion").inc()
        if newly_held:
            self._log(verdict)
            self._warn([ep for ep in verdict.held if ep.key.name in newly_held])
        return Plan(changes=verdict.changes, skipped=plan.skipped)

    def record_applied(self, deletes: int) -> None:
        """Deletes the provider applied: they count against the next plans for the limit's window."""
        if deletes and self.limit.enabled:
            self._applied.append((self.clock(), deletes))

    def recently_deleted(self) -> int:
        horizon = self.clock() - self.limit.window
        while self._applied and self._applied[0][0] < horizon:
            self._applied.popleft()
        return sum(count for _, count in self._applied)

    def _log(self, verdict: Verdict) -> None:
        held = len(verdict.held)
        owner = f'owner "{self.owner_id}"' if self.owner_id else "this instance"
        recent = (
            f" (with {verdict.recently_deleted} deleted in the last {self.limit.window / 60:g} minutes)"
            if verdict.recently_deleted
            else ""
        )
        logger.warning(
            "Zone %s: HELD BACK %d deletions of the %d records %s held%s (%.0f%% > --max-delete-ratio=%s). "
            "If the objects were removed on purpose, apply them once with `external-dns --once "
            "--max-delete-ratio=1` and the same flags, or set --max-delete-ratio=1 "
            "(EXTERNAL_DNS_MAX_DELETE_RATIO=1); if not, check --label-filter, --annotation-filter, --namespace and "
            "--source. Creates and updates at other names go ahead; the held deletions are re-planned at each "
            "resync. First held: %s",
            self.zone_label,
            held,
            verdict.owned,
            owner,
            recent,
            100.0 * (held + verdict.recently_deleted) / max(verdict.owned, 1),
            f"{self.limit.max_ratio:g}",
            ", ".join(sorted(ep.describe() for ep in verdict.held[:5])),
        )

    def _warn(self, held: Sequence[Endpoint]) -> None:
        owner = f'owner "{self.owner_id}"' if self.owner_id else "this instance"
        message = (
            f"Deletion held back by the mass-deletion guard: the plan would delete more than "
            f"--max-delete-ratio={self.limit.max_ratio:g} of the records {owner} holds in zone {self.zone_label} "
            "(the operator's log has the figures); if intended, allow it with --max-delete-ratio=1"
        )
        for ep in held:
            for ref in self._refs_of(ep):
                self.events.record(RecordEvent(ref, Reason.ERROR, Action.FAILED_SYNC, f"{message}: {ep.describe()}"))

    def _refs_of(self, endpoint: Endpoint) -> Sequence[ObjectRef]:
        refs = self.desired.former_refs(endpoint.key.name)
        if refs:
            return refs
        ref = ref_from_resource_label(endpoint.labels.get(RESOURCE_LABEL, ""))
        return (ref,) if ref else ()
