"""Benchmark of the local API server: Service creates per second, a LIST of them all, server RSS.

Starts ``python -m external_dns.testing.cluster`` as a subprocess (so its RSS is its own), creates
``--count`` Services over HTTP from ``--clients`` concurrent keep-alive clients, LISTs them, and
prints the figures. Targets: >= 2,000 creates/s and <= 150 MiB RSS for 10,000 Services.

    .venv/bin/python bench/apiserver.py --count 10000 --clients 8
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import aiohttp


def rss_mib(pid: int) -> tuple[float, float]:
    """Current and peak resident set size of a process, in MiB (from /proc)."""
    fields = dict(line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines() if ":" in line)
    return int(fields["VmRSS"].split()[0]) / 1024, int(fields["VmHWM"].split()[0]) / 1024


async def create_services(url: str, count: int, clients: int) -> list[float]:
    """Create `count` Services from `clients` concurrent sessions; the latency of each create."""
    latencies: list[float] = []
    numbers = iter(range(count))

    async def client() -> None:
        async with aiohttp.ClientSession(url) as session:
            for number in numbers:
                body = {
                    "metadata": {"name": f"svc-{number:05d}", "labels": {"bench": "yes"}},
                    "spec": {"type": "LoadBalancer", "ports": [{"port": 80, "protocol": "TCP"}]},
                }
                started = time.perf_counter()
                async with session.post("/api/v1/namespaces/default/services", json=body) as response:
                    await response.read()
                    if response.status != 201:
                        raise RuntimeError(f"create failed: HTTP {response.status}")
                latencies.append(time.perf_counter() - started)

    await asyncio.gather(*(client() for _ in range(clients)))
    return latencies


async def list_services(url: str) -> tuple[int, float]:
    """LIST all Services; how many came back and how long it took."""
    async with aiohttp.ClientSession(url) as session:
        started = time.perf_counter()
        async with session.get("/api/v1/namespaces/default/services") as response:
            body = json.loads(await response.read())
        return len(body["items"]), time.perf_counter() - started


def run(count: int, clients: int) -> None:
    """Start the server, measure, print, stop the server."""
    with tempfile.TemporaryDirectory() as tmp:
        server = subprocess.Popen(
            [sys.executable, "-m", "external_dns.testing.cluster", "--port", "0", "--kubeconfig", f"{tmp}/kubeconfig"],
            stdout=subprocess.PIPE,
            text=True,
        )
        try:
            assert server.stdout is not None
            line = server.stdout.readline().strip()
            if not line.startswith("READY "):
                raise RuntimeError(f"the server did not start: {line!r}")
            url = line.split(" ", 1)[1]
            idle_rss, _ = rss_mib(server.pid)

            started = time.perf_counter()
            latencies = asyncio.run(create_services(url, count, clients))
            elapsed = time.perf_counter() - started
            listed, list_seconds = asyncio.run(list_services(url))
            rss, peak = rss_mib(server.pid)

            p50 = statistics.median(latencies) * 1000
            p99 = statistics.quantiles(latencies, n=100)[98] * 1000
            print(f"creates:   {count} Services in {elapsed:.2f} s = {count / elapsed:,.0f}/s ({clients} clients)")
            print(f"latency:   p50 {p50:.1f} ms, p99 {p99:.1f} ms")
            print(f"list:      {listed} Services in {list_seconds:.2f} s")
            print(f"rss:       idle {idle_rss:.0f} MiB, after {rss:.0f} MiB, peak {peak:.0f} MiB")
        finally:
            server.terminate()
            server.wait(timeout=30)


def main() -> None:
    """Parse the arguments and run the benchmark."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--clients", type=int, default=8)
    args = parser.parse_args()
    run(args.count, args.clients)


if __name__ == "__main__":
    main()
