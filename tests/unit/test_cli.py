"""The command line: flag forms, precedence over env, commands, errors on stderr with exit 2, --help."""

from __future__ import annotations

import subprocess
import sys
import types
from collections.abc import Iterator
from typing import Any

import pytest

from external_dns import cli
from external_dns.cli import HelpRequested, help_text, main, parse_args
from external_dns.config import Settings
from external_dns.errors import ConfigError

BASE = ["--source=service", "--provider=inmemory"]


def parse(*argv: str, env: dict[str, str] | None = None) -> tuple[str, Settings, list[str]]:
    return parse_args([*BASE, *argv], env=env or {})


@pytest.mark.parametrize(
    ("argv", "field", "expected"),
    [
        pytest.param(["--txt-owner-id=a"], "txt_owner_id", "a", id="string with equals"),
        pytest.param(["--txt-owner-id", "a"], "txt_owner_id", "a", id="string as next argument"),
        pytest.param(["--dry-run"], "dry_run", True, id="bare bool is true"),
        pytest.param(["--dry-run=false"], "dry_run", False, id="bool with explicit false"),
        pytest.param(["--dry-run=true"], "dry_run", True, id="bool with explicit true"),
        pytest.param(["--no-exclude-unschedulable"], "exclude_unschedulable", False, id="no prefix negates a bool"),
        pytest.param(["--no-dry-run", "--dry-run"], "dry_run", True, id="last bool flag wins"),
        pytest.param(["--rfc2136-port=5353"], "rfc2136_port", 5353, id="integer"),
        pytest.param(["--interval", "10s"], "interval", 10.0, id="duration"),
        pytest.param(["--debounce=50ms"], "debounce", 0.05, id="sub-second duration"),
        pytest.param(
            ["--domain-filter=a.example", "--domain-filter", "b.example"],
            "domain_filter",
            ["a.example", "b.example"],
            id="repeatable flag collects every value",
        ),
        pytest.param(["--events-emit=none"], "events_emit", [], id="events none"),
        pytest.param(["--aws-region=eu-west-1"], "aws_region", "eu-west-1", id="aws region by flag"),
        pytest.param(
            ["--aws-endpoint-url=http://127.0.0.1:5000"],
            "aws_endpoint_url",
            "http://127.0.0.1:5000",
            id="aws endpoint by flag",
        ),
        pytest.param(["--label-filter=app in (a,b)"], "label_filter", "app in (a,b)", id="string keeps commas"),
    ],
)
def test_flag_forms(argv: list[str], field: str, expected: object) -> None:
    _, settings, _ = parse(*argv)
    assert getattr(settings, field) == expected


def test_flags_override_env_which_overrides_defaults() -> None:
    env = {
        "EXTERNAL_DNS_SOURCE": "ingress",
        "EXTERNAL_DNS_PROVIDER": "inmemory",
        "EXTERNAL_DNS_TXT_OWNER_ID": "env-owner",
        "EXTERNAL_DNS_DRY_RUN": "true",
        "EXTERNAL_DNS_INTERVAL": "5m",
    }
    _, settings, _ = parse_args(["--source=service", "--source=node", "--no-dry-run"], env=env)
    assert settings.source == ["service", "node"]
    assert settings.dry_run is False
    assert settings.txt_owner_id == "env-owner"
    assert settings.interval == 300.0
    assert settings.policy == "sync"


def test_env_alone_is_a_complete_configuration() -> None:
    command, settings, args = parse_args([], env={"EXTERNAL_DNS_SOURCE": "crd", "EXTERNAL_DNS_PROVIDER": "inmemory"})
    assert (command, settings.source, args) == ("run", ["crd"], [])


@pytest.mark.parametrize(
    ("argv", "command", "args"),
    [
        pytest.param([], "run", [], id="no command means run"),
        pytest.param(["run"], "run", [], id="explicit run"),
        pytest.param(["explain", "a.example.com", "b.example.com"], "explain", ["a.example.com", "b.example.com"]),
        pytest.param(["webhook-serve"], "webhook-serve", ["127.0.0.1:8888"], id="webhook-serve default address"),
        pytest.param(["webhook-serve", "--listen=127.0.0.1:9000"], "webhook-serve", ["127.0.0.1:9000"]),
        pytest.param(["--listen", "0.0.0.0:9001", "webhook-serve"], "webhook-serve", ["0.0.0.0:9001"]),
        pytest.param(["webhook-serve", "127.0.0.1:9002"], "webhook-serve", ["127.0.0.1:9002"]),
        pytest.param(["explain", "--", "--odd-name"], "explain", ["--odd-name"], id="double dash ends flags"),
    ],
)
def test_commands_and_their_arguments(argv: list[str], command: str, args: list[str]) -> None:
    assert parse(*argv)[0::2] == (command, args)


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        pytest.param(["--no-such-flag"], "unknown flag --no-such-flag", id="unknown flag"),
        pytest.param(["-x"], "unknown flag -x", id="unknown short flag"),
        pytest.param(["--no-txt-owner-id"], "unknown flag --no-txt-owner-id", id="no prefix on a non bool"),
        pytest.param(["--no-dry-run=true"], "--no-dry-run: takes no value", id="negated bool with a value"),
        pytest.param(["--txt-owner-id"], "--txt-owner-id: needs a value", id="value flag at the end"),
        pytest.param(["frobnicate"], 'unknown command "frobnicate" (one of run, explain, webhook-serve)'),
        pytest.param(["explain"], "explain: needs at least one NAME", id="explain without names"),
        pytest.param(["run", "extra"], 'run: takes no arguments, got "extra"', id="run with arguments"),
        pytest.param(["--listen=127.0.0.1:1"], "--listen: only with the webhook-serve command", id="listen on run"),
        pytest.param(["webhook-serve", "--listen=nowhere"], '--listen: must be host:port, got "nowhere"'),
        pytest.param(
            ["--rfc2136-port", "abc"],
            '--rfc2136-port: must be an integer between 1 and 65535, got "abc"',
            id="bad value",
        ),
        pytest.param(["--dry-run=perhaps"], '--dry-run: must be true or false, got "perhaps"', id="bad bool"),
        pytest.param(
            ["--txt-prefix=a", "--txt-suffix=b"],
            "--txt-prefix: cannot be used together with --txt-suffix",
            id="cross field rule",
        ),
    ],
)
def test_bad_command_lines_raise_one_line(argv: list[str], message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse(*argv)
    assert str(caught.value) == message


@pytest.fixture()
def clean_environ(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """main() reads os.environ: keep the developer's EXTERNAL_DNS_* variables out of the tests."""
    import os

    for name in list(os.environ):
        if name.startswith(("EXTERNAL_DNS_", "CF_API_", "AWS_")):
            monkeypatch.delenv(name)
    yield


def test_main_prints_the_error_on_stderr_and_exits_2(clean_environ: None, capsys: pytest.CaptureFixture[str]) -> None:
    assert main([*BASE, "--rfc2136-port=abc"]) == 2
    captured = capsys.readouterr()
    assert captured.err == 'external-dns: error: --rfc2136-port: must be an integer between 1 and 65535, got "abc"\n'
    assert captured.out == ""


def test_main_without_source_says_it_is_required(clean_environ: None, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--provider=inmemory"]) == 2
    assert capsys.readouterr().err.startswith("external-dns: error: --source: required (one of service, ingress")


@pytest.fixture()
def recorded_commands(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, Any]]:
    """Stand-in modules for the commands, recording what main() hands them."""
    calls: list[tuple[str, Any]] = []

    def install(module_name: str, **functions: Any) -> None:
        module = types.ModuleType(module_name)
        for name, function in functions.items():
            setattr(module, name, function)
        monkeypatch.setitem(sys.modules, module_name, module)

    def run(settings: Settings) -> int:
        calls.append(("run", settings))
        return 0

    def run_once(settings: Settings) -> int:
        calls.append(("run_once", settings))
        return 3

    def explain(settings: Settings, names: list[str]) -> int:
        calls.append(("explain", names))
        return 1

    def serve(settings: Settings, listen: str) -> int:
        calls.append(("serve", listen))
        return 0

    install("external_dns.runner", run=run, run_once=run_once)
    install("external_dns.explain", explain=explain)
    install("external_dns.providers.webhook.server", serve=serve)
    return calls


@pytest.mark.parametrize(
    ("argv", "call", "code"),
    [
        pytest.param([], "run", 0, id="run goes to the runner"),
        pytest.param(["--once"], "run_once", 3, id="once goes to run_once and returns its code"),
        pytest.param(["explain", "a.example.com"], "explain", 1, id="explain gets the names"),
        pytest.param(["webhook-serve", "--listen=127.0.0.1:9999"], "serve", 0, id="webhook-serve gets the address"),
    ],
)
def test_main_dispatches_to_the_command(
    clean_environ: None, recorded_commands: list[tuple[str, Any]], argv: list[str], call: str, code: int
) -> None:
    assert main([*BASE, *argv]) == code
    assert [name for name, _ in recorded_commands] == [call]
    if call == "explain":
        assert recorded_commands[0][1] == ["a.example.com"]
    if call == "serve":
        assert recorded_commands[0][1] == "127.0.0.1:9999"


def test_a_command_whose_module_is_missing_stops_with_a_message(
    clean_environ: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "external_dns.explain", None)  # makes the import fail as if absent
    with pytest.raises(SystemExit, match=r"external_dns\.explain is not available"):
        main([*BASE, "explain", "a.example.com"])


def test_help_lists_every_flag_with_its_env_var_and_default(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--help"]) == 0
    text = capsys.readouterr().out
    assert text == help_text() + "\n"
    for flag in cli.flags():
        assert f"--{flag}=" in text or f"--[no-]{flag}\n" in text
        assert "$EXTERNAL_DNS_" + flag.upper().replace("-", "_") in text
    assert "--rfc2136-port=INT\n      Port of the DNS server [$EXTERNAL_DNS_RFC2136_PORT; default: 53]" in text
    assert "[$EXTERNAL_DNS_INTERVAL; default: 1m]" in text
    assert "default: A,AAAA,CNAME]" in text
    assert "--[no-]exclude-unschedulable" in text and "default: true]" in text
    assert "CF_API_TOKEN (env only)" in text
    for group in ("Kubernetes:", "Sources:", "RFC2136 provider:", "AWS Route53 provider:", "Webhook provider:"):
        assert f"\n{group}\n" in text


def test_help_wins_over_invalid_flags() -> None:
    with pytest.raises(HelpRequested):
        parse_args(["--rfc2136-port=abc", "-h"], env={})


def test_python_dash_m_runs_the_same_command_line() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "external_dns", "--provider=nope", "--source=service"],
        capture_output=True,
        text=True,
        timeout=60,
        env={"PATH": "/usr/bin:/bin"},
        check=False,
    )
    assert result.returncode == 2
    assert result.stderr.startswith("external-dns: error: --provider: must be one of inmemory, rfc2136,")
