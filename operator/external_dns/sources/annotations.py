"""ExternalDNS's annotations, parsed once into a typed :class:`Annotations` value.

Keys are ``<prefix><suffix>`` (``external-dns.alpha.kubernetes.io/hostname``). Both the configured prefix
and ExternalDNS's current ``external-dns.kubernetes.io/`` are read, so objects written for ExternalDNS before
or after v0.22 both work; when both carry a key, the configured prefix wins.

Parsing never raises: a bad value (an invalid TTL or hostname) becomes a problem naming the annotation, and
that value alone is left out.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from enum import StrEnum
from types import MappingProxyType
from typing import Any, NamedTuple

from external_dns.errors import InvalidEndpoint
from external_dns.sources.base import (
    ALPHA_PREFIX,
    STABLE_PREFIX,
    RecordOptions,
    annotation_prefixes,
    is_mapping,
    validate_hostname,
    validate_target,
)
from external_dns.sources.limits import MAX_NAMES_PER_OBJECT

TTL_MINIMUM = 1
TTL_MAXIMUM = 2**31 - 1

#: Provider-specific annotation families: ``<prefix>aws-weight`` -> ``aws/weight``.
_PROVIDER_FAMILIES = ("aws", "scw", "webhook", "coredns")
#: Cloudflare properties are named by their full annotation key with ExternalDNS's current prefix.
_CLOUDFLARE_SUFFIXES = (
    "cloudflare-proxied",
    "cloudflare-custom-hostname",
    "cloudflare-region-key",
    "cloudflare-record-comment",
    "cloudflare-tags",
)


class HostnameSource(StrEnum):
    """``ingress-hostname-source`` / ``gateway-hostname-source``: which hostnames an object publishes."""

    ALL = ""  # annotation absent: spec hosts and the hostname annotation
    DEFINED_HOSTS_ONLY = "defined-hosts-only"
    ANNOTATION_ONLY = "annotation-only"
    INVALID = "invalid"  # an unknown value (the source decides what that means)


class Annotations(NamedTuple):
    """Every ExternalDNS annotation of one object, parsed. Empty strings / 0 mean "not set".

    A NamedTuple rather than a frozen dataclass: one is built per object derived, and a frozen dataclass of this
    many fields costs five times as much to build (each field set through ``object.__setattr__``).
    """

    hostnames: tuple[str, ...] = ()
    internal_hostnames: tuple[str, ...] = ()
    targets: tuple[str, ...] = ()
    ttl: int = 0
    controller: str | None = None
    access: str = ""
    endpoints_type: str = ""
    set_identifier: str = ""
    alias: bool = False
    record_type: str | None = None
    ingress: str = ""
    ingress_hostname_source: HostnameSource = HostnameSource.ALL
    gateway_hostname_source: HostnameSource = HostnameSource.ALL
    provider_specific: Mapping[str, str] = MappingProxyType({})
    problems: tuple[InvalidEndpoint, ...] = ()

    @property
    def record_options(self) -> RecordOptions:
        """TTL, set identifier and provider-specific properties for every endpoint of the object."""
        return RecordOptions(self.ttl, self.set_identifier, self.provider_specific)


def parse_annotations(raw: object, prefix: str = ALPHA_PREFIX) -> Annotations:
    """Parse ``metadata.annotations``; a non-mapping, or values that are not strings, are problems."""
    problems: list[InvalidEndpoint] = []
    if raw is None:
        return Annotations()
    if not is_mapping(raw):
        return Annotations(problems=(InvalidEndpoint("metadata.annotations", "expected an object"),))
    found = _by_suffix(raw, annotation_prefixes(prefix), problems)
    if not found:  # no ExternalDNS annotation at all, as on most objects of a cluster
        return Annotations(problems=tuple(problems)) if problems else _NO_ANNOTATIONS
    get = found.get
    controller = get("controller")
    set_identifier = get("set-identifier")
    alias = get("alias")
    record_type = get("record-type")
    return Annotations(
        hostnames=_hostnames(get("hostname"), problems),
        internal_hostnames=_hostnames(get("internal-hostname"), problems),
        targets=_targets(get("target"), problems),
        ttl=_ttl(get("ttl"), problems),
        controller=controller[1] if controller else None,
        access=_value(get("access")),
        endpoints_type=_value(get("endpoints-type")),
        set_identifier=set_identifier[1] if set_identifier else "",
        alias=alias is not None and alias[1] == "true",
        record_type=record_type[1] if record_type else None,
        ingress=_value(get("ingress")),
        ingress_hostname_source=_hostname_source(get("ingress-hostname-source")),
        gateway_hostname_source=_hostname_source(get("gateway-hostname-source")),
        provider_specific=_provider_specific(found, alias is not None and alias[1] == "true"),
        problems=tuple(problems),
    )


def _by_suffix(
    raw: Mapping[Any, object], prefixes: tuple[str, ...], problems: list[InvalidEndpoint]
) -> dict[str, tuple[str, str]]:
    """Suffix -> ``(key, value)`` of the string-valued annotations under the prefixes read, the first prefix (the
    configured one) winning where both carry a suffix; a value that is not a string is a problem.

    One pass over the object's annotations, instead of a lookup per annotation the sources read and per prefix.
    As with a dict of the annotations, a later key of the same text replaces an earlier one (keys that are not
    strings are read by their text).
    """
    configured, *others = prefixes
    other = others[0] if others else None  # annotation_prefixes gives one or two
    found: dict[str, tuple[str, str]] = {}
    found_under_other: dict[str, tuple[str, str]] = {}
    for raw_key, value in raw.items():
        key = raw_key if type(raw_key) is str else str(raw_key)
        if not isinstance(value, str):
            problems.append(InvalidEndpoint(_field(key), "annotation values must be strings"))
            continue
        if key.startswith(configured):
            found[key[len(configured) :]] = (key, value)
        if other is not None and key.startswith(other):
            found_under_other[key[len(other) :]] = (key, value)
    if not found_under_other:
        return found
    found_under_other.update(found)  # the configured prefix wins
    return found_under_other


_NO_ANNOTATIONS = Annotations()


def _field(key: str) -> str:
    return f'metadata.annotations["{key}"]'


def _value(found: tuple[str, str] | None) -> str:
    return found[1].strip() if found else ""


def split_list(value: str) -> list[str]:
    """ExternalDNS's hostname-list splitting: spaces removed, split on commas, empty items dropped.

    Trailing dots are kept: the validator allows exactly one (``web.example.com.``) and refuses more, so
    ``web.example.com..`` gets a Warning instead of being published as ``web.example.com``.
    """
    return [item for item in value.replace(" ", "").split(",") if item]


def _hostnames(found: tuple[str, str] | None, problems: list[InvalidEndpoint]) -> tuple[str, ...]:
    return _checked_list(found, problems, validate_hostname)


def _targets(found: tuple[str, str] | None, problems: list[InvalidEndpoint]) -> tuple[str, ...]:
    return _checked_list(found, problems, validate_target)


def _checked_list(
    found: tuple[str, str] | None,
    problems: list[InvalidEndpoint],
    validate: Callable[[str, str], InvalidEndpoint | None],
) -> tuple[str, ...]:
    """The valid items of a comma-separated annotation, each bad one a problem; past the limit, a problem.

    The count is checked before anything is validated, so a huge annotation costs one split, not one
    validation per item (see :mod:`external_dns.sources.limits`).
    """
    if found is None:
        return ()
    key, value = found
    items = split_list(value)
    if len(items) > MAX_NAMES_PER_OBJECT:
        message = (
            f"lists {len(items)} names, more than the limit of {MAX_NAMES_PER_OBJECT} per object; "
            f"only the first {MAX_NAMES_PER_OBJECT} are published"
        )
        problems.append(InvalidEndpoint(_field(key), message))
        items = items[:MAX_NAMES_PER_OBJECT]
    valid: list[str] = []
    field_name = _field(key)
    for item in items:
        problem = validate(item, field_name)
        if problem is None:
            valid.append(item.removesuffix("."))
        else:
            problems.append(problem)
    return tuple(dict.fromkeys(valid))


def _ttl(found: tuple[str, str] | None, problems: list[InvalidEndpoint]) -> int:
    if found is None:
        return 0
    key, value = found
    seconds = parse_ttl(value)
    if seconds is None:
        message = f"TTL {value!r} is neither whole seconds in plain digits (e.g. 300) nor a duration like 10m"
        problems.append(InvalidEndpoint(_field(key), message))
        return 0
    if not TTL_MINIMUM <= seconds <= TTL_MAXIMUM:
        message = f"TTL {value!r} must be between {TTL_MINIMUM} and {TTL_MAXIMUM} seconds"
        problems.append(InvalidEndpoint(_field(key), message))
        return 0
    return seconds


def parse_ttl(value: str) -> int | None:
    """Seconds from ``600`` or a Go duration (``10m``, fractions of a second truncated); None if neither.

    Like ExternalDNS, the duration form is tried first, then a plain integer.
    """
    try:
        return int(parse_go_duration(value))
    except ValueError:
        pass
    # Only canonical decimal digits: Python's int() would also take " 300\n", "+300", "3_00" and non-ASCII
    # digits, which ExternalDNS refuses; a TTL written oddly is more likely a mistake than a wish.
    if _CANONICAL_INTEGER.fullmatch(value):
        return int(value)
    return None


_CANONICAL_INTEGER = re.compile(r"0|[1-9][0-9]*", re.ASCII)
_DURATION_UNITS = {
    "ns": 1e-9,
    "us": 1e-6,
    "µs": 1e-6,  # U+00B5 micro sign
    "μs": 1e-6,  # U+03BC greek mu
    "ms": 1e-3,
    "s": 1.0,
    "m": 60.0,
    "h": 3600.0,
}
_DURATION_PART = re.compile(r"([0-9]*(?:\.[0-9]*)?)(ns|us|µs|μs|ms|s|m|h)")


def parse_go_duration(text: str) -> float:
    """Seconds in a Go ``time.ParseDuration`` string (``300ms``, ``1h30m``, ``-1.5h``, ``0``).

    Raises ValueError for anything Go would reject, notably a number without a unit other than ``0``.
    """
    body = text
    sign = 1.0
    if body[:1] in ("+", "-"):
        sign = -1.0 if body[0] == "-" else 1.0
        body = body[1:]
    if body == "0":
        return 0.0
    if not body:
        raise ValueError(f"invalid duration {text!r}")
    total = 0.0
    position = 0
    while position < len(body):
        match = _DURATION_PART.match(body, position)
        if match is None or match.group(1) in ("", "."):
            raise ValueError(f"invalid duration {text!r}")
        total += float(match.group(1)) * _DURATION_UNITS[match.group(2)]
        position = match.end()
    return sign * total


def _hostname_source(found: tuple[str, str] | None) -> HostnameSource:
    if found is None:
        return HostnameSource.ALL
    value = found[1].strip().lower()
    for source in (HostnameSource.DEFINED_HOSTS_ONLY, HostnameSource.ANNOTATION_ONLY):
        if value == source.value:
            return source
    return HostnameSource.INVALID


def _provider_specific(found: Mapping[str, tuple[str, str]], alias: bool) -> dict[str, str]:
    """The provider-specific properties among the annotations (by suffix, the configured prefix's already)."""
    properties: dict[str, str] = {}
    for suffix, (_, value) in found.items():
        family, _, name = suffix.partition("-")
        if family in _PROVIDER_FAMILIES and name:
            properties[f"{family}/{name}"] = value
        elif suffix == "azure-tags":
            properties["azure/tags"] = value
        elif suffix in _CLOUDFLARE_SUFFIXES:
            properties[STABLE_PREFIX + suffix] = value
    if alias:
        properties["alias"] = "true"
    return dict(sorted(properties.items()))
