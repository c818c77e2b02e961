"""Encrypted ownership TXT values (``--txt-encrypt-enabled``), as ExternalDNS's ``endpoint/crypto.go``.

The value is ``base64(nonce ‖ AES-256-GCM(gzip(plain labels)) ‖ tag)``. Go's ``compress/gzip`` output is
framed by hand here (fixed header, sync flush, then a final empty stored block) so that short values come out
byte for byte as ExternalDNS writes them. For long values zlib's deflate may pick different blocks than Go's,
which is why the registry never regenerates the ciphertext of a record that is already in DNS: it deletes the
exact string it read (see registry/txt.py). Decryption accepts any valid gzip stream.
"""

from __future__ import annotations

import base64
import binascii
import gzip
import os
import struct
import zlib

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from external_dns.errors import ConfigError

NONCE_SIZE = 12
KEY_SIZE = 32

# Go's gzip header: magic, deflate, no flags, mtime 0, XFL 2 (best compression), OS 255 (unknown).
_GO_GZIP_HEADER = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\xff"
# What Go's compressor writes on Close after a Flush: a final, empty stored block.
_FINAL_EMPTY_STORED_BLOCK = b"\x01\x00\x00\xff\xff"

_KEY_SIZE_ERROR = "--txt-encrypt-aes-key must be 32 bytes long, in either plain text or base64-encoded format"


class DecryptionError(ValueError):
    """The value is not something this key encrypted (plain text, another key, corrupted)."""


def parse_aes_key(key: str | bytes) -> bytes:
    """The AES-256 key from ``--txt-encrypt-aes-key``: 32 raw bytes, or standard base64 of 32 bytes."""
    raw = key.encode() if isinstance(key, str) else key
    if len(raw) == KEY_SIZE:
        return raw
    try:
        decoded = base64.b64decode(raw, validate=True)
    except (binascii.Error, ValueError) as error:
        raise ConfigError(_KEY_SIZE_ERROR) from error
    if len(decoded) != KEY_SIZE:
        raise ConfigError(_KEY_SIZE_ERROR)
    return decoded


def generate_nonce() -> str:
    """A fresh random nonce, base64-encoded as it is kept in the ``txt-encryption-nonce`` label."""
    return base64.b64encode(os.urandom(NONCE_SIZE)).decode()


def go_gzip(data: bytes) -> bytes:
    """gzip at level 9 framed as Go's ``gzip.Writer`` after ``Flush()`` then ``Close()``."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    deflated = compressor.compress(data) + compressor.flush(zlib.Z_SYNC_FLUSH) + _FINAL_EMPTY_STORED_BLOCK
    trailer = struct.pack("<II", zlib.crc32(data), len(data) & 0xFFFFFFFF)
    return _GO_GZIP_HEADER + deflated + trailer


def encrypt_text(text: str, key: bytes, nonce: str) -> str:
    """``EncryptText``: base64 of nonce ‖ ciphertext ‖ tag; ``nonce`` is the base64 form from the label."""
    nonce_bytes = base64.b64decode(nonce)
    if len(nonce_bytes) != NONCE_SIZE:
        raise ValueError(f"an encryption nonce must be {NONCE_SIZE} bytes, got {len(nonce_bytes)}")
    sealed = AESGCM(key).encrypt(nonce_bytes, go_gzip(text.encode()), None)
    return base64.b64encode(nonce_bytes + sealed).decode()


def decrypt_text(text: str, key: bytes) -> tuple[str, str]:
    """``DecryptText``: the plain text and the base64 nonce it was sealed with; DecryptionError otherwise."""
    try:
        data = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError) as error:
        raise DecryptionError("not base64") from error
    if len(data) <= NONCE_SIZE:
        raise DecryptionError(f"shorter than the {NONCE_SIZE}-byte nonce")
    nonce, sealed = data[:NONCE_SIZE], data[NONCE_SIZE:]
    try:
        compressed = AESGCM(key).decrypt(nonce, sealed, None)
        plain = gzip.decompress(compressed).decode()
    except (InvalidTag, OSError, EOFError, zlib.error, UnicodeDecodeError) as error:
        raise DecryptionError(str(error) or type(error).__name__) from error
    return plain, base64.b64encode(nonce).decode()
