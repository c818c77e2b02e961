"""The noop registry: records pass through, no ownership is read or written."""

from __future__ import annotations

from external_dns.endpoint import Endpoint
from external_dns.providers.base import Changes
from external_dns.registry import NoopRegistry, Registry


def test_noop_registry_passes_records_and_changes_through_without_txt() -> None:
    registry = NoopRegistry()
    assert isinstance(registry, Registry)
    assert registry.owner_id == ""
    records = [
        Endpoint("x.example.com", "A", ("192.0.2.1",)),
        Endpoint("a-x.example.com", "TXT", ('"heritage=external-dns"',)),
    ]
    view = registry.read(records)
    assert view.records == records
    assert view.txt_rows == set()
    changes = Changes(create=[records[0]], delete=[records[1]])
    out = registry.ownership_changes(changes, view)
    assert (out.create, out.delete, out.update_old, out.update_new) == ([records[0]], [records[1]], [], [])
    assert out.create is not changes.create
    assert registry.related_names("x.example.com") == set()
    assert not registry.is_registry_record(records[1])
