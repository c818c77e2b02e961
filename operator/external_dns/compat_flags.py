"""ExternalDNS v0.22 flags that have no effect here: accepted, so an existing args list starts, and named once.

ExternalDNS users bring their Helm values or Deployment args with them. A flag this operator has no use for
(another provider's credentials, a source it does not have, a cache it does not need) must not stop startup,
and must not pass silently either: the operator logs one warning line at startup naming each such flag and
why it changes nothing here. Flags that do have an effect are Settings fields (config.py); flags that are
another name for one of those are in :data:`FLAG_ALIASES`.

The list is taken from ExternalDNS v0.22's ``--help`` (docs/flags.md at v0.22.0); tests/unit/test_compat_flags.py
checks that every flag of that list parses.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

#: ExternalDNS flag names that are another spelling of one of our settings (flag name -> Settings field).
FLAG_ALIASES: Mapping[str, str] = {
    "server": "master",  # ExternalDNS's name; --master is kept for the operator's own earlier users
    "kube-api-request-timeout": "request_timeout",
    "rfc2136-tsig-axfr": "rfc2136_axfr",  # deprecated in ExternalDNS in favour of --rfc2136-axfr
}


@dataclass(frozen=True, slots=True)
class IgnoredFlag:
    """An ExternalDNS flag accepted with no effect: whether it is a boolean, and why it changes nothing here."""

    name: str
    boolean: bool
    reason: str


_OTHER_PROVIDER = "for an ExternalDNS provider this operator does not have"
_OTHER_SOURCE = "for an ExternalDNS source this operator does not have"
_OTHER_REGISTRY = "for the DynamoDB registry, which this operator does not have"
_EVENT_DRIVEN = "changes are event-driven here and each zone's cache is kept in step with what was applied"
_NOT_BUILT = "not implemented by this operator"

_BOOLEAN = frozenset(
    {
        "resolve-service-load-balancer-hostname",
        "listen-endpoint-events",
        "force-default-targets",
        "prefer-alias",
        "gateway-listener-sets",
        "traefik-enable-legacy",
        "traefik-disable-new",
        "create-ptr",
        "aws-sd-service-cleanup",
        "cloudflare-custom-hostnames",
        "cloudflare-regional-services",
        "coredns-strictly-owned",
        "oci-auth-instance-principal",
        "ovh-enable-cname-relative",
        "ns1-ignoressl",
        "godaddy-api-ote",
        "rfc2136-gss-tsig",
        "rfc2136-use-tls",
        "rfc2136-skip-tls-verify",
        "pihole-tls-skip-verify",
        "events",
        "webhook-server",
    }
)

_REASONS: Mapping[str, str] = {
    # Sources and source features.
    "gloo-namespace": _OTHER_SOURCE,
    "skipper-routegroup-groupversion": _OTHER_SOURCE,
    "connector-source-server": _OTHER_SOURCE,
    "openshift-router-name": _OTHER_SOURCE,
    "traefik-enable-legacy": _OTHER_SOURCE,
    "traefik-disable-new": _OTHER_SOURCE,
    "unstructured-resource": _OTHER_SOURCE,
    "compatibility": "legacy annotation dialects (mate, molecule, kops) are " + _NOT_BUILT,
    "resolve-service-load-balancer-hostname": _NOT_BUILT + ": load-balancer hostnames become CNAMEs",
    "listen-endpoint-events": "EndpointSlices are always watched when a Service's records depend on them",
    "force-default-targets": "deprecated in ExternalDNS; --default-targets fills endpoints without targets",
    "prefer-alias": _NOT_BUILT,
    "gateway-listener-sets": "ListenerSets are " + _NOT_BUILT,
    "nat64-networks": _NOT_BUILT,
    "target-template": _NOT_BUILT,
    "fqdn-target-template": _NOT_BUILT,
    "create-ptr": "PTR records are " + _NOT_BUILT,
    # Caches and loop timing that the event-driven design makes moot.
    "provider-cache-time": _EVENT_DRIVEN,
    "txt-cache-interval": _EVENT_DRIVEN,
    "events": _EVENT_DRIVEN,
    "webhook-server": "use the `external-dns webhook-serve` command",
    "batch-change-size": _OTHER_PROVIDER,
    "batch-change-interval": _OTHER_PROVIDER,
    "zone-name-filter": _NOT_BUILT + " (ExternalDNS's Azure provider filters zones by name with it)",
    "azure-maxretries-count": "the Azure SDK's own retry policy is used",
    "tls-ca": "TLS client settings are " + _NOT_BUILT,
    "tls-client-cert": "TLS client settings are " + _NOT_BUILT,
    "tls-client-cert-key": "TLS client settings are " + _NOT_BUILT,
    # Provider features this operator's providers do not have.
    "aws-sd-service-cleanup": _OTHER_PROVIDER,
    "aws-sd-create-tag": _OTHER_PROVIDER,
    "cloudflare-custom-hostnames": _NOT_BUILT,
    "cloudflare-custom-hostnames-min-tls-version": _NOT_BUILT,
    "cloudflare-custom-hostnames-certificate-authority": _NOT_BUILT,
    "cloudflare-regional-services": _NOT_BUILT,
    "cloudflare-region-key": _NOT_BUILT,
    "cloudflare-record-comment": _NOT_BUILT,
    "rfc2136-gss-tsig": "GSS-TSIG (Kerberos) is " + _NOT_BUILT,
    "rfc2136-kerberos-username": "GSS-TSIG (Kerberos) is " + _NOT_BUILT,
    "rfc2136-kerberos-password": "GSS-TSIG (Kerberos) is " + _NOT_BUILT,
    "rfc2136-kerberos-realm": "GSS-TSIG (Kerberos) is " + _NOT_BUILT,
    "rfc2136-use-tls": "DNS over TLS is " + _NOT_BUILT,
    "rfc2136-skip-tls-verify": "DNS over TLS is " + _NOT_BUILT,
    "rfc2136-load-balancing-strategy": "one --rfc2136-host is used; load balancing is " + _NOT_BUILT,
    "dynamodb-region": _OTHER_REGISTRY,
    "dynamodb-table": _OTHER_REGISTRY,
}

_OTHER_PROVIDER_PREFIXES = (
    "alibaba-cloud-",
    "coredns-",
    "oci-",
    "ovh-",
    "ns1-",
    "godaddy-",
    "exoscale-",
    "pihole-",
)

#: Every other ExternalDNS v0.22 flag that belongs to a provider this operator does not have.
_OTHER_PROVIDER_FLAGS = (
    "alibaba-cloud-config-file alibaba-cloud-zone-type coredns-prefix coredns-strictly-owned "
    "oci-config-file oci-compartment-ocid oci-zone-scope oci-auth-instance-principal "
    "oci-zones-cache-duration ovh-endpoint ovh-api-rate-limit ovh-enable-cname-relative ns1-endpoint "
    "ns1-ignoressl ns1-min-ttl godaddy-api-key godaddy-api-secret godaddy-api-ttl godaddy-api-ote "
    "exoscale-apienv exoscale-apizone exoscale-apikey exoscale-apisecret exoscale-zones-cache-duration "
    "pihole-server pihole-password pihole-tls-skip-verify "
).split()


def _table() -> dict[str, IgnoredFlag]:
    names = [*_REASONS, *_OTHER_PROVIDER_FLAGS]
    table: dict[str, IgnoredFlag] = {}
    for name in names:
        reason = _REASONS.get(name)
        if reason is None:
            assert name.startswith(_OTHER_PROVIDER_PREFIXES), name
            reason = _OTHER_PROVIDER
        table[name] = IgnoredFlag(name, name in _BOOLEAN, reason)
    return table


#: Accepted-but-ignored flags by name (without dashes).
IGNORED_FLAGS: Mapping[str, IgnoredFlag] = _table()

ENV_PREFIX = "EXTERNAL_DNS_"


def ignored_in_env(env: Mapping[str, str]) -> list[IgnoredFlag]:
    """Ignored flags set through their ``EXTERNAL_DNS_*`` env var (kingpin reads those too)."""
    by_env = {ENV_PREFIX + name.upper().replace("-", "_"): flag for name, flag in IGNORED_FLAGS.items()}
    return [by_env[key.upper()] for key, value in env.items() if value and key.upper() in by_env]


def warning_line(ignored: list[IgnoredFlag]) -> str:
    """One line naming every ignored flag given, grouped by reason, or "" when there are none."""
    by_reason: dict[str, list[str]] = {}
    for flag in ignored:
        names = by_reason.setdefault(flag.reason, [])
        if "--" + flag.name not in names:
            names.append("--" + flag.name)
    if not by_reason:
        return ""
    parts = [f"{', '.join(names)} ({reason})" for reason, names in by_reason.items()]
    return "ExternalDNS flags accepted with no effect here: " + "; ".join(parts)
