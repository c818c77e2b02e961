"""What every source shares: its settings, its result, cluster lookups, filters and validation.

A source is a pure function ``<kind>_endpoints(obj, settings, lookups) -> SourceResult``: it reads one
Kubernetes object (a Kopf body or any mapping shaped like the API object), plus whatever related objects it
needs through :class:`ClusterLookups`, and returns the endpoints the object asks for. It never raises for a
bad object: each bad part becomes an :class:`~external_dns.errors.InvalidEndpoint` naming the field at fault,
and the good parts still yield endpoints. An object skipped on purpose (filters, controller annotation,
class) gets an ``ignored_reason`` instead, which is not an error.

The building blocks a new source needs (gateway, node, pod, templates) live here: :class:`FieldReader` to walk
a raw object without trusting its types, :func:`validate_hostname` / :func:`validate_target`,
:func:`passes_filters`, :func:`build_endpoints` and (from the endpoint module) :func:`merge_endpoints`.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Protocol, TypeGuard

from external_dns.endpoint import (
    NOTHING,
    RESOURCE_LABEL,
    Endpoint,
    ObjectRef,
    RecordType,
    endpoints_for_hostname,
    ip_version,
    normalize_name,
)
from external_dns.errors import InvalidEndpoint
from external_dns.hostnames import NameRule, name_problem
from external_dns.selectors import parse_selector
from external_dns.sources.target_filter import TargetNetFilter

#: A raw Kubernetes object as Kopf hands it over (``kopf.Body`` is a Mapping).
KubeObject = Mapping[str, Any]

#: ExternalDNS's annotation prefix before v0.22, this project's default.
ALPHA_PREFIX = "external-dns.alpha.kubernetes.io/"
#: ExternalDNS's annotation prefix since v0.22; always read too, so objects written for either version work.
STABLE_PREFIX = "external-dns.kubernetes.io/"
#: Any value other than this one in the ``controller`` annotation means "not for us" (ExternalDNS's rule).
OUR_CONTROLLER = "dns-controller"


@dataclass(frozen=True, slots=True)
class SourceSettings:
    """The source-related flags of ExternalDNS, with its defaults.

    ``resolve_lb_hostname`` (``--resolve-service-load-balancer-hostname``) is accepted for flag compatibility
    and ignored: a source is a pure function and does no DNS resolution, so load-balancer hostnames are
    published as CNAME targets.
    """

    annotation_prefix: str = ALPHA_PREFIX
    publish_internal_services: bool = False
    publish_host_ip: bool = False
    always_publish_not_ready_addresses: bool = False
    expose_internal_ipv6: bool = False
    exclude_unschedulable: bool = True
    service_type_filter: frozenset[str] = frozenset()
    ingress_classes: frozenset[str] = frozenset()
    ignore_hostname_annotation: bool = False
    ignore_ingress_tls_spec: bool = False
    ignore_ingress_rules_spec: bool = False
    label_filter: str = ""
    annotation_filter: str = ""
    namespace: str = ""
    resolve_lb_hostname: bool = False
    crd_kind: str = "DNSEndpoint"
    crd_api_version: str = "externaldns.k8s.io/v1alpha1"
    fqdn_templates: tuple[str, ...] = ()
    combine_fqdn_annotation: bool = False
    gateway_namespace: str = ""
    gateway_label_filter: str = ""
    gateway_name: str = ""
    ignore_non_host_network_pods: bool = False
    pod_source_domain: str = ""
    #: --default-targets: a DNSEndpoint item without targets is a problem only when this is empty.
    default_targets: tuple[str, ...] = ()
    #: --txt-encrypt-aes-key, so that an encrypted ownership value written by an object is recognised.
    ownership_aes_key: bytes | None = field(default=None, repr=False)
    #: --target-net-filter / --exclude-target-net (steps.targets_and_ttl).
    target_filter: TargetNetFilter = field(default_factory=TargetNetFilter)
    #: --min-ttl in seconds (steps.targets_and_ttl).
    min_ttl: int = 0

    @property
    def annotation_prefixes(self) -> tuple[str, ...]:
        """The prefixes read, the configured one first (it wins when both carry the same key)."""
        return annotation_prefixes(self.annotation_prefix)


@dataclass(slots=True)
class SourceResult:
    """The endpoints one object asks for, the problems found in it, or why it was deliberately skipped."""

    endpoints: list[Endpoint] = field(default_factory=list)
    problems: list[InvalidEndpoint] = field(default_factory=list)
    ignored_reason: str = ""

    @classmethod
    def ignored(cls, reason: str) -> SourceResult:
        """An object skipped on purpose (filters, controller, class): no endpoints, no problems."""
        return cls(endpoints=[], problems=[], ignored_reason=reason)


#: A label selector that selects everything (read-only: a shared default).
NO_SELECTOR: Mapping[str, str] = MappingProxyType({})


def selects(selector: Mapping[str, str], obj: Mapping[str, Any]) -> bool:
    """Whether the object's labels include every pair of the (equality-based) selector, as a Service's does."""
    labels = _meta(obj).get("labels")
    labels = labels if isinstance(labels, Mapping) else {}
    return all(labels.get(key) == value for key, value in selector.items())


class ClusterLookups(Protocol):
    """Read access to the related objects a source needs (from Kopf indexes or an informer-like cache)."""

    def node(self, name: str) -> Mapping[str, Any] | None:
        """The Node called ``name``, or None."""
        ...

    def nodes(self) -> Iterable[Mapping[str, Any]]:
        """Every Node."""
        ...

    def pods(self, namespace: str, selector: Mapping[str, str] = NO_SELECTOR) -> Iterable[Mapping[str, Any]]:
        """The Pods in the namespace whose labels include every pair of ``selector`` (every Pod for an empty one)."""
        ...

    def pod(self, namespace: str, name: str) -> Mapping[str, Any] | None:
        """One Pod, or None."""
        ...

    def endpoint_slices(self, namespace: str, service_name: str) -> Iterable[Mapping[str, Any]]:
        """The EndpointSlices labelled ``kubernetes.io/service-name=<service_name>`` in the namespace."""
        ...


class EmptyLookups:
    """A cluster with nothing in it: for sources that need no related objects."""

    def node(self, name: str) -> Mapping[str, Any] | None:
        return None

    def nodes(self) -> Iterable[Mapping[str, Any]]:
        return ()

    def pods(self, namespace: str, selector: Mapping[str, str] = NO_SELECTOR) -> Iterable[Mapping[str, Any]]:
        return ()

    def pod(self, namespace: str, name: str) -> Mapping[str, Any] | None:
        return None

    def endpoint_slices(self, namespace: str, service_name: str) -> Iterable[Mapping[str, Any]]:
        return ()


SERVICE_NAME_LABEL = "kubernetes.io/service-name"


class StaticLookups:
    """In-memory lookups over plain lists of objects (tests, ``explain``, one-shot runs)."""

    def __init__(
        self,
        *,
        nodes: Sequence[Mapping[str, Any]] = (),
        pods: Sequence[Mapping[str, Any]] = (),
        endpoint_slices: Sequence[Mapping[str, Any]] = (),
    ) -> None:
        self._nodes = list(nodes)
        self._pods = list(pods)
        self._slices = list(endpoint_slices)

    def node(self, name: str) -> Mapping[str, Any] | None:
        return next((n for n in self._nodes if _meta(n).get("name") == name), None)

    def nodes(self) -> Iterable[Mapping[str, Any]]:
        return list(self._nodes)

    def pods(self, namespace: str, selector: Mapping[str, str] = NO_SELECTOR) -> Iterable[Mapping[str, Any]]:
        return [p for p in self._pods if _meta(p).get("namespace") == namespace and selects(selector, p)]

    def pod(self, namespace: str, name: str) -> Mapping[str, Any] | None:
        return next((p for p in self.pods(namespace) if _meta(p).get("name") == name), None)

    def endpoint_slices(self, namespace: str, service_name: str) -> Iterable[Mapping[str, Any]]:
        return [
            s
            for s in self._slices
            if _meta(s).get("namespace") == namespace
            and (_meta(s).get("labels") or {}).get(SERVICE_NAME_LABEL) == service_name
        ]


def is_mapping(value: object) -> TypeGuard[Mapping[str, Any]]:
    """isinstance(value, Mapping), first checked as a dict (every object parsed from JSON): the ABC check costs
    several times more, and deriving one object asks it about ten times."""
    return type(value) is dict or isinstance(value, Mapping)


def _meta(obj: Mapping[str, Any]) -> Mapping[str, Any]:
    metadata = obj.get("metadata")
    return metadata if is_mapping(metadata) else {}


# --- reading raw objects -------------------------------------------------------------------------------


class FieldReader:
    """Walks a raw object without trusting its types: a wrong type becomes a problem and a harmless default.

    Missing fields (None) are normal in Kubernetes objects and are not problems.
    """

    def __init__(self) -> None:
        self.problems: list[InvalidEndpoint] = []

    def problem(self, path: str, message: str) -> None:
        """Record a problem with the field at ``path``."""
        self.problems.append(InvalidEndpoint(path, message))

    def mapping(self, value: object, path: str) -> Mapping[str, Any]:
        """``value`` if it is an object, else ``{}`` (noting a problem unless it is absent)."""
        if type(value) is dict or isinstance(value, Mapping):  # is_mapping inline: asked ~8 times per object
            return value
        if value is not None:
            self.problem(path, f"expected an object, got {_type_name(value)}")
        return {}

    def items(self, value: object, path: str) -> list[Any]:
        """``value`` if it is a list, else ``[]`` (noting a problem unless it is absent)."""
        if isinstance(value, list | tuple):
            return list(value)
        if value is not None:
            self.problem(path, f"expected a list, got {_type_name(value)}")
        return []

    def text(self, value: object, path: str) -> str:
        """``value`` if it is a string, else ``""`` (noting a problem unless it is absent)."""
        if isinstance(value, str):
            return value
        if value is not None:
            self.problem(path, f"expected a string, got {_type_name(value)}")
        return ""

    def texts(self, value: object, path: str) -> list[tuple[str, str]]:
        """The strings of a list of strings, each with its path; non-strings are problems and skipped."""
        found: list[tuple[str, str]] = []
        for index, item in enumerate(self.items(value, path)):
            item_path = f"{path}[{index}]"
            if isinstance(item, str):
                found.append((item, item_path))
            else:
                self.problem(item_path, f"expected a string, got {_type_name(item)}")
        return found


def _type_name(value: object) -> str:
    names = {dict: "an object", list: "a list", str: "a string", int: "a number", float: "a number"}
    if isinstance(value, bool):
        return "a boolean"
    return names.get(type(value), type(value).__name__)


def object_ref(obj: KubeObject, *, kind: str = "", api_version: str = "") -> ObjectRef:
    """The :class:`ObjectRef` of a raw object; ``kind``/``api_version`` fill in when the body lacks them."""
    metadata = _meta(obj)
    namespace = metadata.get("namespace")
    # Interned: a ref lives as long as the object's endpoints, and every object parsed from JSON brings its own
    # copies of "Service", "v1" and its namespace; its name is interned by the store's keys too (store.object_id).
    return ObjectRef(
        kind=sys.intern(str(obj.get("kind") or kind)),
        api_version=sys.intern(str(obj.get("apiVersion") or api_version)),
        namespace=sys.intern(str(namespace)) if namespace else None,
        name=sys.intern(str(metadata.get("name") or "")),
        uid=str(metadata.get("uid") or ""),
    )


def annotations_of(obj: KubeObject) -> Mapping[str, str]:
    """The object's annotations with string values only (other values are reported by annotation parsing)."""
    raw = _meta(obj).get("annotations")
    if not is_mapping(raw):
        return {}
    return {str(k): v for k, v in raw.items() if isinstance(v, str)}


def labels_of(obj: KubeObject) -> Mapping[str, str]:
    """The object's labels with string values only."""
    raw = _meta(obj).get("labels")
    if not is_mapping(raw):
        return {}
    return {str(k): v for k, v in raw.items() if isinstance(v, str)}


@functools.lru_cache(maxsize=16)  # asked for each annotation of each object derived
def annotation_prefixes(configured: str) -> tuple[str, ...]:
    """The annotation prefixes read: the configured one first, then ExternalDNS's current one."""
    return tuple(dict.fromkeys((configured, STABLE_PREFIX)))


def find_annotation(annotations: Mapping[str, str], suffix: str, prefix: str) -> tuple[str, str] | None:
    """``(key, value)`` of the annotation ``<prefix><suffix>``, trying the configured prefix first."""
    for candidate in annotation_prefixes(prefix):
        key = candidate + suffix
        if key in annotations:
            return key, annotations[key]
    return None


def passes_filters(obj: KubeObject, settings: SourceSettings, *, check_controller: bool = True) -> str:
    """Why the object is skipped by ``--namespace``, ``--label-filter``, ``--annotation-filter`` or the
    ``controller`` annotation; ``""`` when it passes. Cluster-scoped objects ignore ``--namespace``."""
    namespace = _meta(obj).get("namespace")
    if settings.namespace and namespace and namespace != settings.namespace:
        return f"namespace {namespace!r} is not the watched namespace {settings.namespace!r}"
    if settings.label_filter and not parse_selector(settings.label_filter).matches(labels_of(obj)):
        return f"labels do not match --label-filter {settings.label_filter!r}"
    annotations = annotations_of(obj)
    if settings.annotation_filter and not parse_selector(settings.annotation_filter).matches(annotations):
        return f"annotations do not match --annotation-filter {settings.annotation_filter!r}"
    if check_controller:
        found = find_annotation(annotations, "controller", settings.annotation_prefix)
        if found is not None and found[1] != OUR_CONTROLLER:
            return f"annotation {found[0]}={found[1]!r} names another controller"
    return ""


# --- validation ----------------------------------------------------------------------------------------


def validate_hostname(name: str, field: str) -> InvalidEndpoint | None:
    """None if ``name`` (one trailing dot allowed) can be a DNS name, else the problem with ``field``.

    The lenient :attr:`~external_dns.hostnames.NameRule.DNS_NAME` rule (``_`` allowed): which record types a
    name gets is known only later, and :mod:`external_dns.sources.checks` applies the stricter hostname rule to
    the owners of A, AAAA and MX records.
    """
    problem = name_problem(name, NameRule.DNS_NAME)
    return InvalidEndpoint(field, problem) if problem else None


def validate_target(target: str, field: str) -> InvalidEndpoint | None:
    """None if ``target`` is an IP address or a valid hostname, else the problem with ``field``."""
    if not ip_version(target):
        problem = name_problem(target, NameRule.DNS_NAME, wildcard=False)
        if problem is not None:
            return InvalidEndpoint(field, f"target is neither an IP address nor a valid name: {problem}")
    return None


# --- building endpoints --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RecordOptions:
    """What the annotations add to every endpoint of an object: TTL, set identifier, provider-specific."""

    ttl: int = 0
    set_identifier: str = ""
    provider_specific: Mapping[str, str] = field(default_factory=dict)


def build_endpoints(
    hostname: str,
    targets: Iterable[str],
    options: RecordOptions,
    *,
    resource: str,
    ref: ObjectRef,
) -> list[Endpoint]:
    """ExternalDNS's EndpointsForHostname with the name normalised: one endpoint per A/AAAA/CNAME family."""
    return endpoints_for_hostname(
        normalize_name(hostname),
        targets,
        ttl=options.ttl,
        set_identifier=options.set_identifier,
        provider_specific=options.provider_specific,
        resource=resource,
        ref=ref,
    )


def make_endpoint(
    hostname: str,
    record_type: RecordType,
    targets: Iterable[str],
    options: RecordOptions,
    *,
    resource: str,
    ref: ObjectRef,
) -> Endpoint:
    """One endpoint of an explicit type (SRV, or an A/AAAA set built by hand)."""
    return Endpoint(
        dns_name=normalize_name(hostname),
        record_type=record_type.value,
        targets=tuple(dict.fromkeys(targets)),
        ttl=options.ttl,
        set_identifier=options.set_identifier,
        labels={RESOURCE_LABEL: resource},
        provider_specific=dict(options.provider_specific) if options.provider_specific else NOTHING,
        refs=(ref,),
    )


def load_balancer_targets(reader: FieldReader, status: Mapping[str, Any]) -> list[str]:
    """The ``ip`` and ``hostname`` of every ``status.loadBalancer.ingress[]`` entry (Services and Ingresses);
    an invalid one becomes a problem naming its field."""
    load_balancer = reader.mapping(status.get("loadBalancer"), "status.loadBalancer")
    targets: list[str] = []
    for index, item in enumerate(reader.items(load_balancer.get("ingress"), "status.loadBalancer.ingress")):
        path = f"status.loadBalancer.ingress[{index}]"
        entry = reader.mapping(item, path)
        for key in ("ip", "hostname"):
            given = entry.get(key)
            if given is None:  # absent is normal (an entry has an ip or a hostname); no path to write for it
                continue
            value = reader.text(given, f"{path}.{key}")
            if not value:
                continue
            if problem := validate_target(value, f"{path}.{key}"):
                reader.problem(problem.field, problem.message)
            else:
                targets.append(value)
    return targets
