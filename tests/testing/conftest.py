"""Fixtures for the tests of the local API server: one in the test's own loop, one in a thread."""

from collections.abc import AsyncIterator

import pytest

from external_dns.testing import LocalCluster, local_cluster
from external_dns.testing.pytest_fixtures import cluster  # noqa: F401  (the thread-backed fixture)


@pytest.fixture()
async def api() -> AsyncIterator[LocalCluster]:
    """A local API server served by the test's own event loop."""
    async with local_cluster() as running:
        yield running
