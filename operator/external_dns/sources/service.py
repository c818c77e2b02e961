"""The Service source: which records a Service asks for (ExternalDNS's ``source/service.go``).

Hostnames come from the ``hostname`` annotation (targets derived from the Service) and the
``internal-hostname`` annotation (the ClusterIP, for LoadBalancer and ClusterIP Services). A ``target``
annotation overrides the derived targets for every type. Otherwise, by ``spec.type``:

* LoadBalancer: ``spec.externalIPs`` if any, else every ``status.loadBalancer.ingress[]`` IP and hostname;
* ClusterIP: the ClusterIP with ``--publish-internal-services``; headless (``clusterIP: None``) Services
  publish their ready pods, found through EndpointSlices (see :func:`_headless_endpoints`);
* NodePort: node addresses, plus one SRV record per node port;
* ExternalName: ``spec.externalIPs`` if any, else a CNAME to ``spec.externalName``.

Every endpoint carries the resource label ``service/<ns>/<name>``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, NamedTuple

from external_dns.endpoint import Endpoint, ObjectRef, RecordType, merge_endpoints, normalize_name, suitable_type
from external_dns.sources.annotations import Annotations, parse_annotations
from external_dns.sources.base import (
    ClusterLookups,
    FieldReader,
    KubeObject,
    RecordOptions,
    SourceResult,
    SourceSettings,
    build_endpoints,
    is_mapping,
    load_balancer_targets,
    make_endpoint,
    object_ref,
    passes_filters,
    selects,
    validate_hostname,
    validate_target,
)

SERVICE_TYPES = frozenset({"ClusterIP", "NodePort", "LoadBalancer", "ExternalName"})


# NamedTuples, not frozen dataclasses: built for every Service derived, at a fifth of the cost.
class _Port(NamedTuple):
    node_port: int
    protocol: str


class _Service(NamedTuple):
    """The fields of a Service the source reads, type-checked once."""

    name: str
    namespace: str
    type: str
    cluster_ip: str
    external_ips: tuple[str, ...]
    external_name: str
    load_balancer_targets: tuple[str, ...]
    selector: Mapping[str, str]
    publish_not_ready: bool
    local_traffic_policy: bool
    ports: tuple[_Port, ...]

    @property
    def headless(self) -> bool:
        return self.cluster_ip == "None"


class _Context(NamedTuple):
    """Everything one hostname's endpoints depend on."""

    service: _Service
    annotations: Annotations
    settings: SourceSettings
    lookups: ClusterLookups
    resource: str
    ref: ObjectRef


def service_endpoints(service: KubeObject, settings: SourceSettings, lookups: ClusterLookups) -> SourceResult:
    """The endpoints a Service asks for, the problems found in it, or why it is skipped."""
    reason = passes_filters(service, settings)
    if reason:
        return SourceResult.ignored(reason)
    reader = FieldReader()
    parsed = _parse_service(service, reader)
    if settings.service_type_filter and parsed.type not in settings.service_type_filter:
        return SourceResult.ignored(
            f"type {parsed.type} is not in --service-type-filter {sorted(settings.service_type_filter)}"
        )
    metadata = reader.mapping(service.get("metadata"), "metadata")
    annotations = parse_annotations(metadata.get("annotations"), settings.annotation_prefix)
    problems = [*reader.problems, *annotations.problems]
    if settings.ignore_hostname_annotation:
        return SourceResult([], problems)
    context = _Context(
        service=parsed,
        annotations=annotations,
        settings=settings,
        lookups=lookups,
        resource=f"service/{parsed.namespace}/{parsed.name}",
        ref=object_ref(service, kind="Service", api_version="v1"),
    )
    endpoints: list[Endpoint] = []
    for hostname in annotations.hostnames:
        endpoints += _hostname_endpoints(context, hostname, use_cluster_ip=False)
    for hostname in annotations.internal_hostnames:
        endpoints += _hostname_endpoints(context, hostname, use_cluster_ip=True)
    return SourceResult(merge_endpoints(endpoints), problems)


def _hostname_endpoints(context: _Context, hostname: str, *, use_cluster_ip: bool) -> list[Endpoint]:
    """ExternalDNS's generateEndpoints: the records for one hostname of the Service."""
    service = context.service
    options = context.annotations.record_options
    targets: Iterable[str] = context.annotations.targets
    extra: list[Endpoint] = []
    if not targets:
        match service.type:
            case "LoadBalancer":
                targets = _cluster_ips(service) if use_cluster_ip else _load_balancer_targets(service)
            case "ClusterIP" if service.headless:
                extra = _headless_endpoints(context, hostname, options)
            case "ClusterIP" if use_cluster_ip or context.settings.publish_internal_services:
                targets = _cluster_ips(service)
            case "NodePort":
                targets = _node_port_targets(context)
                extra = _srv_endpoints(context, hostname, options)
            case "ExternalName":
                targets = service.external_ips or _present(service.external_name)
    return extra + build_endpoints(hostname, targets, options, resource=context.resource, ref=context.ref)


def _parse_service(service: KubeObject, reader: FieldReader) -> _Service:
    metadata = reader.mapping(service.get("metadata"), "metadata")
    spec = reader.mapping(service.get("spec"), "spec")
    status = reader.mapping(service.get("status"), "status")
    service_type = reader.text(spec.get("type"), "spec.type") or "ClusterIP"
    if service_type not in SERVICE_TYPES:
        reader.problem("spec.type", f"unknown Service type {service_type!r}")
    external_name = reader.text(spec.get("externalName"), "spec.externalName").rstrip(".")
    if external_name and (problem := validate_hostname(external_name, "spec.externalName")):
        reader.problem(problem.field, problem.message)
        external_name = ""
    return _Service(
        name=reader.text(metadata.get("name"), "metadata.name"),
        namespace=reader.text(metadata.get("namespace"), "metadata.namespace"),
        type=service_type,
        cluster_ip=reader.text(spec.get("clusterIP"), "spec.clusterIP"),
        external_ips=_valid_targets(reader, spec.get("externalIPs"), "spec.externalIPs"),
        external_name=external_name,
        load_balancer_targets=tuple(load_balancer_targets(reader, status)),
        selector=_string_map(reader, spec.get("selector"), "spec.selector"),
        publish_not_ready=spec.get("publishNotReadyAddresses") is True,
        local_traffic_policy=spec.get("externalTrafficPolicy") == "Local",
        ports=_ports(reader, spec.get("ports")),
    )


def _valid_targets(reader: FieldReader, value: object, path: str) -> tuple[str, ...]:
    targets: list[str] = []
    for target, target_path in reader.texts(value, path):
        if problem := validate_target(target, target_path):
            reader.problem(problem.field, problem.message)
        else:
            targets.append(target)
    return tuple(targets)


def _string_map(reader: FieldReader, value: object, path: str) -> dict[str, str]:
    return {str(k): v for k, v in reader.mapping(value, path).items() if isinstance(v, str)}


def _ports(reader: FieldReader, value: object) -> tuple[_Port, ...]:
    ports: list[_Port] = []
    for index, item in enumerate(reader.items(value, "spec.ports")):
        # A port's path is written only when it is not an object (it names the problem): ports are many.
        port = item if type(item) is dict else reader.mapping(item, f"spec.ports[{index}]")
        node_port = port.get("nodePort")
        if node_port is None:
            continue
        if not isinstance(node_port, int) or isinstance(node_port, bool):
            reader.problem(f"spec.ports[{index}].nodePort", "expected a number")
            continue
        protocol = reader.text(port.get("protocol"), f"spec.ports[{index}].protocol")
        ports.append(_Port(node_port, protocol.lower() or "tcp"))
    return tuple(ports)


def _present(value: str) -> tuple[str, ...]:
    return (value,) if value else ()


def _cluster_ips(service: _Service) -> tuple[str, ...]:
    return (service.cluster_ip,) if service.cluster_ip and not service.headless else ()


def _load_balancer_targets(service: _Service) -> tuple[str, ...]:
    # --resolve-service-load-balancer-hostname is ignored: sources do no DNS lookups (see SourceSettings).
    return service.external_ips or service.load_balancer_targets


# --- NodePort --------------------------------------------------------------------------------------------


def _srv_endpoints(context: _Context, hostname: str, options: RecordOptions) -> list[Endpoint]:
    """One SRV record per node port: ``_<svc>._<proto>.<host>`` -> ``0 50 <nodePort> <host>.``."""
    host = normalize_name(hostname)
    return [
        make_endpoint(
            f"_{context.service.name}._{port.protocol}.{host}",
            RecordType.SRV,
            [f"0 50 {port.node_port} {host}."],
            options,
            resource=context.resource,
            ref=context.ref,
        )
        for port in context.service.ports
        if port.node_port > 0
    ]


def _node_port_targets(context: _Context) -> list[str]:
    """Node addresses by the ``access`` annotation, else ExternalIPs if any node has one, else InternalIPs."""
    settings = context.settings
    nodes = _local_nodes(context) if context.service.local_traffic_policy else list(context.lookups.nodes())
    external: list[str] = []
    internal: list[str] = []
    internal_ipv6: list[str] = []
    for node in nodes:
        if _node_unschedulable(node) and settings.exclude_unschedulable:
            continue
        for kind, address in _node_addresses(node):
            if kind == "ExternalIP":
                external.append(address)
            elif kind == "InternalIP":
                internal.append(address)
                if suitable_type(address) is RecordType.AAAA:
                    internal_ipv6.append(address)
    public = external + internal_ipv6 if settings.expose_internal_ipv6 else external
    match context.annotations.access:
        case "public":
            return public
        case "private":
            return internal
    return public if external else internal


def _local_nodes(context: _Context) -> list[Mapping[str, Any]]:
    """With ``externalTrafficPolicy: Local``, only nodes running the Service's pods: those with ready
    non-terminating pods if any, else those with ready pods, else those with running pods."""
    best: dict[str, int] = {}
    for pod in _selected_pods(context):
        spec = _mapping(pod.get("spec"))
        status = _mapping(pod.get("status"))
        node_name = spec.get("nodeName")
        if status.get("phase") != "Running" or not isinstance(node_name, str):
            continue
        rank = 0
        if _pod_ready(pod):
            rank = 1 if _mapping(pod.get("metadata")).get("deletionTimestamp") else 2
        best[node_name] = max(best.get(node_name, 0), rank)
    if not best:
        return []
    wanted = max(best.values())
    nodes = [context.lookups.node(name) for name, rank in best.items() if rank >= wanted]
    return [node for node in nodes if node is not None]


def _node_unschedulable(node: Mapping[str, Any]) -> bool:
    return _mapping(node.get("spec")).get("unschedulable") is True


def _node_addresses(node: Mapping[str, Any]) -> list[tuple[str, str]]:
    addresses = _mapping(node.get("status")).get("addresses")
    if not isinstance(addresses, list):
        return []
    return [
        (item["type"], item["address"])
        for item in addresses
        if isinstance(item, Mapping) and isinstance(item.get("type"), str) and isinstance(item.get("address"), str)
    ]


# --- headless --------------------------------------------------------------------------------------------


def _headless_endpoints(context: _Context, hostname: str, options: RecordOptions) -> list[Endpoint]:
    """Ready pods behind a headless Service, through its EndpointSlices.

    Each slice endpoint that targets a selected Pod publishes, under ``hostname`` and (when the pod sets
    ``spec.hostname``) ``<pod hostname>.<hostname>``: the pod's ``target`` annotation, else its node's
    ExternalIPs (``endpoints-type: NodeExternalIP``), else its host IP (``endpoints-type: HostIP`` or
    ``--publish-host-ip``), else the first address of the slice endpoint.
    """
    service = context.service
    settings = context.settings
    endpoints_type = context.annotations.endpoints_type
    use_host_ip = endpoints_type == "HostIP" or settings.publish_host_ip
    publish_pod_ips = endpoints_type != "NodeExternalIP" and not use_host_ip
    publish_not_ready = service.publish_not_ready or settings.always_publish_not_ready_addresses
    host = normalize_name(hostname)
    targets_by_name: dict[str, list[str]] = {}
    for endpoint_slice in context.lookups.endpoint_slices(service.namespace, service.name):
        address_type = endpoint_slice.get("addressType")
        for entry in _list(endpoint_slice.get("endpoints")):
            if not isinstance(entry, Mapping):
                continue
            ready = _mapping(entry.get("conditions")).get("ready")
            if ready is False and not publish_not_ready:  # an absent "ready" means ready
                continue
            if publish_pod_ips and address_type not in ("IPv4", "IPv6"):
                continue
            target_ref = _mapping(entry.get("targetRef"))
            if target_ref.get("kind") != "Pod" or target_ref.get("apiVersion") not in (None, "", "v1"):
                continue
            # The pod the slice names, if the selector selects it: looked up by name, not by reading the
            # namespace's every pod (the store keeps them packed; a namespace can hold 100,000).
            pod_name = target_ref.get("name")
            pod = context.lookups.pod(service.namespace, pod_name) if isinstance(pod_name, str) else None
            if pod is None or not selects(context.service.selector, pod):
                continue
            targets = _pod_targets(context, pod, entry, endpoints_type, use_host_ip)
            pod_hostname = _mapping(pod.get("spec")).get("hostname")
            names = [host, f"{pod_hostname}.{host}"] if isinstance(pod_hostname, str) and pod_hostname else [host]
            for name in names:
                targets_by_name.setdefault(name, []).extend(targets)
    endpoints: list[Endpoint] = []
    for name in sorted(targets_by_name):
        by_type: dict[RecordType, list[str]] = {}
        for target in targets_by_name[name]:
            by_type.setdefault(suitable_type(target), []).append(target)
        for record_type in sorted(by_type):
            endpoints.append(
                make_endpoint(
                    name,
                    record_type,
                    by_type[record_type],
                    options,
                    resource=context.resource,
                    ref=context.ref,
                )
            )
    return endpoints


def _pod_targets(
    context: _Context,
    pod: Mapping[str, Any],
    entry: Mapping[str, Any],
    endpoints_type: str,
    use_host_ip: bool,
) -> list[str]:
    pod_annotations = parse_annotations(
        _mapping(pod.get("metadata")).get("annotations"), context.settings.annotation_prefix
    )
    if pod_annotations.targets:
        return list(pod_annotations.targets)
    if endpoints_type == "NodeExternalIP":
        node_name = _mapping(pod.get("spec")).get("nodeName")
        node = context.lookups.node(node_name) if isinstance(node_name, str) else None
        if node is None:
            return []
        return [
            address
            for kind, address in _node_addresses(node)
            if kind == "ExternalIP"
            or (
                context.settings.expose_internal_ipv6
                and kind == "InternalIP"
                and suitable_type(address) is RecordType.AAAA
            )
        ]
    if use_host_ip:
        host_ip = _mapping(pod.get("status")).get("hostIP")
        return [host_ip] if isinstance(host_ip, str) and host_ip else []
    addresses = [a for a in _list(entry.get("addresses")) if isinstance(a, str)]
    # Only the first address: further ones have no defined meaning (as in ExternalDNS).
    return addresses[:1]


# --- shared helpers --------------------------------------------------------------------------------------


def reads_pod(service: KubeObject, pod: KubeObject) -> bool:
    """Whether the Service's records may depend on the pod: it reads pods (headless, or NodePort with
    ``externalTrafficPolicy: Local``) and its selector selects the pod's labels (an empty one selects all)."""
    parsed = _parse_service(service, FieldReader())
    reads_pods = parsed.headless or (parsed.type == "NodePort" and parsed.local_traffic_policy)
    return reads_pods and selects(parsed.selector, pod)


def _selected_pods(context: _Context) -> list[Mapping[str, Any]]:
    """Pods in the Service's namespace matched by ``spec.selector`` (empty matches all, as upstream)."""
    return list(context.lookups.pods(context.service.namespace, context.service.selector))


def _pod_ready(pod: Mapping[str, Any]) -> bool:
    conditions = _list(_mapping(pod.get("status")).get("conditions"))
    return any(isinstance(c, Mapping) and c.get("type") == "Ready" and c.get("status") == "True" for c in conditions)


def _mapping(value: object) -> Mapping[str, Any]:
    return value if is_mapping(value) else {}


def _list(value: object) -> list[Any]:
    return value if isinstance(value, list) else []
