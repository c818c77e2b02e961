"""The floor of a cold start, measured in the same run as the operator: what the cluster and BIND need at least.

A cold start cannot beat two things: a paged LIST of the objects (the operator's own client, the same page size,
JSON decoded) and BIND taking in every record it must write. The second part is a hand-batched UPDATE stream of
the same records the operator writes (an A record and its ownership TXT per object, the TXT value byte for byte
as the TXT registry writes it, TTL 300) into an empty zone of the same BIND: each message built with dnspython
as simply as it can be (no checks, no bookkeeping) right before it is sent, the messages one after another over
one TCP connection, each answered before the next (BIND applies the UPDATEs of a zone one at a time, so keeping
more in flight would only queue them there). Building is part of the floor: any client must build what it
sends; the CPU seconds it took are printed beside the total.

Each batch size gets its own empty zone on the same server (``floor-<size>.test``), so that every stream starts
from an empty zone as the operator does.
"""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import Callable, Iterator, Sequence
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
    """One timed UPDATE stream: wall seconds in all, and the CPU seconds of building the messages."""

    batch_size: int
    messages: int
    seconds: float
    build_cpu_s: float


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
) -> Iterator[dns.update.UpdateMessage]:
    """The UPDATE messages of the stream, ``batch_size`` groups each, built as they are asked for."""
    origin = dns.name.from_text(zone)
    (keyname,) = keyring
    for start in range(0, len(records), batch_size):
        message = dns.update.UpdateMessage(origin, keyring=keyring, keyname=keyname)
        for record in records[start : start + batch_size]:
            name = dns.name.Name((record.label.encode(), *origin.labels))
            txt_name = dns.name.Name((f"a-{record.label}".encode(), *origin.labels))
            a_rdata = dns.rdtypes.IN.A.A(dns.rdataclass.IN, dns.rdatatype.A, record.ip)  # type: ignore[no-untyped-call]
            txt_rdata = dns.rdtypes.ANY.TXT.TXT(dns.rdataclass.IN, dns.rdatatype.TXT, [record.txt[1:-1].encode()])
            message.add(name, TTL, a_rdata)
            message.add(txt_name, TTL, txt_rdata)
        yield message


def send_stream(
    host: str, port: int, messages: Iterator[dns.update.UpdateMessage], timeout: float = 60.0
) -> tuple[float, float, int]:
    """Build and send the messages one after another on one TCP connection: the wall seconds it took, the CPU
    seconds spent building, and how many were sent. Any refusal raises."""
    sent = 0
    building = 0.0
    with socket.create_connection((host, port), timeout=timeout) as sock:
        started = time.perf_counter()
        while True:
            before = time.process_time()
            message = next(messages, None)
            building += time.process_time() - before
            if message is None:
                return time.perf_counter() - started, building, sent
            response = dns.query.tcp(message, host, port=port, timeout=timeout, sock=sock)
            if response.rcode() != dns.rcode.NOERROR:
                raise RuntimeError(f"the floor's UPDATE was refused: {dns.rcode.to_text(response.rcode())}")
            sent += 1


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
        seconds, building, sent = send_stream(host, port, messages_for(floor_zone(size), records, size, keyring))
        progress(f"floor: {len(records)} groups in {sent} UPDATEs of {size}: {seconds:.2f}s ({building:.2f}s building)")
        streams.append(Stream(size, sent, seconds, building))
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
