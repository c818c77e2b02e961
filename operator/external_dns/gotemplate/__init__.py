"""A small interpreter for the Go text/template forms people write in ExternalDNS's ``--fqdn-template``.

Supported: text, ``{{.Name}}``-style field chains (``.Name .Namespace .Labels.k .Annotations.k .Kind
.Spec.x.y .Status.x``; Go field names match the object's camelCase keys case-insensitively, as the Go
structs' JSON tags do), string/number/boolean literals, pipelines ``a | f "x"``, parenthesised pipelines, the
functions ``contains trimPrefix trimSuffix trim toLower replace isIPv6 isIPv4 hasKey`` (ExternalDNS's) and
``index printf eq ne not and or len`` (Go built-ins), ``{{if}}/{{else if}}/{{else}}/{{end}}``,
``{{range}}/{{else}}/{{end}}``, ``{{/* comments */}}`` and ``{{-``/``-}}`` whitespace trimming. Anything else
(variables, ``with``, ``define``, ``template``, other functions) is a :class:`TemplateSyntaxError` naming the
construct, so a typo is refused when the template is parsed, never silently rendered as nothing.

``parse`` -> :class:`Template`; ``Template.render(obj)`` raises :class:`TemplateError` when the template fails
on that object. Layers: nodes (the tree) <- parser; functions <- evaluate; nothing here knows about flags.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from external_dns.gotemplate.errors import TemplateError, TemplateSyntaxError
from external_dns.gotemplate.evaluate import Scope, execute
from external_dns.gotemplate.nodes import Node
from external_dns.gotemplate.parser import Parser

__all__ = ["Template", "TemplateError", "TemplateSyntaxError", "parse"]


@dataclass(frozen=True, slots=True)
class Template:
    """A parsed template and the text it was parsed from."""

    source: str
    nodes: tuple[Node, ...]

    def render(self, data: Mapping[str, Any]) -> str:
        """The template's output for ``data`` (a Kubernetes object as a dict)."""
        out: list[str] = []
        execute(self.nodes, Scope(data, data), out)
        return "".join(out)


def parse(source: str) -> Template:
    """Parse ``source``; raises :class:`TemplateSyntaxError` for anything outside the supported subset."""
    return Template(source, Parser(source).parse())
