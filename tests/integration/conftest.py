"""Fixtures for integration tests: real DNS servers on loopback, started per test and always stopped."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.backends.bind import BindServer, named_path

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
