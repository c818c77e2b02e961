"""Edges of the TXT registry, its value format and its encryption that mutation testing found unpinned (issue 9).

Each test states a behaviour a user of the registry depends on (who owns a record, what a TXT value or name is,
which key or value is refused and why); the comment under it names the mutant it was written against, so that
a later `make mutation` run can be read against it.
"""

from __future__ import annotations

import base64
import logging

import pytest

from external_dns.endpoint import OWNER_LABEL, Endpoint
from external_dns.errors import ConfigError
from external_dns.model import Changes
from external_dns.plan import PlanSettings, calculate
from external_dns.registry import NoopRegistry, RegistryView, TXTRegistry
from external_dns.registry.crypto import DecryptionError, decrypt_text, encrypt_text, parse_aes_key
from external_dns.registry.labels import InvalidHeritageError, parse_labels
from external_dns.registry.mapper import AffixNameMapper

KEY = b"12345678901234567890123456789012"
ME = PlanSettings(owner_id="me")


def value(owner: str | None) -> str:
    owner_part = "" if owner is None else f",external-dns/owner={owner}"
    return f'"heritage=external-dns{owner_part}"'


def mine(name: str, *targets: str) -> Endpoint:
    return Endpoint(name, "A", targets, labels={OWNER_LABEL: "me"})


# --- who owns a record ----------------------------------------------------------------------------------------


def test_a_provider_label_naming_us_without_any_ownership_txt_plans_nothing() -> None:
    # A webhook provider may return records with an owner label of its own and no TXT in the zone: the record
    # is ours, in step with what is wanted, and no update is planned at every sync.
    # Kills `rewrite = False` -> `True` in _attach_ownership.
    zone = [Endpoint("hook.example.com", "A", ("192.0.2.1",), labels={OWNER_LABEL: "me"})]
    view = TXTRegistry("me").read(zone)
    plan = calculate(view.records, [Endpoint("hook.example.com", "A", ("192.0.2.1",))], ME)
    assert not plan.changes.has_changes()


def test_a_txt_with_values_of_the_old_and_the_new_owner_is_ours_and_rewritten_as_one_value() -> None:
    # --migrate-from-txt-owner=old: "old" and "me" are the same owner, so the record is ours, and the duplicated
    # TXT is written back as a single value by the next sync.
    # Kills `old_owner_id and owner == old_owner_id` -> `... and False` in _effective_owner.
    registry = TXTRegistry("me", old_owner_id="old")
    zone = [
        Endpoint("moved.example.com", "A", ("192.0.2.1",)),
        Endpoint("a-moved.example.com", "TXT", (value("old"), value("me"))),
    ]
    view = registry.read(zone)
    assert [record.labels[OWNER_LABEL] for record in view.records] == ["me"]
    plan = calculate(view.records, [Endpoint("moved.example.com", "A", ("192.0.2.1",))], ME)
    batch = registry.ownership_changes(plan.changes, view)
    assert [record.targets for record in batch.update_new] == [("192.0.2.1",), (value("me"),)]
    assert [record.targets for record in batch.update_old] == [("192.0.2.1",), (value("old"), value("me"))]


def test_a_txt_naming_no_owner_and_another_owner_leaves_the_record_with_no_owner() -> None:
    # Values that disagree: the record is not ours, and of the two claims the one naming no owner is kept.
    # Kills the `labels.get(OWNER_LABEL, "")` default mutants in _effective_owner (None, "XXXX").
    zone = [
        Endpoint("mixed.example.com", "A", ("192.0.2.1",)),
        Endpoint("a-mixed.example.com", "TXT", (value("Blue"), value(None))),
    ]
    (record,) = TXTRegistry("me").read(zone).records
    assert OWNER_LABEL not in record.labels


def test_a_txt_naming_several_owners_is_logged_with_its_name_and_owners(caplog: pytest.LogCaptureFixture) -> None:
    # Kills `self._settle(values, txt=record)` -> `txt=None` (the warning would never be logged).
    zone = [
        Endpoint("shared.example.com", "A", ("192.0.2.1",)),
        Endpoint("a-shared.example.com", "TXT", (value("me"), value("other"))),
    ]
    with caplog.at_level(logging.WARNING, logger="external_dns.registry.txt"):
        (record,) = TXTRegistry("me").read(zone).records
    assert record.labels[OWNER_LABEL] == "other"
    assert "Ownership TXT a-shared.example.com names several owners ('me', 'other')" in caplog.text


def test_the_registry_refuses_update_lists_of_different_lengths() -> None:
    # update_old[i] pairs with update_new[i]: a batch where they do not pair is a bug, never half applied.
    # Kills `zip(..., strict=True)` -> strict=False / None / left out in _pair_updates.
    changes = Changes(update_old=[mine("p.example.com", "192.0.2.1"), mine("q.example.com", "192.0.2.1")])
    changes.update_new.append(mine("p.example.com", "192.0.2.2"))
    with pytest.raises(ValueError, match="zip"):
        TXTRegistry("me").ownership_changes(changes, RegistryView())


def test_the_noop_registry_passes_updates_through() -> None:
    # Kills the removal of update_old= / update_new= in NoopRegistry.ownership_changes.
    old, new = mine("u.example.com", "192.0.2.1"), mine("u.example.com", "192.0.2.2")
    batch = NoopRegistry().ownership_changes(Changes(update_old=[old], update_new=[new]), RegistryView())
    assert (batch.update_old, batch.update_new) == ([old], [new])


# --- what a TXT value and a TXT name are ------------------------------------------------------------------------


def test_a_value_whose_owner_ends_in_x_keeps_its_owner() -> None:
    # Only the surrounding double quotes are taken off a value. Kills `strip('"')` -> `strip('XX"XX')`.
    assert parse_labels('"heritage=external-dns,external-dns/owner=cluster-X"') == {"owner": "cluster-X"}


def test_a_value_in_another_label_order_is_deleted_as_it_was_read() -> None:
    # Another writer may order the labels differently: the delete sends the exact string read, not a value
    # regenerated from the labels. Kills `raw = record.labels.get(RAW_TXT_LABEL)` -> None / get(None) and the
    # `raw if raw is not None` -> `... and False` mutants of _stored_value.
    raw = '"external-dns/owner=me,heritage=external-dns"'
    registry = TXTRegistry("me")
    view = registry.read([Endpoint("o.example.com", "A", ("192.0.2.1",)), Endpoint("a-o.example.com", "TXT", (raw,))])
    batch = registry.ownership_changes(calculate(view.records, [], ME).changes, view)
    assert [(record.dns_name, record.targets) for record in batch.delete] == [
        ("o.example.com", ("192.0.2.1",)),
        ("a-o.example.com", (raw,)),
    ]


def test_an_ownership_txt_name_keeps_the_records_name_up_to_its_trailing_dot() -> None:
    # Kills `rstrip(".")` -> `rstrip("XX.XX")` (a name ending in X would lose its last letters).
    batch = TXTRegistry("me").ownership_changes(
        Changes(create=[mine("shop.example.BOX.", "192.0.2.1")]), RegistryView()
    )
    assert [record.dns_name for record in batch.create] == ["shop.example.BOX.", "a-shop.example.BOX"]


def test_an_encrypted_value_is_recognised_whatever_its_nonce() -> None:
    # Here the nonce's base64 makes the value start with "XXXX". Kills `strip('"')` -> `strip('XX"XX')` in
    # _parse_value (the value would not decrypt and the record would have no owner).
    nonce = "XXXXXXXXXXXXXXXX"
    sealed = encrypt_text("heritage=external-dns,external-dns/owner=me", KEY, nonce)
    assert sealed.startswith("XXXX")
    zone = [
        Endpoint("sealed.example.com", "A", ("192.0.2.1",)),
        Endpoint("a-sealed.example.com", "TXT", (f'"{sealed}"',)),
    ]
    (record,) = TXTRegistry("me", aes_key=KEY).read(zone).records
    assert record.labels[OWNER_LABEL] == "me"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("external-dns/owner=me", "no heritage=external-dns in the TXT value"),
        ("heritage=other-tool,external-dns/owner=me", "heritage 'other-tool' is not 'external-dns'"),
    ],
    ids=["no heritage", "another heritage"],
)
def test_a_value_that_is_not_a_registry_value_says_why(text: str, message: str) -> None:
    # Kills the message mutants of InvalidHeritageError (None, "XX...XX", upper and lower case).
    with pytest.raises(InvalidHeritageError) as raised:
        parse_labels(text)
    assert str(raised.value) == message


# --- encryption -------------------------------------------------------------------------------------------------


def test_an_aes_key_with_a_stray_character_is_refused_as_externaldns_refuses_it() -> None:
    # Go's strict base64 decoding refuses it; a lenient decoder would drop the "!" and accept the key.
    # Kills `b64decode(raw, validate=True)` -> validate=False / left out in parse_aes_key.
    key = base64.b64encode(KEY).decode()
    assert parse_aes_key(key) == KEY
    with pytest.raises(ConfigError) as raised:
        parse_aes_key(key[:10] + "!" + key[10:])
    assert str(raised.value) == (
        "--txt-encrypt-aes-key must be 32 bytes long, in either plain text or base64-encoded format"
    )


def test_an_encrypted_value_with_a_stray_character_is_not_base64() -> None:
    # Kills `b64decode(text, validate=True)` -> validate=False / left out in decrypt_text.
    sealed = encrypt_text("heritage=external-dns", KEY, "AAAAAAAAAAAAAAAA")
    with pytest.raises(DecryptionError) as raised:
        decrypt_text(sealed[:10] + "!" + sealed[10:], KEY)
    assert str(raised.value) == "not base64"


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"n" * 12, "shorter than the 12-byte nonce"),
        (b"n" * 12 + b"sealed with another key", "InvalidTag"),
    ],
    ids=["exactly a nonce", "another key"],
)
def test_a_value_that_does_not_decrypt_says_why(data: bytes, reason: str) -> None:
    # Kills `len(data) <= NONCE_SIZE` -> `<` and the reason mutants (None, `and`, str(None), type(None)).
    with pytest.raises(DecryptionError) as raised:
        decrypt_text(base64.b64encode(data).decode(), KEY)
    assert str(raised.value) == reason


def test_an_encryption_nonce_of_the_wrong_size_is_refused_naming_the_size() -> None:
    # Kills `ValueError(f"... {NONCE_SIZE} bytes, got ...")` -> `ValueError(None)`.
    with pytest.raises(ValueError, match=r"^an encryption nonce must be 12 bytes, got 3$"):
        encrypt_text("heritage=external-dns", KEY, "AAAA")


# --- configuration errors a user reads --------------------------------------------------------------------------


def test_a_prefix_and_a_suffix_together_are_refused_in_the_flags_words() -> None:
    with pytest.raises(ConfigError) as raised:
        AffixNameMapper(prefix="txt-", suffix="-txt")
    assert str(raised.value) == "--txt-prefix and --txt-suffix are mutually exclusive; set only one of them"


def test_encryption_without_a_key_is_refused_in_the_flags_words() -> None:
    with pytest.raises(ConfigError) as raised:
        TXTRegistry("me", encrypt=True)
    assert str(raised.value) == "--txt-encrypt-aes-key must be set when --txt-encrypt-enabled is true"
