"""Checks of single settings (URLs, networks, keys, file-backed secrets) and of settings that go together.

Each check raises ValueError with a message in the form ``must be ..., got "..."`` (config.py adds the flag's
name), or, for rules across flags, yields a finished one-line message naming the flags. Secrets never appear
in a message.
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
import re
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import SecretStr

if TYPE_CHECKING:
    from external_dns.config import Settings


def aes_key_bytes(key: SecretStr | str) -> bytes:
    """The 32-byte AES key of ``--txt-encrypt-aes-key``: used raw if 32 bytes long, else base64-decoded."""
    text = key.get_secret_value() if isinstance(key, SecretStr) else key
    raw = text.encode()
    if len(raw) == 32:
        return raw
    try:
        decoded = base64.b64decode(raw, validate=True)
    except binascii.Error:
        decoded = b""
    if len(decoded) != 32:
        raise ValueError("must be 32 bytes, raw or standard base64")
    return decoded


def check_value(field_name: str, value: Any) -> None:
    """The checks of one setting's coerced value beyond its type (URLs, regexes, networks, keys...)."""
    if field_name == "annotation_prefix" and not value.endswith("/"):
        raise ValueError(f'must end with "/", got "{value}"')
    if field_name in {"regex_domain_filter", "regex_domain_exclusion"}:
        check_regex(value)
    if field_name in {
        "pdns_server",
        "webhook_provider_url",
        "cloudflare_api_url",
        "aws_endpoint_url",
        "google_endpoint_url",
        "azure_endpoint_url",
    }:
        check_url(value)
    if field_name == "aws_zone_tags":
        check_tags(value)
    if field_name in {"target_net_filter", "exclude_target_net"}:
        check_networks(value)
    if field_name == "metrics_address":
        check_address(value)
    if field_name == "rfc2136_tsig_secret" and value is not None:
        check_base64(value)
    if field_name == "txt_encrypt_aes_key" and value is not None:
        aes_key_bytes(value)


def read_file_secret(value: Any) -> Any:
    """``file:/path`` -> the file's content, stripped (the secret itself never reaches an error message)."""
    text = value.get_secret_value() if isinstance(value, SecretStr) else value
    if not isinstance(text, str) or not text.startswith("file:"):
        return value
    path = text.removeprefix("file:")
    try:
        return SecretStr(Path(path).read_text().strip())
    except OSError as error:
        raise ValueError(f"cannot read {path}: {error.strerror}") from None


def check_regex(pattern: str) -> None:
    try:
        re.compile(pattern)
    except re.error as error:
        raise ValueError(f'must be a regular expression ({error}), got "{pattern}"') from None


def check_url(url: str) -> None:
    if url and not re.fullmatch(r"https?://[^/\s]+(/\S*)?", url):
        raise ValueError(f'must be an http:// or https:// URL, got "{url}"')


def check_tags(tags: list[str]) -> None:
    for tag in tags:
        if "=" not in tag or not tag.split("=", 1)[0]:
            raise ValueError(f'must be key=value, got "{tag}"')


def check_networks(networks: list[str]) -> None:
    for network in networks:
        try:
            if "/" not in network:  # Go's net.ParseCIDR wants the prefix length
                raise ValueError
            ipaddress.ip_network(network, strict=False)
        except ValueError:
            raise ValueError(f'must be a network in CIDR form like 10.0.0.0/8, got "{network}"') from None


def check_address(address: str) -> None:
    _host, sep, port = address.rpartition(":")
    if not sep or not port.isdigit() or not 0 <= int(port) <= 65535:
        raise ValueError(f'must be [host]:port, got "{address}"')


def check_base64(secret: SecretStr | str) -> None:
    text = secret.get_secret_value() if isinstance(secret, SecretStr) else secret
    try:
        base64.b64decode(text, validate=True)
    except binascii.Error:
        raise ValueError("must be base64") from None


def cross_field_problems(settings: Settings) -> Iterator[str]:
    """Rules that involve several flags, each yielded as a finished one-line message."""
    if settings.txt_prefix and settings.txt_suffix:
        yield "--txt-prefix: cannot be used together with --txt-suffix"
    if settings.txt_encrypt_enabled and settings.txt_encrypt_aes_key is None:
        yield "--txt-encrypt-enabled: needs --txt-encrypt-aes-key"
    if settings.ignore_hostname_annotation and not settings.fqdn_template:
        yield "--ignore-hostname-annotation: needs --fqdn-template"
    provider = settings.provider
    if provider == "rfc2136":
        if not settings.rfc2136_host:
            yield "--rfc2136-host: required with --provider=rfc2136"
        if not settings.rfc2136_zone:
            yield "--rfc2136-zone: required with --provider=rfc2136"
        if not settings.rfc2136_insecure and not settings.rfc2136_tsig_keyname:
            yield "--rfc2136-tsig-keyname: required with --provider=rfc2136 unless --rfc2136-insecure"
        if not settings.rfc2136_insecure and settings.rfc2136_tsig_secret is None:
            yield "--rfc2136-tsig-secret: required with --provider=rfc2136 unless --rfc2136-insecure"
    if provider == "pdns":
        if settings.pdns_api_key is None:
            yield "--pdns-api-key: required with --provider=pdns"
    if provider == "cloudflare" and settings.cf_api_token is None:
        if settings.cf_api_key is None or not settings.cf_api_email:
            yield "CF_API_TOKEN: required with --provider=cloudflare (or CF_API_KEY and CF_API_EMAIL)"
