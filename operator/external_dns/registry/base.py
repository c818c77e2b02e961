"""The registry protocol: who owns which record, and the ownership records that go with every change.

ExternalDNS never touches a record it does not own. Ownership is stored next to the records (TXT registry) or
not at all (noop registry). The reconciler works at two levels: providers read and write *provider-level*
records (ownership TXT records included, as plain TXT endpoints), the planner compares *registry-level*
records (ownership TXT removed, owner/resource labels attached to the records they own). A registry converts
between the two:

* :meth:`Registry.read` turns provider-level records into a :class:`RegistryView`;
* :meth:`Registry.ownership_changes` turns the planner's registry-level changes into the provider-level batch;
* :meth:`Registry.related_names` lets the reconciler read only the few names a change concerns.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

from external_dns.endpoint import Endpoint, RowKey
from external_dns.model import Changes


@dataclass(slots=True)
class RegistryView:
    """What a registry made of some provider-level records.

    ``records``: registry-level records (ownership TXT removed, labels attached).
    ``ownership_records``: one registry-level record per ownership TXT record set, marked with
    ``OWNERSHIP_TXT_LABEL`` and labelled with the owner its values name. The planner never changes these; it
    refuses to add values to them (a source writing into another owner's ownership TXT would take that owner's
    records over), so they go into what it is given as current records: :meth:`current_at`.
    ``txt_rows``: the (record name, set identifier) rows that have any registry TXT, whatever its owner.
    ``txt_names``: the (TXT name, set identifier) of every registry TXT present (ExternalDNS's
    ``existingTXTs``): a Create does not write a TXT that is already there, whoever owns it.
    ``txt_values``: the ownership values of every registry TXT present, by (TXT name, set identifier), as read:
    an update or delete of the TXT removes all of them (duplicates included), not only the first.
    Names in these sets are normalised (:func:`external_dns.endpoint.normalize_name`).
    """

    records: list[Endpoint] = field(default_factory=list)
    txt_rows: set[RowKey] = field(default_factory=set)
    txt_names: set[RowKey] = field(default_factory=set)
    txt_values: dict[RowKey, tuple[str, ...]] = field(default_factory=dict)
    ownership_records: list[Endpoint] = field(default_factory=list)

    def current_at(self, names: Collection[str]) -> list[Endpoint]:
        """The planner's current records at ``names``: the records there and the ownership TXT records there."""
        return [record for record in (*self.records, *self.ownership_records) if record.key.name in names]


@runtime_checkable
class Registry(Protocol):
    """Ownership bookkeeping between the planner and a provider."""

    #: ``--txt-owner-id``; ``""`` means no ownership (the noop registry): every record may be changed.
    owner_id: str

    def read(self, records: Sequence[Endpoint]) -> RegistryView:
        """Registry-level view of provider-level records.

        Reading a subset (the records at a few names plus :meth:`related_names` of those names) gives the same
        answer for those names as reading the whole zone.
        """
        ...

    def related_names(self, dns_name: str, types: Collection[str] | None = None) -> set[str]:
        """Normalised names of every record that can carry ownership of records at ``dns_name`` (of ``types``
        only, when given: a point read asks for no more names than the plan needs).

        Does not include ``dns_name`` itself unless a registry TXT can live there (legacy, no affix).
        """
        ...

    def ownership_changes(self, changes: Changes, view: RegistryView) -> Changes:
        """The provider-level batch for the planner's changes: the records plus their ownership records.

        ``view`` is the :meth:`read` result the changes were planned against. ``update_old[i]`` still
        pairs with ``update_new[i]`` in the result.
        """
        ...

    def is_registry_record(self, endpoint: Endpoint) -> bool:
        """Whether a provider-level record is one of the registry's own ownership records."""
        ...
