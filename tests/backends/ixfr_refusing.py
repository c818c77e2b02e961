"""A DNS-over-TCP proxy in front of a test server that answers every IXFR request itself with REFUSED (a server that
does not serve incremental transfers), and passes every other message through unchanged.

It runs its own event loop in a thread, so both synchronous fixtures and an operator in another thread can use it.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Iterator

import dns.message
import dns.name
import dns.rcode
import dns.rdatatype
import dns.tsig


class IxfrRefusingProxy:
    """Listens on ``host:port`` (a free port); forwards to ``upstream``; counts the IXFRs it refused."""

    def __init__(self, upstream: tuple[str, int], keyring: dict[dns.name.Name, dns.tsig.Key]) -> None:
        self.upstream = upstream
        self.keyring = keyring
        self.host = "127.0.0.1"
        self.port = 0
        self.refused = 0
        self._loop = asyncio.new_event_loop()
        self._server: asyncio.Server | None = None
        self._connections: set[asyncio.Task[None]] = set()
        self._thread = threading.Thread(target=self._loop.run_forever, name="ixfr-refusing-proxy", daemon=True)

    def start(self) -> None:
        self._thread.start()
        self._server = asyncio.run_coroutine_threadsafe(self._listen(), self._loop).result(10)
        self.port = self._server.sockets[0].getsockname()[1]

    def stop(self) -> None:
        """Close the listener and every connection on the proxy's loop, then end the loop and its thread."""
        asyncio.run_coroutine_threadsafe(self._close(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
        self._loop.close()

    async def _close(self) -> None:
        if self._server is not None:
            self._server.close()
        for task in self._connections:
            task.cancel()
        await asyncio.gather(*self._connections, return_exceptions=True)

    async def _listen(self) -> asyncio.Server:
        return await asyncio.start_server(self._serve, self.host, 0)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        upstream: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None
        task = asyncio.current_task()
        assert task is not None
        self._connections.add(task)
        try:
            while True:
                try:
                    wire = await reader.readexactly(int.from_bytes(await reader.readexactly(2), "big"))
                except asyncio.IncompleteReadError:
                    return
                query = dns.message.from_wire(wire, keyring=self.keyring)
                if query.question and query.question[0].rdtype == dns.rdatatype.IXFR:
                    self.refused += 1
                    answer = dns.message.make_response(query)
                    answer.set_rcode(dns.rcode.REFUSED)
                    reply = answer.to_wire()
                    writer.write(len(reply).to_bytes(2, "big") + reply)
                    continue
                if upstream is None:
                    upstream = await asyncio.open_connection(*self.upstream)
                upstream[1].write(len(wire).to_bytes(2, "big") + wire)
                # An AXFR is answered in many messages: relay until the server has said all (it closes or idles).
                await self._relay(upstream[0], writer, query)
        finally:
            self._connections.discard(task)
            writer.close()
            if upstream is not None:
                upstream[1].close()

    async def _relay(self, upstream: asyncio.StreamReader, client: asyncio.StreamWriter, query: dns.message.Message
                     ) -> None:  # fmt: skip
        """Pass the server's answer on: one message, or every message of a zone transfer (the last one repeats
        the zone's SOA, which dnspython's reader tells apart; here the first message's SOA is compared)."""
        transfer = query.question[0].rdtype == dns.rdatatype.AXFR
        first_soa: object = None
        while True:
            length = await upstream.readexactly(2)
            body = await upstream.readexactly(int.from_bytes(length, "big"))
            client.write(length + body)
            if not transfer:
                return
            message = dns.message.from_wire(body, xfr=True, one_rr_per_rrset=True, keyring=False)
            for rrset in message.answer:
                if rrset.rdtype != dns.rdatatype.SOA:
                    continue
                if first_soa is None:
                    first_soa = rrset[0]
                elif rrset[0] == first_soa:
                    return


@contextlib.contextmanager
def ixfr_refusing(host: str, port: int, keyring: dict[dns.name.Name, dns.tsig.Key]) -> Iterator[IxfrRefusingProxy]:
    proxy = IxfrRefusingProxy((host, port), keyring)
    proxy.start()
    try:
        yield proxy
    finally:
        proxy.stop()
