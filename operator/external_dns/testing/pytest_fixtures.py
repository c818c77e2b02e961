"""Pytest fixtures for tests that need a Kubernetes API: import them into a conftest.py.

    from external_dns.testing.pytest_fixtures import cluster  # noqa: F401

`cluster` is function-scoped and thread-backed: the server runs in its own thread and loop, so both
sync and async tests can use it, and an operator under test can run in yet another thread or process.
"""

from collections.abc import Iterator

import pytest

from external_dns.testing.cluster import LocalCluster, local_cluster_in_thread


@pytest.fixture()
def cluster() -> Iterator[LocalCluster]:
    """A fresh local API server (namespaces default and kube-system exist) for one test."""
    with local_cluster_in_thread() as running:
        yield running
