"""Test-side names for the operator harness (it lives in the package so the demo uses it too), and a recorder of
the zone workers' syncs."""

import pytest

from external_dns.reconciler import ZoneWorker
from external_dns.testing.operator import OperatorThread, operator_settings, wait_for
from external_dns.zonework import SyncResult

__all__ = ["OperatorThread", "operator_settings", "syncs_recorded", "wait_for"]


def syncs_recorded(monkeypatch: pytest.MonkeyPatch) -> list[set[str]]:
    """The names of each ``ZoneWorker.sync`` call from now on, in order (every worker's, the sync unchanged)."""
    synced: list[set[str]] = []
    sync = ZoneWorker.sync

    async def recorded(worker: ZoneWorker, names: set[str]) -> SyncResult:
        synced.append(set(names))
        return await sync(worker, names)

    monkeypatch.setattr(ZoneWorker, "sync", recorded)
    return synced
