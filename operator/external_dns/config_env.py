"""Reading settings from the environment: ``EXTERNAL_DNS_*`` (kingpin's ``DefaultEnvars``) and a few other names.

A settings source built on pydantic-settings' public API (``PydanticBaseSettingsSource``): for each field it looks
up the field's env names (``EXTERNAL_DNS_<FIELD_IN_UPPER_SNAKE>``, or those its ``AliasChoices`` lists, such as
``CF_API_TOKEN`` or ``AWS_REGION``) in the environment given to ``Settings.load`` (``os.environ`` otherwise),
ignoring case and empty values as kingpin does. Because the lookup is ours, an error can name the variable
exactly as the user wrote it (:func:`find_in_environ`).
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from pydantic import AliasChoices
from pydantic.fields import FieldInfo
from pydantic_settings import PydanticBaseSettingsSource

ENV_PREFIX = "EXTERNAL_DNS_"

#: The environment used by the next Settings() built in this context (tests and parse_args pass their own).
_ENVIRON: ContextVar[Mapping[str, str] | None] = ContextVar("external_dns_environ", default=None)


@contextmanager
def use_environ(env: Mapping[str, str] | None) -> Iterator[None]:
    """Settings built inside read ``env`` (None: ``os.environ``)."""
    token = _ENVIRON.set(env)
    try:
        yield
    finally:
        _ENVIRON.reset(token)


def current_environ() -> Mapping[str, str]:
    environ = _ENVIRON.get()
    return os.environ if environ is None else environ


def env_names_of(field_name: str, info: FieldInfo) -> list[str]:
    """The env vars a field is read from, highest priority first."""
    alias = info.validation_alias
    if isinstance(alias, AliasChoices):
        return [str(choice) for choice in alias.choices if str(choice).isupper()]
    return [ENV_PREFIX + field_name.upper()]


def find_in_environ(names: Sequence[str], environ: Mapping[str, str]) -> tuple[str, str] | None:
    """(the variable as written in ``environ``, its value) for the first of ``names`` set to a non-empty value."""
    written = {key.upper(): key for key, value in environ.items() if value}
    for name in names:
        key = written.get(name.upper())
        if key is not None:
            return key, environ[key]
    return None


class EnvironSource(PydanticBaseSettingsSource):
    """Every field's value from the current environment, as the raw string (the model's validators coerce it)."""

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        found = find_in_environ(env_names_of(field_name, field), current_environ())
        return (found[1] if found else None), field_name, False

    def __call__(self) -> dict[str, Any]:
        values: dict[str, Any] = {}
        for field_name, field in self.settings_cls.model_fields.items():
            value, key, _ = self.get_field_value(field, field_name)
            if value is not None:
                values[key] = value
        return values
