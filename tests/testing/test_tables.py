"""The Table rendering pieces: CRD printer columns' JSONPath subset and the server's human-readable ages."""

import datetime

import pytest

from external_dns.testing.tables import age_of, human_duration, json_path, table_request

READY, PROGRAMMED = {"type": "Ready", "status": "True"}, {"type": "Programmed", "status": "False"}
CONDITIONS = {"status": {"conditions": [READY, PROGRAMMED]}}


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ('.status.conditions[?(@.type=="Programmed")].status', ["False"]),
        (".status.conditions[0].type", ["Ready"]),
        (".status.conditions[*].type", ["Ready", "Programmed"]),
        (".status.missing", []),
        (".status.conditions[5].type", []),
        ("status", []),  # outside the subset: an empty cell, never an error
    ],
)
def test_json_path(path: str, expected: list[str]) -> None:
    assert json_path(CONDITIONS, path) == expected


@pytest.mark.parametrize(
    ("seconds", "expected"),
    [(-5, "<invalid>"), (0, "0s"), (119, "119s"), (150, "2m30s"), (600, "10m"), (3 * 3600 + 60, "3h1m"),
     (30 * 3600, "30h"), (3 * 86400 + 3600, "3d1h"), (400 * 86400, "400d"), (3 * 365 * 86400, "3y")],
)  # fmt: skip
def test_human_duration_matches_kubernetes(seconds: int, expected: str) -> None:
    assert human_duration(seconds) == expected


def test_age_of_an_rfc3339_timestamp() -> None:
    now = datetime.datetime(2026, 1, 1, 1, 0, tzinfo=datetime.UTC)
    assert age_of("2026-01-01T00:00:00Z", now) == "60m"
    assert age_of(None, now) == age_of("yesterday", now) == "<unknown>"


@pytest.mark.parametrize(
    ("accept", "wanted"),
    [
        ("application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,"
         "application/json", "v1"),
        ("application/json;as=Table;v=v1beta1;g=meta.k8s.io", "v1beta1"),
        ("application/json", None),
        ("application/json, application/json;as=Table;v=v1;g=meta.k8s.io", None),  # plain JSON comes first
        ("application/vnd.kubernetes.protobuf,application/json", None),
        ("", None),
    ],
)  # fmt: skip
def test_table_request_reads_the_accept_header(accept: str, wanted: str | None) -> None:
    request = table_request(accept, None)
    assert (request.version if request else None) == wanted
