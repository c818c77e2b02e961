"""Running a parsed template against a Kubernetes object, with Go's field rules emulated on its JSON form.

Go templates see typed structs: ``.Name`` is the embedded ObjectMeta's field, field names match the JSON keys
case-insensitively (through the structs' JSON tags), and labels and annotations are maps indexed exactly.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from external_dns.gotemplate.errors import TemplateError
from external_dns.gotemplate.functions import FUNCTIONS, go_type, render_value, truthy
from external_dns.gotemplate.nodes import Action, Arg, Function, If, Literal, Node, Pipeline, Text

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
        raise TemplateError(f"can't evaluate field {name} in type {go_type(value)}")
    if name in value:
        return value[name]
    if isinstance(value, _ExactMap):
        return None
    lowered = name.lower()
    return next((item for key, item in value.items() if str(key).lower() == lowered), None)


@dataclass(frozen=True, slots=True)
class Scope:
    root: Mapping[str, Any]
    dot: object


def _evaluate(pipeline: Pipeline, scope: Scope) -> object:
    result: object = None
    for index, command in enumerate(pipeline.commands):
        piped = () if index == 0 else (result,)
        result = _command(command, scope, piped)
    return result


def _command(command: tuple[Arg, ...], scope: Scope, piped: tuple[object, ...]) -> object:
    head = command[0]
    if isinstance(head, Function):
        args = [_operand(arg, scope) for arg in command[1:]] + list(piped)
        try:
            return FUNCTIONS[head.name](*args)
        except TypeError as error:
            raise TemplateError(f"{head.name}: wrong number of arguments ({len(args)})") from error
    if piped:
        raise TemplateError("cannot pipe a value into a non-function")
    return _operand(head, scope)


def _operand(arg: Arg, scope: Scope) -> object:
    if isinstance(arg, Literal):
        return arg.value
    if isinstance(arg, Pipeline):
        return _evaluate(arg, scope)
    if isinstance(arg, Function):
        return FUNCTIONS[arg.name]()
    value: object = scope.dot
    for position, name in enumerate(arg.path):
        at_root = position == 0 and value is scope.root
        value = _object_field(scope.root, name) if at_root else _lookup(value, name)
    return value


def execute(nodes: Sequence[Node], scope: Scope, out: list[str]) -> None:
    for node in nodes:
        if isinstance(node, Text):
            out.append(node.text)
        elif isinstance(node, Action):
            out.append(render_value(_evaluate(node.pipeline, scope)))
        elif isinstance(node, If):
            branch = node.then if truthy(_evaluate(node.condition, scope)) else node.otherwise
            execute(branch, scope, out)
        else:
            items = _evaluate(node.items, scope)
            values = list(items.values()) if isinstance(items, Mapping) else items
            if not values:
                execute(node.otherwise, scope, out)
                continue
            if not isinstance(values, list | tuple):
                raise TemplateError(f"range can't iterate over {go_type(values)}")
            for value in values:
                execute(node.body, Scope(scope.root, value), out)
