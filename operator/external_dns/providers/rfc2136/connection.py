"""One TCP connection to the DNS server, over which the UPDATE messages of one batch go one after another.

A connection per message (what ``dns.asyncquery.tcp`` does) makes the server accept, and the client set up, one
connection for every 50 records; BIND takes a stream of messages over one connection faster (bench/floor.py
sends that way). Messages are length-prefixed (RFC 1035 4.2.2) and answered in order, one at a time.

A server may close a connection it finds idle. When the kept connection turns out closed before any answer to
a message came back, the message is sent once more on a new connection: an UPDATE without prerequisites (the
provider writes none) is idempotent, so even one the server applied before closing may be sent again.
"""

from __future__ import annotations

import asyncio
from types import TracebackType


class UpdateConnection:
    """Opened on first use; closed by :meth:`close` (or leaving ``async with``), and after any failure."""

    def __init__(self, host: str, port: int, timeout: float) -> None:
        self.host = host
        self.port = port
        self.timeout = timeout
        #: How many connections were opened (tests, benchmarks).
        self.opened = 0
        self._streams: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None

    async def __aenter__(self) -> UpdateConnection:
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.close()

    async def exchange(self, wire: bytes) -> bytes:
        """Send one rendered message and return the answer's bytes (TimeoutError after ``timeout`` seconds)."""
        try:
            async with asyncio.timeout(self.timeout):
                while True:
                    reused = self._streams is not None
                    reader, writer = self._streams or await self._open()
                    writer.write(len(wire).to_bytes(2, "big") + wire)
                    try:
                        length = int.from_bytes(await reader.readexactly(2), "big")
                    except (ConnectionError, asyncio.IncompleteReadError):
                        self.close()
                        if reused:
                            continue  # closed by the server while kept: once more, on a new connection
                        raise
                    return await reader.readexactly(length)
        except BaseException:
            self.close()  # whatever the state of the stream now, it is not to be read from again
            raise

    async def _open(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        self._streams = await asyncio.open_connection(self.host, self.port)
        self.opened += 1
        return self._streams

    def close(self) -> None:
        if self._streams is not None:
            self._streams[1].close()
            self._streams = None
