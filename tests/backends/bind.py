"""A BIND9 (``named``) server on a free loopback port, for integration tests and benchmarks.

Each server gets its own directory holding a generated ``named.conf``, a fresh TSIG key and throwaway copies of
the zone files (named rewrites zone files and keeps journals next to them). Logging is quiet (``-f`` with the
``update`` category muted, or a 1000-record UPDATE logs 1000 lines), the control channel is off (several servers
run at once on this machine), and ``max-records-per-type 0`` lifts BIND 9.18's limit of 100 records per RRset.

The control API is synchronous (fixtures call it); :meth:`BindServer.axfr_records` is async and runs the
transfer in a thread so a test's event loop stays free.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import secrets
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import dns.exception
import dns.message
import dns.name
import dns.query
import dns.rcode
import dns.rdatatype
import dns.tsig

KEY_NAME = "opkey"
KEY_ALGORITHM = "hmac-sha256"
_START_TIMEOUT = 15.0
_STOP_TIMEOUT = 15.0

#: A record set as the server holds it: (absolute name without the final dot, type) -> rdata texts.
RecordSets = dict[tuple[str, str], set[str]]


@dataclass(frozen=True, slots=True)
class BindInfo:
    """Where a running server listens and the TSIG key it accepts for UPDATE and AXFR."""

    host: str
    port: int
    key_name: str
    key_secret: str
    key_algorithm: str
    zones: tuple[str, ...]


def named_path() -> str | None:
    """The ``named`` binary, or None when BIND is not installed (tests skip then)."""
    return shutil.which("named") or ("/usr/sbin/named" if Path("/usr/sbin/named").exists() else None)


def free_port(host: str = "127.0.0.1") -> int:
    """A port free for both TCP and UDP on ``host`` right now (DNS needs both)."""
    while True:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as tcp:
            tcp.bind((host, 0))
            port: int = tcp.getsockname()[1]
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
                try:
                    udp.bind((host, port))
                except OSError:
                    continue
                return port


class BindServer:
    """One ``named -f`` process. ``start`` it, use :attr:`info`, ``stop`` it (also safe when not running)."""

    def __init__(self) -> None:
        self._process: subprocess.Popen[bytes] | None = None
        self._directory: Path | None = None
        self._info: BindInfo | None = None

    @property
    def info(self) -> BindInfo:
        """The address and key of the started server."""
        if self._info is None:
            raise RuntimeError("the BIND server was never started")
        return self._info

    def provider_flags(self, *zones: str) -> dict[str, Any]:
        """The operator's provider flags (Settings field names) for writing ``zones`` into this server."""
        info = self.info
        return {
            "provider": "rfc2136",
            "rfc2136_host": info.host,
            "rfc2136_port": info.port,
            "rfc2136_zone": list(zones),
            "rfc2136_tsig_keyname": info.key_name,
            "rfc2136_tsig_secret": info.key_secret,
            "rfc2136_tsig_secret_alg": info.key_algorithm,
        }

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    @property
    def log_path(self) -> Path:
        if self._directory is None:
            raise RuntimeError("the BIND server was never started")
        return self._directory / "named.log"

    def start(
        self,
        zones: Sequence[str],
        directory: Path,
        *,
        records: Mapping[str, Iterable[str]] | None = None,
        host: str = "127.0.0.1",
    ) -> BindInfo:
        """Write the config and zone files into ``directory`` and start named on a free port of ``host``.

        ``records`` adds zone-file lines (relative to the zone, e.g. ``"www 300 IN A 192.0.2.1"``) per zone:
        records that exist before the operator runs. Returns once every zone answers its SOA.
        """
        binary = named_path()
        if binary is None:
            raise RuntimeError("BIND9 'named' is not installed")
        directory.mkdir(parents=True, exist_ok=True)
        zone_names = tuple(zone.rstrip(".").lower() for zone in zones)
        secret = base64.b64encode(secrets.token_bytes(32)).decode()
        self._info = BindInfo(host, free_port(host), KEY_NAME, secret, KEY_ALGORITHM, zone_names)
        self._directory = directory
        for zone in zone_names:
            extra = (records or {}).get(zone, ())
            (directory / f"{zone}.zone").write_text(_zone_file(zone, extra))
        (directory / "named.conf").write_text(_named_conf(directory, self._info))
        self._launch(binary)
        return self._info

    def stop(self) -> None:
        """SIGTERM and wait for exit (named writes journals back to the zone files first)."""
        process, self._process = self._process, None
        if process is None or process.poll() is not None:
            return
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=_STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

    def pause(self) -> None:
        """Freeze the server (SIGSTOP): the kernel still accepts connections and requests, nothing answers."""
        if self._process is None:
            raise RuntimeError("the BIND server is not running")
        self._process.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        """Let a paused server run again (SIGCONT); it then answers what it received meanwhile."""
        if self._process is not None:
            self._process.send_signal(signal.SIGCONT)

    def restart(self) -> None:
        """Stop and start again on the same port with the same key; zone data (and journals) are kept."""
        binary = named_path()
        if binary is None or self._directory is None:
            raise RuntimeError("the BIND server was never started")
        self.stop()
        self._launch(binary)

    def keyring(self) -> dict[dns.name.Name, dns.tsig.Key]:
        """The server's TSIG key as a dnspython keyring."""
        name = dns.name.from_text(self.info.key_name)
        return {name: dns.tsig.Key(name, self.info.key_secret, self.info.key_algorithm)}

    def axfr_records_sync(self, zone: str) -> RecordSets:
        """Every record set of ``zone`` (SOA and all) by a TSIG-signed AXFR."""
        info = self.info
        keyring = self.keyring()
        result: RecordSets = {}
        transfer = dns.query.xfr(
            info.host,
            zone,
            port=info.port,
            keyring=keyring,
            keyname=next(iter(keyring)),
            relativize=False,
            timeout=10,
        )
        for message in transfer:
            for rrset in message.answer:
                key = (rrset.name.to_text(omit_final_dot=True), dns.rdatatype.to_text(rrset.rdtype))
                result.setdefault(key, set()).update(rdata.to_text() for rdata in rrset)
        return result

    async def axfr_records(self, zone: str) -> RecordSets:
        """:meth:`axfr_records_sync` without blocking the caller's event loop."""
        return await asyncio.to_thread(self.axfr_records_sync, zone)

    def _launch(self, binary: str) -> None:
        assert self._directory is not None
        log = (self._directory / "named.log").open("ab")
        with log:
            self._process = subprocess.Popen(
                [binary, "-f", "-c", str(self._directory / "named.conf")],
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
            )
        self._wait_ready()

    def _wait_ready(self) -> None:
        """Poll each zone's SOA until it answers; fail early with the log if named exits."""
        info = self.info
        deadline = time.monotonic() + _START_TIMEOUT
        pending = list(info.zones)
        while pending:
            if not self.running:
                raise RuntimeError(f"named exited during start-up:\n{self.log_path.read_text()[-4000:]}")
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"named did not serve {pending} in time:\n{self.log_path.read_text()[-4000:]}")
            query = dns.message.make_query(pending[0], dns.rdatatype.SOA)
            try:
                answer = dns.query.tcp(query, info.host, port=info.port, timeout=0.5)
            except (OSError, EOFError, dns.exception.DNSException):
                # Not listening yet: a short pause between connection attempts, bounded by the deadline.
                time.sleep(0.02)
                continue
            if answer.rcode() == dns.rcode.NOERROR and answer.answer:
                pending.pop(0)


def _named_conf(directory: Path, info: BindInfo) -> str:
    zones = "".join(
        f"""
zone "{zone}" {{
    type primary;
    file "{zone}.zone";
    allow-update {{ key "{info.key_name}"; }};
    allow-transfer {{ key "{info.key_name}"; }};
}};
"""
        for zone in info.zones
    )
    return f"""
options {{
    directory "{directory}";
    pid-file "{directory}/named.pid";
    session-keyfile "{directory}/session.key";
    managed-keys-directory "{directory}";
    listen-on port {info.port} {{ {info.host}; }};
    listen-on-v6 {{ none; }};
    recursion no;
    allow-query {{ any; }};
    dnssec-validation no;
    notify no;
    max-records-per-type 0;
}};
key "{info.key_name}" {{
    algorithm {info.key_algorithm};
    secret "{info.key_secret}";
}};
controls {{ }};
logging {{
    channel to_stderr {{ stderr; severity info; print-time yes; }};
    category default {{ to_stderr; }};
    category update {{ null; }};
    category lame-servers {{ null; }};
}};
{zones}"""


def _zone_file(zone: str, extra: Iterable[str]) -> str:
    lines = [
        "$TTL 300",
        f"@ IN SOA ns1.{zone}. hostmaster.{zone}. ( 1 3600 600 86400 300 )",
        f"  IN NS ns1.{zone}.",
        "ns1 IN A 127.0.0.1",
        *extra,
    ]
    return "\n".join(lines) + "\n"


@contextlib.contextmanager
def running_bind(directory: Path, zones: Iterable[str], records: Mapping[str, Iterable[str]] | None = None
                 ) -> Iterator[BindServer]:  # fmt: skip
    """BIND serving ``zones`` (with ``records`` in their zone files) until the block exits; skips the running
    test when `named` is not installed."""
    if named_path() is None:
        import pytest

        pytest.skip("BIND9 `named` is not installed (apt-get install bind9)")
    server = BindServer()
    server.start(list(zones), directory, records=records)
    try:
        yield server
    finally:
        server.stop()
