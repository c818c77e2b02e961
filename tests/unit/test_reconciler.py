"""The zone worker against the in-memory provider and the TXT registry: what it writes, what it reports on which
object, how it retries, and its run loop; and the pure helpers (combine, ref_from_resource_label,
describe_changes)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field, replace

import pytest

from external_dns.desired import DesiredState, ObjectKey
from external_dns.endpoint import OWNED_RECORD_LABEL, RESOURCE_LABEL, Endpoint, ObjectRef
from external_dns.errors import TransientProviderError
from external_dns.events import Action, EventSink, Reason, RecordEvent
from external_dns.model import ZoneRouter
from external_dns.plan import PlanSettings
from external_dns.providers.base import ApplyOutcome, Changes, Provider, Zone
from external_dns.providers.inmemory import InMemoryProvider
from external_dns.reconciler import ZoneWorker
from external_dns.registry.txt import TXTRegistry
from external_dns.reporting import describe_changes, ref_from_resource_label
from external_dns.zoneplan import combine
from external_dns.zonework import ReconcilerSettings

ZONE = "example.com"
OWNER = "default"
WEB = ObjectKey("service", "default", "web")
API = ObjectKey("service", "default", "api")
WEB_REF = ObjectRef("Service", "v1", "default", "web", "uid-web")
API_REF = ObjectRef("Service", "v1", "default", "api", "uid-api")
FAST = ReconcilerSettings(debounce=0, retry_initial=0.01, retry_max=0.05, resync_interval=3600)
#: The production timings; the run-loop tests use them under looptime's fake clock (no real waiting).
PRODUCTION = ReconcilerSettings()


def wanted(name: str, *targets: str, ref: ObjectRef = WEB_REF, type_: str = "A") -> Endpoint:
    resource = f"service/{ref.namespace}/{ref.name}"
    return Endpoint(name, type_, targets, labels={RESOURCE_LABEL: resource}, refs=(ref,))


def ownership(owner: str, resource: str = "service/default/web") -> str:
    return f'"heritage=external-dns,external-dns/owner={owner},external-dns/resource={resource}"'


class FlakyProvider:
    """Fails ``apply_changes`` with a transient error ``failures`` times, then delegates to the inner provider."""

    def __init__(self, inner: InMemoryProvider, failures: int) -> None:
        self.inner = inner
        self.name = inner.name
        self.failures = failures
        #: The loop time of every apply_changes call (under looptime: the fake clock).
        self.attempts: list[float] = []

    async def zones(self) -> list[Zone]:
        return await self.inner.zones()

    async def records(self, zone: Zone) -> list[Endpoint]:
        return await self.inner.records(zone)

    async def apply_changes(self, zone: Zone, changes: Changes) -> ApplyOutcome:
        self.attempts.append(asyncio.get_running_loop().time())
        if self.failures > 0:
            self.failures -= 1
            raise TransientProviderError("throttled: rate exceeded")
        return await self.inner.apply_changes(zone, changes)

    def adjust_endpoints(self, endpoints: Sequence[Endpoint]) -> list[Endpoint]:
        return list(endpoints)

    async def close(self) -> None:
        return None


class RejectingProvider(FlakyProvider):
    """Refuses the records at ``names`` (reported in the outcome) and applies the rest of each batch."""

    def __init__(self, inner: InMemoryProvider, names: set[str]) -> None:
        super().__init__(inner, failures=0)
        self.names = names

    async def apply_changes(self, zone: Zone, changes: Changes) -> ApplyOutcome:
        def refused(ep: Endpoint) -> bool:
            return ep.key.name in self.names

        kept = Changes(
            create=[ep for ep in changes.create if not refused(ep)],
            update_old=[
                old for old, new in zip(changes.update_old, changes.update_new, strict=True) if not refused(new)
            ],
            update_new=[new for new in changes.update_new if not refused(new)],
            delete=[ep for ep in changes.delete if not refused(ep)],
        )
        outcome = await self.inner.apply_changes(zone, kept)
        rejected = [ep for ep in (*changes.create, *changes.update_new, *changes.delete) if refused(ep)]
        outcome.failed += [(ep, "REFUSED by policy") for ep in rejected]
        return outcome


@dataclass
class Rig:
    """A worker over one zone with everything it talks to, for assertions."""

    provider: InMemoryProvider
    worker: ZoneWorker
    desired: DesiredState
    events: EventSink
    zone: Zone = field(default_factory=lambda: Zone(ZONE, ZONE))

    def want(self, key: ObjectKey, *endpoints: Endpoint) -> set[str]:
        """Update the desired state; the changed names are returned for a direct ``sync`` (run() wants mark())."""
        return self.desired.update(key, endpoints)

    def drop(self, key: ObjectKey) -> set[str]:
        return self.desired.remove(key)

    async def sync(self, names: set[str]) -> None:
        await self.worker.sync(names)

    def records(self) -> dict[tuple[str, str], tuple[str, ...]]:
        return {(ep.dns_name, ep.record_type): ep.targets for ep in self.provider.snapshot()[ZONE]}

    def sent(self, reason: Reason | None = None) -> list[RecordEvent]:
        return [e for e in self.events.sent if reason is None or e.reason is reason]


def make_rig(
    provider: Provider | None = None,
    *,
    inner: InMemoryProvider | None = None,
    settings: ReconcilerSettings = FAST,
    registry: TXTRegistry | None = None,
) -> Rig:
    inner = inner or InMemoryProvider([ZONE])
    desired = DesiredState()
    events = EventSink()
    worker = ZoneWorker(
        Zone(ZONE, ZONE),
        provider=provider or inner,
        registry=registry or TXTRegistry(OWNER),
        desired=desired,
        plan_settings=PlanSettings(owner_id=OWNER),
        events=events,
        settings=settings,
    )
    return Rig(inner, worker, desired, events)


async def eventually(condition: Callable[[], bool], within: float = 5.0) -> None:
    """Wait until ``condition`` holds (the worker runs in the same loop, so yield to it between checks)."""
    async with asyncio.timeout(within):
        # Polling on purpose: the conditions are about provider state, which signals no event.
        while not condition():  # noqa: ASYNC110
            await asyncio.sleep(0.005)


# --- sync ------------------------------------------------------------------------------------------------------


async def test_sync_creates_the_record_with_its_ownership_txt_and_reports_ready() -> None:
    rig = make_rig()
    await rig.worker.load()
    names = rig.want(WEB, wanted("web.example.com", "203.0.113.10"))

    result = await rig.worker.sync(names)

    assert rig.records() == {
        ("web.example.com", "A"): ("203.0.113.10",),
        ("a-web.example.com", "TXT"): (ownership(OWNER),),
    }
    assert len(result.applied.create) == 1
    assert rig.sent() == [
        RecordEvent(WEB_REF, Reason.READY, Action.CREATED, 'Created A record "web.example.com" -> 203.0.113.10')
    ]


async def test_a_second_sync_of_the_same_names_makes_no_provider_call() -> None:
    rig = make_rig()
    await rig.worker.load()
    names = rig.want(WEB, wanted("web.example.com", "203.0.113.10"))
    await rig.sync(names)
    calls_before = (rig.provider.calls.records, rig.provider.calls.apply_changes)

    result = await rig.worker.sync(names)

    assert (rig.provider.calls.records, rig.provider.calls.apply_changes) == calls_before
    assert not result.applied.has_changes()
    assert len(rig.sent()) == 1


async def test_an_update_is_reported_updated_on_the_object_that_wants_it() -> None:
    rig = make_rig()
    await rig.worker.load()
    await rig.sync(rig.want(WEB, wanted("web.example.com", "203.0.113.10")))

    await rig.sync(rig.want(WEB, wanted("web.example.com", "203.0.113.20")))

    assert rig.records()[("web.example.com", "A")] == ("203.0.113.20",)
    last = rig.sent()[-1]
    assert (last.ref, last.reason, last.action) == (WEB_REF, Reason.READY, Action.UPDATED)
    assert "203.0.113.20" in last.message


async def test_a_delete_is_reported_on_the_object_that_last_wanted_the_name() -> None:
    rig = make_rig()
    await rig.worker.load()
    await rig.sync(rig.want(WEB, wanted("shared.example.com", "203.0.113.10")))
    await rig.sync(rig.want(API, wanted("shared.example.com", "203.0.113.10", ref=API_REF)))
    rig.drop(WEB)
    names = rig.drop(API)

    await rig.sync(names)

    assert rig.records() == {}
    deleted = rig.sent(Reason.DELETED)
    assert [(e.ref, e.action) for e in deleted] == [(API_REF, Action.DELETED)]
    assert deleted[0].message == 'Deleted A record "shared.example.com" -> 203.0.113.10'


async def test_a_delete_nobody_in_this_process_wanted_is_reported_on_the_resource_label() -> None:
    inner = InMemoryProvider([ZONE])
    inner.seed(
        ZONE,
        [
            Endpoint("old.example.com", "A", ("203.0.113.10",)),
            Endpoint("a-old.example.com", "TXT", (ownership(OWNER, "ingress/shop/old"),)),
        ],
    )
    rig = make_rig(inner=inner)
    await rig.worker.load()

    await rig.worker.sync_all()

    assert rig.records() == {}
    assert [e.ref for e in rig.sent(Reason.DELETED)] == [ObjectRef("Ingress", "networking.k8s.io/v1", "shop", "old")]


async def test_a_transient_failure_is_retried_and_reported_once_until_it_recovers() -> None:
    inner = InMemoryProvider([ZONE])
    flaky = FlakyProvider(inner, failures=3)
    rig = make_rig(flaky, inner=inner)
    await rig.worker.load()
    names = rig.want(WEB, wanted("web.example.com", "203.0.113.10"), wanted("www.example.com", "203.0.113.10"))

    for _ in range(3):
        await rig.sync(names)
        assert rig.worker.pending == 2  # both names wait for a retry
        assert rig.records() == {}

    errors = rig.sent(Reason.ERROR)
    assert sorted(e.message for e in errors) == [
        'Failed to create A record "web.example.com" -> 203.0.113.10: throttled: rate exceeded',
        'Failed to create A record "www.example.com" -> 203.0.113.10: throttled: rate exceeded',
    ]
    assert all(e.action is Action.FAILED_SYNC and e.type == "Warning" for e in errors)
    state = rig.worker.states.record_state(ZONE, wanted("web.example.com", "203.0.113.10"))
    assert state == (False, "throttled: rate exceeded")

    await rig.sync(names)

    assert rig.records()[("web.example.com", "A")] == ("203.0.113.10",)
    assert len(rig.sent(Reason.ERROR)) == 2
    assert sorted(e.message for e in rig.sent(Reason.READY)) == [
        'Created A record "web.example.com" -> 203.0.113.10',
        'Created A record "www.example.com" -> 203.0.113.10',
    ]


@pytest.mark.looptime
async def test_a_failed_name_applied_by_a_later_change_is_no_longer_waiting_for_a_retry() -> None:
    inner = InMemoryProvider([ZONE])
    flaky = FlakyProvider(inner, failures=1)
    slow_retry = ReconcilerSettings(debounce=0, retry_initial=30, retry_max=30, resync_interval=3600)
    rig = make_rig(flaky, inner=inner, settings=slow_retry)
    rig.want(WEB, wanted("web.example.com", "203.0.113.10"))
    loop = asyncio.get_running_loop()
    task = asyncio.create_task(rig.worker.run())
    try:
        await eventually(lambda: bool(rig.sent(Reason.ERROR)))
        # The object changes before the backoff ends: the new target is applied at once.
        changed_at = loop.time()
        rig.worker.mark(rig.want(WEB, wanted("web.example.com", "203.0.113.20")))
        await eventually(lambda: rig.records().get(("web.example.com", "A")) == ("203.0.113.20",))
        assert loop.time() - changed_at < 1, "not held back until the 30 s retry"
        await asyncio.wait_for(rig.worker.idle.wait(), 5)
        assert rig.worker.states.record_state(ZONE, wanted("web.example.com", "203.0.113.20")) == (True, "")
        assert rig.worker.pending == 0
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


async def test_a_record_the_provider_rejects_does_not_hold_back_the_rest_of_the_batch() -> None:
    inner = InMemoryProvider([ZONE])
    rejecting = RejectingProvider(inner, names={"bad.example.com"})
    rig = make_rig(rejecting, inner=inner)
    await rig.worker.load()
    await rig.sync(
        rig.want(WEB, wanted("good.example.com", "203.0.113.10"))
        | rig.want(API, wanted("bad.example.com", "203.0.113.20", ref=API_REF))
    )

    assert ("good.example.com", "A") in rig.records()
    assert ("bad.example.com", "A") not in rig.records()
    assert [(e.ref, e.reason) for e in rig.sent()] == [(WEB_REF, Reason.READY), (API_REF, Reason.ERROR)]
    assert rig.sent(Reason.ERROR)[0].message.endswith(": REFUSED by policy")
    state_of = rig.worker.states.record_state
    assert state_of(ZONE, wanted("bad.example.com", "203.0.113.20")) == (False, "REFUSED by policy")
    assert state_of(ZONE, wanted("good.example.com", "203.0.113.10")) == (True, "")

    rejecting.names.clear()
    await rig.sync({"bad.example.com"})

    assert rig.records()[("bad.example.com", "A")] == ("203.0.113.20",)
    assert rig.records()[("a-bad.example.com", "TXT")] == (ownership(OWNER, "service/default/api"),)


async def test_an_apex_record_whose_txt_falls_outside_the_zone_is_refused_with_a_warning() -> None:
    rig = make_rig()
    await rig.worker.load()
    apex = wanted("example.com", "203.0.113.10")

    result = await rig.worker.sync(rig.want(WEB, apex))

    assert rig.provider.calls.apply_changes == 0
    assert rig.records() == {}
    assert result.skipped == 1
    [warning] = rig.sent()
    assert (warning.ref, warning.reason, warning.type) == (WEB_REF, Reason.ERROR, "Warning")
    assert "--txt-prefix" in warning.message and "outside zone example.com" in warning.message
    programmed, why = rig.worker.states.record_state(ZONE, apex)
    assert not programmed and "--txt-prefix" in why


async def test_an_apex_record_is_written_when_the_txt_prefix_keeps_its_txt_in_the_zone() -> None:
    rig = make_rig(registry=TXTRegistry(OWNER, prefix="extdns-%{record_type}."))
    await rig.worker.load()
    await rig.sync(rig.want(WEB, wanted("example.com", "203.0.113.10")))
    assert rig.records() == {
        ("example.com", "A"): ("203.0.113.10",),
        ("extdns-a.example.com", "TXT"): (ownership(OWNER),),
    }


async def test_a_foreign_owned_record_is_warned_about_once_and_again_when_the_reason_changes() -> None:
    inner = InMemoryProvider([ZONE])
    inner.seed(ZONE, [Endpoint("web.example.com", "A", ("198.51.100.1",))])
    rig = make_rig(inner=inner)
    await rig.worker.load()
    names = rig.want(WEB, wanted("web.example.com", "203.0.113.10"))

    await rig.sync(names)
    await rig.sync(names)

    [first] = rig.sent()
    assert first.reason is Reason.ERROR and first.ref == WEB_REF
    assert "has no owner" in first.message
    assert rig.records()[("web.example.com", "A")] == ("198.51.100.1",)
    assert rig.worker.states.record_state(ZONE, wanted("web.example.com", "203.0.113.10"))[0] is False

    inner.seed(ZONE, [Endpoint("a-web.example.com", "TXT", (ownership("someone-else"),))])
    await rig.worker.load()  # a re-read of the zone, as a resync does
    await rig.sync(names)
    await rig.sync(names)

    assert len(rig.sent()) == 2
    assert 'is owned by "someone-else"' in rig.sent()[1].message
    assert rig.records()[("web.example.com", "A")] == ("198.51.100.1",)


async def test_dry_run_writes_nothing_and_logs_what_it_would_do(caplog: pytest.LogCaptureFixture) -> None:
    rig = make_rig(settings=ReconcilerSettings(debounce=0, retry_initial=0.01, dry_run=True))
    await rig.worker.load()
    caplog.set_level(logging.INFO, logger="external_dns.reconciler")

    result = await rig.worker.sync(rig.want(WEB, wanted("web.example.com", "203.0.113.10")))

    assert rig.provider.calls.apply_changes == 0
    assert rig.records() == {}
    assert rig.sent() == []
    assert len(result.applied.create) == 1
    assert "DRY-RUN CREATE A web.example.com -> 203.0.113.10 (zone example.com)" in caplog.messages


# --- record_state ---------------------------------------------------------------------------------------------

WEB_A = wanted("web.example.com", "203.0.113.10")


async def _programmed(rig: Rig) -> None:
    await rig.sync(rig.want(WEB, WEB_A))


async def _waiting(rig: Rig) -> None:
    rig.worker.mark(rig.want(WEB, WEB_A))


async def _failed(rig: Rig) -> None:
    await rig.sync(rig.want(WEB, WEB_A))
    rig.worker.mark({"other.example.com"})  # a pending mark elsewhere must not matter


async def _skipped(rig: Rig) -> None:
    rig.provider.seed(ZONE, [Endpoint("web.example.com", "A", ("198.51.100.1",))])
    await rig.worker.load()
    await rig.sync(rig.want(WEB, WEB_A))


RECORD_STATE_CASES: list[tuple[str, int, Callable[[Rig], Awaitable[None]], bool, str]] = [
    ("a record the provider holds as wanted is programmed", 0, _programmed, True, ""),
    ("a marked record not yet synced is waiting to be applied", 0, _waiting, False, "waiting to be applied"),
    ("a record whose apply failed answers with the provider's error", 1, _failed, False, "throttled: rate exceeded"),
    ("a skipped record answers with the skip reason", 0, _skipped, False, "owner id does not match"),
]


@pytest.mark.parametrize(
    ("failures", "scenario", "programmed", "message"),
    [c[1:] for c in RECORD_STATE_CASES],
    ids=[c[0] for c in RECORD_STATE_CASES],
)
async def test_record_state(
    failures: int, scenario: Callable[[Rig], Awaitable[None]], programmed: bool, message: str
) -> None:
    inner = InMemoryProvider([ZONE])
    rig = make_rig(FlakyProvider(inner, failures), inner=inner)
    await rig.worker.load()
    await scenario(rig)
    state = rig.worker.states.record_state(ZONE, WEB_A)
    assert state.programmed is programmed
    assert state.message.startswith(message)


# --- run loop ---------------------------------------------------------------------------------------------------


@pytest.mark.looptime
async def test_run_applies_marked_names_one_debounce_later_and_then_reaches_idle() -> None:
    rig = make_rig(settings=PRODUCTION)
    loop = asyncio.get_running_loop()
    rig.worker.mark(rig.want(WEB, wanted("web.example.com", "203.0.113.10")))  # before the worker starts
    task = asyncio.create_task(rig.worker.run())
    try:
        await asyncio.wait_for(rig.worker.idle.wait(), 5)
        assert ("web.example.com", "A") in rig.records()

        marked_at = loop.time()
        rig.worker.mark(rig.want(API, wanted("api.example.com", "203.0.113.20", ref=API_REF)))
        assert not rig.worker.idle.is_set()
        await asyncio.wait_for(rig.worker.idle.wait(), 5)
        assert rig.records()[("api.example.com", "A")] == ("203.0.113.20",)
        assert loop.time() - marked_at == pytest.approx(PRODUCTION.debounce, abs=0.01)
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


@pytest.mark.looptime
async def test_run_retries_a_failed_name_with_exponential_backoff_until_it_is_applied() -> None:
    inner = InMemoryProvider([ZONE])
    flaky = FlakyProvider(inner, failures=3)
    rig = make_rig(flaky, inner=inner, settings=PRODUCTION)
    rig.want(WEB, wanted("web.example.com", "203.0.113.10"))
    task = asyncio.create_task(rig.worker.run())
    try:
        await eventually(lambda: ("web.example.com", "A") in rig.records(), within=60)
        await eventually(lambda: rig.worker.pending == 0)
        gaps = [later - earlier for earlier, later in zip(flaky.attempts, flaky.attempts[1:], strict=False)]
        # 1 s, 2 s, 4 s after each failure: the backoff starts at retry_initial and doubles.
        assert gaps == pytest.approx([1.0, 2.0, 4.0], abs=0.01)
        assert len(rig.sent(Reason.ERROR)) == 1
        assert len(rig.sent(Reason.READY)) == 1
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


@pytest.mark.looptime
async def test_idle_is_not_reached_while_a_failed_name_waits_for_its_retry() -> None:
    inner = InMemoryProvider([ZONE])
    rig = make_rig(
        FlakyProvider(inner, failures=1),
        inner=inner,
        settings=ReconcilerSettings(debounce=0, retry_initial=10, retry_max=10, resync_interval=3600),
    )
    rig.want(WEB, wanted("web.example.com", "203.0.113.10"))
    task = asyncio.create_task(rig.worker.run())
    try:
        await eventually(lambda: rig.worker.syncs >= 1)
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(rig.worker.idle.wait(), 9)
        await asyncio.wait_for(rig.worker.idle.wait(), 2)  # the retry at 10 s succeeds
        assert ("web.example.com", "A") in rig.records()
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


@pytest.mark.looptime
async def test_run_resyncs_after_the_interval_and_repairs_changes_made_behind_its_back() -> None:
    rig = make_rig(settings=PRODUCTION)
    rig.want(WEB, wanted("web.example.com", "203.0.113.10"))
    loop = asyncio.get_running_loop()
    task = asyncio.create_task(rig.worker.run())
    try:
        await asyncio.wait_for(rig.worker.idle.wait(), 5)
        started = loop.time()
        reads = rig.provider.calls.records
        # Someone deletes the record (and its TXT) directly in the provider.
        zone = Zone(ZONE, ZONE)
        held = [ep for ep in await rig.provider.records(zone)]
        await rig.provider.apply_changes(zone, Changes(delete=held))
        assert rig.records() == {}

        await eventually(lambda: ("web.example.com", "A") in rig.records(), within=2 * PRODUCTION.resync_interval)
        assert rig.provider.calls.records > reads
        # --interval with its +-10% jitter, measured on the fake clock.
        elapsed = loop.time() - started
        assert 0.9 * PRODUCTION.resync_interval - 0.1 <= elapsed <= 1.1 * PRODUCTION.resync_interval + 0.1
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


# --- helpers ----------------------------------------------------------------------------------------------------


def _ref(kind: str, name: str) -> ObjectRef:
    return ObjectRef(kind, "v1", "default", name)


def _ep(name: str, *targets: str, kind: str, owner: str, type_: str = "A") -> Endpoint:
    return Endpoint(
        name, type_, targets, labels={RESOURCE_LABEL: f"{kind.lower()}/default/{owner}"}, refs=(_ref(kind, owner),)
    )


COMBINE_CASES = [
    pytest.param(
        [
            _ep("web.example.com", "203.0.113.2", kind="Service", owner="b"),
            _ep("web.example.com", "203.0.113.1", kind="Service", owner="a"),
        ],
        [("web.example.com", "A", ("203.0.113.1", "203.0.113.2"), ("a", "b"))],
        id="services wanting one name merge their targets in resource order",
    ),
    pytest.param(
        [
            _ep("pod.example.com", "10.0.0.1", kind="Pod", owner="p1"),
            _ep("pod.example.com", "10.0.0.2", kind="Pod", owner="p2"),
        ],
        [("pod.example.com", "A", ("10.0.0.1", "10.0.0.2"), ("p1", "p2"))],
        id="pods wanting one name merge their targets",
    ),
    pytest.param(
        [
            _ep("web.example.com", "203.0.113.1", kind="Ingress", owner="i1"),
            _ep("web.example.com", "203.0.113.2", kind="Ingress", owner="i2"),
        ],
        [("web.example.com", "A", ("203.0.113.1",), ("i1",)), ("web.example.com", "A", ("203.0.113.2",), ("i2",))],
        id="ingresses wanting one name with different targets are not merged",
    ),
    pytest.param(
        [
            _ep("web.example.com", "203.0.113.1", kind="Ingress", owner="i1"),
            _ep("web.example.com", "203.0.113.1", kind="DNSEndpoint", owner="d1"),
        ],
        [("web.example.com", "A", ("203.0.113.1",), ("i1", "d1"))],
        id="exact duplicates from different sources collapse into one with the refs of both",
    ),
    pytest.param(
        [
            _ep("web.example.com", "lb-a.example.net", kind="Service", owner="a", type_="CNAME"),
            _ep("web.example.com", "lb-b.example.net", kind="Service", owner="b", type_="CNAME"),
        ],
        [
            ("web.example.com", "CNAME", ("lb-a.example.net",), ("a",)),
            ("web.example.com", "CNAME", ("lb-b.example.net",), ("b",)),
        ],
        id="service CNAMEs are never merged",
    ),
]


@pytest.mark.parametrize(("endpoints", "expected"), COMBINE_CASES)
def test_combine(endpoints: list[Endpoint], expected: list[tuple[str, str, tuple[str, ...], tuple[str, ...]]]) -> None:
    combined = combine(endpoints)
    assert [(e.dns_name, e.record_type, e.targets, tuple(r.name for r in e.refs)) for e in combined] == expected


@pytest.mark.parametrize(
    ("label", "expected"),
    [
        pytest.param("service/ns/web", ObjectRef("Service", "v1", "ns", "web"), id="service"),
        pytest.param("ingress/ns/web", ObjectRef("Ingress", "networking.k8s.io/v1", "ns", "web"), id="ingress"),
        pytest.param("crd/ns/web", ObjectRef("DNSEndpoint", "externaldns.k8s.io/v1alpha1", "ns", "web"), id="crd"),
        pytest.param("node/n1", ObjectRef("Node", "v1", None, "n1"), id="a node is cluster scoped"),
        pytest.param(
            "httproute/ns/r", ObjectRef("HTTPRoute", "gateway.networking.k8s.io/v1", "ns", "r"), id="httproute"
        ),
        pytest.param(
            "grpcroute/ns/r", ObjectRef("GRPCRoute", "gateway.networking.k8s.io/v1", "ns", "r"), id="grpcroute"
        ),
        pytest.param("tlsroute/ns/r", ObjectRef("TLSRoute", "gateway.networking.k8s.io/v1", "ns", "r"), id="tlsroute"),
        pytest.param(
            "tcproute/ns/r", ObjectRef("TCPRoute", "gateway.networking.k8s.io/v1alpha2", "ns", "r"), id="tcproute"
        ),
        pytest.param(
            "udproute/ns/r", ObjectRef("UDPRoute", "gateway.networking.k8s.io/v1alpha2", "ns", "r"), id="udproute"
        ),
        pytest.param("pod/ns/p", None, id="an unknown kind gives no reference"),
        pytest.param("", None, id="an empty label gives no reference"),
        pytest.param("service/a/b/c", None, id="too many parts give no reference"),
        pytest.param("service", None, id="a kind alone gives no reference"),
    ],
)
def test_ref_from_resource_label(label: str, expected: ObjectRef | None) -> None:
    assert ref_from_resource_label(label) == expected


def test_describe_changes_lists_creates_updates_and_deletes() -> None:
    changes = Changes(
        create=[Endpoint("new.example.com", "A", ("203.0.113.1", "203.0.113.2"), ttl=300)],
        update_old=[Endpoint("web.example.com", "CNAME", ("old.example.net",))],
        update_new=[Endpoint("web.example.com", "CNAME", ("new.example.net",), set_identifier="eu")],
        delete=[Endpoint("gone.example.com", "TXT", ('"hello"',))],
    )
    assert describe_changes(changes) == [
        "CREATE A new.example.com -> 203.0.113.1, 203.0.113.2 ttl=300",
        "UPDATE CNAME web.example.com -> new.example.net set=eu (was old.example.net)",
        'DELETE TXT gone.example.com -> "hello"',
    ]


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        pytest.param("web.example.com", ["example.com"], id="a name goes to its zone"),
        pytest.param("web.sub.example.com", ["sub.example.com"], id="the most specific zone wins"),
        pytest.param("sub.example.com", ["sub.example.com"], id="a zone apex belongs to that zone"),
        pytest.param("web.example.org", [], id="a name outside every zone has none"),
    ],
)
def test_zone_router(name: str, expected: list[str]) -> None:
    router = ZoneRouter([Zone("example.com"), Zone("sub.example.com")])
    assert [zone.name for zone in router.zones_for(name)] == expected


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        pytest.param(
            "web.example.com",
            [("example.com", "private-1"), ("example.com", "private-2"), ("example.com", "public")],
            id="every private zone and the public zone of the same name",
        ),
        pytest.param(
            "web.sub.example.com",
            [("sub.example.com", "public-sub"), ("example.com", "private-1"), ("example.com", "private-2")],
            id="the most specific public zone plus every private zone that contains the name",
        ),
    ],
)
def test_zone_router_writes_split_horizon_names_to_private_zones_too(
    name: str, expected: list[tuple[str, str]]
) -> None:
    router = ZoneRouter(
        [
            Zone("example.com", "public"),
            Zone("sub.example.com", "public-sub"),
            Zone("example.com", "private-1", private=True),
            Zone("example.com", "private-2", private=True),
        ]
    )
    assert [(zone.name, zone.id) for zone in router.zones_for(name)] == expected


def test_ownership_txt_labels_name_their_record() -> None:
    """The reconciler relies on the registry labelling TXT records with the record they own."""
    registry = TXTRegistry(OWNER)
    record = wanted("web.example.com", "203.0.113.10")
    changes = registry.ownership_changes(Changes(create=[record]), registry.read([]))
    txt = [ep for ep in changes.create if ep.record_type == "TXT"]
    assert [t.labels.get(OWNED_RECORD_LABEL) for t in txt] == ["web.example.com"]


class CountingProvider(FlakyProvider):
    """Counts the batches it is sent, and checks the event loop got a turn between them."""

    def __init__(self, inner: InMemoryProvider) -> None:
        super().__init__(inner, failures=0)
        self.batches: list[int] = []
        self.loop_turns = 0
        self.turns_at_batches: list[int] = []

    async def apply_changes(self, zone: Zone, changes: Changes) -> ApplyOutcome:
        self.batches.append(len(changes))
        self.turns_at_batches.append(self.loop_turns)
        return await self.inner.apply_changes(zone, changes)


async def test_a_big_pass_is_planned_and_applied_a_slice_at_a_time_with_the_loop_free_in_between() -> None:
    provider = CountingProvider(InMemoryProvider([ZONE]))
    rig = make_rig(provider, inner=provider.inner, settings=replace(FAST, slice_names=100))
    names = rig.want(ObjectKey("service", "default", "web"), *(wanted(f"h{i}.{ZONE}", "192.0.2.1") for i in range(250)))

    async def count_turns() -> None:
        while True:
            provider.loop_turns += 1
            await asyncio.sleep(0)

    counter = asyncio.create_task(count_turns())
    result = await rig.worker.sync(names)
    counter.cancel()
    assert (result.planned, len(result.applied.create)) == (250, 250)
    assert provider.batches == [200, 200, 100]  # each record with its ownership TXT
    assert provider.turns_at_batches[0] < provider.turns_at_batches[1] < provider.turns_at_batches[2]
    assert len(rig.records()) == 500


async def test_a_whole_zone_pass_over_owned_records_is_sliced_their_ownership_records_are_no_deletes() -> None:
    # A takeover or a resync plans every name of the zone, the ownership TXT names among them (wanted by nobody,
    # yet never deleted but with their records): they must not count as deletes, or a zone of a few owned
    # records is planned in one callback that holds the event loop for seconds (3 s at 10,000 names).
    provider = CountingProvider(InMemoryProvider([ZONE]))
    rig = make_rig(provider, inner=provider.inner, settings=replace(FAST, slice_names=100))
    key = ObjectKey("service", "default", "web")
    rig.want(key, *(wanted(f"h{i:03d}.{ZONE}", "192.0.2.1") for i in range(250)))
    await rig.worker.sync_all()
    provider.batches.clear()
    rig.want(key, *(wanted(f"h{i:03d}.{ZONE}", "192.0.2.2") for i in range(250)))  # every record changes
    result = await rig.worker.sync_all()
    assert len(result.applied.update_new) == 250
    assert len(provider.batches) > 1, "planned and applied a slice at a time"


async def test_a_pass_that_may_delete_en_masse_is_not_sliced_so_the_guard_judges_all_its_deletes() -> None:
    provider = CountingProvider(InMemoryProvider([ZONE]))
    rig = make_rig(provider, inner=provider.inner, settings=replace(FAST, slice_names=10))
    key = ObjectKey("service", "default", "web")
    names = rig.want(key, *(wanted(f"h{i}.{ZONE}", "192.0.2.1") for i in range(40)))
    await rig.worker.sync(names)
    assert len(rig.records()) == 80
    await rig.worker.sync(rig.drop(key))  # every record of the zone unwanted at once: a label-filter typo
    assert len(rig.records()) == 80, "no slice of the deletes went through before the guard held them"


async def test_a_name_marked_during_a_big_pass_is_synced_before_the_rest_of_the_pass() -> None:
    provider = CountingProvider(InMemoryProvider([ZONE]))
    rig = make_rig(provider, inner=provider.inner, settings=replace(FAST, slice_names=100))
    names = rig.want(WEB, *(wanted(f"h{i:03d}.{ZONE}", "192.0.2.1") for i in range(300)))
    applied: list[list[str]] = []
    original = provider.apply_changes

    async def apply_and_change(zone: Zone, changes: Changes) -> ApplyOutcome:
        applied.append(sorted({ep.key.name for ep in changes.create if ep.record_type == "A"}))
        if len(applied) == 1:  # a change arrives while the first slice is being applied
            rig.worker.mark(rig.want(API, wanted(f"zz-late.{ZONE}", "192.0.2.9", ref=API_REF)))
        return await original(zone, changes)

    provider.apply_changes = apply_and_change  # type: ignore[method-assign]
    await rig.worker.sync(names)
    assert [len(batch) for batch in applied] == [100, 1, 100, 100]
    assert applied[1] == [f"zz-late.{ZONE}"]  # served before the two slices still to come
    assert rig.worker.pending == 0


@pytest.mark.looptime
async def test_a_name_marked_while_the_zone_is_first_read_is_synced_before_the_whole_zone_pass() -> None:
    provider = CountingProvider(InMemoryProvider([ZONE]))
    rig = make_rig(provider, inner=provider.inner, settings=replace(FAST, slice_names=100))
    rig.want(WEB, *(wanted(f"a{i:03d}.{ZONE}", "192.0.2.1") for i in range(300)))
    zone_read = asyncio.Event()
    read_records = provider.records

    async def slow_read(zone: Zone) -> list[Endpoint]:
        await zone_read.wait()
        return await read_records(zone)

    provider.records = slow_read  # type: ignore[method-assign]
    task = asyncio.create_task(rig.worker.run())
    try:
        rig.worker.mark(rig.want(API, wanted(f"zz-changed.{ZONE}", "192.0.2.9", ref=API_REF)))
        zone_read.set()
        await eventually(rig.worker.first_sync_done.is_set)
        assert provider.batches[0] == 2  # the changed name and its ownership TXT, before the pass's first slice
        assert sum(provider.batches) == 2 + 600
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


class BatchRecorder(FlakyProvider):
    """Records the names of every batch applied."""

    def __init__(self, inner: InMemoryProvider) -> None:
        super().__init__(inner, failures=0)
        self.batches: list[set[str]] = []

    async def apply_changes(self, zone: Zone, changes: Changes) -> ApplyOutcome:
        self.batches.append({ep.dns_name for ep in (*changes.create, *changes.update_new, *changes.delete)})
        return await super().apply_changes(zone, changes)


async def test_names_marked_before_the_worker_runs_are_written_before_the_whole_zone_pass() -> None:
    inner = InMemoryProvider([ZONE])
    recorder = BatchRecorder(inner)
    rig = make_rig(recorder, inner=inner)
    rig.want(API, wanted("api.example.com", "203.0.113.20", ref=API_REF))  # left for the whole-zone pass
    rig.worker.mark(rig.want(WEB, wanted("web.example.com", "203.0.113.10")))  # a standby's latest change
    task = asyncio.create_task(rig.worker.run())
    try:
        await asyncio.wait_for(rig.worker.idle.wait(), 5)
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
    assert recorder.batches == [
        {"web.example.com", "a-web.example.com"},
        {"api.example.com", "a-api.example.com"},
    ]


async def test_a_zone_read_ahead_is_not_read_again_when_the_worker_runs() -> None:
    rig = make_rig()
    await rig.worker.load()
    reads = rig.provider.calls.records
    rig.want(WEB, wanted("web.example.com", "203.0.113.10"))
    task = asyncio.create_task(rig.worker.run())
    try:
        await asyncio.wait_for(rig.worker.idle.wait(), 5)
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
    assert rig.provider.calls.records == reads
    assert ("web.example.com", "A") in rig.records()


async def test_reading_a_big_zone_leaves_the_event_loop_free_while_the_cache_is_built() -> None:
    # 20,000 records took 1.5 s to index on the loop at a takeover: the peering keep-alive and every change waited.
    inner = InMemoryProvider([ZONE])
    zone = (await inner.zones())[0]
    await inner.apply_changes(
        zone, Changes(create=[Endpoint(f"h{i}.{ZONE}", "A", ("192.0.2.1",)) for i in range(20_000)])
    )
    rig = make_rig(inner)
    turns = 0

    async def count_turns() -> None:
        nonlocal turns
        while True:
            turns += 1
            await asyncio.sleep(0)

    counter = asyncio.create_task(count_turns())
    await asyncio.sleep(0)  # the counter is running
    before = turns
    await rig.worker.load()
    during = turns - before
    counter.cancel()
    await asyncio.gather(counter, return_exceptions=True)
    assert len(rig.worker.cache) == 20_000
    assert during > 10, f"the loop ran {during} times while 20,000 records were indexed"


async def test_applied_changes_and_their_events_are_logged_at_info_and_only_then(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The lines are built only for a level that writes them: at info each applied change and its event is one
    line; at warning neither (and the change is applied and its event recorded all the same)."""
    rig = make_rig()
    await rig.worker.load()
    caplog.set_level(logging.WARNING)

    await rig.worker.sync(rig.want(WEB, wanted("web.example.com", "203.0.113.10")))

    assert caplog.messages == []
    assert [event.reason for event in rig.sent()] == [Reason.READY]
    caplog.set_level(logging.INFO)

    await rig.worker.sync(rig.want(WEB, wanted("web.example.com", "203.0.113.11")))

    assert "UPDATE A web.example.com -> 203.0.113.11 (was 203.0.113.10) (zone example.com)" in caplog.messages
    assert 'RecordReady Updated on Service default/web: Updated A record "web.example.com" -> 203.0.113.11' in (
        caplog.messages
    )
