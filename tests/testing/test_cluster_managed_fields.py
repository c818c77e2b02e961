"""The local API server's metadata.managedFields: who wrote an object and when, as the real server keeps it."""

from collections.abc import Iterator
from typing import Any

import pytest

from external_dns.testing import LocalCluster, servermeta

SERVICE = {"metadata": {"name": "web"}, "spec": {"ports": [{"port": 80}]}}


class Ticking:
    """The server's clock, moved by the test: one second later at each write."""

    def __init__(self) -> None:
        self.second = 0

    def __call__(self) -> str:
        self.second += 1
        return f"2026-12-02T15:00:{self.second:02d}Z"


@pytest.fixture()
def ticking(monkeypatch: pytest.MonkeyPatch) -> Iterator[Ticking]:
    clock = Ticking()
    monkeypatch.setattr(servermeta, "now_rfc3339", clock)
    yield clock


def entries(obj: dict[str, Any]) -> list[tuple[str, str | None, str]]:
    return [(e["manager"], e.get("subresource"), e["time"]) for e in obj["metadata"]["managedFields"]]


async def test_a_create_records_its_manager_and_time(api: LocalCluster, ticking: Ticking) -> None:
    created = await api.request("POST", "/api/v1/namespaces/default/services", SERVICE, params={"fieldManager": "me"})
    (entry,) = created["metadata"]["managedFields"]
    assert entry["manager"] == "me" and entry["operation"] == "Update" and entry["apiVersion"] == "v1"
    assert entry["time"] == "2026-12-02T15:00:01Z" and entry["fieldsType"] == "FieldsV1"
    assert "subresource" not in entry


async def test_the_user_agent_names_a_writer_that_gives_no_field_manager(api: LocalCluster, ticking: Ticking) -> None:
    created = await api.create("v1", "services", SERVICE, "default")
    assert entries(created) == [("Python", None, "2026-12-02T15:00:01Z")]  # aiohttp's "Python/3.x aiohttp/..."


async def test_each_writer_and_subresource_has_its_entry_and_its_time_moves_on_a_change(
    api: LocalCluster, ticking: Ticking
) -> None:
    await api.create("v1", "services", SERVICE, "default")
    path = "/api/v1/namespaces/default/services/web/status"
    status = {"status": {"loadBalancer": {"ingress": [{"ip": "192.0.2.1"}]}}}
    merge = "application/merge-patch+json"
    await api.request("PATCH", path, status, content_type=merge, params={"fieldManager": "lb"})
    later = {"status": {"loadBalancer": {"ingress": [{"ip": "192.0.2.2"}]}}}
    changed = await api.request("PATCH", path, later, content_type=merge, params={"fieldManager": "lb"})
    assert entries(changed) == [("Python", None, "2026-12-02T15:00:01Z"), ("lb", "status", "2026-12-02T15:00:03Z")]


async def test_a_write_that_changes_nothing_keeps_the_times(api: LocalCluster, ticking: Ticking) -> None:
    created = await api.create("v1", "services", SERVICE, "default")
    again = await api.patch("v1", "services", "web", {"spec": {"ports": [{"port": 80}]}}, "default")
    assert again["metadata"]["resourceVersion"] == created["metadata"]["resourceVersion"]
    assert entries(again) == entries(created)


async def test_managed_fields_in_a_request_are_ignored(api: LocalCluster, ticking: Ticking) -> None:
    # The real server lets a client replace or reset them; the local one keeps its own (see servermeta.py).
    forged = [{"manager": "forger", "operation": "Update", "time": "2000-01-01T00:00:00Z"}]
    created = await api.create(
        "v1", "services", {**SERVICE, "metadata": {"name": "web", "managedFields": forged}}, "default"
    )
    assert [manager for manager, _, _ in entries(created)] == ["Python"]
    patched = await api.patch(
        "v1", "services", "web", {"metadata": {"managedFields": forged, "labels": {"a": "b"}}}, "default"
    )
    assert entries(patched) == [("Python", None, "2026-12-02T15:00:02Z")]


def test_the_manager_of_a_request() -> None:
    assert servermeta.manager_of("given", "kubectl/v1.31.0 (linux/amd64)") == "given"
    assert servermeta.manager_of(None, "kubectl/v1.31.0 (linux/amd64)") == "kubectl"
    assert servermeta.manager_of("", "") == servermeta.UNKNOWN_MANAGER
    assert servermeta.manager_of(None, "x" * 300) == "x" * 128
