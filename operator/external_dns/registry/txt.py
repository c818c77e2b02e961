"""The TXT registry (``--registry=txt``): ownership kept in TXT records next to the records, as ExternalDNS
does.

Every record this operator creates gets a sibling TXT record (``a-api.example.com`` for the A record at
``api.example.com``) whose value names the owner and the Kubernetes object. Reading the zone, those TXT
records are removed from the list and their labels attached to the records they own; a record without one has
no owner and is never changed. Names, values, encryption and the legacy format follow ExternalDNS byte for
byte (registry/mapper.py, registry/labels.py, registry/crypto.py), so both can share a zone and take over from
each other.

One deliberate difference in *how*, not *what*: ExternalDNS deletes an ownership TXT by regenerating its
value, which for encrypted values may not reproduce the bytes in DNS (Go's deflate is not zlib's). Here every
record owned through a TXT carries the exact TXT string read from the provider in ``RAW_TXT_LABEL``, and
deletes send that.
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass

from external_dns.endpoint import (
    NONCE_LABEL,
    OWNED_RECORD_LABEL,
    OWNER_LABEL,
    OWNERSHIP_TXT_LABEL,
    RAW_TXT_LABEL,
    Endpoint,
    EndpointKey,
    RecordType,
    RowKey,
    normalize_name,
)
from external_dns.errors import ConfigError
from external_dns.model import Changes
from external_dns.registry.base import RegistryView
from external_dns.registry.crypto import (
    DecryptionError,
    decrypt_text,
    encrypt_text,
    generate_nonce,
    parse_aes_key,
)
from external_dns.registry.labels import InvalidHeritageError, parse_labels, serialize_labels, serialize_plain_labels
from external_dns.registry.mapper import AffixNameMapper

log = logging.getLogger(__name__)

#: Set on an owned record whose new-format TXT is missing, so that the planner updates it and the update
#: writes the TXT (ExternalDNS's migration from the legacy format; relies on update = upsert).
FORCE_UPDATE_PROPERTY = "txt/force-update"

#: Route53 alias marker: A alias records were owned through a ``cname-`` TXT before ExternalDNS v0.22.
_ALIAS_PROPERTY = "alias"

_MAX_LABEL_LENGTH = 63

DEFAULT_MANAGED_TYPES = frozenset({RecordType.A.value, RecordType.AAAA.value, RecordType.CNAME.value})

#: Names whose related TXT names are kept (~1.5 KB each): a zone worker asks twice for each name of the slice it
#: plans ahead (once to see whether it may, once to plan), and a slice is 250 names.
_RELATED_NAMES_KEPT = 1024


@dataclass(frozen=True, slots=True)
class _Ownership:
    """What the registry TXT values for one record say: the labels and the value they were read from.

    ``rewrite`` is set when the record set holds more than one ownership value of the same owner (duplicates
    left by a lost response, say): the owner's next update writes a single value back.
    """

    labels: Mapping[str, str]
    raw_value: str
    rewrite: bool = False


class TXTRegistry:
    """ExternalDNS's TXT registry over provider-level records (see the module docstring)."""

    def __init__(
        self,
        owner_id: str,
        *,
        prefix: str = "",
        suffix: str = "",
        wildcard_replacement: str = "",
        encrypt: bool = False,
        aes_key: bytes | None = None,
        managed_types: frozenset[str] = DEFAULT_MANAGED_TYPES,
        old_owner_id: str = "",
    ) -> None:
        self.owner_id = owner_id
        self.mapper = AffixNameMapper(prefix, suffix, wildcard_replacement)
        # A key without --txt-encrypt-enabled still decrypts what is read, as upstream does.
        self.aes_key = parse_aes_key(aes_key) if aes_key else None
        if encrypt and self.aes_key is None:
            raise ConfigError("--txt-encrypt-aes-key must be set when --txt-encrypt-enabled is true")
        self.encrypt = encrypt
        self.managed_types = managed_types
        self.old_owner_id = old_owner_id
        self._related: dict[str, frozenset[str]] = {}

    # Reading ------------------------------------------------------------------------------------------------

    def read(self, records: Sequence[Endpoint]) -> RegistryView:
        """Strip the registry TXT records and attach their labels to the records they own (§1.4).

        Every value of a TXT record set is read, not only the first: values naming different owners make the
        records they own nobody's business here (never this instance's), so a value added to another owner's
        TXT cannot take its records over.
        """
        plain: list[Endpoint] = []
        found: dict[EndpointKey, list[_Ownership]] = {}
        multi_valued: set[EndpointKey] = set()
        ownership_records: list[Endpoint] = []
        view = RegistryView()
        for record in records:
            if record.record_type != RecordType.TXT:
                plain.append(record)
                continue
            if not record.targets:
                log.error("TXT record %s has no value; ignored", record.dns_name)
                continue
            values = self._ownership_values(record.targets)
            if not values:
                # Somebody else's TXT record: an ordinary record that nobody owns.
                plain.append(record)
                continue
            owned_name, owned_type = self.mapper.to_endpoint_name(record.dns_name)
            owned_name = normalize_name(owned_name)
            key = EndpointKey(owned_name, owned_type, record.set_identifier)
            found.setdefault(key, []).extend(values)
            if len(values) > 1:
                multi_valued.add(key)
            txt_row = RowKey(normalize_name(record.dns_name), record.set_identifier)
            view.txt_names.add(txt_row)
            view.txt_values[txt_row] = view.txt_values.get(txt_row, ()) + tuple(v.raw_value for v in values)
            if owned_name:
                view.txt_rows.add(RowKey(owned_name, record.set_identifier))
            ownership_records.append(self._ownership_record(record, owned_name, self._settle(values, txt=record)))
        ownerships = {key: self._settle(values, duplicated=key in multi_valued) for key, values in found.items()}
        present_txt_names = {row.name for row in view.txt_names}
        view.records = [self._attach_ownership(record, ownerships, present_txt_names) for record in plain]
        view.ownership_records = ownership_records
        return view

    def _ownership_values(self, texts: Sequence[str]) -> list[_Ownership]:
        values: list[_Ownership] = []
        for text in texts:
            labels = self._parse_value(text)
            if labels is not None:
                values.append(_Ownership(labels, text))
        return values

    def _settle(self, values: list[_Ownership], *, txt: Endpoint | None = None, duplicated: bool = False) -> _Ownership:
        """One ownership out of every value found for a record: this instance's only if all values agree.

        ``txt``: the TXT record set the values were read from, named in the warning when they disagree.
        ``duplicated``: one TXT record set holds several of the values, so its owner should rewrite it.
        """
        owners = {self._effective_owner(value.labels) for value in values}
        if len(owners) == 1:
            return _Ownership(values[0].labels, values[0].raw_value, rewrite=duplicated)
        # Values that disagree: the record is someone else's, whatever any one value claims.
        foreign = min(owner for owner in owners if owner != self.owner_id)
        chosen = next(value for value in values if self._effective_owner(value.labels) == foreign)
        if txt is not None:
            log.warning(
                "Ownership TXT %s names several owners (%s); its records are treated as owned by %r",
                txt.dns_name,
                ", ".join(repr(owner) for owner in sorted(owners)),
                foreign,
            )
        return chosen

    def _effective_owner(self, labels: Mapping[str, str]) -> str:
        owner = labels.get(OWNER_LABEL, "")
        return self.owner_id if self.old_owner_id and owner == self.old_owner_id else owner

    @staticmethod
    def _ownership_record(txt: Endpoint, owned_name: str, ownership: _Ownership) -> Endpoint:
        """The registry-level stand-in of an ownership TXT record set (see :class:`RegistryView`)."""
        labels = {OWNERSHIP_TXT_LABEL: owned_name, OWNER_LABEL: ownership.labels.get(OWNER_LABEL, "")}
        return txt.with_(labels=labels)

    def _attach_ownership(
        self, record: Endpoint, ownerships: Mapping[EndpointKey, _Ownership], present_txt_names: set[str]
    ) -> Endpoint:
        key = EndpointKey(self._lookup_name(record.dns_name), record.record_type, record.set_identifier)
        # Only the registry says which records are ownership TXT records, never a provider's labels.
        labels = {name: value for name, value in record.labels.items() if name != OWNERSHIP_TXT_LABEL}
        ownership = ownerships.get(key)
        if ownership is not None:
            # Only the TXT at the name we would write can be deleted by its exact value.
            labels.update(ownership.labels, **{RAW_TXT_LABEL: ownership.raw_value})
        else:
            fallback = self._fallback_ownership(record, key, ownerships)
            if fallback is not None:
                labels.update(fallback.labels)
        # Duplicated values are rewritten only at the TXT we would write, not at an older format's.
        rewrite = ownership is not None and ownership.rewrite
        if self.old_owner_id and labels.get(OWNER_LABEL) == self.old_owner_id:
            labels[OWNER_LABEL] = self.owner_id
        provider_specific = dict(record.provider_specific)
        if self._needs_txt_migration(record, labels, present_txt_names) or (rewrite and self._is_mine(record, labels)):
            provider_specific[FORCE_UPDATE_PROPERTY] = "true"
        return record.with_(labels=labels, provider_specific=provider_specific)

    def _fallback_ownership(
        self, record: Endpoint, key: EndpointKey, ownerships: Mapping[EndpointKey, _Ownership]
    ) -> _Ownership | None:
        """Older TXT formats: ``cname-`` for A alias records (< v0.22), then the type-less legacy TXT."""
        if record.record_type == RecordType.A and record.provider_specific.get(_ALIAS_PROPERTY) == "true":
            alias_ownership = ownerships.get(EndpointKey(key.name, RecordType.CNAME.value, key.set_identifier))
            if alias_ownership is not None:
                log.warning("Obsolete cname- ownership TXT for A alias record %s can be removed", record.dns_name)
                return alias_ownership
        # AAAA records never had a legacy TXT: ExternalDNS only ever wrote the new format for them.
        if record.record_type == RecordType.AAAA:
            return None
        return ownerships.get(EndpointKey(key.name, "", key.set_identifier))

    def _is_mine(self, record: Endpoint, labels: Mapping[str, str]) -> bool:
        """Owned by this instance and of a managed type: the records whose TXT this instance may rewrite."""
        return (
            bool(self.owner_id)
            and labels.get(OWNER_LABEL) == self.owner_id
            and record.record_type in self.managed_types
        )

    def _needs_txt_migration(self, record: Endpoint, labels: Mapping[str, str], present: set[str]) -> bool:
        if not present or not self._is_mine(record, labels):
            return False
        return normalize_name(self.mapper.to_txt_name(record.dns_name, record.record_type)) not in present

    def _lookup_name(self, dns_name: str) -> str:
        """The record's name as TXT names map back to it: a leading ``*`` becomes the wildcard replacement."""
        name = normalize_name(dns_name)
        first, dot, rest = name.partition(".")
        if self.mapper.wildcard_replacement and first == "*":
            return f"{self.mapper.wildcard_replacement}{dot}{rest}"
        return name

    def _parse_value(self, value: str) -> dict[str, str] | None:
        """The labels of a registry TXT value, or None when it is not one (``NewLabelsFromString``)."""
        if self.aes_key is not None:
            try:
                plain, nonce = decrypt_text(value.strip('"'), self.aes_key)
            except DecryptionError:
                pass  # Plain-text values may predate encryption: read them as such.
            else:
                try:
                    labels = parse_labels(plain)
                except InvalidHeritageError:
                    return None
                labels[NONCE_LABEL] = nonce
                return labels
        try:
            return parse_labels(value)
        except InvalidHeritageError:
            return None

    def related_names(self, dns_name: str, types: Collection[str] | None = None) -> set[str]:
        """Every TXT name that can own records at ``dns_name``: each type's (of ``types``, when given), and the
        legacy one."""
        if types is not None:
            mapper = self.mapper
            named = [mapper.to_txt_name(dns_name, kind) for kind in types]
            return {normalize_name(name) for name in (*named, mapper.to_legacy_txt_name(dns_name))}
        names = self._related.get(dns_name)
        if names is None:
            if len(self._related) >= _RELATED_NAMES_KEPT:
                self._related.clear()
            names = frozenset(self.mapper.txt_names(dns_name))
            if not (self.mapper.keeps_names_normal and normalize_name(dns_name) == dns_name):
                names = frozenset(map(normalize_name, names))
            self._related[dns_name] = names
        return set(names)

    def is_registry_record(self, endpoint: Endpoint) -> bool:
        """Whether a provider-level record is an ownership TXT (valid heritage, decrypted if need be)."""
        return (
            endpoint.record_type == RecordType.TXT
            and bool(endpoint.targets)
            and self._parse_value(endpoint.targets[0]) is not None
        )

    # Writing ------------------------------------------------------------------------------------------------

    def ownership_changes(self, changes: Changes, view: RegistryView) -> Changes:
        """The provider-level batch: the planner's records plus their ownership TXT records (§1.5)."""
        result = Changes()
        for record in changes.create:
            record = _without_raw_value(record.with_labels(**{OWNER_LABEL: self.owner_id}))
            result.create.append(record)
            txt = self._ownership_txt(record, self._txt_value(record.labels, record.labels.get(NONCE_LABEL)))
            # Never create a TXT that is already there, whoever owns it (upstream's existingTXTs).
            if txt is not None and RowKey(normalize_name(txt.dns_name), txt.set_identifier) not in view.txt_names:
                result.create.append(txt)
        for record in self._owned(changes.delete):
            result.delete.append(_without_raw_value(record))
            result.delete.extend(_present(self._stored_txt(record, view)))
        self._pair_updates(changes, view, result)
        return result

    def _pair_updates(self, changes: Changes, view: RegistryView, result: Changes) -> None:
        old_txts: list[Endpoint] = []
        new_txts: list[Endpoint] = []
        for old, new in zip(changes.update_old, changes.update_new, strict=True):
            if not (self._is_owned(old) and self._is_owned(new)):
                continue
            result.update_old.append(_without_raw_value(old))
            result.update_new.append(_without_raw_value(new))
            # Keep an encrypted TXT's nonce across the update, as a delete-then-create of it would.
            nonce = new.labels.get(NONCE_LABEL) or old.labels.get(NONCE_LABEL)
            old_txt = self._stored_txt(old, view)
            new_txt = self._ownership_txt(new, self._txt_value(new.labels, nonce))
            if old_txt is not None and new_txt is not None:
                old_txts.append(old_txt)
                new_txts.append(new_txt)
        # TXT pairs go after the records, at matching indexes in both lists.
        result.update_old.extend(old_txts)
        result.update_new.extend(new_txts)

    def _owned(self, records: Iterable[Endpoint]) -> list[Endpoint]:
        return [record for record in records if self._is_owned(record)]

    def _is_owned(self, record: Endpoint) -> bool:
        return not self.owner_id or record.labels.get(OWNER_LABEL) == self.owner_id

    def _stored_txt(self, record: Endpoint, view: RegistryView) -> Endpoint | None:
        """A current record's ownership TXT as the provider holds it: every value read, duplicates included,
        so that an update or delete leaves none of them behind."""
        stored = self._stored_value(record)
        txt = self._ownership_txt(record, stored)
        if txt is None:
            return None
        values = view.txt_values.get(RowKey(normalize_name(txt.dns_name), txt.set_identifier), ())
        # The values read there are ours to remove only if the value we hold is one of them.
        return txt.with_(targets=values) if stored in values else txt

    def _stored_value(self, record: Endpoint) -> str:
        """The TXT value in DNS for a current record: as read if known, else regenerated with its nonce."""
        raw = record.labels.get(RAW_TXT_LABEL)
        return raw if raw is not None else self._txt_value(record.labels, record.labels.get(NONCE_LABEL))

    def _txt_value(self, labels: Mapping[str, str], nonce: str | None) -> str:
        """A fresh TXT value for a record's labels (``Labels.Serialize``), encrypted when enabled.

        The labels never name the old owner of ``--migrate-from-txt-owner``: reading relabels those records.
        """
        if not self.encrypt or self.aes_key is None:
            return serialize_labels(labels)
        sealed = encrypt_text(serialize_plain_labels(labels), self.aes_key, nonce or generate_nonce())
        return f'"{sealed}"'

    def _ownership_txt(self, record: Endpoint, value: str) -> Endpoint | None:
        """The ownership TXT of a record, or None when its name cannot exist (a label over 63 chars)."""
        name = self.mapper.to_txt_name(record.dns_name, record.record_type).rstrip(".")
        if any(len(label) > _MAX_LABEL_LENGTH for label in name.split(".")):
            log.error(
                "Ownership TXT name %s for %s is too long; the record will have no owner",
                name,
                record.dns_name,
            )
            return None
        return Endpoint(
            dns_name=name,
            record_type=RecordType.TXT.value,
            targets=(value,),
            set_identifier=record.set_identifier,
            labels={OWNED_RECORD_LABEL: record.dns_name},
            # The TXT follows the record's routing policy (Route53 weights, geo...), not its migration mark.
            provider_specific={
                name: value for name, value in record.provider_specific.items() if name != FORCE_UPDATE_PROPERTY
            },
            refs=record.refs,
        )


def _present(txt: Endpoint | None) -> list[Endpoint]:
    return [] if txt is None else [txt]


def _without_raw_value(record: Endpoint) -> Endpoint:
    """The record as a provider should see it: the raw TXT value is bookkeeping, not a record label."""
    if RAW_TXT_LABEL not in record.labels:
        return record
    return record.with_(labels={key: value for key, value in record.labels.items() if key != RAW_TXT_LABEL})
