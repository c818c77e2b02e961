"""The RFC2136 provider's kept TCP connection (providers/rfc2136/connection.py), against a local TCP server
that answers each length-prefixed message and may close the connection after an answer or before one."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from external_dns.providers.rfc2136.connection import UpdateConnection


class Server:
    """Answers ``b"ok:" + message``; closes the connection after ``answers_per_connection`` answers, or with
    ``silent`` before answering anything."""

    def __init__(self, answers_per_connection: int = 1_000, silent: bool = False) -> None:
        self.answers_per_connection = answers_per_connection
        self.silent = silent
        self.connections = 0
        self.received: list[bytes] = []

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            for _ in range(self.answers_per_connection):
                length = int.from_bytes(await reader.readexactly(2), "big")
                message = await reader.readexactly(length)
                self.received.append(message)
                if self.silent:
                    return
                answer = b"ok:" + message
                writer.write(len(answer).to_bytes(2, "big") + answer)
                await writer.drain()
        except asyncio.IncompleteReadError:
            pass
        finally:
            writer.close()


async def serving(server: Server) -> AsyncIterator[int]:
    listening = await asyncio.start_server(server.handle, "127.0.0.1", 0)
    async with listening:
        yield listening.sockets[0].getsockname()[1]


async def test_the_messages_of_a_batch_share_one_connection() -> None:
    server = Server()
    async for port in serving(server):
        async with UpdateConnection("127.0.0.1", port, 5.0) as connection:
            answers = [await connection.exchange(f"m{i}".encode()) for i in range(5)]
    assert answers == [f"ok:m{i}".encode() for i in range(5)]
    assert connection.opened == 1 and server.connections == 1


async def test_a_kept_connection_the_server_closed_is_opened_again_and_the_message_sent_again() -> None:
    server = Server(answers_per_connection=2)
    async for port in serving(server):
        async with UpdateConnection("127.0.0.1", port, 5.0) as connection:
            answers = [await connection.exchange(f"m{i}".encode()) for i in range(5)]
            await asyncio.sleep(0)
    assert answers == [f"ok:m{i}".encode() for i in range(5)]
    assert connection.opened == 3


async def test_a_new_connection_closed_before_the_answer_fails_without_sending_again() -> None:
    server = Server(silent=True)
    async for port in serving(server):
        async with UpdateConnection("127.0.0.1", port, 5.0) as connection:
            with pytest.raises(asyncio.IncompleteReadError):
                await connection.exchange(b"m0")
    assert server.received == [b"m0"]  # sent once: its fate is unknown, the caller reports it as ambiguous
    assert connection.opened == 1


async def test_a_server_that_never_answers_times_out_and_the_connection_is_dropped() -> None:
    dropped = asyncio.Event()

    async def never_answers(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read()  # holds the connection open, answers nothing, until the client closes it
        dropped.set()

    listening = await asyncio.start_server(never_answers, "127.0.0.1", 0)
    async with listening:
        connection = UpdateConnection("127.0.0.1", listening.sockets[0].getsockname()[1], 0.2)
        with pytest.raises(TimeoutError):
            await connection.exchange(b"m0")
        await asyncio.wait_for(dropped.wait(), 5)  # closed at once, not left for a later message to read from
