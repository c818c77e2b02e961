"""The last step of every source: what no source may publish, whatever it read.

Each source validates the fields it reads as it reads them. Some rules can only be applied once the record is
built, because they depend on its type or stand for the whole object; :func:`checked` wraps a source function
and applies them to its result (``kinds.source_kind`` wraps every kind):

* owner names by record type: A, AAAA and MX owners follow the hostname rule, the hosts in NS, MX and SRV
  targets too (BIND refuses a whole UPDATE otherwise, see :mod:`external_dns.hostnames`); CNAME targets are
  DNS names without a wildcard;
* no TXT value that reads as an ExternalDNS ownership record (``heritage=external-dns``, plain or encrypted with
  the configured key): such a value would forge another owner's claim on a name;
* the per-object limits of :mod:`external_dns.sources.limits` (names per object, targets per record).

A refused record becomes a problem naming the field it came from, found by looking the name or value up in the
object (once, and only when something is refused, so a clean object costs nothing more).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import Any

from external_dns.endpoint import Endpoint, RecordType, ip_version, normalize_name
from external_dns.errors import InvalidEndpoint
from external_dns.hostnames import NameRule, name_problem
from external_dns.registry.crypto import DecryptionError, decrypt_text
from external_dns.sources.base import ClusterLookups, KubeObject, SourceResult, SourceSettings
from external_dns.sources.limits import MAX_NAMES_PER_OBJECT, MAX_TARGETS_PER_RECORD

SourceFunction = Callable[[KubeObject, SourceSettings, ClusterLookups], SourceResult]

#: Record types whose owner name BIND checks as a hostname (check-names).
_HOSTNAME_OWNERS = frozenset({RecordType.A.value, RecordType.AAAA.value, RecordType.MX.value})
#: How many leading numbers come before the host in a target of these types.
_HOST_AFTER_NUMBERS = {RecordType.MX.value: 1, RecordType.SRV.value: 3, RecordType.NS.value: 0}

#: ExternalDNS's heritage marker, matched loosely: anything a registry could read as one is refused.
_HERITAGE = re.compile(r"heritage\s*=\s*external-dns", re.IGNORECASE)
_CLAIMED_OWNER = re.compile(r"external-dns/owner\s*=\s*([^,\"\s]*)", re.IGNORECASE)


def checked(derive: SourceFunction) -> SourceFunction:
    """``derive`` followed by :func:`check_result`."""

    def derive_checked(obj: KubeObject, settings: SourceSettings, lookups: ClusterLookups) -> SourceResult:
        result = derive(obj, settings, lookups)
        if result.ignored_reason or not result.endpoints:
            return result
        return check_result(obj, result, settings)

    return derive_checked


def check_result(obj: KubeObject, result: SourceResult, settings: SourceSettings) -> SourceResult:
    """The result without the records no source may publish, each refusal a problem naming its field."""
    fields = _FieldFinder(obj)
    problems = list(result.problems)
    kept: list[Endpoint] = []
    admitted: set[str] = set()
    left_out: set[str] = set()
    for endpoint in result.endpoints:
        name = normalize_name(endpoint.dns_name)  # endpoint.key's name, without building the key
        if name not in admitted:
            if len(admitted) >= MAX_NAMES_PER_OBJECT:
                left_out.add(name)
                continue
            admitted.add(name)
        problem = _record_problem(endpoint, settings.ownership_aes_key)
        if problem is not None:
            where = fields.find(problem[1] if problem[1] is not None else name)
            problems.append(InvalidEndpoint(where, problem[0]))
            continue
        if len(endpoint.targets) > MAX_TARGETS_PER_RECORD:
            message = (
                f"{endpoint.record_type} record {name!r} has {len(endpoint.targets)} targets, more than the limit "
                f"of {MAX_TARGETS_PER_RECORD} per record; only the first {MAX_TARGETS_PER_RECORD} are published"
            )
            problems.append(InvalidEndpoint(fields.find(endpoint.targets[0], parent=True), message))
            endpoint = replace(endpoint, targets=endpoint.targets[:MAX_TARGETS_PER_RECORD])
        kept.append(endpoint)
    if left_out:
        message = (
            f"asks for {len(admitted) + len(left_out)} names, more than the limit of {MAX_NAMES_PER_OBJECT} per "
            f"object; the first {MAX_NAMES_PER_OBJECT} are published, {len(left_out)} are not"
        )
        problems.append(InvalidEndpoint(fields.find(next(iter(sorted(left_out)))), message))
    if len(kept) == len(result.endpoints) and len(problems) == len(result.problems):
        return result
    return SourceResult(kept, problems, result.ignored_reason)


def _record_problem(endpoint: Endpoint, aes_key: bytes | None) -> tuple[str, str | None] | None:
    """Why the record cannot be published, and the value to find its field by (None: its name)."""
    kind = endpoint.record_type
    rule = NameRule.HOSTNAME if kind in _HOSTNAME_OWNERS else NameRule.DNS_NAME
    if problem := name_problem(endpoint.dns_name, rule):
        return f"{problem} (owner of a{'n' if kind[0] in 'AM' else ''} {kind} record)", None
    for target in endpoint.targets:
        if problem := _target_problem(kind, target, aes_key):
            return problem, target
    return None


def _target_problem(kind: str, target: str, aes_key: bytes | None) -> str | None:
    # RecordType members compared as the strings they are: ``.value`` goes through a Python descriptor per use.
    if kind == RecordType.TXT:
        owner = claimed_owner(target, aes_key)
        if owner is None:
            return None
        claim = f" claiming owner {owner!r}" if owner else ""
        return (
            f"TXT value {target[:80]!r} reads as an ExternalDNS ownership record{claim}; "
            "no object may write one (it would forge ownership of a name)"
        )
    if kind in (RecordType.A, RecordType.AAAA):
        return None if ip_version(target) else f"{kind} target {target!r} is not an IP address"
    if kind in _HOST_AFTER_NUMBERS:
        host = target.split()[-1] if target.split() else ""
        problem = name_problem(host, NameRule.HOSTNAME, wildcard=False)
        return f"{kind} target host: {problem}" if problem else None
    if kind == RecordType.CNAME:
        problem = name_problem(target, NameRule.DNS_NAME, wildcard=False)
        return f"CNAME target: {problem}" if problem else None
    return None


def claimed_owner(value: str, aes_key: bytes | None = None) -> str | None:
    """None when a TXT value does not read as an ownership record; else the owner it names ("" if none).

    Plain values are matched loosely (any ``heritage=external-dns``, quoted or not, in any case); encrypted
    values are recognised when the operator has the key (``--txt-encrypt-aes-key``): without it, a sealed value
    is indistinguishable from any other base64 text.
    """
    texts = [value]
    if aes_key is not None:
        try:
            texts.append(decrypt_text(value.strip().strip('"'), aes_key)[0])
        except DecryptionError:
            pass
    for text in texts:
        if _HERITAGE.search(text):
            owner = _CLAIMED_OWNER.search(text)
            return owner.group(1) if owner else ""
    return None


class _FieldFinder:
    """Finds the field of the object a name or value came from; the object is indexed on the first question."""

    def __init__(self, obj: KubeObject) -> None:
        self._obj = obj
        self._paths: dict[str, str] | None = None

    def find(self, value: str, *, parent: bool = False) -> str:
        """The path of the field holding ``value`` (for a derived name, of the name it ends with)."""
        if self._paths is None:
            self._paths = {}
            _index(self._obj, "", self._paths)
        candidate = value
        while candidate:
            path = self._paths.get(candidate) or self._paths.get(normalize_name(candidate))
            if path is not None:
                return path.rpartition("[")[0] if parent and path.endswith("]") else path
            # Derived names (``_http._tcp.web.example.com`` from ``web.example.com``) are found by their suffix.
            candidate = candidate.partition(".")[2]
        return "the object's hostnames (--fqdn-template, or a name derived from the object)"


def _index(value: Any, path: str, paths: dict[str, str]) -> None:
    """Every string leaf of ``value`` (and each comma-separated item of it) -> its path, first one kept."""
    if isinstance(value, str):
        paths.setdefault(value, path)
        for item in value.split(","):
            key = item.strip()
            paths.setdefault(key, path)
            paths.setdefault(normalize_name(key), path)
    elif isinstance(value, Mapping):
        for key, item in value.items():
            name = str(key)
            step = f".{name}" if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name) else f'["{name}"]'
            _index(item, f"{path}{step}".lstrip("."), paths)
    elif isinstance(value, list | tuple):
        for position, item in enumerate(value):
            _index(item, f"{path}[{position}]", paths)
