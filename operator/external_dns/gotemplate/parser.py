"""Lexing and recursive-descent parsing of the supported text/template subset into :mod:`.nodes`."""

from __future__ import annotations

import re
from collections.abc import Iterator

from external_dns.gotemplate.errors import TemplateSyntaxError
from external_dns.gotemplate.functions import FUNCTIONS, UNSUPPORTED_KEYWORDS
from external_dns.gotemplate.nodes import Action, Arg, Field, Function, If, Literal, Node, Pipeline, Range, Text

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
    raise TemplateSyntaxError(f"unclosed action '{{{{' in {template!r}")


def _tokens(action: str, template: str) -> list[tuple[str, str]]:
    tokens: list[tuple[str, str]] = []
    for match in _TOKEN.finditer(action):
        kind = match.lastgroup
        if kind is None:
            continue
        value = match.group(kind)
        if kind == "variable":
            raise TemplateSyntaxError(f"template variables ({value}) are not supported in {template!r}")
        if kind == "punct" and value in (":=", "=", ","):
            raise TemplateSyntaxError(f"variable assignment ({value!r}) is not supported in {template!r}")
        if kind == "other":
            raise TemplateSyntaxError(f"unexpected {value!r} in {{{{{action}}}}} of {template!r}")
        tokens.append((kind, value))
    return tokens


class Parser:
    """Recursive descent over the pieces of one template."""

    def __init__(self, template: str) -> None:
        self.template = template
        self.pieces = list(_split(template))
        self.position = 0

    def fail(self, message: str) -> TemplateSyntaxError:
        return TemplateSyntaxError(f"{message} in {self.template!r}")

    def parse(self) -> tuple[Node, ...]:
        nodes, stop = self.nodes()
        if stop:
            raise self.fail(f"unexpected {{{{{stop}}}}}")
        return nodes

    def nodes(self) -> tuple[tuple[Node, ...], str]:
        """Nodes up to an ``end`` / ``else...`` action (returned as the second value) or the end of input."""
        nodes: list[Node] = []
        while self.position < len(self.pieces):
            is_action, text = self.pieces[self.position]
            self.position += 1
            if not is_action:
                nodes.append(Text(text))
                continue
            if text.startswith("/*"):
                if not text.endswith("*/"):
                    raise self.fail("unclosed comment")
                continue
            keyword = text.split(None, 1)[0] if text else ""
            if keyword in ("end", "else"):
                return tuple(nodes), text
            if keyword in UNSUPPORTED_KEYWORDS:
                raise self.fail(f"{{{{{keyword}}}}} is not supported")
            if keyword == "if":
                nodes.append(self.conditional(text[2:]))
            elif keyword == "range":
                nodes.append(self.loop(text[5:]))
            else:
                nodes.append(Action(self.pipeline(text)))
        return tuple(nodes), ""

    def conditional(self, condition: str) -> If:
        then, stop = self.nodes()
        otherwise: tuple[Node, ...] = ()
        if stop.startswith("else if ") or stop == "else if":
            otherwise = (self.conditional(stop[len("else if") :]),)
        elif stop == "else":
            otherwise, stop = self.nodes()
            if stop != "end":
                raise self.fail("{{if}} without {{end}}")
        elif stop != "end":
            raise self.fail("{{if}} without {{end}}")
        return If(self.pipeline(condition), then, otherwise)

    def loop(self, items: str) -> Range:
        body, stop = self.nodes()
        otherwise: tuple[Node, ...] = ()
        if stop == "else":
            otherwise, stop = self.nodes()
        if stop != "end":
            raise self.fail("{{range}} without {{end}}")
        return Range(self.pipeline(items), body, otherwise)

    def pipeline(self, action: str) -> Pipeline:
        tokens = _tokens(action, self.template)
        pipeline, rest = self.commands(tokens, action)
        if rest:
            raise self.fail(f"unexpected {rest[0][1]!r} in {{{{{action}}}}}")
        return pipeline

    def commands(self, tokens: list[tuple[str, str]], action: str) -> tuple[Pipeline, list[tuple[str, str]]]:
        commands: list[tuple[Arg, ...]] = []
        args: list[Arg] = []
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
        return Pipeline(tuple(commands)), tokens

    def command(self, args: list[Arg], action: str) -> tuple[Arg, ...]:
        if not args:
            raise self.fail(f"missing value in {{{{{action}}}}}")
        if len(args) > 1 and not isinstance(args[0], Function):
            raise self.fail(f"cannot give arguments to a non-function in {{{{{action}}}}}")
        return tuple(args)

    def operand(self, kind: str, value: str) -> Arg:
        match kind:
            case "string":
                return Literal(_unquote(value))
            case "raw":
                return Literal(value[1:-1])
            case "field":
                return Field(tuple(part for part in value.split(".") if part))
            case "number":
                return Literal(float(value) if "." in value else int(value))
        if value in ("true", "false"):
            return Literal(value == "true")
        if value == "nil":
            return Literal(None)
        if value in UNSUPPORTED_KEYWORDS:
            raise self.fail(f"{{{{{value}}}}} is not supported")
        if value not in FUNCTIONS:
            raise self.fail(f"function {value!r} is not supported")
        return Function(value)


_ESCAPES = {"n": "\n", "t": "\t", "\\": "\\", '"': '"', "r": "\r"}


def _unquote(literal: str) -> str:
    return re.sub(r"\\(.)", lambda m: _ESCAPES.get(m.group(1), m.group(1)), literal[1:-1])
