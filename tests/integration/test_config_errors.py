"""Configuration errors found after parsing stop the real command with one line naming the flag or variable.

Each case runs ``external-dns`` as a user would (a subprocess), and checks: non-zero exit, exactly one line on
stderr that names the flag or env var, no traceback, no Kopf retry ("will try again").
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.backends.moto import MotoServer

from external_dns.testing import local_cluster_in_thread

BASE = ["--source=service", "--provider=inmemory", "--inmemory-zone=example.com"]

KUBECONFIG = """\
apiVersion: v1
kind: Config
clusters: [{name: c, cluster: {server: "https://127.0.0.1:1"}}]
users: [{name: u, user: {token: t}}]
contexts: [{name: x, context: {cluster: c, user: u}}]
current-context: x
"""


def external_dns(*argv: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    prefixes = ("EXTERNAL_DNS_", "AWS_", "KUBE", "GOOGLE_", "AZURE_")
    clean = {key: value for key, value in os.environ.items() if not key.startswith(prefixes)}
    clean["HOME"] = "/nonexistent"  # no ~/.kube/config, no ~/.aws
    return subprocess.run(
        [sys.executable, "-m", "external_dns", *argv],
        capture_output=True,
        text=True,
        env={**clean, **(env or {})},
        timeout=60,
        check=False,
    )


def the_one_line(done: subprocess.CompletedProcess[str]) -> str:
    assert done.returncode != 0
    assert "Traceback" not in done.stderr and "try again" not in done.stderr, done.stderr
    errors = [line for line in done.stderr.splitlines() if line.startswith("external-dns: error: ")]
    assert len(errors) == 1, done.stderr
    return errors[0].removeprefix("external-dns: error: ")


@pytest.fixture
def kubeconfig(tmp_path: Path) -> str:
    path = tmp_path / "kubeconfig"
    path.write_text(KUBECONFIG)
    return str(path)


@pytest.fixture
def busy_port() -> Iterator[int]:
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        yield holder.getsockname()[1]


def test_a_missing_kubeconfig_stops_the_operator(tmp_path: Path) -> None:
    line = the_one_line(external_dns(*BASE, f"--kubeconfig={tmp_path}/missing"))
    assert line.startswith(f"--kubeconfig: cannot use {tmp_path}/missing")


def test_no_kubeconfig_at_all_names_the_flag_and_the_variable() -> None:
    line = the_one_line(external_dns(*BASE))
    assert line.startswith("--kubeconfig: cannot use ~/.kube/config (no --kubeconfig, KUBECONFIG")


def test_an_unreadable_kubeconfig_stops_the_operator(tmp_path: Path) -> None:
    broken = tmp_path / "kubeconfig"
    broken.write_text("clusters: [")
    line = the_one_line(external_dns(*BASE, f"--kubeconfig={broken}"))
    assert line.startswith(f"--kubeconfig: cannot use {broken}")


def test_a_busy_metrics_port_stops_the_operator(kubeconfig: str, busy_port: int) -> None:
    line = the_one_line(external_dns(*BASE, f"--kubeconfig={kubeconfig}", f"--metrics-address=127.0.0.1:{busy_port}"))
    assert line == f"--metrics-address: cannot listen on 127.0.0.1:{busy_port}: Address already in use"


def test_absent_aws_credentials_stop_the_operator(kubeconfig: str, tmp_path: Path) -> None:
    env = {
        "AWS_CONFIG_FILE": str(tmp_path / "none"),
        "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "none"),
        "AWS_EC2_METADATA_DISABLED": "true",
    }
    line = the_one_line(external_dns("--source=service", "--provider=aws", f"--kubeconfig={kubeconfig}", env=env))
    assert line.startswith("AWS credentials: none found")


def test_an_unknown_aws_profile_names_the_flag(kubeconfig: str, tmp_path: Path) -> None:
    env = {"AWS_CONFIG_FILE": str(tmp_path / "none"), "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "none")}
    argv = ["--source=service", "--provider=aws", f"--kubeconfig={kubeconfig}", "--aws-profile=dns"]
    line = the_one_line(external_dns(*argv, env=env))
    assert line == "--aws-profile: no profile 'dns' in the AWS config or credentials files"


def test_an_unreadable_azure_config_file_stops_the_operator(kubeconfig: str, tmp_path: Path) -> None:
    argv = ["--source=service", "--provider=azure", f"--kubeconfig={kubeconfig}", f"--azure-config-file={tmp_path}/no"]
    line = the_one_line(external_dns(*argv))
    assert line.startswith(f"--azure-config-file: cannot read {tmp_path}/no")


def test_absent_google_credentials_stop_the_operator(kubeconfig: str, tmp_path: Path) -> None:
    env = {"GOOGLE_APPLICATION_CREDENTIALS": str(tmp_path / "no-key.json")}
    argv = ["--source=service", "--provider=google", f"--kubeconfig={kubeconfig}", "--google-project=p"]
    line = the_one_line(external_dns(*argv, env=env))
    assert line.startswith("GOOGLE_APPLICATION_CREDENTIALS: no usable Google credentials")


def test_a_bad_env_var_is_named_as_the_user_wrote_it() -> None:
    line = the_one_line(external_dns(*BASE, env={"EXTERNAL_DNS_RFC2136_PORT": "abc"}))
    assert line == 'EXTERNAL_DNS_RFC2136_PORT: must be an integer between 1 and 65535, got "abc"'


def test_a_duration_without_a_unit_is_rejected_as_externaldns_does() -> None:
    line = the_one_line(external_dns(*BASE, "--interval=5"))
    assert line == '--interval: must be a duration with a unit like 500ms, 30s, 1m or 1h30m, got "5"'


def test_once_with_no_zone_found_names_the_filter(tmp_path: Path) -> None:
    env = {"AWS_ACCESS_KEY_ID": "AKIATEST", "AWS_SECRET_ACCESS_KEY": "x", "AWS_CONFIG_FILE": str(tmp_path / "none")}
    with MotoServer() as moto, local_cluster_in_thread() as cluster:
        argv = ["--once", "--source=service", "--provider=aws", f"--aws-endpoint-url={moto.url}"]
        done = external_dns(*argv, f"--kubeconfig={cluster.kubeconfig}", "--domain-filter=example.org", env=env)
    assert the_one_line(done) == "--domain-filter: no zone of the provider matches"
