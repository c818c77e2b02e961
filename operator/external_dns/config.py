"""Settings: every ExternalDNS flag this operator understands, with its env var, default and validation.

One field per flag, named like the flag with ``-`` -> ``_`` (``--txt-owner-id`` -> ``txt_owner_id``) and
read from ``EXTERNAL_DNS_<FLAG_IN_UPPER_SNAKE>`` (kingpin's ``DefaultEnvars``), so
``kopf run -m external_dns`` works from the environment alone and the command line (cli.py) only overrides.
Values from the environment arrive as strings: repeatable flags are comma- or newline-separated, durations
use Go's form (``30s``, ``1h30m``).

Every field goes through one coercion step driven by its annotation (bool, int with bounds, duration, choice,
list of those), so a bad value stops startup with a single line that names the flag, e.g.
``--rfc2136-port: must be an integer between 1 and 65535, got "abc"``, raised as :class:`ConfigError`.
Secrets are ``SecretStr`` and never appear in ``repr``, error messages or :meth:`Settings.redacted`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from pydantic import AliasChoices, Field, SecretStr, ValidationError, ValidationInfo, field_validator
from pydantic import model_validator as _model_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from external_dns.config_checks import aes_key_bytes, check_value, cross_field_problems, read_file_secret
from external_dns.config_env import ENV_PREFIX, EnvironSource, env_names_of, use_environ
from external_dns.config_errors import allowed_suffix, flag_name_of, one_line
from external_dns.config_values import Duration, coerce_field, format_duration, parse_duration
from external_dns.endpoint import RecordType
from external_dns.errors import ConfigError
from external_dns.kinds import SourceName

#: Re-exported: the rest of the package takes these from here.
__all__ = ["ENV_PREFIX", "Settings", "aes_key_bytes", "env_names", "flag_name", "format_duration", "parse_duration"]

ProviderName = Literal[
    "inmemory", "rfc2136", "aws", "cloudflare", "pdns", "webhook", "google", "azure", "azure-private-dns"
]
PolicyName = Literal["sync", "upsert-only", "create-only"]
RegistryName = Literal["txt", "noop"]
EventReason = Literal["RecordReady", "RecordError", "RecordDeleted"]
ServiceType = Literal["ClusterIP", "NodePort", "LoadBalancer", "ExternalName"]
TsigAlgorithm = Literal["hmac-sha1", "hmac-sha224", "hmac-sha256", "hmac-sha384", "hmac-sha512"]


def _setting(default: Any = ..., *, help: str, group: str, **kwargs: Any) -> Any:
    """A field with its help text and its --help group (kept in json_schema_extra, read by cli.py)."""
    extra = {"group": group, "env_only": kwargs.pop("env_only", False)}
    return Field(default, description=help, json_schema_extra=extra, **kwargs)


_KUBE = "Kubernetes"
_SOURCES = "Sources"
_DOMAINS = "Domains and zones"
_REGISTRY = "Policy and TXT registry"
_CONTROLLER = "Controller"
_RFC2136 = "RFC2136 provider"
_AWS = "AWS Route53 provider"
_CLOUDFLARE = "Cloudflare provider"
_PDNS = "PowerDNS provider"
_WEBHOOK = "Webhook provider"
_GOOGLE = "Google Cloud DNS provider"
_AZURE = "Azure DNS and Azure Private DNS providers"

#: Fields whose value may be ``file:/path``: the secret is then the file's content (as in ExternalDNS).
_FILE_BACKED = frozenset({"pdns_api_key", "cf_api_token"})


class Settings(BaseSettings):
    """The effective configuration: defaults, overridden by ``EXTERNAL_DNS_*`` env vars, overridden by flags.

    Construct with keyword arguments (field names) or via :meth:`load`; an invalid value raises
    :class:`ConfigError` whose message names the flag. Instances are immutable.
    """

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX,
        case_sensitive=False,
        env_ignore_empty=True,  # kingpin treats an empty env var as unset
        enable_decoding=False,  # lists come as "a,b" or "a\nb", not JSON; _coerce splits them
        extra="forbid",
        frozen=True,
        validate_by_name=True,
        validate_by_alias=True,
    )

    # Kubernetes API access.
    kubeconfig: str = _setting("", help="Path to a kubeconfig file (default: in-cluster or ~/.kube)", group=_KUBE)
    master: str = _setting(
        "",
        help="URL of the Kubernetes API server, overriding the kubeconfig (also --server)",
        group=_KUBE,
        validation_alias=AliasChoices("EXTERNAL_DNS_MASTER", "EXTERNAL_DNS_SERVER"),
    )
    namespace: str = _setting("", help="Limit sources to this namespace (default: all)", group=_KUBE)
    kube_api_qps: int = _setting(
        5, help="No effect here: the operator lists once and then watches, it does not poll", group=_KUBE, ge=1
    )
    kube_api_burst: int = _setting(
        10, help="No effect here: the operator lists once and then watches, it does not poll", group=_KUBE, ge=1
    )
    request_timeout: Duration = _setting(
        30.0,
        help="Timeout of Kubernetes API requests (also --kube-api-request-timeout)",
        group=_KUBE,
        gt=0,
        validation_alias=AliasChoices("EXTERNAL_DNS_REQUEST_TIMEOUT", "EXTERNAL_DNS_KUBE_API_REQUEST_TIMEOUT"),
    )

    # Sources and what they publish.
    source: list[SourceName] = _setting(help="Kinds of objects to publish records for", group=_SOURCES)
    label_filter: str = _setting("", help="Label selector the source objects must match", group=_SOURCES)
    annotation_filter: str = _setting(
        "", help="Selector (label syntax) the source objects' annotations must match", group=_SOURCES
    )
    annotation_prefix: str = _setting(
        "external-dns.alpha.kubernetes.io/",
        help="Prefix of the annotations read (ends with /)",
        group=_SOURCES,
    )
    ingress_class: list[str] = _setting([], help="Only Ingresses of these classes", group=_SOURCES)
    publish_internal_services: bool = _setting(
        False, help="Publish the ClusterIP of ClusterIP Services", group=_SOURCES
    )
    publish_host_ip: bool = _setting(False, help="Publish the host IP of headless Services' pods", group=_SOURCES)
    always_publish_not_ready_addresses: bool = _setting(
        False, help="Publish not-ready addresses of headless Services", group=_SOURCES
    )
    expose_internal_ipv6: bool = _setting(False, help="Also publish nodes' IPv6 InternalIP addresses", group=_SOURCES)
    exclude_unschedulable: bool = _setting(True, help="Skip unschedulable nodes", group=_SOURCES)
    service_type_filter: list[ServiceType] = _setting(
        [], help="Only Services of these types (default: all)", group=_SOURCES
    )
    ignore_hostname_annotation: bool = _setting(
        False, help="Ignore the hostname annotation (needs --fqdn-template)", group=_SOURCES
    )
    ignore_ingress_tls_spec: bool = _setting(False, help="Ignore Ingress spec.tls hosts", group=_SOURCES)
    ignore_ingress_rules_spec: bool = _setting(False, help="Ignore Ingress spec.rules hosts", group=_SOURCES)
    fqdn_template: list[str] = _setting([], help="Go template(s) for hostnames of objects", group=_SOURCES)
    combine_fqdn_annotation: bool = _setting(
        False, help="Add template hostnames to annotation hostnames", group=_SOURCES
    )
    crd_source_apiversion: str = _setting(
        "externaldns.k8s.io/v1alpha1", help="API version of the DNSEndpoint CRD", group=_SOURCES
    )
    crd_source_kind: str = _setting("DNSEndpoint", help="Kind of the DNSEndpoint CRD", group=_SOURCES)
    gateway_namespace: str = _setting("", help="Only Gateways in this namespace", group=_SOURCES)
    gateway_label_filter: str = _setting("", help="Label selector Gateways must match", group=_SOURCES)
    gateway_name: str = _setting("", help="Only routes attached to the Gateway of this name", group=_SOURCES)
    ignore_non_host_network_pods: bool = _setting(
        True, help="Pod source: skip pods without hostNetwork", group=_SOURCES
    )
    pod_source_domain: str = _setting("", help="Pod source: publish <pod-name>.<domain>", group=_SOURCES)
    default_targets: list[str] = _setting([], help="Targets for endpoints that have none", group=_SOURCES)
    target_net_filter: list[str] = _setting(
        [], help="Only targets in these networks (CIDR); endpoints left without targets are dropped", group=_SOURCES
    )
    exclude_target_net: list[str] = _setting([], help="Never targets in these networks (CIDR)", group=_SOURCES)
    min_ttl: Duration = _setting(
        0.0, help="TTL of records whose source sets none (0: the provider's default)", group=_SOURCES, ge=0
    )
    namespace_isolation: bool = _setting(
        False,
        help="Serve each name from one namespace only; honour Namespaces' allowed-domains annotation",
        group=_SOURCES,
    )
    empty_target_grace: Duration = _setting(
        0.0,
        help="Keep the records of a Service or Ingress whose load-balancer status went empty this long (0: off)",
        group=_SOURCES,
        ge=0,
    )

    # Where records go.
    provider: ProviderName = _setting(help="The DNS provider", group=_DOMAINS)
    inmemory_zone: list[str] = _setting([], help="Zones of the inmemory provider", group=_DOMAINS)
    domain_filter: list[str] = _setting([], help="Only names in these domains", group=_DOMAINS)
    exclude_domains: list[str] = _setting([], help="Never names in these domains", group=_DOMAINS)
    regex_domain_filter: str = _setting("", help="Only names matching this regex (replaces lists)", group=_DOMAINS)
    regex_domain_exclusion: str = _setting("", help="Never names matching this regex", group=_DOMAINS)
    zone_id_filter: list[str] = _setting([], help="Only zones whose id ends with one of these", group=_DOMAINS)

    # Policy and ownership.
    policy: PolicyName = _setting(
        # ExternalDNS v0.22 made --policy required; sync stays the default so older charts keep working.
        "sync",
        help="What may change: sync (create, update, delete), upsert-only (no delete), create-only (only create);"
        " defaults to sync, where ExternalDNS v0.22 requires the flag",
        group=_REGISTRY,
    )
    registry: RegistryName = _setting("txt", help="How ownership is recorded", group=_REGISTRY)
    txt_owner_id: str = _setting("default", help="Owner id written in the TXT records", group=_REGISTRY)
    txt_prefix: str = _setting("", help="Prefix of TXT record names (excludes --txt-suffix)", group=_REGISTRY)
    txt_suffix: str = _setting("", help="Suffix of TXT record names (excludes --txt-prefix)", group=_REGISTRY)
    txt_wildcard_replacement: str = _setting("", help="Replaces * in TXT names of wildcards", group=_REGISTRY)
    txt_encrypt_enabled: bool = _setting(False, help="Encrypt TXT values (needs the AES key)", group=_REGISTRY)
    txt_encrypt_aes_key: SecretStr | None = _setting(None, help="AES-256 key: 32 bytes, raw or base64", group=_REGISTRY)
    migrate_from_txt_owner: str = _setting("", help="Take over records owned by this owner id", group=_REGISTRY)
    managed_record_types: list[RecordType] = _setting(
        [RecordType.A, RecordType.AAAA, RecordType.CNAME], help="Record types managed", group=_REGISTRY
    )
    exclude_record_types: list[RecordType] = _setting([], help="Record types never managed", group=_REGISTRY)
    max_delete_ratio: float = _setting(
        0.5,
        help="Hold back a plan deleting more than this share of the records owned in a zone (1 = no guard)",
        group=_REGISTRY,
        ge=0,
        le=1,
    )
    max_delete_min_records: int = _setting(
        20, help="Zones where fewer records are owned are not guarded by --max-delete-ratio", group=_REGISTRY, ge=0
    )

    # The controller loop.
    interval: Duration = _setting(60.0, help="Full resync period", group=_CONTROLLER, gt=0)
    zone_full_read_interval: Duration = _setting(
        3600.0,
        help="Where the provider counts records cheaply (Route53): read each zone whole this often; "
        "in between, each --interval compares the count and reads it whole only if it differs",
        group=_CONTROLLER,
        gt=0,
    )
    min_event_sync_interval: Duration = _setting(
        5.0, help="No effect here: each zone batches changes for --debounce instead", group=_CONTROLLER, ge=0
    )
    debounce: Duration = _setting(
        0.2, help="How long a zone worker waits after a change to batch more", group=_CONTROLLER, ge=0
    )
    once: bool = _setting(False, help="Plan and apply once, then exit", group=_CONTROLLER)
    dry_run: bool = _setting(False, help="Plan and print, change nothing", group=_CONTROLLER)
    events_emit: list[EventReason] = _setting(
        ["RecordReady", "RecordError", "RecordDeleted"],
        help="Kubernetes events to post on objects (none: no events)",
        group=_CONTROLLER,
    )
    peering: str = _setting("", help="Kopf peering name for HA (default: standalone)", group=_CONTROLLER)
    peering_lifetime: Duration = _setting(
        15.0, help="How long a silent peer counts as alive: bounds the failover time", group=_CONTROLLER, ge=2
    )
    watch_position_configmap: str = _setting(
        "external-dns-watch-position",
        help="ConfigMap (NAME in the pod's namespace, or NAMESPACE/NAME) keeping how far the watches got, so that a "
        "restart resumes them (empty: off)",
        group=_CONTROLLER,
    )
    metrics_address: str = _setting(":7979", help="Address of /metrics, /healthz and /readyz", group=_CONTROLLER)
    log_level: Literal["trace", "debug", "info", "warning", "error", "fatal", "panic"] = _setting(
        "info", help="Log level (trace is debug; fatal and panic are error)", group=_CONTROLLER
    )
    log_format: Literal["text", "json"] = _setting("text", help="Log format", group=_CONTROLLER)

    # RFC2136.
    rfc2136_host: str = _setting("", help="Address of the DNS server", group=_RFC2136)
    rfc2136_port: int = _setting(53, help="Port of the DNS server", group=_RFC2136, ge=1, le=65535)
    rfc2136_zone: list[str] = _setting([], help="Zones to manage", group=_RFC2136)
    rfc2136_tsig_keyname: str = _setting("", help="TSIG key name", group=_RFC2136)
    rfc2136_tsig_secret: SecretStr | None = _setting(None, help="TSIG secret (base64)", group=_RFC2136)
    rfc2136_tsig_secret_alg: TsigAlgorithm = _setting("hmac-sha256", help="TSIG algorithm", group=_RFC2136)
    rfc2136_insecure: bool = _setting(False, help="Send updates without TSIG", group=_RFC2136)
    rfc2136_axfr: bool = _setting(
        True,
        help="Read the zones with AXFR (also --rfc2136-tsig-axfr)",
        group=_RFC2136,
        validation_alias=AliasChoices("EXTERNAL_DNS_RFC2136_AXFR", "EXTERNAL_DNS_RFC2136_TSIG_AXFR"),
    )
    rfc2136_batch_change_size: int = _setting(50, help="Changes per UPDATE message", group=_RFC2136, ge=1)
    rfc2136_min_ttl: Duration = _setting(0.0, help="Minimum TTL of records written", group=_RFC2136, ge=0)

    # AWS Route53.
    aws_zone_type: Literal["", "public", "private"] = _setting("", help="Only public or private zones", group=_AWS)
    aws_zone_tags: list[str] = _setting([], help="Only zones with these tags (key=value)", group=_AWS)
    aws_zone_match_parent: bool = _setting(
        False, help="Also zones that are parents of a --domain-filter domain", group=_AWS
    )
    aws_profile: str = _setting("", help="Profile of the shared AWS config and credentials files", group=_AWS)
    aws_assume_role: str = _setting("", help="ARN of an IAM role to assume for Route 53 calls", group=_AWS)
    aws_assume_role_external_id: str = _setting(
        "", help="External id given when assuming --aws-assume-role", group=_AWS
    )
    aws_prefer_cname: bool = _setting(False, help="Write CNAMEs instead of aliases", group=_AWS)
    aws_evaluate_target_health: bool = _setting(True, help="Default of alias target health", group=_AWS)
    aws_batch_change_size: int = _setting(1000, help="Changes per batch", group=_AWS, ge=1)
    aws_batch_change_size_bytes: int = _setting(32000, help="Bytes per batch", group=_AWS, ge=1)
    aws_batch_change_size_values: int = _setting(1000, help="Values per batch", group=_AWS, ge=1)
    aws_batch_change_interval: Duration = _setting(
        1.0, help="Fixed pause between batches, only when set (unset: as --aws-api-rate-limit allows)", group=_AWS, ge=0
    )
    aws_api_retries: int = _setting(3, help="Retries of a throttled or failed call", group=_AWS, ge=0)
    aws_api_rate_limit: float = _setting(
        5.0, help="Route53 requests per second, all calls of the process (0: no limit)", group=_AWS, ge=0
    )
    aws_zones_cache_duration: Duration = _setting(0.0, help="How long zone lists are cached", group=_AWS, ge=0)
    aws_endpoint_url: str = _setting(
        "",
        help="Route53 endpoint (also AWS_ENDPOINT_URL_ROUTE_53, AWS_ENDPOINT_URL)",
        group=_AWS,
        validation_alias=AliasChoices(
            "EXTERNAL_DNS_AWS_ENDPOINT_URL",
            "AWS_ENDPOINT_URL_ROUTE_53",
            "AWS_ENDPOINT_URL",
        ),
    )
    aws_region: str = _setting(
        "us-east-1",
        help="AWS region (also AWS_REGION)",
        group=_AWS,
        validation_alias=AliasChoices("EXTERNAL_DNS_AWS_REGION", "AWS_REGION"),
    )

    # Cloudflare.
    cloudflare_proxied: bool = _setting(False, help="Proxy records through Cloudflare", group=_CLOUDFLARE)
    cloudflare_dns_records_per_page: int = _setting(
        100, help="Records per page when listing", group=_CLOUDFLARE, ge=1, le=5000
    )
    cloudflare_api_url: str = _setting(
        "https://api.cloudflare.com/client/v4", help="Cloudflare API base URL", group=_CLOUDFLARE
    )
    cf_api_token: SecretStr | None = _setting(
        None,
        help="API token (or file:/path)",
        group=_CLOUDFLARE,
        env_only=True,
        validation_alias=AliasChoices("CF_API_TOKEN"),
    )
    cf_api_key: SecretStr | None = _setting(
        None,
        help="Global API key (with CF_API_EMAIL)",
        group=_CLOUDFLARE,
        env_only=True,
        validation_alias=AliasChoices("CF_API_KEY"),
    )
    cf_api_email: str = _setting(
        "",
        help="Account email (with CF_API_KEY)",
        group=_CLOUDFLARE,
        env_only=True,
        validation_alias=AliasChoices("CF_API_EMAIL"),
    )

    # PowerDNS.
    pdns_server: str = _setting("http://localhost:8081", help="PowerDNS API base URL", group=_PDNS)
    pdns_server_id: str = _setting("localhost", help="PowerDNS server id", group=_PDNS)
    pdns_api_key: SecretStr | None = _setting(None, help="API key (or file:/path)", group=_PDNS)
    pdns_skip_tls_verify: bool = _setting(False, help="Do not verify the API's certificate", group=_PDNS)

    # Google Cloud DNS.
    google_project: str = _setting(
        "", help="Project of the zones (default: from the credentials or the metadata server)", group=_GOOGLE
    )
    google_zone_visibility: Literal["", "public", "private"] = _setting(
        "", help="Only public or private zones", group=_GOOGLE
    )
    google_batch_change_size: int = _setting(1000, help="Record sets per change", group=_GOOGLE, ge=1)
    google_batch_change_interval: Duration = _setting(1.0, help="Pause between changes", group=_GOOGLE, ge=0)
    google_endpoint_url: str = _setting(
        "https://dns.googleapis.com/dns/v1", help="Cloud DNS API base URL (not an ExternalDNS flag)", group=_GOOGLE
    )

    # Azure DNS and Azure Private DNS.
    azure_config_file: str = _setting(
        "/etc/kubernetes/azure.json", help="azure.json with tenant, subscription, group, credentials", group=_AZURE
    )
    azure_resource_group: str = _setting("", help="Resource group of the zones (overrides the file)", group=_AZURE)
    azure_subscription_id: str = _setting("", help="Subscription of the zones (overrides the file)", group=_AZURE)
    azure_user_assigned_identity_client_id: str = _setting(
        "", help="Client id of a user-assigned managed identity (overrides the file)", group=_AZURE
    )
    azure_zones_cache_duration: Duration = _setting(
        0.0, help="How long zone lists are cached (0: listed once)", group=_AZURE, ge=0
    )
    azure_endpoint_url: str = _setting(
        "https://management.azure.com", help="Azure Resource Manager URL (not an ExternalDNS flag)", group=_AZURE
    )

    # Webhook.
    webhook_provider_url: str = _setting("http://localhost:8888", help="Webhook provider URL", group=_WEBHOOK)
    webhook_provider_read_timeout: Duration = _setting(5.0, help="Read timeout", group=_WEBHOOK, ge=0)
    webhook_provider_write_timeout: Duration = _setting(10.0, help="Write timeout", group=_WEBHOOK, ge=0)
    webhook_provider_max_body_size: int = _setting(
        33554432, help="Largest response body accepted (0 = no limit)", group=_WEBHOOK, ge=0
    )

    def __init__(self, **values: Any) -> None:
        try:
            super().__init__(**values)
        except ValidationError as error:
            # `from None`: the pydantic error echoes input values, secrets included.
            raise ConfigError(one_line(error, type(self).model_fields, flags=values)) from None

    @classmethod
    def load(cls, flags: Mapping[str, Any] | None = None, env: Mapping[str, str] | None = None) -> Settings:
        """Build settings from flag values (field name -> value) over ``env`` (default ``os.environ``)."""
        with use_environ(env):
            return cls(**dict(flags or {}))

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """Flags (init kwargs) win over the environment; no dotenv or secrets-dir sources."""
        return init_settings, EnvironSource(settings_cls)

    @field_validator("*", mode="before")
    @classmethod
    def _coerce(cls, value: Any, info: ValidationInfo) -> Any:
        assert info.field_name is not None
        if info.field_name == "events_emit" and value in ("none", ["none"]):
            return []  # --events-emit=none turns events off
        value = coerce_field(cls.model_fields[info.field_name], value)
        if info.field_name in _FILE_BACKED:
            value = read_file_secret(value)
        if info.field_name == "source" and not value:
            raise ValueError("required: at least one" + allowed_suffix(cls.model_fields["source"]))
        check_value(info.field_name, value)
        return value

    @_model_validator(mode="after")
    def _check_together(self) -> Settings:
        for problem in cross_field_problems(self):
            raise ValueError(problem)
        return self

    def redacted(self) -> dict[str, Any]:
        """The effective config for logging: plain JSON-able values, secrets shown only as set or not."""
        result: dict[str, Any] = {}
        for name in type(self).model_fields:
            value = getattr(self, name)
            if isinstance(value, SecretStr):
                value = "**********"
            elif isinstance(value, list):
                value = [str(item) for item in value]
            result[name] = value
        return result


def flag_name(field_name: str) -> str:
    """``txt_owner_id`` -> ``--txt-owner-id``; env-only settings (Cloudflare credentials) by their env var."""
    return flag_name_of(field_name, Settings.model_fields)


def env_names(field_name: str) -> list[str]:
    """The env vars a setting is read from, highest priority first."""
    return env_names_of(field_name, Settings.model_fields[field_name])
