"""``--fqdn-template``: a small interpreter for the Go text/template forms people write, and the rule that
decides when template hostnames are published (ExternalDNS's ``source/template/engine.go``).

Supported: text, ``{{.Name}}``-style field chains (``.Name .Namespace .Labels.k .Annotations.k .Kind
.Spec.x.y .Status.x``; Go field names match the object's camelCase keys case-insensitively, as the Go
structs' JSON tags do), string/number/boolean literals, pipelines ``a | f "x"``, parenthesised pipelines, the
functions ``contains trimPrefix trimSuffix trim toLower replace isIPv6 isIPv4 hasKey`` (ExternalDNS's) and
``index printf eq ne not and or len`` (Go built-ins), ``{{if}}/{{else if}}/{{else}}/{{end}}``,
``{{range}}/{{else}}/{{end}}``, ``{{/* comments */}}`` and ``{{-``/``-}}`` whitespace trimming. Anything else
(variables, ``with``, ``define``, ``template``, other functions) is rejected at startup with a ConfigError
naming ``--fqdn-template`` and the construct, so a typo never silently publishes nothing.

Output: every template's text is split on ``,``, trimmed, trailing dots removed, de-duplicated and sorted.

:func:`with_templates` applies ExternalDNS's rule to a source: template hostnames are used only when the
object produced no endpoints, or always (appended) with ``--combine-fqdn-annotation``. The node, pod and
route sources apply templates themselves (their rules differ: node names are replaced, route names go through
listener matching, pod names are always added); wrap only the Service and Ingress sources.
"""

from __future__ import annotations

import dataclasses
import functools
import ipaddress
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from external_dns.endpoint import Endpoint, ObjectRef
from external_dns.errors import ConfigError, InvalidEndpoint
from external_dns.sources.annotations import parse_annotations
from external_dns.sources.base import (
    ClusterLookups,
    KubeObject,
    SourceResult,
    SourceSettings,
    build_endpoints,
    merge_endpoints,
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


class TemplateError(Exception):
    """A template failed while running against one object (wrong argument type, bad index)."""


# --- parse tree ------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Field:
    """``.A.B``; an empty path is ``.`` itself."""

    path: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class _Literal:
    value: object


@dataclass(frozen=True, slots=True)
class _Function:
    name: str


@dataclass(frozen=True, slots=True)
class _Pipeline:
    commands: tuple[tuple[_Arg, ...], ...]


_Arg = _Field | _Literal | _Function | _Pipeline


@dataclass(frozen=True, slots=True)
class _Text:
    text: str


@dataclass(frozen=True, slots=True)
class _Action:
    pipeline: _Pipeline


@dataclass(frozen=True, slots=True)
class _If:
    condition: _Pipeline
    then: tuple[_Node, ...]
    otherwise: tuple[_Node, ...]


@dataclass(frozen=True, slots=True)
class _Range:
    items: _Pipeline
    body: tuple[_Node, ...]
    otherwise: tuple[_Node, ...]


_Node = _Text | _Action | _If | _Range


# --- functions ---------------------------------------------------------------------------------------------


def _is_ip(value: object, version: int) -> bool:
    try:
        return ipaddress.ip_address(str(value)).version == version
    except ValueError:
        return False


def _index(container: object, *keys: object) -> object:
    for key in keys:
        if isinstance(container, Mapping):
            container = container.get(str(key))
        elif isinstance(container, list | tuple) and isinstance(key, int):
            if not 0 <= key < len(container):
                raise TemplateError(f"index {key} out of range (length {len(container)})")
            container = container[key]
        elif container is None:
            return None
        else:
            raise TemplateError(f"cannot index {_go_type(container)} with {key!r}")
    return container


_VERB = re.compile(r"%(%|[-+# 0]*\d*(?:\.\d+)?[svdq])")


def _printf(fmt: object, *args: object) -> str:
    values = iter(args)

    def verb(match: re.Match[str]) -> str:
        spec = match.group(1)
        if spec == "%":
            return "%"
        value = next(values, None)
        if spec.endswith("q"):
            return '"' + _render(value).replace('"', '\\"') + '"'
        return _render(value)

    return _VERB.sub(verb, str(fmt))


def _and(*values: object) -> object:
    for value in values:
        if not _truthy(value):
            return value
    return values[-1]


def _or(*values: object) -> object:
    for value in values:
        if _truthy(value):
            return value
    return values[-1]


def _strings(function: Callable[..., object]) -> Callable[..., object]:
    """Go's string functions refuse non-strings; say which argument was wrong instead of guessing."""

    @functools.wraps(function)
    def checked(*args: object) -> object:
        for arg in args:
            if not isinstance(arg, str):
                raise TemplateError(f"{function.__name__}: expected a string argument, got {_go_type(arg)}")
        return function(*args)

    return checked


def _fn_contains(s: str, substr: str) -> bool:
    return substr in s


def _fn_trim_prefix(s: str, prefix: str) -> str:
    return s.removeprefix(prefix)


def _fn_trim_suffix(s: str, suffix: str) -> str:
    return s.removesuffix(suffix)


def _fn_replace(old: str, new: str, target: str) -> str:
    return target.replace(old, new)


def _fn_has_key(mapping: object, key: object) -> bool:
    return isinstance(mapping, Mapping) and str(key) in mapping


_FUNCTIONS: dict[str, Callable[..., object]] = {
    "contains": _strings(_fn_contains),
    "trimPrefix": _strings(_fn_trim_prefix),
    "trimSuffix": _strings(_fn_trim_suffix),
    "trim": _strings(str.strip),
    "toLower": _strings(str.lower),
    "replace": _strings(_fn_replace),
    "isIPv6": lambda value: _is_ip(value, 6),
    "isIPv4": lambda value: _is_ip(value, 4),
    "hasKey": _fn_has_key,
    "index": _index,
    "printf": _printf,
    "eq": lambda a, *others: any(a == b for b in others),
    "ne": lambda a, b: a != b,
    "not": lambda value: not _truthy(value),
    "and": _and,
    "or": _or,
    "len": lambda value: len(value) if value is not None else 0,
}

_UNSUPPORTED_KEYWORDS = ("with", "define", "template", "block", "break", "continue")


# --- lexing and parsing ----------------------------------------------------------------------------------


_TOKEN = re.compile(
    r"""\s*(?:
        (?P<string>"(?:[^"\\]|\\.)*")
      | (?P<raw>`[^`]*`)
      | (?P<field>(?:\.[A-Za-z_][A-Za-z0-9_]*)+|\.)
      | (?P<number>-?\d+(?:\.\d+)?)
      | (?P<variable>\$[A-Za-z0-9_]*)
      | (?P<punct>:=|=|\||\(|\)|,)
      | (?P<word>[A-Za-z_][A-Za-z0-9_]*)
      | (?P<other>\S)
    )""",
    re.VERBOSE,
)


def _split(template: str) -> Iterator[tuple[bool, str]]:
    """``(is_action, text)`` pieces, with ``{{-``/``-}}`` trimming applied to the neighbouring text."""
    position = 0
    trim_next = False
    while True:
        start = template.find("{{", position)
        text = template[position:] if start < 0 else template[position:start]
        trim_before = start >= 0 and template.startswith("{{- ", start)
        if trim_next:
            text = text.lstrip()
        if trim_before:
            text = text.rstrip()
        if text:
            yield False, text
        if start < 0:
            return
        end = _action_end(template, start + 2)
        inner = template[start + 2 : end]
        trim_next = inner.endswith(" -")
        inner = inner[2:] if trim_before else inner
        inner = inner[:-2] if trim_next else inner
        yield True, inner.strip()
        position = end + 2


def _action_end(template: str, start: int) -> int:
    """The index of the ``}}`` closing the action at ``start``, skipping quoted strings."""
    position = start
    quote = ""
    while position < len(template):
        char = template[position]
        if quote:
            if char == "\\" and quote == '"':
                position += 1
            elif char == quote:
                quote = ""
        elif char in '"`':
            quote = char
        elif template.startswith("}}", position):
            return position
        position += 1
    raise ConfigError(f"{FLAG}: unclosed action '{{{{' in {template!r}")


def _tokens(action: str, template: str) -> list[tuple[str, str]]:
    tokens: list[tuple[str, str]] = []
    for match in _TOKEN.finditer(action):
        kind = match.lastgroup
        if kind is None:
            continue
        value = match.group(kind)
        if kind == "variable":
            raise ConfigError(f"{FLAG}: template variables ({value}) are not supported in {template!r}")
        if kind == "punct" and value in (":=", "=", ","):
            raise ConfigError(f"{FLAG}: variable assignment ({value!r}) is not supported in {template!r}")
        if kind == "other":
            raise ConfigError(f"{FLAG}: unexpected {value!r} in {{{{{action}}}}} of {template!r}")
        tokens.append((kind, value))
    return tokens


class _Parser:
    """Recursive descent over the pieces of one template."""

    def __init__(self, template: str) -> None:
        self.template = template
        self.pieces = list(_split(template))
        self.position = 0

    def fail(self, message: str) -> ConfigError:
        return ConfigError(f"{FLAG}: {message} in {self.template!r}")

    def parse(self) -> tuple[_Node, ...]:
        nodes, stop = self.nodes()
        if stop:
            raise self.fail(f"unexpected {{{{{stop}}}}}")
        return nodes

    def nodes(self) -> tuple[tuple[_Node, ...], str]:
        """Nodes up to an ``end`` / ``else...`` action (returned as the second value) or the end of input."""
        nodes: list[_Node] = []
        while self.position < len(self.pieces):
            is_action, text = self.pieces[self.position]
            self.position += 1
            if not is_action:
                nodes.append(_Text(text))
                continue
            if text.startswith("/*"):
                if not text.endswith("*/"):
                    raise self.fail("unclosed comment")
                continue
            keyword = text.split(None, 1)[0] if text else ""
            if keyword in ("end", "else"):
                return tuple(nodes), text
            if keyword in _UNSUPPORTED_KEYWORDS:
                raise self.fail(f"{{{{{keyword}}}}} is not supported")
            if keyword == "if":
                nodes.append(self.conditional(text[2:]))
            elif keyword == "range":
                nodes.append(self.loop(text[5:]))
            else:
                nodes.append(_Action(self.pipeline(text)))
        return tuple(nodes), ""

    def conditional(self, condition: str) -> _If:
        then, stop = self.nodes()
        otherwise: tuple[_Node, ...] = ()
        if stop.startswith("else if ") or stop == "else if":
            otherwise = (self.conditional(stop[len("else if") :]),)
        elif stop == "else":
            otherwise, stop = self.nodes()
            if stop != "end":
                raise self.fail("{{if}} without {{end}}")
        elif stop != "end":
            raise self.fail("{{if}} without {{end}}")
        return _If(self.pipeline(condition), then, otherwise)

    def loop(self, items: str) -> _Range:
        body, stop = self.nodes()
        otherwise: tuple[_Node, ...] = ()
        if stop == "else":
            otherwise, stop = self.nodes()
        if stop != "end":
            raise self.fail("{{range}} without {{end}}")
        return _Range(self.pipeline(items), body, otherwise)

    def pipeline(self, action: str) -> _Pipeline:
        tokens = _tokens(action, self.template)
        pipeline, rest = self.commands(tokens, action)
        if rest:
            raise self.fail(f"unexpected {rest[0][1]!r} in {{{{{action}}}}}")
        return pipeline

    def commands(self, tokens: list[tuple[str, str]], action: str) -> tuple[_Pipeline, list[tuple[str, str]]]:
        commands: list[tuple[_Arg, ...]] = []
        args: list[_Arg] = []
        while tokens:
            kind, value = tokens[0]
            if value == ")":
                break
            tokens = tokens[1:]
            if value == "|":
                commands.append(self.command(args, action))
                args = []
            elif value == "(":
                inner, tokens = self.commands(tokens, action)
                if not tokens or tokens[0][1] != ")":
                    raise self.fail(f"unclosed '(' in {{{{{action}}}}}")
                tokens = tokens[1:]
                args.append(inner)
            else:
                args.append(self.operand(kind, value))
        commands.append(self.command(args, action))
        return _Pipeline(tuple(commands)), tokens

    def command(self, args: list[_Arg], action: str) -> tuple[_Arg, ...]:
        if not args:
            raise self.fail(f"missing value in {{{{{action}}}}}")
        if len(args) > 1 and not isinstance(args[0], _Function):
            raise self.fail(f"cannot give arguments to a non-function in {{{{{action}}}}}")
        return tuple(args)

    def operand(self, kind: str, value: str) -> _Arg:
        match kind:
            case "string":
                return _Literal(_unquote(value))
            case "raw":
                return _Literal(value[1:-1])
            case "field":
                return _Field(tuple(part for part in value.split(".") if part))
            case "number":
                return _Literal(float(value) if "." in value else int(value))
        if value in ("true", "false"):
            return _Literal(value == "true")
        if value == "nil":
            return _Literal(None)
        if value in _UNSUPPORTED_KEYWORDS:
            raise self.fail(f"{{{{{value}}}}} is not supported")
        if value not in _FUNCTIONS:
            raise self.fail(f"function {value!r} is not supported")
        return _Function(value)


_ESCAPES = {"n": "\n", "t": "\t", "\\": "\\", '"': '"', "r": "\r"}


def _unquote(literal: str) -> str:
    return re.sub(r"\\(.)", lambda m: _ESCAPES.get(m.group(1), m.group(1)), literal[1:-1])


# --- evaluation --------------------------------------------------------------------------------------------

#: Top-level Go field names that live in ``metadata`` (ObjectMeta is embedded in every typed object).
_METADATA_FIELDS = frozenset(
    {"name", "namespace", "labels", "annotations", "uid", "generatename", "generation", "resourceversion"}
)


class _ExactMap(dict[str, Any]):
    """Labels and annotations: Go indexes ``map[string]string`` by the exact key, never case-insensitively."""


def _object_field(obj: Mapping[str, Any], name: str) -> object:
    """``.Name`` on the object itself: metadata fields first (as Go's embedded ObjectMeta), then top level."""
    lowered = name.lower()
    if lowered in _METADATA_FIELDS:
        metadata = obj.get("metadata")
        value = _lookup(metadata, name) if isinstance(metadata, Mapping) else None
        if lowered in ("labels", "annotations"):
            return _ExactMap(value) if isinstance(value, Mapping) else _ExactMap()
        return value
    return _lookup(obj, name)


def _lookup(value: object, name: str) -> object:
    if value is None:
        return None
    if not isinstance(value, Mapping):
        raise TemplateError(f"can't evaluate field {name} in type {_go_type(value)}")
    if name in value:
        return value[name]
    if isinstance(value, _ExactMap):
        return None
    lowered = name.lower()
    return next((item for key, item in value.items() if str(key).lower() == lowered), None)


def _go_type(value: object) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, str):
        return "string"
    if isinstance(value, Mapping):
        return "map"
    if isinstance(value, list | tuple):
        return "slice"
    return type(value).__name__


def _truthy(value: object) -> bool:
    if value is None or value is False:
        return False
    if isinstance(value, int | float | str | Mapping | list | tuple):
        return bool(value)
    return True


def _render(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Mapping):
        return "map[" + " ".join(f"{k}:{_render(v)}" for k, v in sorted(value.items())) + "]"
    if isinstance(value, list | tuple):
        return "[" + " ".join(_render(v) for v in value) + "]"
    return str(value)


@dataclass(frozen=True, slots=True)
class _Scope:
    root: Mapping[str, Any]
    dot: object


def _evaluate(pipeline: _Pipeline, scope: _Scope) -> object:
    result: object = None
    for index, command in enumerate(pipeline.commands):
        piped = () if index == 0 else (result,)
        result = _command(command, scope, piped)
    return result


def _command(command: tuple[_Arg, ...], scope: _Scope, piped: tuple[object, ...]) -> object:
    head = command[0]
    if isinstance(head, _Function):
        args = [_operand(arg, scope) for arg in command[1:]] + list(piped)
        try:
            return _FUNCTIONS[head.name](*args)
        except TypeError as error:
            raise TemplateError(f"{head.name}: wrong number of arguments ({len(args)})") from error
    if piped:
        raise TemplateError("cannot pipe a value into a non-function")
    return _operand(head, scope)


def _operand(arg: _Arg, scope: _Scope) -> object:
    if isinstance(arg, _Literal):
        return arg.value
    if isinstance(arg, _Pipeline):
        return _evaluate(arg, scope)
    if isinstance(arg, _Function):
        return _FUNCTIONS[arg.name]()
    value: object = scope.dot
    for position, name in enumerate(arg.path):
        at_root = position == 0 and value is scope.root
        value = _object_field(scope.root, name) if at_root else _lookup(value, name)
    return value


def _execute(nodes: Sequence[_Node], scope: _Scope, out: list[str]) -> None:
    for node in nodes:
        if isinstance(node, _Text):
            out.append(node.text)
        elif isinstance(node, _Action):
            out.append(_render(_evaluate(node.pipeline, scope)))
        elif isinstance(node, _If):
            branch = node.then if _truthy(_evaluate(node.condition, scope)) else node.otherwise
            _execute(branch, scope, out)
        else:
            items = _evaluate(node.items, scope)
            values = list(items.values()) if isinstance(items, Mapping) else items
            if not values:
                _execute(node.otherwise, scope, out)
                continue
            if not isinstance(values, list | tuple):
                raise TemplateError(f"range can't iterate over {_go_type(values)}")
            for value in values:
                _execute(node.body, _Scope(scope.root, value), out)


# --- public API --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CompiledTemplates:
    """The parsed ``--fqdn-template`` values; empty means templates are not configured."""

    sources: tuple[str, ...] = ()
    trees: tuple[tuple[_Node, ...], ...] = ()

    def __bool__(self) -> bool:
        return bool(self.trees)

    def hostnames(self, obj: KubeObject) -> list[str]:
        """The hostnames the templates produce for ``obj``: split on ``,``, trimmed, trailing dots removed,
        de-duplicated, sorted. Raises :class:`InvalidEndpoint` (field ``--fqdn-template``) when a template
        fails on this object."""
        out: list[str] = []
        for source, tree in zip(self.sources, self.trees, strict=True):
            try:
                _execute(tree, _Scope(obj, obj), out)
            except TemplateError as error:
                raise InvalidEndpoint(FLAG, f"template {source!r} failed: {error}") from error
            out.append(",")
        names = {name.strip().rstrip(".") for name in "".join(out).split(",")}
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
    return CompiledTemplates(templates, tuple(_Parser(t).parse() for t in templates))


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
