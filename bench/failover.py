"""Benchmark of a failover under ``external-dns --peering``: how soon the standby writes the first change.

For each ``--objects`` count N:

1. the emulated API server (a subprocess), BIND (zone example.com) and N LoadBalancer Services, as in
   bench/reconcile.py; the ClusterKopfPeering object;
2. two replicas of the real command line (``python -m external_dns --peering=external-dns``, rfc2136, default
   debounce, ``--peering-lifetime`` as given), each waited for until it is ready and its CPU is quiet (its
   initial LIST and Kopf's replay of the N objects done): the leader has written every record, the standby
   follows the streams;
3. SIGKILL: the leader (the live peer of highest priority) is killed, one Service's IP is patched right after,
   and the time until BIND answers the new IP is measured, against ``lifetime + 2 s``; the standby's log gives
   the breakdown: when it took the lead, when its zone was read (one AXFR), when it sent the UPDATE;
4. a third replica replaces the killed one, and the same with SIGTERM (a clean handover).

    .venv/bin/python bench/failover.py --objects 10000 50000
    .venv/bin/python bench/failover.py --objects 2000 --lifetime 5     # a quick run

Times of the log lines are the replicas' own (same machine, same clock).
"""

from __future__ import annotations

import argparse
import asyncio
import datetime
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import dns.asyncquery
import dns.exception
import dns.message
import dns.rdatatype

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # `tests.backends` lives at the repository root

from _common import api_server_process  # noqa: E402
from reconcile import ZONE, changed_ip, progress, seed_services  # noqa: E402
from tests.backends.bind import BindInfo, BindServer, free_port, named_path  # noqa: E402

from external_dns.kopf_peering import parse_peers  # noqa: E402

PEERING = "/apis/kopf.dev/v1/clusterkopfpeerings"
LOG_TIME = re.compile(r"^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3})")


class Replica:
    """One operator process (the real command line); its log goes to a file."""

    def __init__(self, kubeconfig: Path, bind: BindInfo, lifetime: float, log: Path) -> None:
        self.log = log
        self.metrics_port = free_port()
        args = [
            sys.executable, "-m", "external_dns",
            "--source=service", "--provider=rfc2136", f"--kubeconfig={kubeconfig}",
            f"--rfc2136-host={bind.host}", f"--rfc2136-port={bind.port}", f"--rfc2136-zone={ZONE}",
            f"--rfc2136-tsig-keyname={bind.key_name}", f"--rfc2136-tsig-secret-alg={bind.key_algorithm}",
            "--txt-owner-id=bench", "--peering=external-dns", f"--peering-lifetime={lifetime}s",
            f"--metrics-address=127.0.0.1:{self.metrics_port}",
        ]  # fmt: skip
        env = {**os.environ, "EXTERNAL_DNS_RFC2136_TSIG_SECRET": bind.key_secret}
        self.process = subprocess.Popen(args, stdout=log.open("w"), stderr=subprocess.STDOUT, env=env)

    @property
    def pid(self) -> int:
        return self.process.pid

    def first(self, marker: str, after: float = 0.0) -> float | None:
        """The time (epoch seconds) of the first log line containing ``marker`` logged at or after ``after``."""
        for line in self.log.read_text().splitlines():
            match = LOG_TIME.match(line)
            if match and marker in line:
                at = datetime.datetime.strptime(match[1], "%Y-%m-%d %H:%M:%S,%f").timestamp()
                if at >= after - 0.001:
                    return at
        return None

    def ready(self) -> bool:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.metrics_port}/readyz", timeout=2) as response:
                return bool(response.status == 200)
        except OSError:
            return False

    def busy_seconds(self) -> float:
        """Seconds its main thread (the event loop) ran or waited to run: on a loaded machine a busy process
        waits in the run queue more than it runs, so CPU time alone would call it quiet."""
        running_ns, waiting_ns, _ = Path(f"/proc/{self.pid}/schedstat").read_text().split()
        return (int(running_ns) + int(waiting_ns)) / 1e9

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                self.process.wait(60)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def wait_until(condition: Any, timeout: float, what: str, interval: float = 0.1) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {timeout:.0f}s waiting for {what}")
        time.sleep(interval)


def settle(replica: Replica, timeout: float) -> None:
    """Until the replica is ready and its event loop was busy (running or waiting to run) under 10% of two 2 s
    windows in a row: its LIST and Kopf's replay of every object are done."""
    wait_until(replica.ready, timeout, "the replica to be ready")
    deadline = time.monotonic() + timeout
    quiet = 0
    before = replica.busy_seconds()
    while time.monotonic() < deadline:
        time.sleep(2.0)
        now = replica.busy_seconds()
        quiet = quiet + 1 if now - before < 0.2 else 0
        if quiet == 2:
            return
        before = now
    raise TimeoutError("the replica never went quiet")


async def request(url: str, method: str, path: str, body: Any = None, merge: bool = False) -> Any:
    headers = {"Content-Type": "application/merge-patch+json" if merge else "application/json"}
    async with aiohttp.ClientSession(url) as session:
        data = json.dumps(body) if body is not None else None
        async with session.request(method, path, data=data, headers=headers) as response:
            if response.status >= 400:
                raise RuntimeError(f"{method} {path}: HTTP {response.status} {await response.text()}")
            return await response.json()


def leader(url: str, replicas: list[Replica]) -> tuple[Replica, float]:
    """The replica Kopf's rule makes active (all live, the highest priority), and its entry's deadline (epoch)."""
    peering = asyncio.run(request(url, "GET", f"{PEERING}/external-dns"))
    now = datetime.datetime.now(datetime.UTC)
    live = [p for p in parse_peers(peering.get("status") or {}) if p.deadline > now]
    running = {r.pid: r for r in replicas if r.process.poll() is None}
    if len(live) != len(running):
        raise RuntimeError(f"{len(live)} live peers for {len(running)} replicas")
    best = max(live, key=lambda p: p.priority)
    return running[int(best.identity.split("@")[1].split("/")[0])], best.deadline.timestamp()


async def change_and_wait(url: str, bind: BindInfo, name: str, ip: str, patience: float) -> float:
    """Patch the Service's IP; the epoch time BIND first answered it."""
    await request(url, "PATCH", f"/api/v1/namespaces/default/services/{name}/status", _status(ip), merge=True)
    query = dns.message.make_query(f"{name}.{ZONE}", dns.rdatatype.A)
    deadline = time.monotonic() + patience
    while time.monotonic() < deadline:
        try:
            answer = await dns.asyncquery.udp(query, bind.host, port=bind.port, timeout=1.0)
        except dns.exception.Timeout:
            continue
        if any(rdata.to_text() == ip for rrset in answer.answer for rdata in rrset):
            return time.time()
        await asyncio.sleep(0.005)  # a benchmark's tight poll; nothing to wait on but BIND itself
    raise TimeoutError(f"BIND never answered {ip} for {name}")


def _status(ip: str) -> dict[str, Any]:
    return {"status": {"loadBalancer": {"ingress": [{"ip": ip}]}}}


@dataclass(frozen=True, slots=True)
class Failover:
    """One failover: times in seconds from the signal."""

    objects: int
    signal: str
    lifetime: float
    leader_expired_s: float  # the killed leader's keep-alive deadline (SIGKILL); 0 after a clean exit
    active_s: float  # the standby said "is now active"
    zone_read_s: float  # its zone worker had read the zone (one AXFR)
    update_sent_s: float  # it logged the UPDATE of the changed name
    bind_answers_s: float  # BIND answered the new IP (the figure against the budget)

    @property
    def budget_s(self) -> float:
        return self.lifetime + 2.0


def failover(url: str, bind: BindInfo, replicas: list[Replica], count: int, sig: int, lifetime: float) -> Failover:
    active, deadline = leader(url, replicas)
    standbys = [r for r in replicas if r is not active and r.process.poll() is None]
    name = f"svc-{count // 2:05d}"
    ip = changed_ip(sig)
    killed_at = time.time()
    active.stop(sig)
    answered = asyncio.run(change_and_wait(url, bind, name, ip, lifetime + 300))
    wait_until(lambda: any(r.first(f"UPDATE A {name}.{ZONE}", killed_at) for r in standbys), 30, "the log line")
    taker = next(r for r in standbys if r.first(f"UPDATE A {name}.{ZONE}", killed_at))

    def since_kill(marker: str) -> float:
        at = taker.first(marker, killed_at)
        return (at - killed_at) if at is not None else float("nan")

    return Failover(
        objects=count,
        signal=signal.Signals(sig).name,
        lifetime=lifetime,
        leader_expired_s=(deadline - killed_at) if sig == signal.SIGKILL else 0.0,
        active_s=since_kill("is now active"),
        zone_read_s=since_kill(f"Zone {ZONE}:"),
        update_sent_s=since_kill(f"UPDATE A {name}.{ZONE}"),
        bind_answers_s=answered - killed_at,
    )


def measure(count: int, lifetime: float, logs: Path) -> list[Failover]:
    if named_path() is None:
        raise SystemExit("BIND9 `named` is not installed")
    patience = max(600.0, count * 0.02)
    with tempfile.TemporaryDirectory(prefix="bench-failover-") as tmp, api_server_process(Path(tmp)) as api:
        bind = BindServer()
        info = bind.start([ZONE], Path(tmp) / "bind")
        replicas: list[Replica] = []
        try:
            body = {"apiVersion": "kopf.dev/v1", "kind": "ClusterKopfPeering", "metadata": {"name": "external-dns"}}
            asyncio.run(request(api.url, "POST", PEERING, body))
            asyncio.run(seed_services(api.url, count))
            progress(f"N={count}: seeded")

            def start(index: int) -> Replica:
                replica = Replica(api.kubeconfig, info, lifetime, logs / f"failover-{count}-replica{index}.log")
                replicas.append(replica)
                settle(replica, patience)
                time.sleep(4.0)  # three polls: a newcomer of higher priority takes the lead in that time
                return replica

            first = start(0)
            wait_until(lambda: first.first(f"svc-{count - 1:05d}.{ZONE}") is not None, patience, "convergence")
            start(1)
            progress(f"N={count}: two replicas settled")
            results = [failover(api.url, info, replicas, count, signal.SIGKILL, lifetime)]
            progress(f"N={count}: {results[-1]}")
            start(2)
            results.append(failover(api.url, info, replicas, count, signal.SIGTERM, lifetime))
            progress(f"N={count}: {results[-1]}")
            return results
        finally:
            for replica in replicas:
                replica.stop()
            bind.stop()


def table(results: list[Failover]) -> str:
    rows = [
        ("objects (Services)", "{objects}"),
        ("signal to the leader", "{signal}"),
        ("leader's keep-alive expired (s)", "{leader_expired_s:.2f}"),
        ("standby active (s)", "{active_s:.2f}"),
        ("  zone read: one AXFR (s)", "{zone_read_s:.2f}"),
        ("  UPDATE of the change sent (s)", "{update_sent_s:.2f}"),
        ("BIND answers the change (s)", "{bind_answers_s:.2f}"),
        ("budget: lifetime + 2 s (s)", "{budget_s:.2f}"),
    ]
    lines = []
    for label, template in rows:
        cells = [template.format(**{**vars_of(r), "budget_s": r.budget_s}) for r in results]
        lines.append(f"{label:<36}" + "".join(f"{cell:>12}" for cell in cells))
    return "\n".join(lines)


def vars_of(result: Failover) -> dict[str, Any]:
    return {field: getattr(result, field) for field in result.__dataclass_fields__}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--objects", type=int, nargs="+", default=[10_000, 50_000])
    parser.add_argument("--lifetime", type=float, default=15.0, help="--peering-lifetime in seconds (default 15)")
    parser.add_argument("--logs", type=Path, default=Path(tempfile.gettempdir()), help="where replica logs go")
    options = parser.parse_args()
    results = [result for count in options.objects for result in measure(count, options.lifetime, options.logs)]
    print(table(results))


if __name__ == "__main__":
    main()
