"""What a zone worker tells people: one log line per applied change, and events on the objects.

Each applied change becomes a RecordReady or RecordDeleted event on the objects that wanted the record (for a
deletion: the objects that last wanted it, else the one named by the record's ``resource`` label). A failure or a
skip is reported once per distinct message, not on every retry or resync, so a quiet cluster stays quiet and a
broken one does not drown its events.
"""

from __future__ import annotations

import collections
import logging
from collections.abc import Sequence

from external_dns import kinds, metrics
from external_dns.endpoint import OWNED_RECORD_LABEL, RESOURCE_LABEL, Endpoint, EndpointKey, ObjectRef, normalize_name
from external_dns.events import Action, EventSink, Reason, RecordEvent
from external_dns.model import ApplyOutcome, Changes
from external_dns.plan import Skipped
from external_dns.recordstate import RecordStates

logger = logging.getLogger("external_dns.reconciler")


class ZoneReporter:
    """Logs and events for one zone; remembers what it reported so that repeats stay silent."""

    def __init__(self, zone_label: str, events: EventSink, states: RecordStates) -> None:
        self.zone_label = zone_label
        self.events = events
        #: What was last reported per name and record (errors, skips), and who last wanted a deleted name.
        self.states = states
        #: Ownership skips by record: the metric labels (record_type, owner, foreign_owner, domain).
        self._mismatches: dict[EndpointKey, tuple[str, str, str, str]] = {}

    def applied(self, applied: Changes) -> None:
        # A change's line is built only when it is written (a first sync applies one per record).
        logged = logger.isEnabledFor(logging.INFO)
        for ep in applied.create:
            if logged:
                logger.info("CREATE %s (zone %s)", _line(ep), self.zone_label)
            self._emit(ep.refs, Reason.READY, Action.CREATED, f"Created {ep.describe()}")
        for old, new in zip(applied.update_old, applied.update_new, strict=True):
            if logged:
                logger.info("UPDATE %s (was %s) (zone %s)", _line(new), ", ".join(old.targets), self.zone_label)
            self._emit(new.refs, Reason.READY, Action.UPDATED, f"Updated {new.describe()}")
        for ep in applied.delete:
            if logged:
                logger.info("DELETE %s (zone %s)", _line(ep), self.zone_label)
            self._emit(self._refs_of_deleted(ep), Reason.DELETED, Action.DELETED, f"Deleted {ep.describe()}")

    def failed(self, planned: Changes, outcome: ApplyOutcome, failed_names: set[str]) -> list[tuple[Endpoint, str]]:
        """Report the planned records of the failed names with the provider's message; returns them."""
        messages: dict[str, str] = {}
        for endpoint, message in outcome.failed:
            name = endpoint.labels.get(OWNED_RECORD_LABEL) or endpoint.dns_name
            messages.setdefault(normalize_name(name), message)
        failed: list[tuple[Endpoint, str]] = []
        verbs = (("create", planned.create), ("update", planned.update_new), ("delete", planned.delete))
        for verb, endpoints in verbs:
            for ep in endpoints:
                name = ep.key.name
                if name not in failed_names:
                    continue
                message = messages.get(name, "failed together with other records of the batch")
                failed.append((ep, message))
                logger.error("FAILED %s %s (zone %s): %s", verb.upper(), _line(ep), self.zone_label, message)
                if self.states.error(self.zone_label, name) == message:
                    continue  # the same error on a retry: already reported on the object
                self.states.set_error(self.zone_label, name, message)
                refs = ep.refs if verb != "delete" else self._refs_of_deleted(ep)
                self._emit(refs, Reason.ERROR, Action.FAILED_SYNC, f"Failed to {verb} {ep.describe()}: {message}")
        return failed

    def skipped(
        self,
        names: set[str],
        skipped: Sequence[Skipped],
        owner_id: str = "",
        ignored: Sequence[Skipped] = (),
    ) -> None:
        """Warn about records the plan left alone (foreign owner, conflicts, TXT outside the zone); remember the
        ones the flags exclude (``ignored``) without a Warning."""
        self._count_mismatches(names, skipped, owner_id)
        seen: set[EndpointKey] = set()
        for skip in ignored:
            seen.add(skip.endpoint.key)
            self.states.set_skip(self.zone_label, skip.endpoint.key, skip.reason)
        for skip in skipped:
            key = skip.endpoint.key
            seen.add(key)
            if self.states.skip(self.zone_label, key) == skip.reason:
                continue
            self.states.set_skip(self.zone_label, key, skip.reason)
            logger.warning("SKIP %s (zone %s): %s", _line(skip.endpoint), self.zone_label, skip.reason)
            message = f"Skipped {skip.endpoint.describe()}: {skip.reason}"
            self._emit(skip.endpoint.refs, Reason.ERROR, Action.FAILED_SYNC, message)
        self.states.clear_skips(self.zone_label, names, keep=seen)

    def _count_mismatches(self, names: set[str], skipped: Sequence[Skipped], owner_id: str) -> None:
        """ExternalDNS's owner-mismatch gauge (#5703), kept per record so incremental plans keep it right."""
        before = collections.Counter(self._mismatches.values())
        for key in [k for k in self._mismatches if k.name in names]:
            del self._mismatches[key]
        for skip in skipped:
            if skip.foreign_owner is not None:
                domain = skip.endpoint.key.name.partition(".")[2]
                self._mismatches[skip.endpoint.key] = (skip.endpoint.record_type, owner_id, skip.foreign_owner, domain)
        after = collections.Counter(self._mismatches.values())
        for labels in before.keys() | after.keys():
            if before[labels] != after[labels]:
                metrics.OWNER_MISMATCH.labels(*labels).inc(after[labels] - before[labels])

    def _refs_of_deleted(self, endpoint: Endpoint) -> tuple[ObjectRef, ...]:
        refs = self.states.former_refs(endpoint.key.name)
        if refs:
            return refs
        ref = ref_from_resource_label(endpoint.labels.get(RESOURCE_LABEL, ""))
        return (ref,) if ref else ()

    def _emit(self, refs: Sequence[ObjectRef], reason: Reason, action: Action, message: str) -> None:
        for ref in refs:
            self.events.record(RecordEvent(ref, reason, action, message))


def ref_from_resource_label(resource: str) -> ObjectRef | None:
    """``service/ns/name`` -> a reference good enough for an event (no uid: the object may be gone)."""
    parts = resource.split("/")
    spec = kinds.BY_LABEL.get(parts[0]) if parts else None
    if spec is None:
        return None
    if len(parts) == 3:
        return spec.ref_for(parts[1], parts[2])
    if len(parts) == 2:
        return spec.ref_for(None, parts[1])
    return None


def describe_changes(changes: Changes) -> list[str]:
    """Human-readable lines for a plan (dry runs and ``--once`` output)."""
    lines = [f"CREATE {_line(ep)}" for ep in changes.create]
    lines += [
        f"UPDATE {_line(new)} (was {', '.join(old.targets)})"
        for old, new in zip(changes.update_old, changes.update_new, strict=True)
    ]
    lines += [f"DELETE {_line(ep)}" for ep in changes.delete]
    return lines


def _line(ep: Endpoint) -> str:
    ttl = f" ttl={ep.ttl}" if ep.ttl else ""
    set_id = f" set={ep.set_identifier}" if ep.set_identifier else ""
    return f"{ep.record_type} {ep.dns_name} -> {', '.join(ep.targets)}{ttl}{set_id}"
