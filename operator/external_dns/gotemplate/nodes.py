"""The parse tree of a template: text, actions, ``if`` and ``range`` blocks, and the pipelines in them."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Field:
    """``.A.B``; an empty path is ``.`` itself."""

    path: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Literal:
    value: object


@dataclass(frozen=True, slots=True)
class Function:
    name: str


@dataclass(frozen=True, slots=True)
class Pipeline:
    commands: tuple[tuple[Arg, ...], ...]


Arg = Field | Literal | Function | Pipeline


@dataclass(frozen=True, slots=True)
class Text:
    text: str


@dataclass(frozen=True, slots=True)
class Action:
    pipeline: Pipeline


@dataclass(frozen=True, slots=True)
class If:
    condition: Pipeline
    then: tuple[Node, ...]
    otherwise: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class Range:
    items: Pipeline
    body: tuple[Node, ...]
    otherwise: tuple[Node, ...]


Node = Text | Action | If | Range
