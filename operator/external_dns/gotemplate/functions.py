"""The functions a template may call: ExternalDNS's additions and Go's text/template built-ins, with Go's
notion of truth and its type names for error messages."""

from __future__ import annotations

import functools
import ipaddress
import re
from collections.abc import Callable, Mapping

from external_dns.gotemplate.errors import TemplateError


def truthy(value: object) -> bool:
    if value is None or value is False:
        return False
    if isinstance(value, int | float | str | Mapping | list | tuple):
        return bool(value)
    return True


def go_type(value: object) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, str):
        return "string"
    if isinstance(value, Mapping):
        return "map"
    if isinstance(value, list | tuple):
        return "slice"
    return type(value).__name__


def render_value(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Mapping):
        return "map[" + " ".join(f"{k}:{render_value(v)}" for k, v in sorted(value.items())) + "]"
    if isinstance(value, list | tuple):
        return "[" + " ".join(render_value(v) for v in value) + "]"
    return str(value)


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
            raise TemplateError(f"cannot index {go_type(container)} with {key!r}")
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
            return '"' + render_value(value).replace('"', '\\"') + '"'
        return render_value(value)

    return _VERB.sub(verb, str(fmt))


def _and(*values: object) -> object:
    for value in values:
        if not truthy(value):
            return value
    return values[-1]


def _or(*values: object) -> object:
    for value in values:
        if truthy(value):
            return value
    return values[-1]


def _strings(name: str, function: Callable[..., object]) -> Callable[..., object]:
    """Go's string functions refuse non-strings; say which function and argument was wrong instead of guessing."""

    @functools.wraps(function)
    def checked(*args: object) -> object:
        for arg in args:
            if not isinstance(arg, str):
                raise TemplateError(f"{name}: expected a string argument, got {go_type(arg)}")
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


FUNCTIONS: dict[str, Callable[..., object]] = {
    "contains": _strings("contains", _fn_contains),
    "trimPrefix": _strings("trimPrefix", _fn_trim_prefix),
    "trimSuffix": _strings("trimSuffix", _fn_trim_suffix),
    "trim": _strings("trim", str.strip),
    "toLower": _strings("toLower", str.lower),
    "replace": _strings("replace", _fn_replace),
    "isIPv6": lambda value: _is_ip(value, 6),
    "isIPv4": lambda value: _is_ip(value, 4),
    "hasKey": _fn_has_key,
    "index": _index,
    "printf": _printf,
    "eq": lambda a, *others: any(a == b for b in others),
    "ne": lambda a, b: a != b,
    "not": lambda value: not truthy(value),
    "and": _and,
    "or": _or,
    "len": lambda value: len(value) if value is not None else 0,
}

UNSUPPORTED_KEYWORDS = ("with", "define", "template", "block", "break", "continue")
