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
        self.patches: list[Any] = []
        self.done = asyncio.Event()

    async def request(self, method: str, path: str, *, body: Any = None, content_type: str = "", **_: Any) -> Any:
        self.paths.append(path)
        if method == "PATCH":
            assert content_type == "application/merge-patch+json"
            self.patches.append(body)
            return {}
        assert method == "GET"
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
    script: list[Mapping[str, Any] | None], confirmations: int = 1, **options: Any
) -> tuple[list[str], PeeringGate, ScriptedKube]:
    """Run the gate over scripted peering objects; one confirmation unless told (the role rules alone)."""
    kube = ScriptedKube(script)
    gate = PeeringGate(
        cast(KubeClient, kube), "external-dns", "me@1", 100, interval=0, confirmations=confirmations, **options
    )
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


async def test_the_gate_stops_writing_before_its_own_entry_could_be_presumed_dead() -> None:
    now = datetime.datetime.now(datetime.UTC)
    fresh = peering(me_1=seen(now=now, lifetime=60))
    # 59.5 s old with a 60 s lifetime: live, but by less than the margin (one poll): others may take over soon.
    expiring = peering(me_1=seen(59.5, now=now, lifetime=60))
    gone = peering(other_2=seen(now=now, priority=10))
    gate_options = {"lifetime": 60, "margin": 1.0}  # the margin of a 1 s poll

    transitions, gate, _ = await run_gate([fresh, expiring], **gate_options)
    assert transitions == ["active", "standby"] and not gate.active

    transitions, gate, _ = await run_gate([fresh, gone], **gate_options)
    assert transitions == ["active", "standby"]  # our entry was cleaned out (presumed dead): never keep writing


async def test_a_replica_seen_long_enough_takes_over_at_the_first_poll_after_the_leaders_deadline() -> None:
    now = datetime.datetime.now(datetime.UTC)
    leader_live = peering(me_1=seen(now=now), other_2=seen(now=now, priority=500))
    leader_dead = peering(me_1=seen(now=now), other_2=seen(3600, now=now, priority=500))
    transitions, _, _ = await run_gate([leader_live, leader_live, leader_live, leader_dead], confirmations=3)
    assert transitions == ["active"]  # no further confirmations: every live replica has long seen this one
    transitions, _, _ = await run_gate([leader_live, leader_dead], confirmations=3)
    assert transitions == []  # a newcomer still waits until the others have had time to see it


async def test_with_keepalive_the_gate_keeps_its_own_entry_in_kopfs_format_and_cleans_dead_peers() -> None:
    now = datetime.datetime.now(datetime.UTC)
    with_dead = peering(me_1=seen(now=now, lifetime=3), dead_2=seen(3600, now=now, priority=500))
    transitions, gate, kube = await run_gate([None, with_dead], keepalive=True, lifetime=3)  # None: lining up

    assert transitions == ["active"]
    keepalive, cleaning = kube.patches[:2]
    entry = keepalive["status"]["me@1"]
    assert (entry["priority"], entry["lifetime"]) == (100, 3)
    assert abs(datetime.datetime.fromisoformat(entry["lastseen"]) - now) < datetime.timedelta(seconds=5)
    assert cleaning == {"status": {"dead@2": None}}  # as Kopf's clean() does, so the object does not grow

    await gate.leave()
    assert kube.patches[-1] == {"status": {"me@1": None}}


async def test_without_keepalive_the_gate_only_reads() -> None:
    now = datetime.datetime.now(datetime.UTC)
    with_dead = peering(me_1=seen(now=now), dead_2=seen(3600, now=now, priority=500))
    transitions, gate, kube = await run_gate([with_dead])
    await gate.leave()
    assert transitions == ["active"] and kube.patches == []  # Kopf (kopf run --peering) writes the object there


class HangingKube(ScriptedKube):
    """Answers one GET, then hangs on every request as an unreachable API server does."""

    async def request(self, method: str, path: str, **kwargs: Any) -> Any:
        if self.script:
            return await super().request(method, path, **kwargs)
        self.done.set()
        await asyncio.Event().wait()


async def test_an_active_gate_whose_requests_hang_steps_down_before_its_entry_expires() -> None:
    now = datetime.datetime.now(datetime.UTC)
    # Our entry has 1.2 s left; the margin is 0.5 s: the hanging GET is given up after about 0.7 s.
    kube = HangingKube([peering(me_1=seen(1.8, now=now, lifetime=3))])
    gate = PeeringGate(cast(KubeClient, kube), "external-dns", "me@1", 100, interval=0.5, confirmations=1, lifetime=3)
    transitions: list[str] = []
    stood_by = asyncio.Event()

    async def on_active() -> None:
        transitions.append("active")

    async def on_standby() -> None:
        transitions.append("standby")
        stood_by.set()

    task = asyncio.create_task(gate.run(on_active, on_standby))
    try:
        await asyncio.wait_for(stood_by.wait(), 5)
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
    assert transitions == ["active", "standby"] and not gate.active


async def run_gate_watching_the_leader(script: list[Mapping[str, Any] | None]) -> list[str]:
    """Run a keep-alive gate (lifetime 60 s: renewals every 10 s, fence 31 s) and note what it says of the leader."""
    kube = ScriptedKube([None, *script])  # None: nothing to line up behind
    gate = PeeringGate(cast(KubeClient, kube), "external-dns", "me@1", 100, interval=0, lifetime=60, keepalive=True)
    heard: list[str] = []

    async def on_active() -> None:
        heard.append("active")

    async def on_standby() -> None:
        heard.append("standby")

    task = asyncio.create_task(
        gate.run(
            on_active,
            on_standby,
            on_leader_silent=lambda: heard.append("silent"),
            on_leader_back=lambda: heard.append("back"),
        )
    )
    try:
        await asyncio.wait_for(kube.done.wait(), 5)
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
    return heard


async def test_a_standby_hears_when_the_leader_falls_silent_and_when_it_is_back() -> None:
    now = datetime.datetime.now(datetime.UTC)
    me = seen(now=now)
    fresh = peering(me_1=me, other_2=seen(1, now=now, priority=500))
    # 40 s without a keep-alive (renewed every 10 s, fenced at 31 s): the leader writes no more, yet is not expired.
    silent = peering(me_1=me, other_2=seen(40, now=now, priority=500))
    expired = peering(me_1=me, other_2=seen(3600, now=now, priority=500))

    assert await run_gate_watching_the_leader([fresh, silent, fresh]) == ["silent", "back"]
    # Expiry is no news: what was read ahead serves the takeover that follows.
    assert await run_gate_watching_the_leader([fresh, silent, expired]) == ["silent", "active"]
    # A lower-priority peer's silence is nobody's business.
    lower_silent = peering(me_1=me, other_2=seen(40, now=now, priority=5))
    assert await run_gate_watching_the_leader([lower_silent] * 3) == ["active"]


async def test_a_leader_whose_keepalives_fail_stops_writing_at_the_fence() -> None:
    class FailingPatches(ScriptedKube):
        """The peering object always shows a fresh entry of ours; keep-alives land until the gate leads, then fail."""

        failing = False

        async def request(self, method: str, path: str, **kwargs: Any) -> Any:
            if method == "PATCH" and self.failing:
                raise KubeAPIError(503, "unavailable")
            if method == "GET" and not self.paths:  # lining up: nothing there yet
                self.paths.append(path)
                raise KubeAPIError(404, "not found")
            if method == "GET":  # a standby is there: it could be reading ahead once this leader is fenced
                now = datetime.datetime.now(datetime.UTC)
                return peering(me_1=seen(now=now), other_2=seen(now=now, priority=5))
            return await super().request(method, path, **kwargs)

    kube = FailingPatches([])
    # Lifetime 3 s, polls back to back: renewals due every 0.5 s, the fence 1.5 s after the last one that landed.
    gate = PeeringGate(cast(KubeClient, kube), "external-dns", "me@1", 100, interval=0, lifetime=3, keepalive=True)
    transitions: list[str] = []
    stood_by = asyncio.Event()

    async def on_active() -> None:
        # Only now do the keep-alives fail: however slowly a loaded machine runs the three polls that lead to
        # the lead, the fence cannot come first.
        kube.failing = True
        transitions.append("active")

    async def on_standby() -> None:
        transitions.append("standby")
        stood_by.set()

    task = asyncio.create_task(gate.run(on_active, on_standby))
    try:
        await stood_by.wait()
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
    # It led while its keep-alive was fresh, and stopped at the fence although the object (the entry there is
    # what an API server that stopped answering PATCHes would still show) says it is alive.
    assert transitions == ["active", "standby"]
    assert task.cancelled()


async def test_a_replica_that_starts_lines_up_below_the_live_ones_instead_of_taking_the_lead() -> None:
    now = datetime.datetime.now(datetime.UTC)
    leader = peering(other_2=seen(now=now, priority=50), dead_3=seen(3600, now=now, priority=10))
    both = peering(me_1=seen(now=now, priority=0), other_2=seen(now=now, priority=50))
    transitions, gate, _ = await run_gate([leader, both, both, both], keepalive=True, lifetime=60)
    assert 50 - 2**20 < gate.priority < 50  # below the live leader; the dead peer does not count
    assert transitions == []  # the live leader keeps the lead

    transitions, gate, _ = await run_gate([None, both, both, both], keepalive=True, lifetime=60)
    assert gate.priority == 100 and transitions == ["active"]  # nothing readable: its own priority stands


async def test_a_lone_replica_is_not_fenced_by_a_late_keepalive() -> None:
    class FailingPatches(ScriptedKube):
        """Nobody else in the object; the first keep-alive lands, later ones fail (a slow API server)."""

        async def request(self, method: str, path: str, **kwargs: Any) -> Any:
            if method == "PATCH" and self.patches:
                raise KubeAPIError(503, "unavailable")
            if method == "GET" and self.script:
                await super().request(method, path, **kwargs)  # counts the polls down
                return peering(me_1=seen(now=datetime.datetime.now(datetime.UTC)))
            return await super().request(method, path, **kwargs)

    kube = FailingPatches([None, *[{}] * 200])  # None: nothing to line up behind; then 200 polls
    gate = PeeringGate(cast(KubeClient, kube), "external-dns", "me@1", 100, interval=0.02, lifetime=3, keepalive=True)
    transitions: list[str] = []

    async def on_active() -> None:
        transitions.append("active")

    async def on_standby() -> None:
        transitions.append("standby")

    task = asyncio.create_task(gate.run(on_active, on_standby))
    try:
        await asyncio.wait_for(kube.done.wait(), 30)
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
    # 200 polls of 20 ms: well past the fence (about 2 s after the keep-alive that landed), and still leading.
    assert transitions == ["active"]
