"""Encrypted TXT values, compatible with ExternalDNS's endpoint/crypto.go (reference §1.7, §1.9 example 12)."""

from __future__ import annotations

import base64
import gzip

import pytest

from external_dns.errors import ConfigError
from external_dns.registry.crypto import (
    DecryptionError,
    decrypt_text,
    encrypt_text,
    generate_nonce,
    go_gzip,
    parse_aes_key,
)

KEY = b"12345678901234567890123456789012"
FIXTURE_NONCE = "h8UQ6jelUFUsEIn7"
FIXTURE_PLAIN = "heritage=external-dns,external-dns/owner=owner"
FIXTURE_CIPHER = (
    "h8UQ6jelUFUsEIn7SbFktc2MYXPx/q8lySqI4VwfVtVaIbb2nkHWV/88KKbuLtu7fJNzMir8ELVeVnRSY01KdiIuj7ledqZe5ailEjQ"
    "aU5Z6uEKd5pgs6sH8"
)


def test_externaldns_fixture_is_reproduced_byte_for_byte() -> None:
    assert encrypt_text(FIXTURE_PLAIN, KEY, FIXTURE_NONCE) == FIXTURE_CIPHER


def test_externaldns_fixture_decrypts_to_its_labels_and_nonce() -> None:
    assert decrypt_text(FIXTURE_CIPHER, KEY) == (FIXTURE_PLAIN, FIXTURE_NONCE)


def test_ciphertext_starts_with_the_nonce() -> None:
    nonce = generate_nonce()
    assert encrypt_text("anything", KEY, nonce).startswith(nonce)


def test_same_nonce_gives_the_same_ciphertext_and_a_new_nonce_another() -> None:
    nonce = generate_nonce()
    assert encrypt_text(FIXTURE_PLAIN, KEY, nonce) == encrypt_text(FIXTURE_PLAIN, KEY, nonce)
    assert encrypt_text(FIXTURE_PLAIN, KEY, nonce) != encrypt_text(FIXTURE_PLAIN, KEY, generate_nonce())


def test_long_values_round_trip() -> None:
    plain = "heritage=external-dns," + ",".join(f"external-dns/label{i}=value-{i}" for i in range(200))
    nonce = generate_nonce()
    assert decrypt_text(encrypt_text(plain, KEY, nonce), KEY) == (plain, nonce)


def test_gzip_is_framed_like_go() -> None:
    framed = go_gzip(b"hello")
    assert framed[:10] == b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\xff"
    # Flush() leaves an empty sync block, Close() a final empty stored block, then CRC32 and size.
    assert framed[-18:-8] == b"\x00\x00\x00\xff\xff\x01\x00\x00\xff\xff"
    assert gzip.decompress(framed) == b"hello"


@pytest.mark.parametrize(
    ("text", "key"),
    [
        (FIXTURE_CIPHER, b"x" * 32),
        ("heritage=external-dns,external-dns/owner=a", KEY),
        (base64.b64encode(b"short").decode(), KEY),
    ],
    ids=["another key cannot open it", "plain text is not a ciphertext", "data shorter than a nonce"],
)
def test_what_this_key_did_not_encrypt_fails_to_decrypt(text: str, key: bytes) -> None:
    with pytest.raises(DecryptionError):
        decrypt_text(text, key)


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        (KEY, KEY),
        (KEY.decode(), KEY),
        (base64.b64encode(b"k" * 32), b"k" * 32),
        (base64.b64encode(b"k" * 32).decode(), b"k" * 32),
    ],
    ids=["32 raw bytes", "32 characters", "base64 bytes of 32 bytes", "base64 text of 32 bytes"],
)
def test_aes_key_is_raw_or_base64(given: str | bytes, expected: bytes) -> None:
    assert parse_aes_key(given) == expected


@pytest.mark.parametrize(
    "given",
    [b"short", base64.b64encode(b"k" * 16), b"not base64 and not 32 bytes!!"],
    ids=["too short", "base64 of 16 bytes", "neither raw nor base64"],
)
def test_bad_aes_key_is_a_startup_error_naming_the_flag(given: bytes) -> None:
    with pytest.raises(ConfigError, match="--txt-encrypt-aes-key"):
        parse_aes_key(given)
