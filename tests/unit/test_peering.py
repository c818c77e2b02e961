"""High availability: reading Kopf's peering object, Kopf's activity rule, and the gate's role transitions."""

from __future__ import annotations

import asyncio
import datetime
from collections.abc import Mapping
from typing import Any, cast

import pytest

from external_dns.kube import KubeAPIError, KubeClient
from external_dns.peering import Peer, PeeringGate, is_active, parse_peers, peering_path

NOW = datetime.datetime(2024, 5, 1, 12, 0, 0, tzinfo=datetime.UTC)
ME = "me@1/aaaaaa"


def seen(ago: float = 0.0, *, priority: int = 100, lifetime: int = 60, now: datetime.datetime = NOW) -> dict[str, Any]:
    return {
        "priority": priority,
        "lifetime": lifetime,
        "lastseen": (now - datetime.timedelta(seconds=ago)).isoformat(),
    }


def test_parse_peers_reads_kopf_status_and_skips_junk() -> None:
    status: dict[str, Any] = {
        "good": {"priority": 7, "lifetime": 30, "lastseen": "2024-05-01T12:00:00+00:00"},
        "naive-time": {"priority": "8", "lastseen": "2024-05-01T12:00:00"},
        "not-a-mapping": "hello",
        "no-lastseen": {"priority": 1},
        "bad-date": {"priority": 1, "lastseen": "yesterday"},
        "bad-priority": {"priority": "high", "lastseen": "2024-05-01T12:00:00+00:00"},
        "bad-lifetime": {"lifetime": None, "lastseen": "2024-05-01T12:00:00+00:00"},
    }
    assert parse_peers(status) == [
        Peer("good", 7, NOW + datetime.timedelta(seconds=30)),
        # A time without a zone is taken as UTC; lifetime defaults to Kopf's 60 seconds.
        Peer("naive-time", 8, NOW + datetime.timedelta(seconds=60)),
    ]


def test_parse_peers_of_an_empty_status_is_empty() -> None:
    assert parse_peers({}) == []


def peer(identity: str, priority: int, *, alive: bool = True) -> Peer:
    return Peer(identity, priority, NOW + datetime.timedelta(seconds=30 if alive else -1))


@pytest.mark.parametrize(
    ("peers", "active"),
    [
        pytest.param([peer(ME, 100)], True, id="alone it is active"),
        pytest.param(
            [peer(ME, 100), peer("other", 50)], True, id="a live peer with a lower priority does not pause it"
        ),
        pytest.param([peer(ME, 100), peer("other", 100)], False, id="a live peer with the same priority pauses it"),
        pytest.param([peer(ME, 100), peer("other", 200)], False, id="a live peer with a higher priority pauses it"),
        pytest.param(
            [peer(ME, 100), peer("other", 200, alive=False)], True, id="a dead peer with a higher priority is ignored"
        ),
        pytest.param([peer(ME, 100, alive=False)], True, id="its own entry never pauses it even when stale"),
        pytest.param([], True, id="no peers at all is active by the rule alone"),
    ],
)
def test_is_active(peers: list[Peer], active: bool) -> None:
    assert is_active(peers, ME, 100, NOW) is active


class ScriptedKube:
    """Answers GETs of the peering object from a script (None: 404), then blocks until cancelled."""

    def __init__(self, script: list[Mapping[str, Any] | None]) -> None:
        self.script = list(script)
        self.paths: list[str] = []
        self.done = asyncio.Event()

    async def request(self, method: str, path: str, **_: Any) -> Any:
        assert method == "GET"
        self.paths.append(path)
        if not self.script:
            self.done.set()
            await asyncio.Event().wait()
        answer = self.script.pop(0)
        if answer is None:
            raise KubeAPIError(404, "clusterkopfpeerings.kopf.dev not found")
        return answer


def peering(**peers: dict[str, Any]) -> dict[str, Any]:
    return {"metadata": {"name": "external-dns"}, "status": {k.replace("_", "@"): v for k, v in peers.items()}}


async def run_gate(
    script: list[Mapping[str, Any] | None], confirmations: int = 1
) -> tuple[list[str], PeeringGate, ScriptedKube]:
    """Run the gate over scripted peering objects; one confirmation unless told (the role rules alone)."""
    kube = ScriptedKube(script)
    gate = PeeringGate(cast(KubeClient, kube), "external-dns", "me@1", 100, interval=0, confirmations=confirmations)
    transitions: list[str] = []

    async def on_active() -> None:
        transitions.append("active")

    async def on_standby() -> None:
        transitions.append("standby")

    task = asyncio.create_task(gate.run(on_active, on_standby))
    try:
        await asyncio.wait_for(kube.done.wait(), 5)
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
    return transitions, gate, kube


async def test_the_gate_calls_back_on_role_transitions_only() -> None:
    now = datetime.datetime.now(datetime.UTC)
    alone = peering(me_1=seen(now=now))
    with_lower = peering(me_1=seen(now=now), other_2=seen(now=now, priority=10))
    with_higher = peering(me_1=seen(now=now), other_2=seen(now=now, priority=500))

    transitions, gate, kube = await run_gate([None, alone, with_lower, alone, with_higher, with_higher, alone, None])

    assert transitions == ["active", "standby", "active", "standby"]
    assert not gate.active
    assert set(kube.paths) == {"/apis/kopf.dev/v1/clusterkopfpeerings/external-dns"}


async def test_the_gate_stands_by_while_the_peering_object_is_missing() -> None:
    transitions, gate, _ = await run_gate([None, None, None])
    assert transitions == []
    assert not gate.active
    assert gate.checked.is_set()


async def test_the_gate_waits_for_its_own_keepalive_before_acting() -> None:
    now = datetime.datetime.now(datetime.UTC)
    others_only = peering(other_2=seen(now=now, priority=10))
    transitions, gate, _ = await run_gate(
        [others_only, peering(me_1=seen(now=now), other_2=seen(now=now, priority=10))]
    )
    assert transitions == ["active"]
    assert gate.active


async def test_the_gate_takes_over_when_the_higher_peer_goes_stale() -> None:
    now = datetime.datetime.now(datetime.UTC)
    transitions, _, _ = await run_gate(
        [
            peering(me_1=seen(now=now), other_2=seen(now=now, priority=500)),
            peering(me_1=seen(now=now), other_2=seen(3600, now=now, priority=500)),
        ]
    )
    assert transitions == ["active"]


def test_a_namespaced_operator_reads_the_namespaced_peering_object() -> None:
    assert peering_path("external-dns", "dns") == "/apis/kopf.dev/v1/namespaces/dns/kopfpeerings/external-dns"
    assert peering_path("external-dns") == "/apis/kopf.dev/v1/clusterkopfpeerings/external-dns"


async def test_the_lead_is_taken_only_after_several_polls_on_top_but_given_up_at_once() -> None:
    now = datetime.datetime.now(datetime.UTC)
    alone = peering(me_1=seen(now=now))
    with_higher = peering(me_1=seen(now=now), other_2=seen(now=now, priority=500))

    transitions, gate, _ = await run_gate([alone, alone], confirmations=3)
    assert transitions == [] and not gate.active

    transitions, gate, _ = await run_gate([alone, with_higher, alone, alone, alone], confirmations=3)
    assert transitions == ["active"] and gate.active  # the streak restarted after the higher peer showed up

    transitions, gate, _ = await run_gate([alone, alone, alone, with_higher], confirmations=3)
    assert transitions == ["active", "standby"]
