"""Fixtures for the image tests: a private dockerd, the image built by `make image`, and a local API server.

All are per session: the build is the expensive part (one to two minutes for the base on a cold cache, then
about 15 s), and the smoke tests only run containers from it.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from external_dns.testing import local_cluster_in_thread
from external_dns.testing.cluster import LocalCluster
from tests.image.docker_env import (
    DOCKER,
    DockerDaemon,
    DockerUnavailable,
    check_prerequisites,
    docker_daemon,
    ensure_base_image,
    remove_in_background,
    run,
)

ROOT = Path(__file__).resolve().parents[2]
TAG = "external-dns-kopf:image-test"
#: The base image tarball is kept here between runs (debootstrap is the slow part).
CACHE_DIR = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "external-dns-kopf"


@dataclass(frozen=True, slots=True)
class BuiltImage:
    """The image under test, the daemon that holds it, and how long the build took."""

    tag: str
    daemon: DockerDaemon
    base_seconds: float
    build_seconds: float


@pytest.fixture(scope="session")
def daemon() -> Iterator[DockerDaemon]:
    try:
        check_prerequisites()
    except DockerUnavailable as reason:
        pytest.skip(f"cannot build the image here: {reason}")
    scratch = Path(tempfile.mkdtemp(prefix="image-test-"))
    try:
        with docker_daemon(scratch) as running:
            yield running
    finally:
        remove_in_background(scratch)


@pytest.fixture(scope="session")
def image(daemon: DockerDaemon) -> BuiltImage:
    """`make image` with the debootstrap-made base: the same target users run, with PYTHON_IMAGE overridden."""
    started = time.monotonic()
    base = ensure_base_image(daemon, CACHE_DIR)
    based = time.monotonic()
    run("make", "-C", str(ROOT), "image", f"DOCKER={DOCKER}", f"PYTHON_IMAGE={base}", f"IMAGE={TAG}",
        timeout=900, env=daemon.env)  # fmt: skip
    return BuiltImage(TAG, daemon, based - started, time.monotonic() - based)


@pytest.fixture(scope="session")
def api() -> Iterator[LocalCluster]:
    """A local API server with one LoadBalancer Service that should get an A record."""
    with local_cluster_in_thread() as running:
        asyncio.run(running.create("v1", "services", {
            "apiVersion": "v1", "kind": "Service",
            "metadata": {"name": "web", "namespace": "default",
                         "annotations": {"external-dns.alpha.kubernetes.io/hostname": "web.example.com"}},
            "spec": {"type": "LoadBalancer", "ports": [{"port": 80}]},
            "status": {"loadBalancer": {"ingress": [{"ip": "203.0.113.4"}]}},
        }))  # fmt: skip
        yield running


def container(image: BuiltImage, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """``docker run --rm`` the image with `args` (docker's options, then the image's); output whatever the exit."""
    return subprocess.run([DOCKER, "run", "--rm", *args], capture_output=True, text=True, timeout=timeout,
                          env=image.daemon.env, check=False)  # fmt: skip
