"""Every ExternalDNS v0.22 flag parses; those with no effect here are named in one startup warning line."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from external_dns.cli import flags, ignored_flags, parse_args
from external_dns.compat_flags import FLAG_ALIASES, IGNORED_FLAGS, ignored_in_env, warning_line
from external_dns.config import Settings

FLAG_LIST = Path(__file__).parent.parent / "fixtures" / "externaldns-v0.22-flags.txt"

#: A value each value flag of ExternalDNS accepts here (most take any string).
SAMPLE_VALUES = {
    "source": "service",
    "provider": "aws",
    "policy": "upsert-only",
    "registry": "txt",
    "log-level": "info",
    "log-format": "text",
    "aws-zone-type": "public",
    "google-zone-visibility": "private",
    "aws-zone-tags": "team=dns",
    "managed-record-types": "A",
    "exclude-record-types": "AAAA",
    "service-type-filter": "LoadBalancer",
    "events-emit": "RecordReady",
    "rfc2136-tsig-secret-alg": "hmac-sha256",
    "rfc2136-tsig-secret": "c2VjcmV0",
    "rfc2136-port": "53",
    "metrics-address": ":7979",
    "annotation-prefix": "external-dns.kubernetes.io/",
    "target-net-filter": "10.0.0.0/8",
    "exclude-target-net": "10.1.0.0/16",
    "webhook-provider-url": "http://localhost:8888",
    "pdns-server": "http://localhost:8081",
    "txt-encrypt-aes-key": "a" * 32,
}


def externaldns_flags() -> list[tuple[str, str]]:
    lines = FLAG_LIST.read_text().splitlines()
    return [(kind, name) for kind, name in (line.split() for line in lines if not line.startswith("#"))]


def sample_value(name: str, settings_field: str | None) -> str:
    if name in SAMPLE_VALUES:
        return SAMPLE_VALUES[name]
    if settings_field is not None:
        info = Settings.model_fields[settings_field]
        if info.annotation is int:
            return "7"
        if "Duration" in repr(info.metadata):
            return "30s"
    return "x"


@pytest.mark.parametrize(("kind", "name"), externaldns_flags(), ids=lambda value: str(value))
def test_every_externaldns_flag_parses(kind: str, name: str) -> None:
    known = flags()
    argv = ["--source=service", "--provider=inmemory"]
    if kind == "bool":
        argv.append(f"--{name}")
        if name != "version":
            argv.append(f"--no-{name}")
    else:
        field = known[name].field_name if name in known else None
        argv.append(f"--{name}={sample_value(name, field)}")
    if name == "version":
        argv = ["--no-version", *argv[:2]]  # --version itself prints and exits (tested below)
    parse_args(argv, env={})
    assert name in known or name in IGNORED_FLAGS or name == "version"


def test_every_ignored_flag_is_an_externaldns_flag_with_a_reason() -> None:
    theirs = {name for _, name in externaldns_flags()}
    assert set(IGNORED_FLAGS) <= theirs
    assert set(FLAG_ALIASES) <= theirs
    assert all(flag.reason for flag in IGNORED_FLAGS.values())
    assert not set(IGNORED_FLAGS) & set(flags()), "a flag cannot be both implemented and ignored"


#: The args the ExternalDNS v0.22 Helm chart renders from its defaults (charts/external-dns/templates/
#: deployment.yaml: logLevel info, logFormat text, interval 1m, sources service+ingress, registry txt, provider
#: aws), with the policy and owner its docs set, and extraArgs from ExternalDNS's AWS tutorial and FAQ.
HELM_CHART_ARGS = [
    "--log-level=info",
    "--log-format=text",
    "--interval=1m",
    "--events",
    "--source=service",
    "--source=ingress",
    "--policy=upsert-only",
    "--registry=txt",
    "--txt-owner-id=my-hostedzone-identifier",
    "--domain-filter=example.com",
    "--provider=aws",
    "--aws-zone-type=public",
    "--aws-prefer-cname",
    "--txt-cache-interval=1h",
    "--provider-cache-time=15m",
    "--aws-zone-match-parent",
    "--min-ttl=60s",
    "--kube-api-request-timeout=45s",
]


def test_the_helm_charts_args_parse_and_mean_the_same() -> None:
    _, settings, _ = parse_args(HELM_CHART_ARGS, env={})
    assert settings.source == ["service", "ingress"]
    assert (settings.policy, settings.provider, settings.interval) == ("upsert-only", "aws", 60.0)
    assert settings.aws_zone_match_parent and settings.aws_prefer_cname
    assert (settings.min_ttl, settings.request_timeout) == (60.0, 45.0)
    line = warning_line(ignored_flags(HELM_CHART_ARGS, env={}))
    assert line.count("\n") == 0
    for name in ("--events", "--txt-cache-interval", "--provider-cache-time"):
        assert name in line
    assert "--aws-zone-match-parent" not in line and "--min-ttl" not in line


def test_ignored_flags_given_by_env_var_are_named_too() -> None:
    env = {"EXTERNAL_DNS_OCI_CONFIG_FILE": "p", "EXTERNAL_DNS_TXT_OWNER_ID": "x", "EXTERNAL_DNS_EVENTS": ""}
    assert [flag.name for flag in ignored_in_env(env)] == ["oci-config-file"]


def test_aliases_set_the_same_setting_by_flag_and_env() -> None:
    _, settings, _ = parse_args(["--source=service", "--provider=inmemory", "--server=https://k8s:6443"], env={})
    assert settings.master == "https://k8s:6443"
    _, settings, _ = parse_args(["--source=service", "--provider=inmemory"], env={"EXTERNAL_DNS_SERVER": "https://a"})
    assert settings.master == "https://a"
    _, settings, _ = parse_args(["--source=service", "--provider=inmemory", "--no-rfc2136-tsig-axfr"], env={})
    assert settings.rfc2136_axfr is False


def test_an_ignored_value_flag_consumes_its_value() -> None:
    command, settings, _ = parse_args(["--google-project", "run", "--source=service", "--provider=inmemory"], env={})
    assert command == "run" and settings.source == ["service"]


def run_cli(*argv: str) -> subprocess.CompletedProcess[str]:
    code = "import sys; from external_dns.cli import main; sys.exit(main(sys.argv[1:]))"
    return subprocess.run([sys.executable, "-c", code, *argv], capture_output=True, text=True, timeout=60, env={})


def test_version_prints_the_version_and_exits_zero() -> None:
    result = run_cli("--version")
    assert result.returncode == 0
    assert result.stdout.strip() and result.stdout.strip()[0].isdigit()


def test_the_warning_is_one_log_line_at_startup() -> None:
    result = run_cli(*HELM_CHART_ARGS, "--kubeconfig=/nonexistent/kubeconfig", "--once")
    warnings = [line for line in result.stderr.splitlines() if "accepted with no effect" in line]
    assert len(warnings) == 1
    assert "--events" in warnings[0] and "--txt-cache-interval" in warnings[0]
