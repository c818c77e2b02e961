"""The container image, built by `make image` from the Dockerfile and run: the smoke test CI runs.

Needs root, Debian's docker.io and debootstrap (`make system-packages` installs them as root); without them
every test here skips with the reason, and under CI=true that skip fails the run (tests/conftest.py).
"""

from __future__ import annotations

import json
import socket
import subprocess
import time
import urllib.error
import urllib.request

import pytest

from external_dns.testing.cluster import LocalCluster
from tests.image.conftest import BuiltImage, container

pytestmark = pytest.mark.timeout(1800)  # the session's first test builds the base image (debootstrap) and the image

#: What the operator runs with in these tests: the Service source and the in-memory provider, no DNS server.
INMEMORY = ("--source=service", "--provider=inmemory", "--inmemory-zone=example.com", "--kubeconfig=/kube/config")
#: Docker's options for a locked-down container: the host's network (to reach the local API server on
#: 127.0.0.1), a read-only root filesystem with a tmpfs /tmp, as the Deployment runs it.
LOCKED_DOWN = ("--network=host", "--read-only", "--tmpfs=/tmp")


def test_help_prints_the_external_dns_flags(image: BuiltImage) -> None:
    done = container(image, image.tag, "--help")
    assert done.returncode == 0, done.stderr
    assert "--provider" in done.stdout and "--txt-owner-id" in done.stdout


def test_the_image_runs_as_uid_65532_by_default(image: BuiltImage) -> None:
    done = container(image, "--entrypoint=id", image.tag)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split()[:2] == ["uid=65532(external-dns)", "gid=65532(external-dns)"]


def test_the_root_filesystem_can_be_read_only(image: BuiltImage) -> None:
    done = container(image, *LOCKED_DOWN, "--entrypoint=python", image.tag, "-c", "open('/written', 'w')")
    assert done.returncode != 0
    assert "Read-only file system" in done.stderr


def test_once_dry_run_against_the_local_api_server_prints_the_plan(image: BuiltImage, api: LocalCluster) -> None:
    mount = f"--volume={api.kubeconfig}:/kube/config:ro"
    done = container(image, *LOCKED_DOWN, mount, image.tag, "--once", "--dry-run", *INMEMORY)
    assert done.returncode == 0, done.stderr
    assert "DRY-RUN CREATE A web.example.com -> 203.0.113.4" in done.stdout


def test_a_running_container_serves_healthz(image: BuiltImage, api: LocalCluster) -> None:
    port = _free_port()
    mount = f"--volume={api.kubeconfig}:/kube/config:ro"
    started = image.daemon.docker(
        "run", "--detach", *LOCKED_DOWN, mount, image.tag, *INMEMORY, f"--metrics-address=127.0.0.1:{port}"
    )
    container_id = started.stdout.strip()
    try:
        assert _wait_for_ok(f"http://127.0.0.1:{port}/healthz", timeout=90), image.daemon.docker(
            "logs", container_id
        ).stderr[-2000:]
        assert _wait_for_ok(f"http://127.0.0.1:{port}/readyz", timeout=90)
    finally:
        image.daemon.docker("rm", "--force", container_id)


def test_the_dependency_layer_holds_no_unused_aws_models(image: BuiltImage) -> None:
    """botocore's models of every AWS service were most of the image; only Route 53, STS and SSO are used."""
    script = "import botocore, json, os; print(json.dumps(os.listdir(os.path.dirname(botocore.__file__) + '/data')))"
    done = container(image, "--entrypoint=python", image.tag, "-c", script)
    assert done.returncode == 0, done.stderr
    kept = {name for name in json.loads(done.stdout) if "." not in name}
    assert kept == {"route53", "sts", "sso", "sso-oidc"}
    history = image.daemon.docker("history", "--no-trunc", "--format={{.Size}}\t{{.CreatedBy}}", image.tag)
    print(f"base {image.base_seconds:.1f} s, build {image.build_seconds:.1f} s\n{history.stdout}")
    size = int(image.daemon.docker("image", "inspect", "--format={{.Size}}", image.tag).stdout)
    print(f"image size {size / 1e6:.0f} MB")


def test_the_aws_client_still_loads_in_the_image(image: BuiltImage) -> None:
    """Route 53 and STS clients are made from the models left in the image."""
    script = (
        "import botocore.session; s = botocore.session.get_session();"
        "[s.create_client(n, region_name='us-east-1', aws_access_key_id='a', aws_secret_access_key='b')"
        " for n in ('route53', 'sts')]; print('ok')"
    )
    done = container(image, "--entrypoint=python", image.tag, "-c", script)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _wait_for_ok(url: str, timeout: float) -> bool:
    """Poll `url` until it answers 200 or `timeout` seconds pass (the container needs a moment to start)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                if response.status == 200:
                    return True
        except (urllib.error.URLError, ConnectionError, subprocess.TimeoutExpired):
            pass
        time.sleep(0.5)
    return False
