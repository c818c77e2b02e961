"""Helpers shared by the benchmarks: process memory, the API server as a subprocess, percentiles.

The API server runs as its own process (``python -m external_dns.testing.cluster``) so that the benchmark
process's resident memory is the operator's alone, and the server's can be read separately.
"""

from __future__ import annotations

import contextlib
import math
import subprocess
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True, slots=True)
class Memory:
    """Resident set size of a process, now and at its peak, in MiB."""

    rss: float
    peak: float


def memory_of(pid: int | str = "self") -> Memory:
    """Read VmRSS and VmHWM from /proc (Linux only, as is this machine)."""
    fields = dict(line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines() if ":" in line)
    return Memory(int(fields["VmRSS"].split()[0]) / 1024, int(fields["VmHWM"].split()[0]) / 1024)


@dataclass(frozen=True, slots=True)
class ApiServerProcess:
    """A running ``external_dns.testing.cluster`` subprocess: its URL, kubeconfig and process id."""

    url: str
    kubeconfig: Path
    pid: int


@contextlib.contextmanager
def api_server_process(directory: Path, seed: Path | None = None) -> Iterator[ApiServerProcess]:
    """Start the emulated API server on a free port; stop it (SIGTERM) when the block exits.

    ``seed``: a JSON-lines file of objects the server stores before it serves (external_dns.testing.seed).
    """
    kubeconfig = directory / "kubeconfig"
    command = [sys.executable, "-m", "external_dns.testing.cluster", "--port", "0", "--kubeconfig", str(kubeconfig)]
    process = subprocess.Popen(command + (["--seed", str(seed)] if seed else []), stdout=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        line = process.stdout.readline().strip()
        if not line.startswith("READY "):
            raise RuntimeError(f"the API server did not start: {line!r}")
        yield ApiServerProcess(line.split(" ", 1)[1], kubeconfig, process.pid)
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def percentile(values: Sequence[float], fraction: float) -> float:
    """The nearest-rank percentile (``fraction`` in 0..1) of a non-empty sample."""
    ordered = sorted(values)
    rank = max(1, math.ceil(fraction * len(ordered)))
    return ordered[rank - 1]
