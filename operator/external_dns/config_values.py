"""Values of settings as they arrive from the command line and the environment: strings, coerced by annotation.

One function per kind of value (bool, int with bounds, Go duration, choice, list of those), each error message
in the form ``must be ..., got "..."``; config.py adds the flag's name in front. Durations follow Go's
``time.ParseDuration``, as ExternalDNS's flags do.
"""

from __future__ import annotations

import enum
import re
from types import UnionType
from typing import Annotated, Any, Literal, Union, get_args, get_origin

import annotated_types
from pydantic import SecretStr
from pydantic.fields import FieldInfo

from external_dns.sources.annotations import parse_go_duration


class DurationMarker:
    """Annotation metadata that marks a float field as a Go-style duration in seconds."""

    def __repr__(self) -> str:
        return "Duration"


DURATION = DurationMarker()
#: Seconds, written in Go's duration form on the command line and in the environment.
Duration = Annotated[float, DURATION]

_PLAIN_NUMBER = re.compile(r"[-+]?(\d+\.?\d*|\.\d+)")


def parse_duration(text: str) -> float:
    """Parse a Go duration (``500ms``, ``30s``, ``1h30m``, ``-1.5h``, ``0``) into seconds.

    Raises ValueError on anything else, as Go's ``time.ParseDuration`` (which ExternalDNS's flags use) does:
    ``1d`` and a number without a unit (``60``) are rejected, so an args list means here what it means there.
    """
    return parse_go_duration(text.strip())


def format_duration(seconds: float) -> str:
    """Write seconds back in Go's short form (``1m``, ``1h30m``, ``200ms``) for help and logs."""
    if seconds == 0:
        return "0s"
    if seconds < 1:
        return f"{round(seconds * 1000)}ms"
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    text = (f"{int(hours)}h" if hours else "") + (f"{int(minutes)}m" if minutes else "")
    if secs:
        text += f"{secs:g}s"
    return text


def coerce_field(field: FieldInfo, value: Any) -> Any:
    annotation = field.annotation
    if DURATION in field.metadata:
        return _duration(value, field.metadata)
    if get_origin(annotation) is list:
        (item_type,) = get_args(annotation)
        raw_items = _split(value)
        return [_scalar(item_type, item, []) for item in raw_items]
    if get_origin(annotation) in (Union, UnionType):
        if value is None:
            return None
        annotation = next(arg for arg in get_args(annotation) if arg is not type(None))
    return _scalar(annotation, value, field.metadata)


def _split(value: Any) -> list[Any]:
    """A repeatable value: a list as given, or a string split on newlines (kingpin) or else commas."""
    if isinstance(value, str):
        parts = value.splitlines() if "\n" in value else value.split(",")
        return [part.strip() for part in parts if part.strip()]
    if isinstance(value, list | tuple):
        return [item.strip() if isinstance(item, str) else item for item in value if item != ""]
    return [value]


def _scalar(annotation: Any, value: Any, metadata: list[Any]) -> Any:
    if annotation is bool:
        return _boolean(value)
    if annotation is int or annotation is float:
        return _number(annotation, value, metadata)
    if get_origin(annotation) is Literal:
        return _choice([str(arg) for arg in get_args(annotation)], value)
    if isinstance(annotation, type) and issubclass(annotation, enum.Enum):
        return annotation(_choice([str(member.value) for member in annotation], str(value).upper()))
    if annotation is SecretStr:
        if isinstance(value, SecretStr | str):
            return value
        raise ValueError("must be a string")
    if not isinstance(value, str):
        raise ValueError(f'must be a string, got "{value}"')
    return value


_TRUE = frozenset({"true", "1", "yes", "on"})
_FALSE = frozenset({"false", "0", "no", "off"})


def _boolean(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ValueError(f'must be true or false, got "{value}"')


def _bounds(metadata: list[Any]) -> tuple[float | None, float | None, bool]:
    """(lowest, highest, lowest is exclusive) from the field's ge/gt/le constraints."""
    low: float | None = None
    high: float | None = None
    exclusive = False
    for item in metadata:
        if isinstance(item, annotated_types.Ge):
            low = float(item.ge)  # type: ignore[arg-type]
        elif isinstance(item, annotated_types.Gt):
            low, exclusive = float(item.gt), True  # type: ignore[arg-type]
        elif isinstance(item, annotated_types.Le):
            high = float(item.le)  # type: ignore[arg-type]
    return low, high, exclusive


def _number(kind: type[int] | type[float], value: Any, metadata: list[Any]) -> int | float:
    low, high, exclusive = _bounds(metadata)
    noun = "an integer" if kind is int else "a number"
    if low is not None and high is not None:
        wanted = f"{noun} between {low:g} and {high:g}"
    elif low is not None:
        wanted = f"{noun} greater than {low:g}" if exclusive else f"{noun} of at least {low:g}"
    else:
        wanted = noun
    try:
        number = kind(value.strip() if isinstance(value, str) else value)
    except (TypeError, ValueError):
        raise ValueError(f'must be {wanted}, got "{value}"') from None
    too_low = low is not None and (number <= low if exclusive else number < low)
    if too_low or (high is not None and number > high) or isinstance(value, bool):
        raise ValueError(f'must be {wanted}, got "{value}"')
    return number


def _duration(value: Any, metadata: list[Any]) -> float:
    if isinstance(value, int | float) and not isinstance(value, bool):
        seconds = float(value)
    else:
        try:
            seconds = parse_duration(str(value))
        except ValueError:
            unit = " with a unit" if _PLAIN_NUMBER.fullmatch(str(value).strip()) else ""
            raise ValueError(f'must be a duration{unit} like 500ms, 30s, 1m or 1h30m, got "{value}"') from None
    low, _, exclusive = _bounds(metadata)
    if low is not None and (seconds <= low if exclusive else seconds < low):
        raise ValueError(f'must be {"longer than" if exclusive else "at least"} {low:g}s, got "{value}"')
    return seconds


def _choice(allowed: list[str], value: Any) -> str:
    text = str(value).strip()
    if text in allowed:
        return text
    shown = ", ".join(choice or '""' for choice in allowed)
    raise ValueError(f'must be one of {shown}, got "{value}"')
