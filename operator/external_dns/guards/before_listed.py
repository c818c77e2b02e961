"""Which changes may be made before the start-up LIST is complete (startchanges.py plans them then).

While the operator's own LIST runs, a change the catch-up watch brings is planned at once for its names, from a
point read of those names. The desired state then misses every object not listed yet, any of which may want the
same names. A change is kept only when no such object could make the complete plan undo it or need a record it
removes:

- no delete: the safety rule (shared/design.md), a restart must never delete records whose objects simply have not
  been listed yet. An object's record stays until the first whole-zone sync;
- an update only when the record stays with the object that holds it (its resource label). The complete plan
  would keep it with that object too, whoever else wants the name (ExternalDNS's ResolveUpdate); when the holder
  changes, an object not listed yet might be the one the complete plan picks;
- the Service and Pod sources merge the targets of every object wanting a record (ExternalDNS's merge), so a value
  an update removes may be wanted by one not listed yet: such an update only adds its new values to the record
  (old and new stay until the first whole-zone sync). A CNAME cannot hold two, so it waits;
- a create is kept. The name held nothing of that type: an object listed later may at most add its values
  (merging kinds) or lose to the record's holder, as it would if this change had come a moment after the start.

Whatever is left out at a name leaves out every change there: a row is planned together (a CNAME's delete and the
A record replacing it) and written together, or not at all. Nothing is reported as skipped: what is left out is
planned, and reported, by the first whole-zone sync.
"""

from __future__ import annotations

from external_dns.endpoint import RESOURCE_LABEL, Endpoint
from external_dns.model import Changes
from external_dns.plan import Plan
from external_dns.zoneplan import MERGING_KINDS


def before_listed(plan: Plan) -> Plan:
    """The part of ``plan`` that may be made before every object is listed (see the module docstring)."""
    changes = plan.changes
    waiting = {record.key.name for record in changes.delete}
    updates: list[tuple[Endpoint, Endpoint]] = []
    for old, new in zip(changes.update_old, changes.update_new, strict=True):
        if old.labels.get(RESOURCE_LABEL, "") != new.labels.get(RESOURCE_LABEL, ""):
            waiting.add(new.key.name)
        elif _merged(new) and not set(old.targets) <= set(new.targets):
            if new.record_type == "CNAME":
                waiting.add(new.key.name)
            else:
                kept = tuple(target for target in old.targets if target not in new.targets)
                updates.append((old, new.with_(targets=(*new.targets, *kept))))
        else:
            updates.append((old, new))
    return Plan(
        changes=Changes(
            create=[record for record in changes.create if record.key.name not in waiting],
            update_old=[old for old, new in updates if new.key.name not in waiting],
            update_new=[new for _, new in updates if new.key.name not in waiting],
        )
    )


def _merged(record: Endpoint) -> bool:
    """Whether the record's source merges the values of several objects into it."""
    return bool(record.refs) and record.refs[0].kind in MERGING_KINDS
