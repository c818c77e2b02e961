"""The queries of an RFC2136 point read are sent together on one connection (names.exchange), and each answer is
told by its query's ID: a server may answer pipelined queries in any order (BIND works on several at once).

The server here is a socket on loopback that reads every query first, then answers as a test tells it to.
"""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Callable, Iterator

import dns.message
import dns.name
import dns.rdatatype
import pytest

from external_dns.errors import ProviderError
from external_dns.providers.rfc2136.names import exchange
from external_dns.providers.rfc2136.reading import Server

NAMES = [dns.name.from_text(f"n{index}.example.com") for index in range(5)]
Answering = Callable[[list[dns.message.Message]], list[bytes]]


def framed(message: dns.message.Message) -> bytes:
    wire = message.to_wire()
    return len(wire).to_bytes(2, "big") + wire


def read_queries(connection: socket.socket, count: int) -> list[dns.message.Message]:
    stream = connection.makefile("rb")
    return [dns.message.from_wire(stream.read(int.from_bytes(stream.read(2), "big"))) for _ in range(count)]


Serving = Callable[..., Server]


@pytest.fixture
def serving() -> Iterator[Serving]:
    """A server that reads the 5 queries of NAMES, then sends what the test's function makes of them, and keeps
    the connection open until the client closes it (or, ``hang_up``, closes it at once)."""
    listener = socket.create_server(("127.0.0.1", 0))
    threads: list[threading.Thread] = []

    def serve(answering: Answering, hang_up: bool = False) -> Server:
        def run() -> None:
            connection, _ = listener.accept()
            with connection:
                connection.sendall(b"".join(answering(read_queries(connection, len(NAMES)))))
                if not hang_up:
                    with contextlib.suppress(ConnectionResetError):  # a client that stopped reading early resets
                        connection.recv(1)

        thread = threading.Thread(target=run, daemon=True)
        thread.start()
        threads.append(thread)
        host, port = listener.getsockname()
        return Server(host=host, port=port, timeout=5.0, keyring=None, keyname=None, algorithm="hmac-sha256")

    yield serve
    listener.close()
    for thread in threads:
        thread.join(5)


def ask(server: Server) -> list[dns.message.Message]:
    with socket.create_connection((server.host, server.port), timeout=server.timeout) as connection:
        return exchange(server, connection, NAMES, dns.rdatatype.ANY)


def test_answers_sent_in_reverse_order_are_returned_in_the_order_of_the_names(serving: Serving) -> None:
    server = serving(lambda queries: [framed(dns.message.make_response(query)) for query in reversed(queries)])

    answers = ask(server)

    assert [answer.question[0].name for answer in answers] == NAMES


def test_an_answer_to_no_query_asked_is_a_provider_error(serving: Serving) -> None:
    def wrong_id(queries: list[dns.message.Message]) -> list[bytes]:
        stray = dns.message.make_response(queries[0])
        stray.id = (queries[0].id + 1) % 65536
        while stray.id in {query.id for query in queries}:
            stray.id = (stray.id + 1) % 65536
        return [framed(stray), *(framed(dns.message.make_response(query)) for query in queries[1:])]

    with pytest.raises(ProviderError, match="not asked"):
        ask(serving(wrong_id))


def test_a_server_that_closes_before_every_answer_is_sent_ends_the_read(serving: Serving) -> None:
    server = serving(lambda queries: [framed(dns.message.make_response(query)) for query in queries[:2]], hang_up=True)

    with pytest.raises(EOFError):
        ask(server)
