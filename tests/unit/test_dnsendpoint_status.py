"""DNSEndpoint status: the Programmed condition's reason, and the writer's skipped writes and stable
lastTransitionTime."""

from __future__ import annotations

import itertools
from typing import Any, cast

import pytest

from external_dns import dnsendpoint_status as status_module
from external_dns.desired import ObjectKey
from external_dns.dnsendpoint_status import EndpointState, StatusWriter, build_status
from external_dns.endpoint import Endpoint
from external_dns.kinds import Resource
from external_dns.kube import KubeAPIError, KubeClient

WEB_A = Endpoint("web.example.com", "A", ("203.0.113.10",))
WEB_AAAA = Endpoint("web.example.com", "AAAA", ("2001:db8::1",))
DNSENDPOINTS = Resource("externaldns.k8s.io", "v1alpha1", "dnsendpoints", "DNSEndpoint")
KEY = ObjectKey("crd", "default", "web")


def ok(endpoint: Endpoint) -> EndpointState:
    return EndpointState(endpoint, True)


STATUS_CASES = [
    pytest.param(
        [ok(WEB_A), ok(WEB_AAAA)],
        [],
        "True",
        "Programmed",
        "2 endpoints programmed",
        id="every endpoint programmed is Programmed",
    ),
    pytest.param(
        [ok(WEB_A), EndpointState(WEB_AAAA, False, "waiting to be applied")],
        [],
        "False",
        "Pending",
        "1 of 2 endpoints waiting to be applied",
        id="an endpoint waiting to be applied is Pending",
    ),
    pytest.param(
        [EndpointState(WEB_A, False, "waiting for a retry"), EndpointState(WEB_AAAA, False, "REFUSED")],
        [],
        "False",
        "Failed",
        "A web.example.com: waiting for a retry; AAAA web.example.com: REFUSED",
        id="an endpoint that failed is Failed and the message names every endpoint not programmed",
    ),
    pytest.param(
        [EndpointState(WEB_A, False, "waiting to be applied")],
        ["spec.endpoints[1].dnsName: empty", "ttl: bad"],
        "False",
        "Invalid",
        "spec.endpoints[1].dnsName: empty; ttl: bad",
        id="problems in the object make it Invalid whatever the endpoints say",
    ),
    pytest.param([], [], "True", "Programmed", "0 endpoints programmed", id="no endpoints is trivially Programmed"),
]


@pytest.mark.parametrize(("states", "problems", "condition_status", "reason", "message"), STATUS_CASES)
def test_build_status_condition(
    states: list[EndpointState], problems: list[str], condition_status: str, reason: str, message: str
) -> None:
    built = build_status(7, states, problems)
    [condition] = built["conditions"]
    assert condition["type"] == "Programmed"
    assert (condition["status"], condition["reason"]) == (condition_status, reason)
    assert condition["message"] == message


def test_build_status_reports_observed_generation_and_each_endpoint() -> None:
    built = build_status(3, [ok(WEB_A), EndpointState(WEB_AAAA, False, "REFUSED")], [])
    assert built["observedGeneration"] == 3
    assert built["conditions"][0]["observedGeneration"] == 3
    assert built["endpoints"] == [
        {"dnsName": "web.example.com", "recordType": "A", "programmed": True},
        {"dnsName": "web.example.com", "recordType": "AAAA", "programmed": False, "message": "REFUSED"},
    ]


def test_build_status_caps_the_condition_message() -> None:
    built = build_status(1, [], ["x" * 5000])
    assert len(built["conditions"][0]["message"]) == 1024


class CountingKube:
    """Records every request; answers 404 for objects named in ``missing``."""

    def __init__(self, missing: set[str] = frozenset()) -> None:  # type: ignore[assignment]
        self.requests: list[tuple[str, str, Any]] = []
        self.missing = missing

    async def request(self, method: str, path: str, *, body: Any = None, **_: Any) -> Any:
        self.requests.append((method, path, body))
        if any(path.endswith(f"/{name}/status") for name in self.missing):
            raise KubeAPIError(404, "not found")
        return body


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every lastTransitionTime taken is distinct, so a kept one is told apart from a new one."""
    ticks = (f"2024-05-01T12:00:{second:02d}Z" for second in itertools.count())
    monkeypatch.setattr(status_module, "_now", lambda: next(ticks))


async def test_the_writer_patches_the_status_subresource_and_skips_identical_writes(clock: None) -> None:
    kube = CountingKube()
    writer = StatusWriter(cast(KubeClient, kube), DNSENDPOINTS)
    try:
        pending = build_status(1, [EndpointState(WEB_A, False, "waiting to be applied")], [])
        writer.update(KEY, pending)
        await writer.flush()
        writer.update(KEY, build_status(1, [EndpointState(WEB_A, False, "waiting to be applied")], []))
        await writer.flush()

        assert writer.writes == 1
        [(method, path, body)] = kube.requests
        assert method == "PATCH"
        assert path == "/apis/externaldns.k8s.io/v1alpha1/namespaces/default/dnsendpoints/web/status"
        assert body["status"]["conditions"][0]["reason"] == "Pending"
        assert body["status"]["conditions"][0]["lastTransitionTime"] == "2024-05-01T12:00:00Z"
    finally:
        await writer.close()


async def test_last_transition_time_is_kept_until_the_condition_status_changes(clock: None) -> None:
    kube = CountingKube()
    writer = StatusWriter(cast(KubeClient, kube), DNSENDPOINTS)

    async def write(states: list[EndpointState]) -> str:
        writer.update(KEY, build_status(1, states, []))
        await writer.flush()
        condition = kube.requests[-1][2]["status"]["conditions"][0]
        return str(condition["lastTransitionTime"])

    try:
        pending = await write([EndpointState(WEB_A, False, "waiting to be applied")])
        failed = await write([EndpointState(WEB_A, False, "REFUSED")])  # reason changes, status stays False
        programmed = await write([ok(WEB_A)])
        programmed_again = await write([ok(WEB_A), ok(WEB_AAAA)])  # message changes, status stays True

        assert writer.writes == 4
        assert failed == pending
        assert programmed != pending
        assert programmed_again == programmed
    finally:
        await writer.close()


async def test_a_forgotten_object_is_written_again_and_a_deleted_one_is_not_retried(clock: None) -> None:
    kube = CountingKube(missing={"gone"})
    writer = StatusWriter(cast(KubeClient, kube), DNSENDPOINTS)
    try:
        programmed = build_status(1, [ok(WEB_A)], [])
        writer.update(KEY, programmed)
        await writer.flush()
        writer.forget(KEY)
        writer.update(KEY, programmed)
        await writer.flush()
        assert writer.writes == 2

        gone = ObjectKey("crd", "default", "gone")
        writer.update(gone, programmed)
        await writer.flush()
        writer.update(gone, programmed)  # the 404 counts as written: nothing more to do
        await writer.flush()
        assert [path for _, path, _ in kube.requests].count(
            "/apis/externaldns.k8s.io/v1alpha1/namespaces/default/dnsendpoints/gone/status"
        ) == 1
    finally:
        await writer.close()
