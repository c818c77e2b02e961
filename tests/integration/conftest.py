"""Fixtures for integration tests: the local API server and real DNS servers on loopback, per test, always stopped."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.backends.bind import BindServer, named_path, running_bind

from external_dns.testing import local_cluster_in_thread
from external_dns.testing.cluster import LocalCluster

#: Zones every `bind_server` serves.
BIND_ZONES = ("example.com", "example.org")


@pytest.fixture
def bind_server(tmp_path: Path) -> Iterator[BindServer]:
    """A started BIND serving BIND_ZONES with a TSIG key (see `server.info`); skipped without `named`."""
    if named_path() is None:
        pytest.skip("BIND9 `named` is not installed (apt-get install bind9)")
    server = BindServer()
    server.start(BIND_ZONES, tmp_path / "bind")
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def cluster() -> Iterator[LocalCluster]:
    """The local Kubernetes API server, served from its own thread (the operator under test has another)."""
    with local_cluster_in_thread() as running:
        yield running


@pytest.fixture
def bind(tmp_path: Path) -> Iterator[BindServer]:
    """BIND serving example.com, empty but for its SOA, NS and ns1 records."""
    with running_bind(tmp_path / "bind", ["example.com"]) as server:
        yield server
