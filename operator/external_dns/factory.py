"""Builds the operator's parts from Settings: provider, registry, sources, planner and reconciler settings.

The only module that knows both the flags and the constructors; every other module takes its own small
settings value, so it can be tested without a command line.
"""

from __future__ import annotations

import dataclasses
import typing
from collections.abc import Mapping
from dataclasses import replace
from typing import Any, TypeVar

from pydantic import SecretStr

from external_dns.app import Wiring
from external_dns.config import Settings, aes_key_bytes
from external_dns.domain_filter import DomainFilter
from external_dns.errors import ConfigError
from external_dns.events import EventSink
from external_dns.guards.mass_deletion import DeletionLimit
from external_dns.kinds import SourceKind, source_kind
from external_dns.plan import PlanSettings, Policy
from external_dns.providers.base import Provider
from external_dns.registry import NoopRegistry, Registry, TXTRegistry
from external_dns.sources.base import SourceSettings
from external_dns.sources.target_filter import TargetNetFilter
from external_dns.zonework import ReconcilerSettings

PartSettings = TypeVar("PartSettings")


def domain_filter(settings: Settings) -> DomainFilter:
    return DomainFilter(
        include=tuple(settings.domain_filter),
        exclude=tuple(settings.exclude_domains),
        regex_include=settings.regex_domain_filter,
        regex_exclude=settings.regex_domain_exclusion,
    )


def from_flags(
    part: type[PartSettings], settings: Settings, renamed: Mapping[str, str] | None = None, prefix: str = ""
) -> PartSettings:
    """A part's settings dataclass filled from the flags: each field from the flag ``prefix`` + its name (or the one
    ``renamed`` gives), converted to the field's type (lists to frozensets or tuples, secrets to their text, "" to
    None where None is allowed, durations to whole seconds for int fields). Fields no flag sets keep their default.

    So a new flag reaches a part by being declared in config.py and in the part's settings, with no copying here.
    """
    renamed = renamed or {}
    hints = typing.get_type_hints(part)
    values: dict[str, Any] = {}
    for field in dataclasses.fields(part):  # type: ignore[arg-type]
        flag = renamed.get(field.name, prefix + field.name)
        if flag in Settings.model_fields:
            values[field.name] = _as_type(hints[field.name], getattr(settings, flag))
    return part(**values)


def _as_type(annotation: Any, value: Any) -> Any:
    origin = typing.get_origin(annotation)
    if origin is frozenset:
        return frozenset(value)
    if origin is tuple:
        return tuple(value)
    if isinstance(value, SecretStr):
        return value.get_secret_value()
    if value is None and annotation is str:
        return ""  # an unset secret
    if value == "" and type(None) in typing.get_args(annotation):
        return None
    if annotation is int and isinstance(value, float):
        return int(value)
    return value


#: SourceSettings fields whose flag has another name (ExternalDNS's spelling).
SOURCE_FLAGS = {
    "ingress_classes": "ingress_class",
    "crd_kind": "crd_source_kind",
    "crd_api_version": "crd_source_apiversion",
    "fqdn_templates": "fqdn_template",
}


def source_settings(settings: Settings) -> SourceSettings:
    part = from_flags(SourceSettings, settings, SOURCE_FLAGS)
    # The one field built from a flag rather than copied: the AES key, decoded (sources refuse forged ownership TXT).
    key = aes_key_bytes(settings.txt_encrypt_aes_key) if settings.txt_encrypt_aes_key else None
    # And the two built from several flags or converted: the target-net filter and --min-ttl in whole seconds.
    target_filter = TargetNetFilter.from_cidrs(settings.target_net_filter, settings.exclude_target_net)
    return replace(part, ownership_aes_key=key, target_filter=target_filter, min_ttl=int(settings.min_ttl))


def sources(settings: Settings) -> list[SourceKind]:
    try:
        kinds = [source_kind(name, source_settings(settings)) for name in dict.fromkeys(settings.source)]
    except ValueError as error:
        raise ConfigError(f"--source: {error}") from None
    if settings.namespace_isolation:  # the Namespaces' allowed-domains annotations are read
        kinds = [replace(kind, needs=kind.needs | {"namespaces"}) for kind in kinds]
    return kinds


def plan_settings(settings: Settings) -> PlanSettings:
    owner = settings.txt_owner_id if settings.registry == "txt" else ""
    user_filter = domain_filter(settings)
    return PlanSettings(
        policy=Policy(settings.policy),
        owner_id=owner,
        old_owner_id=settings.migrate_from_txt_owner,
        managed_types=frozenset(settings.managed_record_types),
        exclude_types=frozenset(settings.exclude_record_types),
        domain_filters=(user_filter,) if user_filter.is_configured else (),
    )


def reconciler_settings(settings: Settings) -> ReconcilerSettings:
    part = from_flags(
        ReconcilerSettings,
        settings,
        {"resync_interval": "interval", "full_read_interval": "zone_full_read_interval"},
    )
    # The mass-deletion guard's limit is built from two flags (--max-delete-ratio, --max-delete-min-records).
    return replace(part, deletion_limit=DeletionLimit(settings.max_delete_ratio, settings.max_delete_min_records))


def registry(settings: Settings) -> Registry:
    if settings.registry == "noop":
        return NoopRegistry()
    key = aes_key_bytes(settings.txt_encrypt_aes_key) if settings.txt_encrypt_aes_key else None
    return TXTRegistry(
        settings.txt_owner_id,
        prefix=settings.txt_prefix,
        suffix=settings.txt_suffix,
        wildcard_replacement=settings.txt_wildcard_replacement,
        encrypt=settings.txt_encrypt_enabled,
        aes_key=key,
        managed_types=frozenset(settings.managed_record_types) - frozenset(settings.exclude_record_types),
        old_owner_id=settings.migrate_from_txt_owner,
    )


#: Per provider: the prefix of its flags, and its config fields whose flag is spelled otherwise (ExternalDNS's names).
PROVIDER_FLAGS: dict[str, tuple[str, dict[str, str]]] = {
    "rfc2136": ("rfc2136_", {"zones": "rfc2136_zone"}),
    "aws": ("aws_", {"zone_id_filter": "zone_id_filter"}),
    "cloudflare": (
        "cloudflare_",
        {
            "api_token": "cf_api_token",
            "api_key": "cf_api_key",
            "api_email": "cf_api_email",
            "records_per_page": "cloudflare_dns_records_per_page",
            "zone_id_filter": "zone_id_filter",
        },
    ),
    "pdns": ("pdns_", {}),
    "google": ("google_", {"zone_id_filter": "zone_id_filter"}),
    "webhook": ("webhook_provider_", {}),
}


def provider_config(config: type[PartSettings], name: str, settings: Settings) -> PartSettings:
    """A provider's config from its flags (:data:`PROVIDER_FLAGS`), with the user's domain filter when it takes one."""
    prefix, renamed = PROVIDER_FLAGS[name]
    part = from_flags(config, settings, renamed, prefix)
    if any(field.name == "domain_filter" for field in dataclasses.fields(config)):  # type: ignore[arg-type]
        part = replace(part, domain_filter=domain_filter(settings))  # type: ignore[type-var]
    return part


def provider(settings: Settings) -> Provider:
    """The provider named by --provider, configured from its flags (imported only when used)."""
    name = settings.provider
    if name == "inmemory":
        from external_dns.providers.inmemory import InMemoryProvider

        return InMemoryProvider(settings.inmemory_zone or settings.domain_filter or ["example.com"])
    if name == "rfc2136":
        from external_dns.providers.rfc2136.provider import RFC2136Config, RFC2136Provider

        return RFC2136Provider(provider_config(RFC2136Config, name, settings))
    if name == "aws":
        from external_dns.providers.aws.provider import AWSConfig, AWSProvider

        aws = provider_config(AWSConfig, name, settings)
        if "aws_batch_change_interval" not in settings.model_fields_set:
            aws = replace(aws, batch_change_interval=None)  # unset: the request budget alone paces batches
        return AWSProvider(aws)
    if name == "cloudflare":
        from external_dns.providers.cloudflare.provider import CloudflareConfig, CloudflareProvider

        return CloudflareProvider(provider_config(CloudflareConfig, name, settings))
    if name == "pdns":
        from external_dns.providers.pdns.provider import PDNSConfig, PDNSProvider

        return PDNSProvider(provider_config(PDNSConfig, name, settings))
    if name == "google":
        from external_dns.providers.google import GoogleConfig, GoogleProvider

        return GoogleProvider(provider_config(GoogleConfig, name, settings))
    if name in ("azure", "azure-private-dns"):
        from external_dns.providers.azure import AzureProvider, load_config

        config = load_config(
            settings.azure_config_file,
            resource_group=settings.azure_resource_group,
            subscription_id=settings.azure_subscription_id,
            user_assigned_identity_id=settings.azure_user_assigned_identity_client_id,
            endpoint_url=settings.azure_endpoint_url,
            zones_cache_duration=settings.azure_zones_cache_duration,
        )
        return AzureProvider(
            config,
            private=name == "azure-private-dns",
            domain_filter=domain_filter(settings),
            zone_id_filter=tuple(settings.zone_id_filter),
        )
    if name == "webhook":
        from external_dns.providers.webhook.provider import WebhookConfig, WebhookProvider

        return WebhookProvider(provider_config(WebhookConfig, name, settings))
    raise ConfigError(f"--provider: unknown provider {name!r}")


def _secret(value: SecretStr | None) -> str:
    return value.get_secret_value() if value is not None else ""


def wiring(settings: Settings, events: EventSink, sources_: list[SourceKind] | None = None) -> Wiring:
    """Everything the Application is built from; ``events`` decides where events go (API server or log)."""
    return Wiring(
        provider=provider(settings),
        registry=registry(settings),
        sources=sources_ if sources_ is not None else sources(settings),
        source_settings=source_settings(settings),
        plan_settings=plan_settings(settings),
        reconciler_settings=reconciler_settings(settings),
        events=events,
        empty_target_grace=settings.empty_target_grace,
        namespace_isolation=settings.namespace_isolation,
    )
