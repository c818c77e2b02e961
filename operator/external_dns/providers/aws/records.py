"""Route 53 record sets <-> endpoints, and the canonical form desired endpoints take for Route 53.

Kept apart from the provider's I/O so that the mapping (alias records, routing policies, escapes, TTLs) can be
read and tested on its own. The provider-specific property names are ExternalDNS's, so annotations and
DNSEndpoint objects written for it work unchanged.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from external_dns.endpoint import Endpoint, RecordType, normalize_name
from external_dns.providers.aws.canonical_zones import canonical_hosted_zone

DEFAULT_TTL = 300

ALIAS = "alias"
TARGET_HOSTED_ZONE = "aws/target-hosted-zone"
EVALUATE_TARGET_HEALTH = "aws/evaluate-target-health"
WEIGHT = "aws/weight"
REGION = "aws/region"
FAILOVER = "aws/failover"
GEO_CONTINENT = "aws/geolocation-continent-code"
GEO_COUNTRY = "aws/geolocation-country-code"
GEO_SUBDIVISION = "aws/geolocation-subdivision-code"
MULTI_VALUE_ANSWER = "aws/multi-value-answer"
HEALTH_CHECK_ID = "aws/health-check-id"
#: Value of aws/target-hosted-zone meaning "the zone the record itself is in".
SAME_ZONE = "same-zone"

#: Properties that choose a routing policy: changing any of them cannot be an UPSERT.
ROUTING_POLICY_PROPERTIES = (
    WEIGHT,
    REGION,
    FAILOVER,
    GEO_CONTINENT,
    GEO_COUNTRY,
    GEO_SUBDIVISION,
    MULTI_VALUE_ANSWER,
)

#: The types ExternalDNS reads from and writes to Route 53 (SOA and the rest are left alone).
SUPPORTED_TYPES = frozenset({"A", "AAAA", "CNAME", "DNAME", "SRV", "TXT", "NS", "MX", "NAPTR"})

_ALIAS_TYPES = frozenset({RecordType.A.value, RecordType.AAAA.value, RecordType.CNAME.value})
_OCTAL_ESCAPE = re.compile(r"\\([0-7]{3})")
#: Characters Route 53 takes as they are in a name (the rest are written as octal escapes).
_LITERAL = frozenset("abcdefghijklmnopqrstuvwxyz0123456789-_.*")


def unescape_name(name: str) -> str:
    """A Route 53 name as people write it: ``\\052`` and other octal escapes decoded, no trailing dot."""
    return _OCTAL_ESCAPE.sub(lambda match: chr(int(match.group(1), 8)), name).rstrip(".")


def escape_name(name: str) -> str:
    """A name as Route 53 takes it in a request: characters other than a-z, 0-9, ``-``, ``_``, ``.`` and the
    wildcard ``*`` as ``\\ooo`` octal escapes (the inverse of :func:`unescape_name` for normalised names)."""
    return "".join(char if char in _LITERAL else f"\\{ord(char):03o}" for char in name)


def clean_zone_id(zone_id: str) -> str:
    """``/hostedzone/Z123`` -> ``Z123`` (the API accepts both; comparisons need one form)."""
    return zone_id.removeprefix("/hostedzone/")


def is_alias(endpoint: Endpoint) -> bool:
    """Whether the endpoint is written as a Route 53 alias record rather than a plain record set."""
    return endpoint.record_type in _ALIAS_TYPES and endpoint.provider_specific.get(ALIAS) == "true"


def alias_target_zone(endpoint: Endpoint, record_zone_id: str) -> str:
    """An alias target's hosted zone: the explicit property, the canonical table, else the record's zone."""
    explicit = endpoint.provider_specific.get(TARGET_HOSTED_ZONE, "")
    if explicit and explicit != SAME_ZONE:
        return clean_zone_id(explicit)
    if not explicit:
        canonical = canonical_hosted_zone(endpoint.targets[0]) if endpoint.targets else None
        if canonical:
            return canonical
    return clean_zone_id(record_zone_id)


# --- reading --------------------------------------------------------------------------------------


def endpoints_from_record_set(record_set: Mapping[str, Any], zone_id: str) -> list[Endpoint]:
    """The endpoint a listed record set stands for (empty for unsupported types)."""
    record_type = str(record_set["Type"])
    if record_type not in SUPPORTED_TYPES:
        return []
    name = unescape_name(str(record_set["Name"]))
    ttl = int(record_set.get("TTL", 0))
    properties = _routing_properties(record_set)
    alias_target = record_set.get("AliasTarget")
    if alias_target:
        target = str(alias_target["DNSName"]).rstrip(".")
        properties[ALIAS] = "true"
        properties[EVALUATE_TARGET_HEALTH] = "true" if alias_target.get("EvaluateTargetHealth") else "false"
        target_zone = clean_zone_id(str(alias_target.get("HostedZoneId", "")))
        # Report the target zone only when it cannot be inferred, so that desired endpoints (which rarely name
        # it) compare equal to what is read back.
        if target_zone not in {canonical_hosted_zone(target), clean_zone_id(zone_id)}:
            properties[TARGET_HOSTED_ZONE] = target_zone
        # Alias records have no TTL of their own; ExternalDNS reports the default so the TXT matches.
        targets: tuple[str, ...] = (target,)
        ttl = ttl or DEFAULT_TTL
    else:
        values = [str(record["Value"]) for record in record_set.get("ResourceRecords", ())]
        if record_type == RecordType.CNAME:
            values = [value.rstrip(".") for value in values]
            properties[ALIAS] = "false"
        targets = tuple(values)
    return [
        Endpoint(
            dns_name=name,
            record_type=record_type,
            targets=targets,
            ttl=ttl,
            set_identifier=str(record_set.get("SetIdentifier", "")),
            provider_specific=properties,
        )
    ]


def _routing_properties(record_set: Mapping[str, Any]) -> dict[str, str]:
    properties: dict[str, str] = {}
    if record_set.get("SetIdentifier"):
        if "Weight" in record_set:
            properties[WEIGHT] = str(record_set["Weight"])
        elif "Region" in record_set:
            properties[REGION] = str(record_set["Region"])
        elif "Failover" in record_set:
            properties[FAILOVER] = str(record_set["Failover"])
        elif record_set.get("MultiValueAnswer"):
            properties[MULTI_VALUE_ANSWER] = ""
        elif "GeoLocation" in record_set:
            geo = record_set["GeoLocation"]
            if "ContinentCode" in geo:
                properties[GEO_CONTINENT] = str(geo["ContinentCode"])
            else:
                if "CountryCode" in geo:
                    properties[GEO_COUNTRY] = str(geo["CountryCode"])
                if "SubdivisionCode" in geo:
                    properties[GEO_SUBDIVISION] = str(geo["SubdivisionCode"])
    if record_set.get("HealthCheckId"):
        properties[HEALTH_CHECK_ID] = str(record_set["HealthCheckId"])
    return properties


# --- writing --------------------------------------------------------------------------------------


def record_set_for(endpoint: Endpoint, zone_id: str, evaluate_target_health: bool) -> dict[str, Any]:
    """The ``ResourceRecordSet`` the API takes for an endpoint (an alias CNAME is written as an A alias)."""
    properties = endpoint.provider_specific
    record_set: dict[str, Any] = {"Name": endpoint.dns_name}
    if is_alias(endpoint):
        evaluate = properties.get(EVALUATE_TARGET_HEALTH)
        record_set["Type"] = RecordType.A.value if endpoint.record_type == RecordType.CNAME else endpoint.record_type
        record_set["AliasTarget"] = {
            "DNSName": endpoint.targets[0],
            "HostedZoneId": alias_target_zone(endpoint, zone_id),
            "EvaluateTargetHealth": evaluate_target_health if evaluate is None else evaluate == "true",
        }
    else:
        record_set["Type"] = endpoint.record_type
        record_set["TTL"] = endpoint.ttl or DEFAULT_TTL
        record_set["ResourceRecords"] = [{"Value": target} for target in endpoint.targets]
    if endpoint.set_identifier:
        record_set["SetIdentifier"] = endpoint.set_identifier
        record_set.update(_routing_policy_fields(properties))
    if HEALTH_CHECK_ID in properties:
        record_set["HealthCheckId"] = properties[HEALTH_CHECK_ID]
    return record_set


def _routing_policy_fields(properties: Mapping[str, str]) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    if WEIGHT in properties:
        try:
            fields["Weight"] = int(properties[WEIGHT])
        except ValueError:
            fields["Weight"] = 0  # as ExternalDNS: an unparsable weight is logged upstream and sent as 0
    if REGION in properties:
        fields["Region"] = properties[REGION]
    if FAILOVER in properties:
        fields["Failover"] = properties[FAILOVER]
    if MULTI_VALUE_ANSWER in properties:
        fields["MultiValueAnswer"] = True
    geo: dict[str, str] = {}
    if GEO_CONTINENT in properties:
        geo["ContinentCode"] = properties[GEO_CONTINENT]
    else:
        if GEO_COUNTRY in properties:
            geo["CountryCode"] = properties[GEO_COUNTRY]
        if GEO_SUBDIVISION in properties:
            geo["SubdivisionCode"] = properties[GEO_SUBDIVISION]
    if geo:
        fields["GeoLocation"] = geo
    return fields


def requires_delete_create(old: Endpoint, new: Endpoint) -> bool:
    """Whether ``old`` -> ``new`` cannot be an UPSERT (Route 53 keys record sets on these fields)."""
    if old.record_type != new.record_type or old.set_identifier != new.set_identifier:
        return True
    if is_alias(old) != is_alias(new):
        return True
    return any((prop in old.provider_specific) != (prop in new.provider_specific) for prop in ROUTING_POLICY_PROPERTIES)


# --- canonical desired form -----------------------------------------------------------------------


def adjust_endpoints(
    endpoints: Sequence[Endpoint], *, prefer_cname: bool, evaluate_target_health: bool
) -> list[Endpoint]:
    """Desired endpoints in the form :func:`endpoints_from_record_set` reads them back (ExternalDNS §6.3)."""
    adjusted: list[Endpoint] = []
    for endpoint in endpoints:
        adjusted.extend(_adjust_one(endpoint, prefer_cname, evaluate_target_health))
    return adjusted


def _adjust_one(endpoint: Endpoint, prefer_cname: bool, evaluate_default: bool) -> Iterable[Endpoint]:
    properties = dict(endpoint.provider_specific)
    alias_value = properties.get(ALIAS)
    alias_types: tuple[str, ...] = ()
    if endpoint.record_type == RecordType.CNAME:
        if alias_value is None:
            automatic = not prefer_cname and any(canonical_hosted_zone(t) for t in endpoint.targets[:1])
            alias_value = "true" if automatic else "false"
        if alias_value == "true":
            # An alias CNAME is really an A and an AAAA alias to the same target (dual stack).
            alias_types = (RecordType.A.value, RecordType.AAAA.value)
        elif alias_value in (RecordType.A.value, RecordType.AAAA.value):
            alias_types = (alias_value,)
        else:
            properties[ALIAS] = "false"
    elif endpoint.record_type in (RecordType.A, RecordType.AAAA):
        if alias_value in ("true", endpoint.record_type):
            alias_types = (endpoint.record_type,)

    if not alias_types:
        if endpoint.record_type != RecordType.CNAME:
            properties.pop(ALIAS, None)
        properties.pop(EVALUATE_TARGET_HEALTH, None)
        properties.pop(TARGET_HOSTED_ZONE, None)
        return [endpoint.with_(provider_specific=properties)]

    properties[ALIAS] = "true"
    evaluate = properties.get(EVALUATE_TARGET_HEALTH)
    if evaluate is None:
        properties[EVALUATE_TARGET_HEALTH] = "true" if evaluate_default else "false"
    elif evaluate not in ("true", "false"):
        properties[EVALUATE_TARGET_HEALTH] = "false"
    target_zone = properties.get(TARGET_HOSTED_ZONE)
    if target_zone is not None and (
        target_zone == SAME_ZONE or clean_zone_id(target_zone) == canonical_hosted_zone(endpoint.targets[0])
    ):
        # Inferred when writing and never reported when reading: keeping it would plan an update every time.
        del properties[TARGET_HOSTED_ZONE]
    targets = tuple(target.rstrip(".") for target in endpoint.targets)
    # Alias records read back with the default TTL; an unset TTL never causes an update, a set one must match.
    ttl = DEFAULT_TTL if endpoint.ttl else 0
    return [
        endpoint.with_(record_type=kind, targets=targets, ttl=ttl, provider_specific=dict(properties))
        for kind in alias_types
    ]


def group_name(endpoint: Endpoint, owned_record_label: str) -> str:
    """The record an endpoint belongs with in a batch: itself, or for an ownership TXT the record it owns."""
    return normalize_name(endpoint.labels.get(owned_record_label) or endpoint.dns_name)
