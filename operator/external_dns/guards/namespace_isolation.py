"""Namespace isolation (``--namespace-isolation``): a name served from one namespace is not shared with another.

ExternalDNS merges the targets of every Service that asks for one name into one A record, whatever their
namespaces, and lets any object publish any name in the managed zones: in a cluster shared by teams, team B can
add its address to team A's name, or publish under team A's domain, without anyone being told. With this guard:

- each name is served from one namespace, its *holder*: the namespace of the object whose record this owner
  already holds there (the ``resource`` of the ownership record), else of the oldest object asking for it
  (creationTimestamp, then uid), so restarts and listing order never flip it. Objects of other namespaces
  asking for that name are left out and get a Warning naming the holder; when the holder lets the name go, the
  next oldest namespace gets it.
- a Namespace annotated ``external-dns.kubernetes.io/allowed-domains: team-a.example.com,team-a.example.org``
  may publish only names in those domains (a Namespace without the annotation is not restricted).

Cluster-scoped objects (Nodes) count as one namespace of their own, "".
The rule is applied per name to the raw endpoints of each object, before the Service merge, and is pure.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from external_dns.endpoint import OWNER_LABEL, RESOURCE_LABEL, Endpoint, ObjectRef, normalize_name
from external_dns.errors import InvalidEndpoint
from external_dns.events import Action, EventSink, Reason, RecordEvent
from external_dns.guards.metrics import GUARD_ACTIONS
from external_dns.plan import Skipped
from external_dns.sources.base import object_ref, validate_hostname
from external_dns.store import Lookups, ObjectStore

logger = logging.getLogger("external_dns.guards")

ALLOWED_DOMAINS_ANNOTATION = "external-dns.kubernetes.io/allowed-domains"

#: Orders the objects asking for a name: the smallest holds it (creationTimestamp, uid).
Seniority = Callable[[ObjectRef], tuple[str, str]]
#: The domains a namespace may publish under; None: not restricted.
AllowedDomains = Callable[[str], tuple[str, ...] | None]


ALLOWED_DOMAINS_FIELD = f'metadata.annotations["{ALLOWED_DOMAINS_ANNOTATION}"]'


def parse_allowed_domains(value: str) -> tuple[tuple[str, ...], list[InvalidEndpoint]]:
    """The domains of an allowed-domains annotation (comma or newline separated), and the entries that are not
    domains. A bad entry is left out, so the namespace may publish less, never more."""
    domains: list[str] = []
    problems: list[InvalidEndpoint] = []
    for raw in value.replace("\n", ",").split(","):
        part = raw.strip()  # spaces around the entries are layout (the validator refuses whitespace in a name)
        if not part:
            continue
        problem = validate_hostname(part, ALLOWED_DOMAINS_FIELD)
        if problem is None and part.startswith("*"):
            problem = InvalidEndpoint(ALLOWED_DOMAINS_FIELD, f"{part!r}: list the domain, without a wildcard")
        if problem is not None:
            problems.append(problem)
        else:
            domains.append(normalize_name(part))
    return tuple(domains), problems


def _annotation(namespace_obj: Mapping[str, Any] | None) -> str | None:
    if namespace_obj is None:
        return None
    annotations = (namespace_obj.get("metadata") or {}).get("annotations") or {}
    value = annotations.get(ALLOWED_DOMAINS_ANNOTATION)
    return value if isinstance(value, str) else None


def allowed_domains_of(namespace_obj: Mapping[str, Any] | None) -> tuple[str, ...] | None:
    """The Namespace's allowed-domains annotation as normalised domains; None without the annotation."""
    value = _annotation(namespace_obj)
    return None if value is None else parse_allowed_domains(value)[0]


def in_domains(name: str, domains: Iterable[str]) -> bool:
    return any(name == domain or name.endswith("." + domain) for domain in domains)


def namespace_of(endpoint: Endpoint) -> str:
    """The namespace of the object that asked for the endpoint ("" for cluster-scoped objects)."""
    return (endpoint.refs[0].namespace or "") if endpoint.refs else ""


def holder_namespace_of(record: Endpoint) -> str | None:
    """The namespace in the ``resource`` label of a record this owner holds (``service/ns/name``), if any."""
    parts = record.labels.get(RESOURCE_LABEL, "").split("/")
    if len(parts) == 3:
        return parts[1]
    return "" if len(parts) == 2 else None


def isolate(
    wanted: Sequence[Endpoint],
    current: Sequence[Endpoint],
    seniority: Seniority,
    allowed: AllowedDomains,
) -> tuple[list[Endpoint], list[Skipped]]:
    """The endpoints each namespace may publish, and the others with the reason they are left out."""
    kept: list[Endpoint] = []
    skipped: list[Skipped] = []
    by_name: dict[str, list[Endpoint]] = {}
    for endpoint in wanted:
        namespace = namespace_of(endpoint)
        domains = allowed(namespace) if endpoint.refs and namespace else None
        if domains is not None and not in_domains(endpoint.key.name, domains):
            listed = ", ".join(domains) or "no domain at all"
            reason = (
                f"namespace {namespace} may publish only under {listed} (annotation {ALLOWED_DOMAINS_ANNOTATION} "
                f"on Namespace {namespace}); use a name there, or ask the cluster admin to extend the list"
            )
            skipped.append(Skipped(endpoint, reason))
            continue
        by_name.setdefault(endpoint.key.name, []).append(endpoint)
    held_at: dict[str, set[str]] = {}
    for record in current:
        holder_namespace = holder_namespace_of(record)
        if holder_namespace is not None:
            held_at.setdefault(record.key.name, set()).add(holder_namespace)
    for name in sorted(by_name):
        endpoints = by_name[name]
        namespaces = {namespace_of(ep) for ep in endpoints}
        if len(namespaces) == 1:
            kept += endpoints
            continue
        holder = _holder(endpoints, held_at.get(name, set()), seniority)
        holder_refs = [ref for ep in endpoints if namespace_of(ep) == holder for ref in ep.refs]
        holder_text = ", ".join(sorted({ref.display for ref in holder_refs})) or "another object"
        for endpoint in endpoints:
            if namespace_of(endpoint) == holder:
                kept.append(endpoint)
                continue
            reason = (
                f'the name "{endpoint.dns_name}" is already served by {holder_text} in namespace '
                f"{holder or '(cluster-scoped)'}; with --namespace-isolation an object in namespace "
                f"{namespace_of(endpoint) or '(cluster-scoped)'} cannot share or take it: use another name, or "
                "remove it from the holder first"
            )
            skipped.append(Skipped(endpoint, reason))
    return kept, skipped


def _holder(endpoints: Sequence[Endpoint], held_by: set[str], seniority: Seniority) -> str:
    """The namespace already holding the record if it still asks for it, else the oldest object's."""
    still_held = sorted(held_by & {namespace_of(ep) for ep in endpoints})
    if still_held:
        return still_held[0]
    oldest = min(
        ((seniority(ref), namespace_of(ep)) for ep in endpoints for ref in ep.refs[:1]),
        default=(("", ""), ""),
    )
    return oldest[1]


def seniority_in(stores_by_kind: Mapping[str, ObjectStore]) -> Seniority:
    """(creationTimestamp, uid) of source objects, read from their stores (keyed by Kubernetes kind)."""

    def seniority(ref: ObjectRef) -> tuple[str, str]:
        stores = [stores_by_kind[ref.kind]] if ref.kind in stores_by_kind else stores_by_kind.values()
        for store in stores:
            obj = store.get(ref.namespace or "", ref.name)
            if obj is not None:
                created = str((obj.get("metadata") or {}).get("creationTimestamp") or "")
                return created or "~", ref.uid  # an object without a timestamp counts as the newest
        return "~", ref.uid

    return seniority


def allowed_domains_in(lookups: Lookups, events: EventSink) -> AllowedDomains:
    """The allowed-domains annotation of Namespaces, read from the Namespace store; a bad entry gets a Warning
    on the Namespace (once per annotation value) and is left out."""
    reported: dict[str, str] = {}

    def allowed(namespace: str) -> tuple[str, ...] | None:
        obj = lookups.namespace(namespace)
        value = _annotation(obj)
        if obj is None or value is None:
            return None
        domains, problems = parse_allowed_domains(value)
        if problems and reported.get(namespace) != value:
            reported[namespace] = value
            ref = object_ref(obj, kind="Namespace", api_version="v1")
            for problem in problems:
                logger.warning("Invalid %s: %s (the entry is ignored)", ref.display, problem)
                events.record(RecordEvent(ref, Reason.ERROR, Action.FAILED_SYNC, f"Invalid {problem}; ignored"))
        return domains

    return allowed


@dataclass
class NamespaceIsolation:
    """The guard as the zone workers use it: the rule, plus a count of each new refusal."""

    seniority: Seniority
    allowed: AllowedDomains
    #: Only records this owner holds say which namespace holds a name (another owner's say nothing here).
    owner_id: str = ""
    _refused: set[tuple[str, str, ObjectRef]] = field(default_factory=set)

    def apply(self, wanted: Sequence[Endpoint], current: Sequence[Endpoint]) -> tuple[list[Endpoint], list[Skipped]]:
        ours = [record for record in current if not self.owner_id or record.labels.get(OWNER_LABEL) == self.owner_id]
        kept, skipped = isolate(wanted, ours, self.seniority, self.allowed)
        names = {ep.key.name for ep in wanted}
        refused = {(s.endpoint.key.name, s.endpoint.record_type, ref) for s in skipped for ref in s.endpoint.refs}
        new = refused - self._refused
        if new:
            GUARD_ACTIONS.labels(guard="namespace_isolation").inc(len(new))
        self._refused = {item for item in self._refused if item[0] not in names} | refused
        return kept, skipped
