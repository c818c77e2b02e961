"""The floor of a cold start, measured in the same run as the operator: what the cluster and BIND need at least.

A cold start cannot beat two things: a paged LIST of the objects (the operator's own client, the same page size,
JSON decoded) and BIND taking in every record it must write. The second part is a hand-batched UPDATE stream of
the same records the operator writes (an A record and its ownership TXT per object, the TXT value byte for byte
as the TXT registry writes it, TTL 300) into an empty zone of the same BIND: messages built and TSIG-keyed
before the clock starts, then sent one after another over one TCP connection, each answered before the next
(BIND applies the UPDATEs of a zone one at a time, so keeping more in flight would only queue them there).

Each batch size gets its own empty zone on the same server (``floor-<size>.test``), so that every stream starts
from an empty zone as the operator does.
"""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import dns.message
import dns.name
import dns.query
import dns.rcode
import dns.rdataclass
import dns.rdatatype
import dns.rdtypes.ANY.TXT
import dns.rdtypes.IN.A
import dns.tsig
import dns.update

from external_dns.kube import KubeClient
from external_dns.registry.labels import serialize_labels

#: The largest DNS message over TCP.
MAX_MESSAGE = 65535
#: Kept free in each message for the header, the zone section and the TSIG record (as the provider does).
RESERVE = 600
#: The TTL the operator writes when an object asks for none (providers/rfc2136 DEFAULT_TTL).
TTL = 300


@dataclass(frozen=True, slots=True)
class Record:
    """One object's records: the A record and the ownership TXT value at ``a-<name>``."""

    label: str
    ip: str
    txt: str


@dataclass(frozen=True, slots=True)
class Stream:
    """One timed UPDATE stream."""

    batch_size: int
    messages: int
    seconds: float


def records_of(names: Sequence[str], ips: Sequence[str], owner: str, resource_kind: str) -> list[Record]:
    """The records the operator writes for these objects (namespace ``default``), with its exact TXT values."""
    return [
        Record(name, ip, serialize_labels({"owner": owner, "resource": f"{resource_kind}/default/{name}"}))
        for name, ip in zip(names, ips, strict=True)
    ]


def floor_zone(batch_size: int) -> str:
    return f"floor-{batch_size}.test"


def largest_batch(records: Sequence[Record]) -> int:
    """The most record groups (A + TXT) one UPDATE message can carry: the best batch size BIND allows."""
    widest = max(_group_size(record) for record in records)
    return (MAX_MESSAGE - RESERVE) // widest


def _group_size(record: Record) -> int:
    # Owner names compress to the zone: labels below it + a 2-byte pointer; 10 bytes of type/class/TTL/length.
    a_record = len(record.label) + 1 + 2 + 10 + 4
    txt_record = len(record.label) + 3 + 2 + 10 + len(record.txt) - 2 + 1  # quotes dropped, one length byte
    return a_record + txt_record


def messages_for(
    zone: str, records: Sequence[Record], batch_size: int, keyring: dict[dns.name.Name, dns.tsig.Key]
) -> list[dns.update.UpdateMessage]:
    """The UPDATE messages of the stream, ``batch_size`` groups each."""
    origin = dns.name.from_text(zone)
    (keyname,) = keyring
    messages = []
    for start in range(0, len(records), batch_size):
        message = dns.update.UpdateMessage(origin, keyring=keyring, keyname=keyname)
        for record in records[start : start + batch_size]:
            name = dns.name.Name((record.label.encode(), *origin.labels))
            txt_name = dns.name.Name((f"a-{record.label}".encode(), *origin.labels))
            a_rdata = dns.rdtypes.IN.A.A(dns.rdataclass.IN, dns.rdatatype.A, record.ip)  # type: ignore[no-untyped-call]
            txt_rdata = dns.rdtypes.ANY.TXT.TXT(dns.rdataclass.IN, dns.rdatatype.TXT, [record.txt[1:-1].encode()])
            message.add(name, TTL, a_rdata)
            message.add(txt_name, TTL, txt_rdata)
        messages.append(message)
    return messages


def send_stream(host: str, port: int, messages: Sequence[dns.update.UpdateMessage], timeout: float = 60.0) -> float:
    """Send the messages one after another on one TCP connection; the seconds it took. Any refusal raises."""
    with socket.create_connection((host, port), timeout=timeout) as sock:
        started = time.perf_counter()
        for message in messages:
            response = dns.query.tcp(message, host, port=port, timeout=timeout, sock=sock)
            if response.rcode() != dns.rcode.NOERROR:
                raise RuntimeError(f"the floor's UPDATE was refused: {dns.rcode.to_text(response.rcode())}")
        return time.perf_counter() - started


def update_floor(
    host: str,
    port: int,
    records: Sequence[Record],
    batch_sizes: Sequence[int],
    keyring: dict[dns.name.Name, dns.tsig.Key],
    progress: Callable[[str], None],
) -> list[Stream]:
    """One timed stream per batch size, each into its own empty zone (see :func:`floor_zone`)."""
    streams = []
    for size in batch_sizes:
        messages = messages_for(floor_zone(size), records, size, keyring)
        seconds = send_stream(host, port, messages)
        progress(f"floor: {len(records)} groups in {len(messages)} UPDATEs of {size}: {seconds:.2f}s")
        streams.append(Stream(size, len(messages), seconds))
    return streams


async def list_floor(kubeconfig: str, path: str) -> tuple[float, int]:
    """A paged LIST of ``path`` with the operator's own client and page size: seconds and objects listed."""
    kube = await KubeClient.connect(kubeconfig)
    try:
        started = time.perf_counter()
        count = 0
        async for page in kube.list_pages(path):
            count += len(page.get("items") or [])
        return time.perf_counter() - started, count
    finally:
        await kube.close()


def timed_list(kubeconfig: str, path: str) -> tuple[float, int]:
    return asyncio.run(list_floor(kubeconfig, path))
