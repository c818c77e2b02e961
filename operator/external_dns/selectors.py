"""Kubernetes label-selector syntax, parsed once: the one parser of the package.

``--label-filter``, ``--annotation-filter`` and ``--gateway-label-filter`` use it on labels and annotations; the
local API server (``external_dns.testing``) uses it for the ``labelSelector`` and ``fieldSelector`` query
parameters. Syntax: ``k=v``, ``k==v``, ``k!=v``, ``k in (a,b)``, ``k notin (a,b)``, ``k``, ``!k``, comma-separated.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from external_dns.errors import ConfigError


class SelectorError(ConfigError):
    """A selector that does not parse (a flag's value, or a query the API server would answer 400)."""


@dataclass(frozen=True, slots=True)
class Requirement:
    """One term of a label selector: ``key <operator> values``."""

    key: str
    operator: str  # one of "=", "!=", "in", "notin", "exists", "!"
    values: frozenset[str] = frozenset()

    def matches(self, labels: Mapping[str, str]) -> bool:
        """Kubernetes semantics: ``!=`` and ``notin`` also match when the key is absent."""
        present = self.key in labels
        value = labels.get(self.key)
        match self.operator:
            case "=" | "in":
                return present and value in self.values
            case "!=" | "notin":
                return not present or value not in self.values
            case "exists":
                return present
            case _:
                return not present


@dataclass(frozen=True, slots=True)
class Selector:
    """A parsed label selector; the empty selector matches everything."""

    requirements: tuple[Requirement, ...] = ()

    def matches(self, labels: Mapping[str, str]) -> bool:
        """True when every requirement holds."""
        return all(r.matches(labels) for r in self.requirements)


_TOKEN = re.compile(r"\s*(==|!=|=|!|\(|\)|,|[^\s=!(),]+)")
_SELECTOR_WORD = re.compile(r"[A-Za-z0-9]([A-Za-z0-9._/-]*[A-Za-z0-9])?")


@functools.lru_cache(maxsize=256)
def parse_selector(text: str) -> Selector:
    """Parse Kubernetes label-selector syntax (``k=v``, ``k==v``, ``k!=v``, ``k in (a,b)``, ``k notin (a,b)``,
    ``k``, ``!k``, comma-separated). Raises ConfigError on a syntax error."""
    tokens = _tokenize(text)
    requirements: list[Requirement] = []
    position = 0

    def take() -> str:
        nonlocal position
        if position >= len(tokens):
            raise SelectorError(f"label selector {text!r}: unexpected end")
        position += 1
        return tokens[position - 1]

    def peek() -> str:
        return tokens[position] if position < len(tokens) else ""

    while tokens:
        requirements.append(_parse_requirement(text, take, peek))
        if position == len(tokens):
            break
        if take() != ",":
            raise SelectorError(f"label selector {text!r}: expected ',' after {requirements[-1].key!r}")
    return Selector(tuple(requirements))


def _tokenize(text: str) -> list[str]:
    tokens: list[str] = []
    position = 0
    while position < len(text):
        if text[position:].strip() == "":
            break
        match = _TOKEN.match(text, position)
        if match is None:  # pragma: no cover - the pattern accepts every non-space character
            raise SelectorError(f"label selector {text!r}: cannot read at {position}")
        tokens.append(match.group(1))
        position = match.end()
    return tokens


def _parse_requirement(text: str, take: Callable[[], str], peek: Callable[[], str]) -> Requirement:
    first = take()
    if first == "!":
        return Requirement(_word(text, take()), "!")
    key = _word(text, first)
    operator = peek()
    if operator in ("", ","):
        return Requirement(key, "exists")
    take()
    if operator in ("=", "==", "!="):
        value = peek()
        # An empty value is legal (``k=``): the next token is then a separator or nothing.
        value = "" if value in ("", ",") else _word(text, take())
        return Requirement(key, "!=" if operator == "!=" else "=", frozenset({value}))
    if operator in ("in", "notin"):
        if take() != "(":
            raise SelectorError(f"label selector {text!r}: expected '(' after {operator}")
        values: set[str] = set()
        while True:
            token = take()
            if token == ")":
                break
            if token == ",":
                continue
            values.add(_word(text, token))
        return Requirement(key, operator, frozenset(values))
    raise SelectorError(f"label selector {text!r}: unknown operator {operator!r} after {key!r}")


def _word(text: str, token: str) -> str:
    if not _SELECTOR_WORD.fullmatch(token):
        raise SelectorError(f"label selector {text!r}: {token!r} is not a valid key or value")
    return token
