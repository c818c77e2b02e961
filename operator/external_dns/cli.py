"""The ``external-dns`` command line: ExternalDNS's flags over ``EXTERNAL_DNS_*`` env vars, and the commands.

::

    external-dns [run] --source=service --provider=rfc2136 ...   # the operator (default command)
    external-dns --once --dry-run ...                            # plan once, print, touch nothing
    external-dns explain app.example.com ...                     # why a name has (or lacks) its record
    external-dns webhook-serve --listen=127.0.0.1:8888 ...       # serve the provider over the webhook API

Flags follow kingpin's conventions so ExternalDNS command lines keep working: ``--flag=value`` and
``--flag value``; booleans as ``--flag``, ``--no-flag`` or ``--flag=true|false``; repeatable flags once per
value.
A flag replaces its env var, which replaces the default. The commands' modules are imported only when run, so
this module stays importable (and ``--help`` works) whatever else is installed or still being written.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import logging
import os
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, get_args, get_origin

from pydantic.fields import FieldInfo

from external_dns.compat_flags import FLAG_ALIASES, IGNORED_FLAGS, IgnoredFlag, ignored_in_env, warning_line
from external_dns.config import Settings, env_names, flag_name, format_duration
from external_dns.config_values import DURATION
from external_dns.errors import ConfigError

PROG = "external-dns"
COMMANDS = ("run", "explain", "webhook-serve")
DEFAULT_LISTEN = "127.0.0.1:8888"

FlagKind = Literal["bool", "list", "value"]


class HelpRequested(Exception):
    """``--help`` / ``-h`` was given: print :func:`help_text` and exit 0."""


class VersionRequested(Exception):
    """``--version`` was given: print the version and exit 0, as ExternalDNS does."""


@dataclass(frozen=True, slots=True)
class Flag:
    """One command-line flag: the Settings field it sets and how it takes its value."""

    field_name: str
    kind: FlagKind


@dataclass(slots=True)
class _Scanned:
    """What the argument scan found, before Settings validates the values."""

    flags: dict[str, Any] = field(default_factory=dict)
    positionals: list[str] = field(default_factory=list)
    listen: str | None = None
    ignored: list[IgnoredFlag] = field(default_factory=list)


def flags() -> dict[str, Flag]:
    """Every flag by its name without dashes (``txt-owner-id``), derived from the Settings fields.

    ExternalDNS's other names for some of them (``--server`` for ``--master``) are included.
    """
    result: dict[str, Flag] = {}
    for name, info in Settings.model_fields.items():
        if _extra(info).get("env_only"):
            continue
        result[name.replace("_", "-")] = Flag(name, _kind(info))
    for alias, field_name in FLAG_ALIASES.items():
        result[alias] = Flag(field_name, _kind(Settings.model_fields[field_name]))
    return result


def ignored_flags(argv: Sequence[str], env: Mapping[str, str] = os.environ) -> list[IgnoredFlag]:
    """The ExternalDNS flags in ``argv`` or ``env`` that are accepted with no effect here (compat_flags.py)."""
    return [*_scan(list(argv)).ignored, *ignored_in_env(env)]


def parse_args(
    argv: Sequence[str] | None = None, env: Mapping[str, str] = os.environ
) -> tuple[str, Settings, list[str]]:
    """(command, settings, positional args) from the command line over ``env``.

    For ``explain`` the positional args are the names; for ``webhook-serve`` the single address to listen on
    (``--listen`` or a positional, default 127.0.0.1:8888). Raises :class:`ConfigError` (one line naming the
    flag) on any bad flag or value, :class:`HelpRequested` on ``--help``.
    """
    scanned = _scan(list(sys.argv[1:] if argv is None else argv))
    command, args = _command(scanned)
    flags = dict(scanned.flags)
    if command == "webhook-serve" and "source" not in flags and not _env_has_source(env):
        flags["source"] = ["crd"]  # serving a provider reads no Kubernetes objects; --source is moot there
    return command, Settings.load(flags, env), args


def _env_has_source(env: Mapping[str, str]) -> bool:
    return any(key.upper() == "EXTERNAL_DNS_SOURCE" and value for key, value in env.items())


def main(argv: Sequence[str] | None = None) -> int:
    """The ``external-dns`` console script: parse, then run the command; the exit code (2 = bad config)."""
    try:
        command, settings, args = parse_args(argv)
    except HelpRequested:
        print(help_text())
        return 0
    except VersionRequested:
        print(version())
        return 0
    except ConfigError as error:
        print(f"{PROG}: error: {error}", file=sys.stderr)
        return 2
    warning = warning_line(ignored_flags(sys.argv[1:] if argv is None else argv))
    try:
        return _dispatch(command, settings, args, warning)
    except ConfigError as error:  # found only when the command starts (kubeconfig, provider settings)
        print(f"{PROG}: error: {error}", file=sys.stderr)
        return 2


def version() -> str:
    """This operator's version (the installed distribution's), printed by ``--version``."""
    try:
        return importlib.metadata.version("external-dns-kopf")
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


def _dispatch(command: str, settings: Settings, args: list[str], warning: str = "") -> int:
    """Import the command's module only now: it may pull heavy dependencies (kopf, aiobotocore)."""
    from external_dns.logs import setup_logging

    # explain prints its answer on stdout; the operator's own log lines would only get in the way there.
    setup_logging("error" if command == "explain" else settings.log_level, settings.log_format)
    if warning:
        logging.getLogger(__name__).warning("%s", warning)
    if command == "explain":
        explain = _entry_point("external_dns.explain", "explain")
        return _exit_code(explain(settings, args))
    if command == "webhook-serve":
        serve = _entry_point("external_dns.providers.webhook.server", "serve")
        return _exit_code(serve(settings, args[0]))
    if settings.once:
        run_once = _entry_point("external_dns.runner", "run_once")
        return _exit_code(run_once(settings))
    run = _entry_point("external_dns.runner", "run")
    return _exit_code(run(settings))


def _entry_point(module_name: str, function: str) -> Callable[..., Any]:
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as error:
        if error.name != module_name:
            raise  # a real missing dependency of that module: let its traceback show
        raise SystemExit(f"{PROG}: error: {module_name} is not available in this build") from None
    entry: Callable[..., Any] = getattr(module, function)
    return entry


def _exit_code(result: object) -> int:
    return result if isinstance(result, int) else 0


# ----------------------------------------------------------------------------------------------------
# Scanning the arguments.


def _scan(argv: list[str]) -> _Scanned:
    known = flags()
    scanned = _Scanned()
    position = 0
    while position < len(argv):
        arg = argv[position]
        position += 1
        if arg == "--":
            scanned.positionals.extend(argv[position:])
            break
        if arg in ("-h", "--help"):
            raise HelpRequested
        if arg in ("--version", "--version=true"):
            raise VersionRequested
        if not arg.startswith("-") or arg == "-":
            scanned.positionals.append(arg)
            continue
        if not arg.startswith("--"):
            raise ConfigError(f"unknown flag {arg}")
        name, has_value, value = arg[2:].partition("=")
        if name in ("version", "no-version"):
            continue  # --version=false / --no-version: kingpin accepts them and does nothing
        ignored = IGNORED_FLAGS.get(name)
        if ignored is None and name.startswith("no-") and name[3:] in IGNORED_FLAGS:
            ignored = IGNORED_FLAGS[name[3:]] if IGNORED_FLAGS[name[3:]].boolean else None
        if ignored is not None:
            if not ignored.boolean and not has_value:
                if position >= len(argv):
                    raise ConfigError(f"--{name}: needs a value")
                position += 1
            scanned.ignored.append(ignored)
            continue
        negated = name.startswith("no-") and name not in known and name[3:] in known
        spec = known.get(name[3:] if negated else name)
        if name == "listen":
            spec = None
        elif spec is None or (negated and spec.kind != "bool"):
            raise ConfigError(f"unknown flag --{name}")
        if spec is None or spec.kind != "bool":
            if not has_value:
                if position >= len(argv):
                    raise ConfigError(f"--{name}: needs a value")
                value = argv[position]
                position += 1
            if spec is None:
                scanned.listen = value
            elif spec.kind == "list":
                scanned.flags.setdefault(spec.field_name, []).append(value)
            else:
                scanned.flags[spec.field_name] = value
        elif negated:
            if has_value:
                raise ConfigError(f"--{name}: takes no value")
            scanned.flags[spec.field_name] = False
        else:
            scanned.flags[spec.field_name] = value if has_value else True
    return scanned


def _command(scanned: _Scanned) -> tuple[str, list[str]]:
    """The command and its arguments, checked: only webhook-serve listens, only explain takes names."""
    command, *args = scanned.positionals or ["run"]
    if command not in COMMANDS:
        raise ConfigError(f'unknown command "{command}" (one of {", ".join(COMMANDS)})')
    if scanned.listen is not None and command != "webhook-serve":
        raise ConfigError("--listen: only with the webhook-serve command")
    if command == "explain" and not args:
        raise ConfigError("explain: needs at least one NAME")
    if command == "run" and args:
        raise ConfigError(f'run: takes no arguments, got "{args[0]}"')
    if command == "webhook-serve":
        if len(args) > 1 or (args and scanned.listen is not None):
            raise ConfigError("webhook-serve: takes one address to listen on, with --listen or alone")
        listen = scanned.listen or (args[0] if args else DEFAULT_LISTEN)
        host, _, port = listen.rpartition(":")
        if not host or not port.isdigit() or not 0 < int(port) <= 65535:
            raise ConfigError(f'--listen: must be host:port, got "{listen}"')
        args = [listen]
    return command, args


def _kind(info: FieldInfo) -> FlagKind:
    if info.annotation is bool:
        return "bool"
    if get_origin(info.annotation) is list:
        return "list"
    return "value"


def _extra(info: FieldInfo) -> dict[str, Any]:
    extra = info.json_schema_extra
    return extra if isinstance(extra, dict) else {}


# ----------------------------------------------------------------------------------------------------
# --help


_USAGE = f"""\
usage: {PROG} [run] --source=KIND... --provider=NAME [FLAGS]
       {PROG} --once [--dry-run] --source=KIND... --provider=NAME [FLAGS]
       {PROG} explain NAME... [FLAGS]
       {PROG} webhook-serve [--listen=HOST:PORT] --provider=NAME [FLAGS]

Every flag can also be set with its env var (shown in brackets). A flag wins over its env var, an env var over
the default. Repeatable flags (VALUE...) are given once per value; their env var holds the values separated by
commas or newlines. Booleans: --flag, --no-flag, --flag=true|false. Durations: 500ms, 30s, 1m, 1h30m."""


def help_text() -> str:
    """Every flag with its env var and default, grouped as in the Settings class."""
    groups: dict[str, list[str]] = {}
    for name, info in Settings.model_fields.items():
        groups.setdefault(str(_extra(info).get("group", "Other")), []).extend(_help_entry(name, info))
    sections = [
        _USAGE,
        "",
        "Commands:",
        "  --listen=HOST:PORT",
        f"      webhook-serve: where to listen [default: {DEFAULT_LISTEN}]",
        "  --version",
        "      print the version and exit",
    ]
    for group, lines in groups.items():
        sections += ["", f"{group}:", *lines]
    sections += ["", "Other ExternalDNS names of these flags:"]
    for alias, field_name in FLAG_ALIASES.items():
        info = Settings.model_fields[field_name]
        usage = _usage(field_name, info).replace(field_name.replace("_", "-"), alias, 1)
        sections += [f"  {usage}", f"      same as {flag_name(field_name)}"]
    sections += ["", "ExternalDNS flags accepted with no effect here (named in a warning at startup):"]
    by_reason: dict[str, list[str]] = {}
    for ignored in IGNORED_FLAGS.values():
        by_reason.setdefault(ignored.reason, []).append("--" + ignored.name)
    for reason, names in by_reason.items():
        sections += [f"  {', '.join(names)}", f"      {reason}"]
    return "\n".join(sections)


def _help_entry(name: str, info: FieldInfo) -> list[str]:
    env = ", ".join("$" + env_name for env_name in env_names(name))
    if _extra(info).get("env_only"):
        usage = f"  {flag_name(name)} (env only)"
        facts = f"[{env}]"
    else:
        usage = f"  {_usage(name, info)}"
        facts = f"[{env}; default: {_shown_default(info)}]"
    return [usage, f"      {info.description} {facts}"]


def _usage(name: str, info: FieldInfo) -> str:
    flag = "--" + name.replace("_", "-")
    annotation = info.annotation
    if annotation is bool:
        return f"--[no-]{flag[2:]}"
    placeholder = "DURATION" if DURATION in info.metadata else "STRING"
    if get_origin(annotation) is list:
        (annotation,) = get_args(annotation)
    if get_origin(annotation) is Literal:
        placeholder = "|".join(str(arg) for arg in get_args(annotation) if arg)
    elif annotation is int:
        placeholder = "INT"
    if get_origin(info.annotation) is list:
        return f"{flag}={placeholder}..."
    return f"{flag}={placeholder}"


def _shown_default(info: FieldInfo) -> str:
    if info.is_required():
        return "required"
    default = info.default
    if DURATION in info.metadata:
        return format_duration(float(default))
    if isinstance(default, bool):
        return str(default).lower()
    if isinstance(default, list):
        return ",".join(str(item) for item in default) or "none"
    if default is None or default == "":
        return '""'
    return str(default)
