"""Test-side names for the operator harness (it lives in the package so the demo uses it too), a recorder of the
zone workers' syncs, and the local API server's clock set back."""

import contextlib
import datetime
from collections.abc import Iterator
from typing import Any

import pytest

from external_dns.reconciler import ZoneWorker
from external_dns.testing import servermeta
from external_dns.testing.operator import OperatorThread, operator_settings, wait_for

__all__ = ["OperatorThread", "operator_settings", "syncs_recorded", "wait_for", "written_ago"]


def syncs_recorded(monkeypatch: pytest.MonkeyPatch, method: str = "sync") -> list[set[str]]:
    """The names of each call of the ``ZoneWorker`` method (``sync``, or the early pass's ``sync_before_listed``)
    from now on, in order (every worker's, the call unchanged)."""
    calls: list[set[str]] = []
    original = getattr(ZoneWorker, method)

    async def recorded(worker: ZoneWorker, names: set[str]) -> Any:
        calls.append(set(names))
        return await original(worker, names)

    monkeypatch.setattr(ZoneWorker, method, recorded)
    return calls


@contextlib.contextmanager
def written_ago(seconds: float) -> Iterator[None]:
    """Writes to the local API server of this process made inside carry times ``seconds`` back (creationTimestamp,
    managedFields). Objects a test sets up before its operator starts are then old ones, as in a real cluster: a
    listed object changed just before the start is planned early (recentlychanged.py)."""

    def then() -> str:
        moment = datetime.datetime.now(datetime.UTC) - datetime.timedelta(seconds=seconds)
        return moment.strftime("%Y-%m-%dT%H:%M:%SZ")

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(servermeta, "now_rfc3339", then)
        yield
