"""Endpoint.with_ copies as dataclasses.replace does: every field kept but those named, an unknown name refused."""

from __future__ import annotations

import dataclasses

import pytest

from external_dns.endpoint import Endpoint, ObjectRef

REF = ObjectRef("Service", "v1", "default", "web", "uid-1")
ORIGINAL = Endpoint(
    "web.example.com", "A", ("192.0.2.1",), 300, "eu", {"resource": "service/default/web"}, {"alias": "false"}, (REF,)
)


@pytest.mark.parametrize(
    "changes",
    [
        {},
        {"dns_name": "api.example.com"},
        {"targets": ("192.0.2.2", "192.0.2.3"), "ttl": 60},
        {"labels": {"owner": "me"}, "refs": ()},
        {"record_type": "AAAA", "set_identifier": "", "provider_specific": {}},
    ],
)
def test_with_is_dataclasses_replace(changes: dict[str, object]) -> None:
    copy = ORIGINAL.with_(**changes)

    for field in dataclasses.fields(Endpoint):
        assert getattr(copy, field.name) == getattr(dataclasses.replace(ORIGINAL, **changes), field.name)


def test_with_refuses_a_field_endpoints_do_not_have() -> None:
    with pytest.raises(TypeError, match="targetz"):
        ORIGINAL.with_(targetz=("192.0.2.9",))


def test_with_labels_adds_to_the_labels_and_keeps_the_rest() -> None:
    copy = ORIGINAL.with_labels(owner="me")

    assert copy.labels == {"resource": "service/default/web", "owner": "me"}
    assert copy.refs == (REF,)
    assert ORIGINAL.labels == {"resource": "service/default/web"}
