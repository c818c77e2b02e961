"""The RFC2136 provider against a real BIND: UPDATE batching, AXFR listing, TSIG and failure handling."""

from __future__ import annotations

import asyncio
import base64
import socket
import threading
from pathlib import Path
from typing import Any

import pytest
from tests.backends.bind import BindServer, named_path

from external_dns.endpoint import OWNED_RECORD_LABEL, Endpoint
from external_dns.errors import AmbiguousProviderError, ConfigError, ProviderError, TransientProviderError
from external_dns.plan import PlanSettings, calculate
from external_dns.providers.base import Changes, Provider, Zone
from external_dns.providers.rfc2136 import provider as rfc2136_provider
from external_dns.providers.rfc2136.connection import UpdateConnection
from external_dns.providers.rfc2136.provider import DEFAULT_TTL, RFC2136Config, RFC2136Provider
from external_dns.providers.rfc2136.wire import RenderedUpdate

pytestmark = pytest.mark.bind

ZONE = Zone("example.com", "example.com")
SECRET = base64.b64encode(b"0123456789abcdef0123456789abcdef").decode()


def provider_for(server: BindServer, **overrides: object) -> RFC2136Provider:
    info = server.info
    settings: dict[str, object] = {
        "host": info.host,
        "port": info.port,
        "zones": info.zones,
        "tsig_keyname": info.key_name,
        "tsig_secret": info.key_secret,
        "tsig_secret_alg": info.key_algorithm,
        "timeout": 5.0,
    }
    settings.update(overrides)
    return RFC2136Provider(RFC2136Config(**settings))  # type: ignore[arg-type]


def ownership_txt(name: str, kind: str = "a") -> Endpoint:
    """An ownership TXT as the registry writes it (new-format name, quoted value, ownedRecord label)."""
    prefix = name.partition(".")[0]
    value = f'"heritage=external-dns,external-dns/owner=default,external-dns/resource=service/default/{prefix}"'
    return Endpoint(f"{kind}-{name}", "TXT", (value,), ttl=300, labels={OWNED_RECORD_LABEL: name})


def by_key(endpoints: list[Endpoint]) -> dict[tuple[str, str], tuple[int, frozenset[str]]]:
    return {(e.dns_name, e.record_type): (e.ttl, frozenset(e.targets)) for e in endpoints}


def test_provider_implements_the_protocol(bind_server: BindServer) -> None:
    assert isinstance(provider_for(bind_server), Provider)


@pytest.mark.parametrize(
    ("created", "updated", "server_rdata"),
    [
        pytest.param(
            Endpoint("www.example.com", "A", ("192.0.2.1",), ttl=60),
            Endpoint("www.example.com", "A", ("192.0.2.2",), ttl=120),
            {"192.0.2.1"},
            id="an A record is created, updated and deleted",
        ),
        pytest.param(
            Endpoint("www.example.com", "A", ("192.0.2.1", "192.0.2.2", "192.0.2.3"), ttl=60),
            Endpoint("www.example.com", "A", ("192.0.2.2", "192.0.2.4"), ttl=60),
            {"192.0.2.1", "192.0.2.2", "192.0.2.3"},
            id="a multi-target A record keeps all its targets",
        ),
        pytest.param(
            Endpoint("v6.example.com", "AAAA", ("2001:db8::1",), ttl=60),
            Endpoint("v6.example.com", "AAAA", ("2001:db8::2",), ttl=60),
            {"2001:db8::1"},
            id="an AAAA record is created, updated and deleted",
        ),
        pytest.param(
            Endpoint("app.example.com", "CNAME", ("lb.example.net",), ttl=60),
            Endpoint("app.example.com", "CNAME", ("lb2.example.net",), ttl=60),
            {"lb.example.net."},
            id="a CNAME target is written absolute and read back without the dot",
        ),
        pytest.param(
            ownership_txt("www.example.com"),
            Endpoint("a-www.example.com", "TXT", ('"heritage=external-dns,external-dns/owner=other"',), ttl=300),
            {'"heritage=external-dns,external-dns/owner=default,external-dns/resource=service/default/www"'},
            id="a TXT value keeps its literal quotes through the round trip",
        ),
        pytest.param(
            Endpoint("_http._tcp.example.com", "SRV", ("0 50 30080 app.example.com.",), ttl=60),
            Endpoint("_http._tcp.example.com", "SRV", ("0 50 30081 app.example.com.",), ttl=60),
            {"0 50 30080 app.example.com."},
            id="an SRV record keeps its trailing dot",
        ),
    ],
)
async def test_record_lifecycle(
    bind_server: BindServer, created: Endpoint, updated: Endpoint, server_rdata: set[str]
) -> None:
    provider = provider_for(bind_server)
    key = (created.dns_name, created.record_type)

    outcome = await provider.apply_changes(ZONE, Changes(create=[created]))
    assert outcome.failed == []
    assert (await bind_server.axfr_records("example.com"))[key] == server_rdata
    assert by_key(await provider.records(ZONE))[key] == (created.ttl, frozenset(created.targets))

    outcome = await provider.apply_changes(ZONE, Changes(update_old=[created], update_new=[updated]))
    assert outcome.failed == []
    assert by_key(await provider.records(ZONE))[key] == (updated.ttl, frozenset(updated.targets))

    outcome = await provider.apply_changes(ZONE, Changes(delete=[updated]))
    assert outcome.failed == []
    assert key not in by_key(await provider.records(ZONE))
    assert key not in await bind_server.axfr_records("example.com")


async def test_a_record_and_its_ownership_txt_travel_in_one_update(bind_server: BindServer) -> None:
    provider = provider_for(bind_server, batch_change_size=1)
    names = [f"svc{i}.example.com" for i in range(3)]
    creates = [Endpoint(name, "A", ("192.0.2.10",), ttl=60) for name in names]
    # The TXT records come first and apart from their records: grouping must still pair them.
    changes = Changes(create=[ownership_txt(name) for name in names] + creates)

    outcome = await provider.apply_changes(ZONE, changes)

    assert outcome.failed == []
    assert provider.stats.updates_sent == 3  # one per record+TXT group, not one per endpoint
    listed = by_key(await provider.records(ZONE))
    for name in names:
        assert (name, "A") in listed and (f"a-{name}", "TXT") in listed


async def test_changes_are_split_at_batch_change_size(bind_server: BindServer) -> None:
    provider = provider_for(bind_server, batch_change_size=50)
    creates = [Endpoint(f"h{i:03d}.example.com", "A", ("192.0.2.1",), ttl=60) for i in range(120)]

    outcome = await provider.apply_changes(ZONE, Changes(create=creates))

    assert outcome.failed == []
    assert provider.stats.updates_sent == 3
    assert len(await provider.records(ZONE)) == 120 + 1  # and ns1


async def test_changes_are_split_below_the_64k_message_limit(bind_server: BindServer) -> None:
    provider = provider_for(bind_server, batch_change_size=5000)
    names = [f"host-{i:04d}.example.com" for i in range(1000)]
    changes = Changes(
        create=[Endpoint(n, "A", ("192.0.2.7",), ttl=60) for n in names] + [ownership_txt(n) for n in names]
    )

    outcome = await provider.apply_changes(ZONE, changes)

    assert outcome.failed == []
    # About 476 such pairs fit in 64 KiB; the size estimate is an upper bound, so a few more messages.
    assert 3 <= provider.stats.updates_sent <= 6
    on_server = await bind_server.axfr_records("example.com")
    assert all((n, "A") in on_server and (f"a-{n}", "TXT") in on_server for n in names)


async def test_listing_reports_records_the_operator_did_not_write(tmp_path: Path) -> None:
    if named_path() is None:
        pytest.skip("BIND9 `named` is not installed (apt-get install bind9)")
    server = BindServer()
    server.start(
        ["example.com"],
        tmp_path,
        records={
            "example.com": [
                "www 120 IN A 192.0.2.1",
                "www 120 IN A 192.0.2.2",
                "www 120 IN AAAA 2001:db8::1",
                "alias 60 IN CNAME www",
                'spf 300 IN TXT "v=spf1 -all"',
                'long 300 IN TXT "part one," "part two"',
                "@ 300 IN MX 10 mail.example.com.",
                "_sip._udp 300 IN SRV 10 60 5060 sip.example.com.",
                "sub 300 IN NS ns.sub",
                "ns.sub 300 IN A 192.0.2.53",
                "legacy 300 IN DNAME example.org.",
                "4.2.0.192 300 IN PTR www.example.com.",
            ]
        },
    )
    try:
        provider = provider_for(server)
        listed = by_key(await provider.records(ZONE))
    finally:
        server.stop()

    assert listed == {
        ("ns1.example.com", "A"): (300, frozenset({"127.0.0.1"})),
        ("www.example.com", "A"): (120, frozenset({"192.0.2.1", "192.0.2.2"})),
        ("www.example.com", "AAAA"): (120, frozenset({"2001:db8::1"})),
        ("alias.example.com", "CNAME"): (60, frozenset({"www.example.com"})),
        ("spf.example.com", "TXT"): (300, frozenset({'"v=spf1 -all"'})),
        ("long.example.com", "TXT"): (300, frozenset({'"part one,part two"'})),
        ("example.com", "MX"): (300, frozenset({"10 mail.example.com."})),
        ("_sip._udp.example.com", "SRV"): (300, frozenset({"10 60 5060 sip.example.com."})),
        ("sub.example.com", "NS"): (300, frozenset({"ns.sub.example.com"})),
        ("ns.sub.example.com", "A"): (300, frozenset({"192.0.2.53"})),
        ("legacy.example.com", "DNAME"): (300, frozenset({"example.org"})),
        ("4.2.0.192.example.com", "PTR"): (300, frozenset({"www.example.com"})),
    }
    assert provider.stats.axfrs == 1


async def test_adjusted_endpoints_read_back_identical_so_a_resync_plans_nothing(bind_server: BindServer) -> None:
    provider = provider_for(bind_server, min_ttl=90)
    desired = [
        Endpoint("short.example.com", "A", ("192.0.2.1",), ttl=30),
        Endpoint("unset.example.com", "A", ("192.0.2.1",)),
        Endpoint("long.example.com", "A", ("192.0.2.1",), ttl=3600),
        Endpoint("v6.example.com", "AAAA", ("2001:DB8:0:0::1",), ttl=600),
        Endpoint("txt.example.com", "TXT", ("plain value",), ttl=600),
        Endpoint("mx.example.com", "MX", ("10 mail.example.net",), ttl=600),
    ]
    adjusted = provider.adjust_endpoints(desired)
    assert (await provider.apply_changes(ZONE, Changes(create=desired))).failed == []

    listed = {e.key: e for e in await provider.records(ZONE)}

    # An unset TTL stays unset in the desired form (the planner never updates for it); the rest is identical.
    assert [listed[e.key] for e in adjusted if e.ttl] == [e for e in adjusted if e.ttl]
    assert listed[adjusted[1].key].ttl == 90
    assert [e.ttl for e in adjusted] == [90, 0, 3600, 600, 600, 600]
    everything = PlanSettings(managed_types=frozenset({"A", "AAAA", "TXT", "MX"}))
    ours = [e for e in listed.values() if e.key in {a.key for a in adjusted}]
    assert not calculate(ours, adjusted, everything).changes.has_changes()
    assert [e.targets[0] for e in adjusted[3:]] == ["2001:db8::1", '"plain value"', "10 mail.example.net."]


async def test_without_min_ttl_an_unset_ttl_is_written_as_the_default(bind_server: BindServer) -> None:
    provider = provider_for(bind_server)
    await provider.apply_changes(ZONE, Changes(create=[Endpoint("unset.example.com", "A", ("192.0.2.1",))]))

    assert by_key(await provider.records(ZONE))[("unset.example.com", "A")][0] == DEFAULT_TTL


async def test_a_name_outside_the_zone_fails_alone(bind_server: BindServer) -> None:
    provider = provider_for(bind_server)
    stray = Endpoint("www.example.org", "A", ("192.0.2.1",))
    good = Endpoint("www.example.com", "A", ("192.0.2.1",))

    outcome = await provider.apply_changes(ZONE, Changes(create=[stray, good]))

    assert outcome.failed == [(stray, '"www.example.org" is outside zone "example.com"')]
    assert ("www.example.com", "A") in by_key(await provider.records(ZONE))


async def test_an_invalid_target_fails_alone(bind_server: BindServer) -> None:
    provider = provider_for(bind_server)
    bad = Endpoint("bad.example.com", "A", ("not-an-ip",))
    good = Endpoint("good.example.com", "A", ("192.0.2.1",))

    outcome = await provider.apply_changes(ZONE, Changes(create=[bad, good]))

    assert [endpoint for endpoint, _ in outcome.failed] == [bad]
    assert outcome.failed[0][1].startswith("invalid A record")
    assert ("good.example.com", "A") in by_key(await provider.records(ZONE))


async def test_a_refused_update_fails_its_own_endpoints_and_the_next_messages_still_go(
    bind_server: BindServer,
) -> None:
    provider = provider_for(bind_server, batch_change_size=1)
    first = Endpoint("first.example.com", "A", ("192.0.2.1",))
    # BIND's integrity check refuses an MX whose in-zone target has no address record.
    refused = Endpoint("mx.example.com", "MX", ("10 nowhere.example.com",))
    last = Endpoint("last.example.com", "A", ("192.0.2.1",))

    outcome = await provider.apply_changes(ZONE, Changes(create=[first, refused, last]))

    assert [endpoint for endpoint, _ in outcome.failed] == [refused]
    assert "REFUSED" in outcome.failed[0][1]
    listed = by_key(await provider.records(ZONE))
    assert ("first.example.com", "A") in listed and ("last.example.com", "A") in listed


@pytest.mark.parametrize(
    "culprit",
    [
        # check-names: BIND refuses the whole UPDATE that holds a host name with an underscore.
        pytest.param(Endpoint("bad_host0.example.com", "A", ("192.0.2.9",)), id="check-names"),
        # Integrity check: an MX whose in-zone target has no address record.
        pytest.param(Endpoint("mx.example.com", "MX", ("10 nowhere.example.com",)), id="dangling MX"),
    ],
)
async def test_a_refused_update_is_split_until_only_the_culprit_fails(
    bind_server: BindServer, culprit: Endpoint
) -> None:
    provider = provider_for(bind_server)  # the default 50 groups per message: all of it in one UPDATE
    names = [f"good{i:02d}.example.com" for i in range(50)]
    goods = [Endpoint(name, "A", ("192.0.2.1",)) for name in names]
    culprit_txt = ownership_txt(culprit.dns_name, culprit.record_type.lower())
    creates = [*goods[:20], culprit, *goods[20:], *(ownership_txt(name) for name in names), culprit_txt]

    outcome = await provider.apply_changes(ZONE, Changes(create=creates))

    assert sorted(endpoint.dns_name for endpoint, _ in outcome.failed) == sorted(
        [culprit.dns_name, culprit_txt.dns_name]
    )
    assert all("REFUSED" in message for _, message in outcome.failed)
    on_server = await bind_server.axfr_records("example.com")
    assert all((name, "A") in on_server and (f"a-{name}", "TXT") in on_server for name in names)
    assert (culprit_txt.dns_name, "TXT") not in on_server  # the culprit's TXT shared its fate
    # Two messages (50 groups and 1); the refused one is bisected: two halves per level, six levels for 50.
    assert provider.stats.updates_sent <= 2 + 2 * 6


async def test_an_update_that_times_out_is_an_ambiguous_failure(bind_server: BindServer) -> None:
    """Sent, and never answered: a socket that accepts the connection (the kernel does, from its backlog) and never
    reads. (A SIGSTOPped BIND could still answer while its threads stopped, on a loaded machine: the update then
    landed, and the test failed now and then under load.)"""
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        provider = provider_for(bind_server, port=silent.getsockname()[1], timeout=0.5)

        with pytest.raises(AmbiguousProviderError):
            await provider.apply_changes(ZONE, Changes(create=[Endpoint("x.example.com", "A", ("192.0.2.1",))]))


async def test_updates_for_a_zone_bind_does_not_serve_fail_with_notauth(bind_server: BindServer) -> None:
    provider = provider_for(bind_server, zones=("example.net",), batch_change_size=1)
    creates = [Endpoint(f"h{i}.example.net", "A", ("192.0.2.1",)) for i in range(3)]

    outcome = await provider.apply_changes(Zone("example.net"), Changes(create=creates))

    assert [endpoint for endpoint, _ in outcome.failed] == creates
    assert all("NOTAUTH" in message for _, message in outcome.failed)
    assert provider.stats.updates_sent == 3  # every message was still tried


async def test_a_wrong_tsig_secret_is_a_provider_error_not_a_transient_one(bind_server: BindServer) -> None:
    provider = provider_for(bind_server, tsig_secret=SECRET)

    with pytest.raises(ProviderError, match="TSIG") as listing:
        await provider.records(ZONE)
    with pytest.raises(ProviderError, match="TSIG") as writing:
        await provider.apply_changes(ZONE, Changes(create=[Endpoint("x.example.com", "A", ("192.0.2.1",))]))

    assert not isinstance(listing.value, TransientProviderError)
    assert not isinstance(writing.value, TransientProviderError)
    assert SECRET not in str(listing.value) and SECRET not in str(writing.value)


async def test_a_stopped_server_is_a_transient_error(bind_server: BindServer) -> None:
    provider = provider_for(bind_server)
    bind_server.stop()

    with pytest.raises(TransientProviderError):
        await provider.records(ZONE)
    with pytest.raises(TransientProviderError):
        await provider.apply_changes(ZONE, Changes(create=[Endpoint("x.example.com", "A", ("192.0.2.1",))]))


async def test_a_server_lost_mid_batch_fails_the_unsent_messages_instead_of_raising(
    bind_server: BindServer,
) -> None:
    class StopsServerAfterFirstMessage(RFC2136Provider):
        async def _send(self, update: RenderedUpdate, *args: Any) -> None:
            await super()._send(update, *args)
            bind_server.stop()  # the real server goes away once the first message is applied

    info = bind_server.info
    provider = StopsServerAfterFirstMessage(
        RFC2136Config(
            host=info.host,
            port=info.port,
            zones=info.zones,
            tsig_keyname=info.key_name,
            tsig_secret=info.key_secret,
            batch_change_size=1,
            timeout=5.0,
        )
    )
    creates = [Endpoint(f"h{i}.example.com", "A", ("192.0.2.1",)) for i in range(3)]

    outcome = await provider.apply_changes(ZONE, Changes(create=creates))

    assert [endpoint for endpoint, _ in outcome.failed] == creates[1:]
    assert all(message.startswith("not applied: UPDATE to") for _, message in outcome.failed)


async def test_a_restarted_server_keeps_the_records(bind_server: BindServer) -> None:
    provider = provider_for(bind_server)
    await provider.apply_changes(ZONE, Changes(create=[Endpoint("kept.example.com", "A", ("192.0.2.9",))]))

    bind_server.restart()

    assert ("kept.example.com", "A") in by_key(await provider.records(ZONE))


async def test_without_axfr_nothing_is_listed(bind_server: BindServer) -> None:
    provider = provider_for(bind_server, axfr=False)

    assert await provider.records(ZONE) == []
    assert provider.stats.axfrs == 0


async def test_zones_are_the_configured_ones_or_the_root(bind_server: BindServer) -> None:
    assert [z.name for z in await provider_for(bind_server).zones()] == ["example.com", "example.org"]
    assert [z.name for z in await provider_for(bind_server, zones=()).zones()] == [""]


@pytest.mark.parametrize(
    ("overrides", "flag"),
    [
        pytest.param({"tsig_secret_alg": "hmac-md5"}, "--rfc2136-tsig-secret-alg", id="an unknown algorithm"),
        pytest.param({"tsig_secret": "not base64!"}, "--rfc2136-tsig-secret", id="a secret that is not base64"),
        pytest.param({"tsig_keyname": ""}, "--rfc2136-tsig-keyname", id="a missing key name"),
        pytest.param({"port": 0}, "--rfc2136-port", id="port zero"),
        pytest.param({"batch_change_size": 0}, "--rfc2136-batch-change-size", id="an empty batch"),
        pytest.param({"min_ttl": -1}, "--rfc2136-min-ttl", id="a negative minimum TTL"),
    ],
)
def test_invalid_settings_are_refused_naming_the_flag(overrides: dict[str, object], flag: str) -> None:
    settings: dict[str, object] = {
        "host": "127.0.0.1",
        "zones": ("example.com",),
        "tsig_keyname": "opkey",
        "tsig_secret": SECRET,
    }
    settings.update(overrides)
    with pytest.raises(ConfigError, match=flag):
        RFC2136Config(**settings)  # type: ignore[arg-type]


def test_insecure_mode_needs_no_key() -> None:
    settings = RFC2136Config(host="127.0.0.1", zones=("example.com",), insecure=True)
    assert RFC2136Provider(settings).settings.tsig_keyname == ""


def rendered_on(threads: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    """Record the thread every UPDATE message is rendered (and signed) in."""
    render = rfc2136_provider.render_update

    def recording(*args: Any) -> RenderedUpdate:
        threads.append(threading.current_thread().name)
        return render(*args)

    monkeypatch.setattr(rfc2136_provider, "render_update", recording)


async def test_messages_are_rendered_and_signed_off_the_event_loop(
    bind_server: BindServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    provider = provider_for(bind_server, batch_change_size=10)
    threads: list[str] = []
    rendered_on(threads, monkeypatch)
    created = [Endpoint(f"r{i}.example.com", "A", ("192.0.2.1",), ttl=300) for i in range(25)]

    outcome = await provider.apply_changes(ZONE, Changes(create=created))

    assert not outcome.failed
    assert provider.stats.updates_sent == 3
    assert provider.stats.connections == 1  # the batch's messages one after another over one connection
    assert len(threads) == 3 and threading.current_thread().name not in threads
    assert {(e.dns_name, e.record_type) for e in created} <= set(by_key(await provider.records(ZONE)))


async def test_a_message_rendered_long_before_it_is_sent_is_signed_again(
    bind_server: BindServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(rfc2136_provider, "_RENDERED_FOR_AT_MOST", -1.0)  # every rendering counts as too old
    provider = provider_for(bind_server, batch_change_size=10)
    threads: list[str] = []
    rendered_on(threads, monkeypatch)
    created = [Endpoint(f"s{i}.example.com", "A", ("192.0.2.2",), ttl=300) for i in range(15)]

    outcome = await provider.apply_changes(ZONE, Changes(create=created))

    assert not outcome.failed  # BIND accepted the signatures made at sending time
    assert threads.count(threading.current_thread().name) == 2  # each of the 2 messages signed again, on the loop
    assert {(e.dns_name, e.record_type) for e in created} <= set(by_key(await provider.records(ZONE)))


async def test_the_next_message_is_built_while_the_one_before_is_on_the_wire(
    bind_server: BindServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Built all before the first is sent, BIND waited for the building and then the operator for BIND; each
    message is built while the one before it is applied instead (the first only before anything is sent)."""
    steps: list[str] = []
    lock = threading.Lock()
    loop = asyncio.get_running_loop()
    built = [asyncio.Event() for _ in range(3)]  # 30 records in messages of 10
    render = rfc2136_provider.render_update

    def rendering(*args: Any) -> RenderedUpdate:
        with lock:
            steps.append("built")
            loop.call_soon_threadsafe(built[steps.count("built") - 1].set)
        return render(*args)

    exchange = UpdateConnection.exchange

    async def exchanging(self: UpdateConnection, wire: bytes) -> bytes:
        with lock:
            steps.append("sent")
            sent = steps.count("sent")
        if sent < len(built):
            await built[sent].wait()  # answered once the next message is built: never, if it waits for this answer
        answer = await exchange(self, wire)
        with lock:
            steps.append("answered")
        return answer

    monkeypatch.setattr(rfc2136_provider, "render_update", rendering)
    monkeypatch.setattr(UpdateConnection, "exchange", exchanging)
    provider = provider_for(bind_server, batch_change_size=10)
    created = [Endpoint(f"p{i}.example.com", "A", ("192.0.2.3",), ttl=300) for i in range(30)]

    outcome = await provider.apply_changes(ZONE, Changes(create=created))

    assert not outcome.failed
    assert steps == ["built", "sent", "built", "answered", "sent", "built", "answered", "sent", "answered"]
    assert {(e.dns_name, e.record_type) for e in created} <= set(by_key(await provider.records(ZONE)))
