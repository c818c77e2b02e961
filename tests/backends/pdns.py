"""A real PowerDNS Authoritative server on loopback for tests and benchmarks (gsqlite3 backend + HTTP API).

Set up as in /work/shared/reference/test-backends.md §2: a fresh sqlite database from the Debian schema, a
config with every cache off (so a zone created through the API answers at once), free loopback ports for DNS
and the API, readiness by polling the API, stop with SIGTERM. The API is sync (urllib) so fixtures can use it;
``rrsets()`` reads a zone straight from the API, independently of the provider under test.
"""

from __future__ import annotations

import json
import shutil
import signal
import socket
import sqlite3
import subprocess
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

SCHEMA = Path("/usr/share/pdns-backend-sqlite3/schema/schema.sqlite3.sql")
API_KEY = "test-api-key"


def pdns_missing_reason() -> str | None:
    """Why a PowerDNS test cannot run here, or None if it can."""
    if shutil.which("pdns_server") is None:
        return "pdns_server is not installed (apt-get install pdns-server pdns-backend-sqlite3)"
    if not SCHEMA.exists():
        return f"the gsqlite3 backend is not installed ({SCHEMA} is missing)"
    return None


def free_port() -> int:
    """A loopback port free for both TCP and UDP right now (DNS listens on both)."""
    for _ in range(50):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as tcp:
            tcp.bind(("127.0.0.1", 0))
            port: int = tcp.getsockname()[1]
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
                try:
                    udp.bind(("127.0.0.1", port))
                except OSError:
                    continue
            return port
    raise RuntimeError("no free loopback port found")


@dataclass
class PowerDNSServer:
    """One pdns_server process in ``workdir``; ``start()`` it, ``stop()`` it (a context manager does both)."""

    workdir: Path
    api_key: str = API_KEY
    dns_port: int = 0
    api_port: int = 0
    process: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    @property
    def url(self) -> str:
        """The value for ``--pdns-server``."""
        return f"http://127.0.0.1:{self.api_port}"

    @property
    def api(self) -> str:
        return f"{self.url}/api/v1/servers/localhost"

    def start(self, timeout: float = 15.0) -> None:
        """Create the database and config, start the server and wait until its API answers."""
        self.workdir.mkdir(parents=True, exist_ok=True)
        database = self.workdir / "pdns.sqlite3"
        if not database.exists():
            with sqlite3.connect(database) as connection:
                connection.executescript(SCHEMA.read_text())
        # Ports are picked free but can be taken before pdns binds them: retry with new ones.
        for _ in range(3):
            self.dns_port, self.api_port = free_port(), free_port()
            (self.workdir / "pdns.conf").write_text(self._config(database))
            log = (self.workdir / "pdns.log").open("ab")
            self.process = subprocess.Popen(
                ["pdns_server", f"--config-dir={self.workdir}"], stdout=log, stderr=subprocess.STDOUT
            )
            log.close()
            if self._wait_ready(timeout):
                return
        raise RuntimeError(f"pdns_server did not start; log:\n{self.log_tail()}")

    def stop(self, timeout: float = 10.0) -> None:
        """SIGTERM and wait (a used instance takes 1-3 s to exit); SIGKILL if it does not."""
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None

    def __enter__(self) -> PowerDNSServer:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def create_zone(self, name: str) -> None:
        """A Native zone with an NS record and the default SOA."""
        zone = name.rstrip(".") + "."
        body = {"name": zone, "kind": "Native", "nameservers": [f"ns1.{zone}"]}
        self.call("POST", "/zones", body)

    def rrsets(self, zone: str) -> dict[tuple[str, str], set[str]]:
        """``{(name without dot, type): {contents}}`` of the zone's enabled records, read from the API."""
        detail = self.call("GET", f"/zones/{zone.rstrip('.')}.")
        return {
            (rrset["name"].rstrip("."), rrset["type"]): {
                record["content"] for record in rrset["records"] if not record["disabled"]
            }
            for rrset in detail["rrsets"]
        }

    def call(self, method: str, path: str, body: object = None) -> Any:
        """One API request; returns the decoded JSON reply (None for 204)."""
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(self.api + path, data=data, method=method)
        request.add_header("X-API-Key", self.api_key)
        request.add_header("Content-Type", "application/json")
        with urllib.request.urlopen(request, timeout=10) as reply:
            raw = reply.read()
        return json.loads(raw) if raw else None

    def log_tail(self, lines: int = 30) -> str:
        path = self.workdir / "pdns.log"
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:]) if path.exists() else ""

    def _wait_ready(self, timeout: float) -> bool:
        assert self.process is not None
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                return False  # exited, most likely a port clash
            try:
                self.call("GET", "")
                return True
            except (urllib.error.URLError, ConnectionError):
                time.sleep(0.02)  # polling the API for readiness, not waiting a fixed time
        self.stop()
        return False

    def _config(self, database: Path) -> str:
        return "\n".join(
            [
                "launch=gsqlite3",
                f"gsqlite3-database={database}",
                "local-address=127.0.0.1",
                f"local-port={self.dns_port}",
                f"socket-dir={self.workdir}",
                "daemon=no",
                "guardian=no",
                "disable-syslog=yes",
                "log-timestamp=yes",
                "loglevel=4",
                "security-poll-suffix=",
                "default-soa-content=ns1.@ hostmaster.@ 0 10800 3600 604800 300",
                # Caches off: a zone created through the API must answer at once (20 s delay otherwise).
                "cache-ttl=0",
                "negquery-cache-ttl=0",
                "query-cache-ttl=0",
                "api=yes",
                f"api-key={self.api_key}",
                "webserver=yes",
                "webserver-address=127.0.0.1",
                f"webserver-port={self.api_port}",
                "webserver-allow-from=127.0.0.0/8",
                "",
            ]
        )
