"""One line per configuration error: ``--flag: what is wrong``, or ``ENV_VAR: what is wrong`` when the value
came from the environment, with the variable named exactly as the user wrote it.

pydantic reports the first problem with the field's location; this module turns it into the line the command
prints before exiting (``external-dns: error: EXTERNAL_DNS_RFC2136_PORT: must be an integer ...``). The message
never contains the input of a secret: the checks' own messages do not echo secrets, and pydantic's are replaced.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal, get_args, get_origin

from pydantic import ValidationError
from pydantic.fields import FieldInfo

from external_dns.config_env import current_environ, env_names_of, find_in_environ

Fields = Mapping[str, FieldInfo]


def flag_name_of(field_name: str, fields: Fields) -> str:
    """``txt_owner_id`` -> ``--txt-owner-id``; env-only settings (Cloudflare credentials) by their env var."""
    field = fields[field_name]
    extra = field.json_schema_extra
    if isinstance(extra, dict) and extra.get("env_only"):
        return env_names_of(field_name, field)[0]
    return "--" + field_name.replace("_", "-")


def one_line(error: ValidationError, fields: Fields, flags: Mapping[str, Any]) -> str:
    """The first problem of ``error``, named by the flag, or by the env var when no flag gave the value."""
    first = error.errors(include_url=False)[0]
    cause = first.get("ctx", {}).get("error")
    message = str(cause) if cause is not None else str(first["msg"])
    if not first["loc"]:  # a cross-field rule: its message already names the flags
        return message
    field_name = _field_of(str(first["loc"][0]), fields)
    if first["type"] == "extra_forbidden" or field_name not in fields:
        return f"unknown setting {first['loc'][0]}"
    if first["type"] == "missing":
        message = "required" + allowed_suffix(fields[field_name])
    if field_name not in flags:
        found = find_in_environ(env_names_of(field_name, fields[field_name]), current_environ())
        if found is not None:
            return f"{found[0]}: {message}"
    return f"{flag_name_of(field_name, fields)}: {message}"


def allowed_suffix(field: FieldInfo) -> str:
    """`` (one of a, b, c)`` for a choice (or a list of choices), else ""."""
    annotation = field.annotation
    if get_origin(annotation) is list:
        (annotation,) = get_args(annotation)
    if get_origin(annotation) is Literal:
        return " (one of " + ", ".join(str(arg) for arg in get_args(annotation)) + ")"
    return ""


def _field_of(loc: str, fields: Fields) -> str:
    """The field an error location names: a field name, or one of its env var aliases."""
    if loc in fields:
        return loc
    for name, field in fields.items():
        if loc.upper() in env_names_of(name, field):
            return name
    return loc
