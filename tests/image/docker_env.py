"""A private Docker daemon and a locally made Python base image, for building and smoke-testing the image.

Docker Hub cannot be reached from CI machines, Debian's archive and PyPI can (see README "Container image"):
the daemon is Debian's ``docker.io``, started here with a scratch data-root and its own socket (so it never
touches a daemon the machine may already run), and the base image standing in for ``python:3.11-slim`` is
made with ``debootstrap`` (bookworm ships CPython 3.11) and cached between runs as a tarball, because
debootstrap takes one to two minutes.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

#: Debian's docker CLI: a newer ``docker`` earlier on PATH may lack the buildx plugin BuildKit needs.
DOCKER = "/usr/bin/docker"
DOCKERD = "/usr/sbin/dockerd"
DEBOOTSTRAP = "/usr/sbin/debootstrap"
BASE_TAG = "local/python:3.11-bookworm"
#: What the base image gets inside the debootstrap-made root; part of the cache key.
BASE_RECIPE = (
    "apt-get update -qq"
    " && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends"
    " python3 python3-pip python3-venv ca-certificates"
    " && rm -f /usr/lib/python3.11/EXTERNALLY-MANAGED"
    " && ln -sf /usr/bin/python3 /usr/bin/python"
    " && apt-get clean && rm -rf /var/lib/apt/lists/*"
)
HOST_CA_BUNDLE = Path("/etc/ssl/certs/ca-certificates.crt")


class DockerUnavailable(Exception):
    """Why the image cannot be built on this machine (the tests skip with this reason; CI=true fails them)."""


def run(*args: str, timeout: float, **kwargs: object) -> subprocess.CompletedProcess[str]:
    """Run a command to completion; a non-zero exit raises with its output in the message."""
    done = subprocess.run(args, capture_output=True, text=True, timeout=timeout, check=False, **kwargs)  # type: ignore[call-overload]
    if done.returncode != 0:
        raise subprocess.CalledProcessError(done.returncode, args, done.stdout, done.stderr)
    return done  # type: ignore[no-any-return]


def check_prerequisites() -> None:
    """Raise `DockerUnavailable` naming what is missing: root, dockerd, debootstrap."""
    if os.geteuid() != 0:
        raise DockerUnavailable("not root: dockerd and debootstrap need root (CI runs as root)")
    missing = [p for p in (DOCKER, DOCKERD, DEBOOTSTRAP) if not Path(p).exists()]
    if missing:
        raise DockerUnavailable(f"missing {', '.join(missing)} (make system-packages installs docker.io, debootstrap)")


@dataclass(slots=True)
class DockerDaemon:
    """A dockerd of our own: its socket, and the environment that points the docker CLI at it."""

    host: str
    pid: int

    @property
    def env(self) -> dict[str, str]:
        return {**os.environ, "DOCKER_HOST": self.host, "DOCKER_BUILDKIT": "1"}

    def docker(self, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        return run(DOCKER, *args, timeout=timeout, env=self.env)


@contextlib.contextmanager
def docker_daemon(scratch: Path, *, start_timeout: float = 60) -> Iterator[DockerDaemon]:
    """Start dockerd with everything under `scratch`; stop it by its PID and unmount its layers on exit."""
    root, execroot = scratch / "root", scratch / "exec"
    socket = scratch / "docker.sock"
    log = (scratch / "dockerd.log").open("wb")
    # No bridge and no iptables: every container here uses the host's network, and a second daemon's bridge
    # or NAT rules would touch the machine's networking.
    process = subprocess.Popen(
        [DOCKERD, "--storage-driver=overlay2", "--iptables=false", "--ip6tables=false", "--bridge=none",
         f"--data-root={root}", f"--exec-root={execroot}", f"--pidfile={scratch / 'dockerd.pid'}",
         f"--host=unix://{socket}"],
        stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip
    daemon = DockerDaemon(host=f"unix://{socket}", pid=process.pid)
    try:
        deadline = time.monotonic() + start_timeout
        while True:
            if process.poll() is not None:
                raise DockerUnavailable(f"dockerd exited {process.returncode}: {_tail(scratch / 'dockerd.log')}")
            with contextlib.suppress(subprocess.CalledProcessError, subprocess.TimeoutExpired):
                daemon.docker("version", timeout=10)
                break
            if time.monotonic() > deadline:
                raise DockerUnavailable(f"dockerd not ready in {start_timeout:.0f} s: {_tail(scratch / 'dockerd.log')}")
            time.sleep(0.5)  # polling a daemon that is starting: there is nothing to wait on but its socket
        yield daemon
    finally:
        _stop(process)
        log.close()
        _unmount_under(scratch)


def _stop(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM (dockerd stops its containerd and containers), SIGKILL if it has not gone in 30 s."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def _unmount_under(path: Path) -> None:
    """Lazily unmount whatever a killed daemon or chroot left mounted below `path`, deepest first."""
    prefix = str(path.resolve()) + "/"
    mounts = [line.split()[1] for line in Path("/proc/self/mounts").read_text().splitlines()]
    for mount in sorted((m for m in mounts if m.startswith(prefix)), key=len, reverse=True):
        subprocess.run(["umount", "-l", mount], capture_output=True, timeout=30, check=False)


def remove_in_background(path: Path) -> None:
    """Delete the daemon's scratch folder without waiting: its image layers and build cache are tens of
    thousands of files, and removing them took 30-80 s on a busy machine (the daemon is stopped by then)."""
    subprocess.Popen(["rm", "-rf", "--one-file-system", str(path)], stdout=subprocess.DEVNULL,
                     stderr=subprocess.DEVNULL, start_new_session=True)  # fmt: skip


def _tail(path: Path, lines: int = 5) -> str:
    return " | ".join(path.read_text(errors="replace").splitlines()[-lines:]) if path.exists() else ""


def base_cache_file(cache_dir: Path) -> Path:
    """The cached root filesystem tarball, named by a hash of the recipe (a changed recipe is a cache miss)."""
    key = hashlib.sha256(f"bookworm minbase\n{BASE_RECIPE}".encode()).hexdigest()[:12]
    return cache_dir / f"python-3.11-bookworm-{key}.tar"


def ensure_base_image(daemon: DockerDaemon, cache_dir: Path) -> str:
    """Import the Python base image from the cache, making the cache first if needed; its tag."""
    tarball = base_cache_file(cache_dir)
    if not tarball.exists():
        make_base_tarball(tarball)
    with tarball.open("rb") as stream:
        run(DOCKER, "import", "-", BASE_TAG, timeout=300, env=daemon.env, stdin=stream)
    return BASE_TAG


def make_base_tarball(destination: Path) -> None:
    """debootstrap a minimal bookworm with python3 and pip, plus this machine's CA bundle (pip needs it)."""
    destination.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="python-base-", dir=destination.parent) as tmp:
        rootfs = Path(tmp) / "rootfs"
        try:
            run(DEBOOTSTRAP, "--variant=minbase", "bookworm", str(rootfs), _debian_mirror(), timeout=900)
            shutil.copy("/etc/resolv.conf", rootfs / "etc/resolv.conf")
            run("mount", "--bind", "/proc", str(rootfs / "proc"), timeout=30)
            try:
                run("chroot", str(rootfs), "sh", "-c", BASE_RECIPE, timeout=900)
            finally:
                run("umount", str(rootfs / "proc"), timeout=30)
            (rootfs / "etc/resolv.conf").unlink()
            shutil.copy(HOST_CA_BUNDLE, rootfs / "etc/ssl/certs/ca-certificates.crt")
            partial = Path(tmp) / "base.tar"
            run("tar", "-C", str(rootfs), "-cf", str(partial), ".", timeout=300)
            partial.replace(destination)  # atomic: a run that dies half-way leaves no half a cache
        finally:
            _unmount_under(Path(tmp))


def _debian_mirror() -> str:
    """The Debian mirror apt already uses (deb822 ``URIs:`` or one-line ``deb`` sources)."""
    sources = [Path("/etc/apt/sources.list"), *sorted(Path("/etc/apt/sources.list.d").glob("*"))]
    for source in sources:
        if not source.is_file():
            continue
        for line in source.read_text().splitlines():
            words = line.split()
            if words[:1] == ["URIs:"] or words[:1] == ["deb"]:
                uri = words[1] if words[0] == "URIs:" else next(w for w in words[1:] if "://" in w)
                if "security" not in uri:
                    return uri
    return "http://deb.debian.org/debian"
