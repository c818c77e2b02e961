"""The RFC2136 provider sends a batch's UPDATE messages on one TCP connection, and sends a message again on a new
connection when the server closed the one kept (UPDATEs without prerequisites are idempotent).

A small DNS server on loopback answers NOERROR to every message and counts connections and messages; it can
close each connection after a given number of answers, as some servers do.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator

import dns.message
import dns.query
import dns.update
import pytest

from external_dns.endpoint import Endpoint
from external_dns.providers.base import Changes, Zone
from external_dns.providers.rfc2136.provider import RFC2136Config, RFC2136Provider

ZONE = Zone("example.com", "example.com")


class CountingServer:
    """Answers every UPDATE with NOERROR; closes a connection after ``answers_per_connection`` answers."""

    def __init__(self, answers_per_connection: int | None) -> None:
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port: int = self.listener.getsockname()[1]
        self.answers_per_connection = answers_per_connection
        self.connections = 0
        self.messages = 0
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while True:
            try:
                connection, _ = self.listener.accept()
            except OSError:
                return  # closed: the test is over
            self.connections += 1
            with connection:
                self._answer(connection)

    def _answer(self, connection: socket.socket) -> None:
        answered = 0
        while self.answers_per_connection is None or answered < self.answers_per_connection:
            try:
                query, _ = dns.query.receive_tcp(connection)
            except (EOFError, OSError):
                return  # the client closed it
            self.messages += 1
            dns.query.send_tcp(connection, dns.message.make_response(query).to_wire())
            answered += 1

    def close(self) -> None:
        # shutdown first: a close alone leaves the socket listening while the thread blocks in accept (Linux).
        try:
            self.listener.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass  # closed already
        self.listener.close()


@pytest.fixture
def server(request: pytest.FixtureRequest) -> Iterator[CountingServer]:
    running = CountingServer(request.param)
    yield running
    running.close()


def provider_for(server: CountingServer) -> RFC2136Provider:
    settings = RFC2136Config(host="127.0.0.1", port=server.port, zones=("example.com",), insecure=True)
    return RFC2136Provider(settings)


def creates(count: int) -> Changes:
    # More names than one message holds (50 per UPDATE by default): several messages.
    return Changes(create=[Endpoint(f"h{i:03d}.example.com", "A", ("192.0.2.1",)) for i in range(count)])


@pytest.mark.parametrize("server", [None], indirect=True)
async def test_the_messages_of_a_batch_share_one_connection(server: CountingServer) -> None:
    provider = provider_for(server)

    outcome = await provider.apply_changes(ZONE, creates(150))

    assert outcome.failed == []
    assert (server.messages, provider.stats.updates_sent) == (3, 3)
    assert server.connections == 1


@pytest.mark.parametrize("server", [1], indirect=True)
async def test_a_message_whose_kept_connection_was_closed_is_sent_again_on_a_new_one(server: CountingServer) -> None:
    provider = provider_for(server)

    outcome = await provider.apply_changes(ZONE, creates(150))

    assert outcome.failed == []
    assert (server.messages, provider.stats.updates_sent, server.connections) == (3, 3, 3)


@pytest.mark.parametrize("server", [1], indirect=True)
async def test_a_server_gone_after_closing_the_kept_connection_is_an_ambiguous_failure(server: CountingServer) -> None:
    class ServerStopsAfterFirstMessage(RFC2136Provider):
        def _send(self, message: dns.update.UpdateMessage, connection: socket.socket | None) -> socket.socket:
            kept = super()._send(message, connection)
            server.close()  # nobody listens any more: the resend's connection is refused
            return kept

    provider = ServerStopsAfterFirstMessage(
        RFC2136Config(host="127.0.0.1", port=server.port, zones=("example.com",), insecure=True)
    )

    outcome = await provider.apply_changes(ZONE, creates(150))

    # The second message may have been applied before its connection went: the zone must be re-read.
    assert outcome.ambiguous
    assert len(outcome.failed) == 100
    assert server.messages == 1
