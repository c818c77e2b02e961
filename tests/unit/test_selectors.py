"""One selector parser for the operator's filters and the local API server's labelSelector/fieldSelector."""

from __future__ import annotations

import pytest

from external_dns.selectors import SelectorError, parse_selector
from external_dns.testing.selectors import parse_selector as parse_query

EVENT = {
    "metadata": {"name": "web.1", "labels": {"app": "web"}},
    "reason": "RecordError",
    "involvedObject": {"kind": "Service"},
}


@pytest.mark.parametrize(
    ("labels", "fields", "matches"),
    [
        pytest.param("app=web", "reason=RecordError", True, id="label and field equality"),
        pytest.param("app in (web,api)", "involvedObject.kind!=Ingress", True, id="set label, field inequality"),
        pytest.param("", "reason==RecordReady", False, id="a field that differs"),
        pytest.param("", "spec.nodeName=", True, id="an absent field compares as empty"),
        pytest.param("!app", None, False, id="label must be absent"),
    ],
)
def test_the_local_api_server_applies_selectors_with_the_operators_parser(
    labels: str, fields: str | None, matches: bool
) -> None:
    assert parse_query(labels, fields).matches(EVENT) is matches


@pytest.mark.parametrize("fields", ["reason in (a)", "!reason", "reason"])
def test_field_selectors_take_only_equality_terms(fields: str) -> None:
    with pytest.raises(SelectorError):
        parse_query(None, fields)


def test_a_malformed_selector_is_a_selector_error() -> None:
    with pytest.raises(SelectorError):
        parse_selector("app in web")
