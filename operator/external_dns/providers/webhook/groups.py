"""A webhook change batch cut into record groups, and which of their changes a listing shows already applied.

The webhook protocol answers a batch with one status: 204, or an error that may come after the remote provider
applied all, part or none of it. So after an ambiguous answer the client re-reads ``GET /records`` and sends only
the changes the listing does not show yet (:meth:`ChangeGroup.unapplied`); a create the remote already holds is
never sent twice, which a provider that accepts duplicate records would otherwise keep for ever.

A group is a record with its ownership TXT (the ``ownedRecord`` label names the record): they are sent, split and
reported together.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from external_dns.endpoint import OWNED_RECORD_LABEL, Endpoint, EndpointKey, normalize_name
from external_dns.providers.base import Changes

#: A listing reduced to what decides whether a change landed: the values held at each record key.
Listing = Mapping[EndpointKey, frozenset[str]]


@dataclass(slots=True)
class ChangeGroup:
    """The changes of one batch at one record (and its ownership TXT)."""

    create: list[Endpoint] = field(default_factory=list)
    update_old: list[Endpoint] = field(default_factory=list)
    update_new: list[Endpoint] = field(default_factory=list)
    delete: list[Endpoint] = field(default_factory=list)

    def endpoints(self) -> list[Endpoint]:
        """The endpoints a failure of the group is reported on."""
        return [*self.create, *self.update_new, *self.delete]

    def unapplied(self, listing: Listing) -> ChangeGroup:
        """The changes the listing does not show as done."""
        pairs = [
            (old, new)
            for old, new in zip(self.update_old, self.update_new, strict=True)
            if not (_holds(listing, new) and (old.key == new.key or old.key not in listing))
        ]
        return ChangeGroup(
            create=[endpoint for endpoint in self.create if not _holds(listing, endpoint)],
            update_old=[old for old, _ in pairs],
            update_new=[new for _, new in pairs],
            delete=[endpoint for endpoint in self.delete if endpoint.key in listing],
        )

    def __bool__(self) -> bool:
        return bool(self.create or self.update_new or self.delete)


def change_groups(changes: Changes) -> list[ChangeGroup]:
    """The batch's changes grouped by the record they are about, in order of first appearance."""
    groups: dict[str, ChangeGroup] = {}

    def group_of(endpoint: Endpoint) -> ChangeGroup:
        owner = endpoint.labels.get(OWNED_RECORD_LABEL) or endpoint.dns_name
        return groups.setdefault(normalize_name(owner), ChangeGroup())

    for endpoint in changes.create:
        group_of(endpoint).create.append(endpoint)
    for old, new in zip(changes.update_old, changes.update_new, strict=True):
        group = group_of(new)
        group.update_old.append(old)
        group.update_new.append(new)
    for endpoint in changes.delete:
        group_of(endpoint).delete.append(endpoint)
    return list(groups.values())


def batch_of(groups: Sequence[ChangeGroup]) -> Changes:
    """One protocol batch holding the groups' changes."""
    return Changes(
        create=[endpoint for group in groups for endpoint in group.create],
        update_old=[endpoint for group in groups for endpoint in group.update_old],
        update_new=[endpoint for group in groups for endpoint in group.update_new],
        delete=[endpoint for group in groups for endpoint in group.delete],
    )


def listing_of(records: Iterable[Endpoint]) -> dict[EndpointKey, frozenset[str]]:
    """The values at each key of a ``GET /records`` answer (entries listed twice are merged)."""
    listing: dict[EndpointKey, frozenset[str]] = {}
    for record in records:
        listing[record.key] = listing.get(record.key, frozenset()) | frozenset(record.targets)
    return listing


def _holds(listing: Listing, endpoint: Endpoint) -> bool:
    return listing.get(endpoint.key) == frozenset(endpoint.targets)
