"""Names whose ownership is spoken for already: the zone plan holds their records back with a Warning.

Two cases ExternalDNS writes anyway (issue 9):

* **an orphan claim**: an ownership TXT of another owner covers a record that is not there (that owner's cluster
  may be recreating it, or a person deleted the record by hand). Created, the record would read as theirs at
  once, or be fought over. :func:`refuse_claimed` holds the create back and names the owner and the hand-over.
* **a TXT in the way**: the name our ownership TXT would take holds a TXT record that is not an ownership record
  ("hello", or a value encrypted with a key this instance does not have). On RFC 2136 our value would join that
  record set, changing a record nobody gave us (Route 53 refuses the create outright). :func:`refuse_joining`
  holds back the create, or the update that would write the new-format TXT of a record owned through a legacy one.

Both let the registry decide through its public reading and writing, so every TXT format it reads (new and
legacy names, --txt-prefix/--txt-suffix, wildcard replacement, --migrate-from-txt-owner) counts. Both are cheap
when there is nothing to find: the common case (no ownership TXT without its record, no plain TXT among the
names planned) costs a set lookup per record.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace

from external_dns.endpoint import (
    OWNED_RECORD_LABEL,
    OWNER_LABEL,
    OWNERSHIP_TXT_LABEL,
    Endpoint,
    EndpointKey,
    normalize_name,
)
from external_dns.model import Changes
from external_dns.plan import Skipped
from external_dns.registry import Registry, RegistryView

#: An encrypted ownership value is base64 of a 12-byte nonce, the ciphertext and a 16-byte tag (registry/crypto.py).
_SEALED_MIN_BYTES = 12 + 16 + 1


def refuse_claimed(registry: Registry, view: RegistryView, changes: Changes) -> tuple[Changes, list[Skipped]]:
    """Hold back every create that another owner's ownership TXT already covers (an orphan claim)."""
    if not registry.owner_id or not changes.create or not view.ownership_records:
        return changes, []
    claims = _claimants(registry, view, changes.create)
    refused = [
        Skipped(record, _claimed_reason(registry, view, record, claims[record.key]), claims[record.key])
        for record in changes.create
        if claims.get(record.key, registry.owner_id) != registry.owner_id
    ]
    return without(changes, {skip.endpoint.key for skip in refused}), refused


def refuse_joining(
    registry: Registry, view: RegistryView, changes: Changes, batch: Changes
) -> tuple[Changes, Changes, list[Skipped]]:
    """Hold back every record whose ownership TXT in ``batch`` would join a TXT record that is not one.

    ``batch`` is ``registry.ownership_changes(changes, view)``; returns the changes and batch without those
    records, and their skips.
    """
    # A TXT record created in this same batch at the ownership TXT's name would be joined just the same.
    plain = {record.key: record for record in (*view.records, *changes.create) if record.record_type == "TXT"}
    hits = [txt for txt in (*batch.create, *batch.update_new) if OWNED_RECORD_LABEL in txt.labels and txt.key in plain]
    if not hits:
        return changes, batch, []
    # Which record wrote which TXT: asked of the registry, one record at a time, for the few names hit.
    named = {normalize_name(txt.labels[OWNED_RECORD_LABEL]) for txt in hits}
    refused: list[Skipped] = []
    for record in changes.create:
        if record.key.name in named:
            refused += _joining(record, registry.ownership_changes(Changes(create=[record]), view).create, plain)
    for old, new in zip(changes.update_old, changes.update_new, strict=True):
        if new.key.name in named:
            pair = Changes(update_old=[old], update_new=[new])
            refused += _joining(new, registry.ownership_changes(pair, view).update_new, plain)
    if not refused:
        return changes, batch, []
    kept = without(changes, {skip.endpoint.key for skip in refused})
    return kept, registry.ownership_changes(kept, view), refused


def without(changes: Changes, keys: set[EndpointKey]) -> Changes:
    """``changes`` without the creates and updates of the records at ``keys``."""
    if not keys:
        return changes
    pairs = [(old, new) for old, new in zip(changes.update_old, changes.update_new, strict=True) if new.key not in keys]
    return replace(
        changes,
        create=[record for record in changes.create if record.key not in keys],
        update_old=[old for old, _ in pairs],
        update_new=[new for _, new in pairs],
    )


def _claimants(registry: Registry, view: RegistryView, creates: Sequence[Endpoint]) -> dict[EndpointKey, str]:
    """Whose ownership TXT already covers each record about to be created (no entry: nobody's).

    The registry reads the ownership TXT record sets present together with the new records, bare of labels: the
    owner it attaches to a new record is the claim that record would fall under once created. Only records at a
    name some ownership TXT names are read (and wildcards, whose TXT names their --txt-wildcard-replacement).
    """
    claimed_names = {txt.labels.get(OWNERSHIP_TXT_LABEL, "") for txt in view.ownership_records}
    bare = [
        record.with_(labels={})
        for record in creates
        if record.key.name in claimed_names or record.key.name.startswith("*")
    ]
    if not bare:
        return {}
    read = registry.read([*view.ownership_records, *bare])
    return {record.key: record.labels[OWNER_LABEL] for record in read.records if OWNER_LABEL in record.labels}


def _joining(record: Endpoint, written: Iterable[Endpoint], plain: Mapping[EndpointKey, Endpoint]) -> list[Skipped]:
    """A skip of ``record`` when an ownership TXT the registry writes for it would join a plain TXT record."""
    for txt in written:
        occupant = plain.get(txt.key) if OWNED_RECORD_LABEL in txt.labels else None
        if occupant is not None:
            return [Skipped(record, _occupied_reason(txt, occupant), occupant.labels.get(OWNER_LABEL, ""))]
    return []


def _claimed_reason(registry: Registry, view: RegistryView, record: Endpoint, claimant: str) -> str:
    related = registry.related_names(record.dns_name)
    names = sorted(
        txt.key.name
        for txt in view.ownership_records
        if txt.key.name in related
        and txt.set_identifier == record.set_identifier
        and txt.labels.get(OWNER_LABEL) == claimant
    )
    where = f'the ownership TXT record "{names[0]}"' if names else "an ownership TXT record"
    return (
        f'owner id does not match: {where} gives "{record.key.name}" to "{claimant}", not to this instance '
        f'("{registry.owner_id}"), though the record is not there (that owner may be recreating it, or it was '
        "deleted by hand); it is left alone. To hand the name over, delete that TXT record (or, to take over "
        f'everything "{claimant}" owns, run with --migrate-from-txt-owner={claimant})'
    )


def _occupied_reason(txt: Endpoint, occupant: Endpoint) -> str:
    values = ", ".join(_shortened(value) for value in occupant.targets[:3])
    more = f" and {len(occupant.targets) - 3} more" if len(occupant.targets) > 3 else ""
    found = f'its ownership TXT record "{txt.key.name}" would join the TXT record already there ({values}{more})'
    if any(_looks_sealed(value) for value in occupant.targets):
        return (
            f"{found}, which looks like an encrypted ownership record this instance cannot read (made with another "
            "--txt-encrypt-aes-key): it is taken as another owner's claim and left alone. If the name is yours to "
            "take, delete that TXT record"
        )
    return (
        f"{found}, which is not an ownership record; it is left alone. Delete that TXT record, or move ownership "
        "records to other names with --txt-prefix or --txt-suffix"
    )


def _shortened(value: str, limit: int = 60) -> str:
    return value if len(value) <= limit else f"{value[:limit]}..."


def _looks_sealed(value: str) -> bool:
    """Whether a TXT value could be an encrypted ownership record (base64, long enough); "hello" could not."""
    text = value.strip().strip('"')
    try:
        decoded = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        return False
    return len(decoded) >= _SEALED_MIN_BYTES
