"""``--fqdn-template``: the templates (run by :mod:`external_dns.gotemplate`) and the rule that decides when
template hostnames are published (ExternalDNS's ``source/template/engine.go``).

A template outside the supported subset stops the start with a ConfigError naming ``--fqdn-template`` and the
construct, so a typo never silently publishes nothing.

Output: every template's text is split on ``,``, trimmed, trailing dots removed, de-duplicated and sorted.

:func:`with_templates` applies ExternalDNS's rule to a source: template hostnames are used only when the
object produced no endpoints, or always (appended) with ``--combine-fqdn-annotation``. The node, pod and
route sources apply templates themselves (their rules differ: node names are replaced, route names go through
listener matching, pod names are always added); wrap only the Service and Ingress sources.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from external_dns.endpoint import Endpoint, ObjectRef, merge_endpoints
from external_dns.errors import ConfigError, InvalidEndpoint
from external_dns.gotemplate import Template, TemplateError, TemplateSyntaxError, parse
from external_dns.sources.annotations import parse_annotations
from external_dns.sources.base import (
    ClusterLookups,
    KubeObject,
    SourceResult,
    SourceSettings,
    build_endpoints,
    object_ref,
    validate_hostname,
)
from external_dns.sources.ingress import ingress_endpoints
from external_dns.sources.service import service_endpoints

FLAG = "--fqdn-template"

#: A source function: ``<kind>_endpoints(obj, settings, lookups)``.
DeriveFn = Callable[[KubeObject, SourceSettings, ClusterLookups], SourceResult]
#: The hook a source provides to say which targets its template hostnames point at.
TargetsFn = Callable[[KubeObject, SourceSettings, ClusterLookups], list[str]]


@dataclass(frozen=True, slots=True)
class CompiledTemplates:
    """The parsed ``--fqdn-template`` values; empty means templates are not configured."""

    templates: tuple[Template, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.templates)

    def hostnames(self, obj: KubeObject) -> list[str]:
        """The hostnames the templates produce for ``obj``: split on ``,``, trimmed, trailing dots removed,
        de-duplicated, sorted. Raises :class:`InvalidEndpoint` (field ``--fqdn-template``) when a template
        fails on this object."""
        out: list[str] = []
        for template in self.templates:
            try:
                out.append(template.render(obj))
            except TemplateError as error:
                raise InvalidEndpoint(FLAG, f"template {template.source!r} failed: {error}") from error
        names = {name.strip().rstrip(".") for name in ",".join(out).split(",")}
        return sorted(name for name in names if name)

    def checked_hostnames(self, obj: KubeObject) -> tuple[list[str], list[InvalidEndpoint]]:
        """:meth:`hostnames` with failures and invalid names returned as problems instead of raised."""
        try:
            names = self.hostnames(obj)
        except InvalidEndpoint as failure:
            return [], [failure]
        valid: list[str] = []
        problems: list[InvalidEndpoint] = []
        for name in names:
            problem = validate_hostname(name, FLAG)
            if problem is None:
                valid.append(name)
            else:
                problems.append(problem)
        return valid, problems


def compile_templates(templates: Sequence[str]) -> CompiledTemplates:
    """Parse the ``--fqdn-template`` values; raises ConfigError naming the flag and the unsupported construct."""
    return _compile(tuple(t for t in templates if t.strip()))


@functools.lru_cache(maxsize=32)
def _compile(templates: tuple[str, ...]) -> CompiledTemplates:
    try:
        return CompiledTemplates(tuple(parse(t) for t in templates))
    except TemplateSyntaxError as error:
        raise ConfigError(f"{FLAG}: {error}") from None


def settings_templates(settings: SourceSettings) -> CompiledTemplates:
    """The compiled ``settings.fqdn_templates`` (cached, so sources may call this on every object)."""
    return compile_templates(settings.fqdn_templates)


# --- applying templates to a source ------------------------------------------------------------------------

_PROBE_HOST = "fqdn-template-probe.invalid"


def probe_targets(derive: DeriveFn) -> TargetsFn:
    """A targets hook for a source that reads the ``hostname`` annotation: run it with a synthetic hostname
    annotation and keep the targets it derives for that name."""

    def targets_for(obj: KubeObject, settings: SourceSettings, lookups: ClusterLookups) -> list[str]:
        metadata = dict(obj.get("metadata") or {})
        annotations = {
            key: value
            for key, value in dict(metadata.get("annotations") or {}).items()
            if not str(key).endswith(("/hostname", "/internal-hostname", "hostname-source"))
        }
        annotations[settings.annotation_prefix + "hostname"] = _PROBE_HOST
        probe = {**obj, "metadata": {**metadata, "annotations": annotations}}
        probe_settings = _replace_settings(settings, ignore_hostname_annotation=False)
        result = derive(probe, probe_settings, lookups)
        targets: list[str] = []
        for endpoint in result.endpoints:
            if endpoint.dns_name == _PROBE_HOST:
                targets += [t for t in endpoint.targets if t not in targets]
        return targets

    return targets_for


def _replace_settings(settings: SourceSettings, **changes: Any) -> SourceSettings:
    return dataclasses.replace(settings, **changes)


def service_targets(service: KubeObject, settings: SourceSettings, lookups: ClusterLookups) -> list[str]:
    """The targets the Service source derives for any hostname of this Service (for template hostnames)."""
    return probe_targets(service_endpoints)(service, settings, lookups)


def ingress_targets(ingress: KubeObject, settings: SourceSettings, lookups: ClusterLookups) -> list[str]:
    """The targets the Ingress source derives for any hostname of this Ingress (for template hostnames)."""
    return probe_targets(ingress_endpoints)(ingress, settings, lookups)


def with_templates(
    derive: DeriveFn,
    compiled: CompiledTemplates,
    settings: SourceSettings,
    *,
    targets_for: TargetsFn | None = None,
) -> DeriveFn:
    """``derive`` with ExternalDNS's template rule: template hostnames are added when the object produced no
    endpoints, or always with ``--combine-fqdn-annotation`` (read from ``settings``, fixed at startup as in
    ExternalDNS). Their targets come from ``targets_for`` (default: :func:`probe_targets` of ``derive``);
    TTL, set identifier and provider-specific annotations apply as for the object's own records."""
    if not compiled:
        return derive
    combine = settings.combine_fqdn_annotation
    hook = targets_for or probe_targets(derive)

    def derive_with_templates(obj: KubeObject, call_settings: SourceSettings, lookups: ClusterLookups) -> SourceResult:
        result = derive(obj, call_settings, lookups)
        if result.ignored_reason or (result.endpoints and not combine):
            return result
        names, problems = compiled.checked_hostnames(obj)
        targets = hook(obj, call_settings, lookups) if names else []
        annotations = parse_annotations((obj.get("metadata") or {}).get("annotations"), call_settings.annotation_prefix)
        ref = object_ref(obj)
        resource = _resource(result.endpoints, ref)
        added: list[Endpoint] = []
        for name in names:
            added += build_endpoints(name, targets, annotations.record_options, resource=resource, ref=ref)
        return SourceResult(merge_endpoints([*result.endpoints, *added]), [*result.problems, *problems])

    return derive_with_templates


def _resource(endpoints: Sequence[Endpoint], ref: ObjectRef) -> str:
    """The resource label of the object's own records, else ``<kind>/<ns>/<name>`` as every source writes it."""
    for endpoint in endpoints:
        if "resource" in endpoint.labels:
            return endpoint.labels["resource"]
    where = f"{ref.namespace}/{ref.name}" if ref.namespace else ref.name
    return f"{ref.kind.lower()}/{where}" if ref.kind else ""
