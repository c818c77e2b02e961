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
import math
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
LAG_BUCKET = re.compile(r'^external_dns_event_loop_lag_seconds_bucket\{le="([^"]+)"\} (\S+)$', re.MULTILINE)
LAG_MAX = re.compile(r"^external_dns_event_loop_lag_max_seconds (\S+)$", re.MULTILINE)
LOGGED_STALL = re.compile(r"Event loop held for ([\d.]+)s")
#: Changes made during a failover: one every this many seconds, from the signal until the first is answered.
CHANGE_EVERY = 0.25


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
        #: Its stall histogram once settled: stalls from then on happen while it leads or stands by.
        self.settled_lag: dict[float, float] = {}

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

    def loop_lag(self) -> dict[float, float]:
        """The replica's event-loop stall histogram (looplag.py): bucket bound -> stalls at most that long."""
        with urllib.request.urlopen(f"http://127.0.0.1:{self.metrics_port}/metrics", timeout=10) as response:
            text = response.read().decode()
        buckets = {}
        for match in LAG_BUCKET.finditer(text):
            buckets[float(match[1])] = float(match[2])
        return buckets

    def longest_stall(self) -> float:
        """The longest the replica's event loop was held since it started (looplag.py)."""
        with urllib.request.urlopen(f"http://127.0.0.1:{self.metrics_port}/metrics", timeout=10) as response:
            match = LAG_MAX.search(response.read().decode())
        return float(match[1]) if match else float("nan")

    def logged_stalls(self, after: float) -> list[float]:
        """Stalls of a second or more the replica logged at or after ``after`` (epoch seconds)."""
        stalls = []
        for line in self.log.read_text().splitlines():
            match, held = LOG_TIME.match(line), LOGGED_STALL.search(line)
            if match and held:
                at = datetime.datetime.strptime(match[1], "%Y-%m-%d %H:%M:%S,%f").timestamp()
                if at >= after:
                    stalls.append(float(held[1]))
        return stalls

    def rss_mib(self) -> float:
        """Resident memory now (Linux /proc)."""
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
        return float("nan")

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


async def change_and_wait(url: str, bind: BindInfo, name: str, ip: str, patience: float) -> tuple[float, float]:
    """Patch the Service's IP; the epoch times of the patch and of BIND's first answer with the new IP."""
    changed_at = time.time()
    await request(url, "PATCH", f"/api/v1/namespaces/default/services/{name}/status", _status(ip), merge=True)
    query = dns.message.make_query(f"{name}.{ZONE}", dns.rdatatype.A)
    deadline = time.monotonic() + patience
    while time.monotonic() < deadline:
        try:
            answer = await dns.asyncquery.udp(query, bind.host, port=bind.port, timeout=1.0)
        except dns.exception.Timeout:
            continue
        if any(rdata.to_text() == ip for rrset in answer.answer for rdata in rrset):
            return changed_at, time.time()
        await asyncio.sleep(0.005)  # a benchmark's tight poll; nothing to wait on but BIND itself
    raise TimeoutError(f"BIND never answered {ip} for {name}")


async def changes_during_failover(
    url: str, bind: BindInfo, names: list[str], ip: str, patience: float
) -> list[tuple[float, float]]:
    """A change every CHANGE_EVERY seconds from now until 2 s after BIND answered the first: (changed, answered)
    epoch times of each, the first one first."""
    first = asyncio.create_task(change_and_wait(url, bind, names[0], ip, patience))
    others: list[asyncio.Task[tuple[float, float]]] = []
    answered_at: float | None = None
    for name in names[1:]:
        await asyncio.sleep(CHANGE_EVERY)  # the pace of the changes, not a wait for a condition
        others.append(asyncio.create_task(change_and_wait(url, bind, name, ip, patience)))
        if first.done():
            answered_at = answered_at or time.monotonic()
            if time.monotonic() - answered_at > 2.0:
                break
    return [await first, *await asyncio.gather(*others)]


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
    zone_read_s: float  # its zone was read (one AXFR), or brought up to date (a followed zone: SOA query, IXFR)
    update_sent_s: float  # it logged the UPDATE of the changed name
    bind_answers_s: float  # BIND answered the new IP (the figure against the budget)
    changes: int  # changes made during the failover (one every CHANGE_EVERY s)
    during_p99_s: float  # their p99 latency, from the later of the change and the takeover to BIND's answer
    during_max_s: float
    leader_stall_s: float  # the longest event-loop stall of the killed leader since its start
    standby_stall_s: float  # the same for the replica that took over, up to the signal
    leading_stall_s: str  # the leader's longest stall from settled to the signal (histogram bounds)
    standing_stall_s: str  # the taker's longest stall from settled to the signal, standing by
    takeover_stall_s: str  # its longest stall from the signal to the last change answered
    leader_rss_mib: float  # resident memory before the signal: the leader's, and the taker's standing by
    standby_rss_mib: float

    @property
    def budget_s(self) -> float:
        return self.lifetime + 2.0


def stall_between(before: dict[float, float], after: dict[float, float]) -> str:
    """The longest stall between two histogram readings, as the bucket bounds it fell between."""
    over = {le: (after[math.inf] - after[le]) - (before[math.inf] - before[le]) for le in after}
    exceeded = [le for le in sorted(after) if le != math.inf and over[le] > 0]
    if not exceeded:
        return f"<={min(after):g}"
    bounds = sorted(after)
    upper = bounds[bounds.index(exceeded[-1]) + 1]
    return f"{exceeded[-1]:g}-{upper:g}"


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(fraction * len(ordered)) - 1)]


def failover(url: str, bind: BindInfo, replicas: list[Replica], count: int, sig: int, lifetime: float) -> Failover:
    active, deadline = leader(url, replicas)
    standbys = [r for r in replicas if r is not active and r.process.poll() is None]
    leader_stall = active.longest_stall()
    leading_stall = stall_between(active.settled_lag, active.loop_lag())
    standby_stalls = {r.pid: (r.longest_stall(), r.loop_lag()) for r in standbys}
    rss = {r.pid: r.rss_mib() for r in [active, *standbys]}
    names = [f"svc-{count // 2 + k % (count // 2):05d}" for k in range(int(600 / CHANGE_EVERY))]
    name = names[0]
    ip = changed_ip(sig)
    killed_at = time.time()
    active.stop(sig)
    changes = asyncio.run(changes_during_failover(url, bind, names, ip, lifetime + 300))
    wait_until(lambda: any(r.first(f"UPDATE A {name}.{ZONE}", killed_at) for r in standbys), 30, "the log line")
    taker = next(r for r in standbys if r.first(f"UPDATE A {name}.{ZONE}", killed_at))
    took_over = taker.first("is now active", killed_at) or killed_at
    during = [answered - max(changed, took_over) for changed, answered in changes]
    standby_stall, lag_before = standby_stalls[taker.pid]

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
        bind_answers_s=changes[0][1] - killed_at,
        changes=len(changes),
        during_p99_s=percentile(during, 0.99),
        during_max_s=max(during),
        leader_stall_s=leader_stall,
        standby_stall_s=standby_stall,
        leading_stall_s=leading_stall,
        standing_stall_s=stall_between(taker.settled_lag, lag_before),
        takeover_stall_s=stall_between(lag_before, taker.loop_lag()),
        leader_rss_mib=rss[active.pid],
        standby_rss_mib=rss[taker.pid],
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
                replica.settled_lag = replica.loop_lag()
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
        ("  zone read (AXFR) or followed up (IXFR) (s)", "{zone_read_s:.2f}"),
        ("  UPDATE of the change sent (s)", "{update_sent_s:.2f}"),
        ("BIND answers the change (s)", "{bind_answers_s:.2f}"),
        ("budget: lifetime + 2 s (s)", "{budget_s:.2f}"),
        ("changes made during the failover", "{changes}"),
        ("  p99 from takeover (s)", "{during_p99_s:.2f}"),
        ("  max from takeover (s)", "{during_max_s:.2f}"),
        ("longest loop stall: leader, since start (s)", "{leader_stall_s:.2f}"),
        ("  standby, since its start (s)", "{standby_stall_s:.2f}"),
        ("  leader, settled to the signal (s)", "{leading_stall_s}"),
        ("  standby, settled to the signal (s)", "{standing_stall_s}"),
        ("  new leader, takeover (s)", "{takeover_stall_s}"),
        ("RSS before the signal: leader (MiB)", "{leader_rss_mib:.0f}"),
        ("  standby, following its zone (MiB)", "{standby_rss_mib:.0f}"),
    ]
    lines = []
    for label, template in rows:
        cells = [template.format(**{**vars_of(r), "budget_s": r.budget_s}) for r in results]
        lines.append(f"{label:<44}" + "".join(f"{cell:>12}" for cell in cells))
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
