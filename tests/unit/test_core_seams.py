"""The glue's seams: the zone plan (what the worker and explain share), the record-state store, the source
table, and settings flowing from the flags to the parts."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import get_args

import pytest

from external_dns import factory
from external_dns.config import Settings
from external_dns.desired import ObjectKey
from external_dns.domain_filter import DomainFilter
from external_dns.endpoint import RESOURCE_LABEL, Endpoint, ObjectRef
from external_dns.kinds import BY_LABEL, SOURCES, SourceName, source_kind
from external_dns.model import Zone
from external_dns.plan import Plan, PlanSettings, Skipped
from external_dns.recordstate import RecordStates
from external_dns.registry.txt import TXTRegistry
from external_dns.sources.base import EmptyLookups, SourceSettings
from external_dns.zonecache import ZoneCache
from external_dns.zoneplan import ZonePlan, plan_zone
from external_dns.zonework import ReconcilerSettings

ZONE = Zone("example.com", "example.com")
REF = ObjectRef("Service", "v1", "default", "web", "uid-web")
OWNED = '"heritage=external-dns,external-dns/owner=default,external-dns/resource=service/default/web"'


def wanted(name: str, record_type: str, *targets: str) -> Endpoint:
    return Endpoint(name, record_type, targets, labels={RESOURCE_LABEL: "service/default/web"}, refs=(REF,))


async def _identity(endpoints: list[Endpoint]) -> list[Endpoint]:
    return endpoints


async def plan(wanted_endpoints: list[Endpoint], settings: PlanSettings, held: Sequence[Endpoint] = ()) -> ZonePlan:
    cache = ZoneCache()
    cache.replace(held)
    names = {ep.key.name for ep in [*wanted_endpoints, *held]}
    return await plan_zone(ZONE, cache, TXTRegistry("default"), wanted_endpoints, names, settings, _identity)


# --- the zone plan --------------------------------------------------------------------------------------------


async def test_an_apex_refused_for_its_txt_is_in_neither_the_changes_nor_the_batch() -> None:
    planned = await plan([wanted("example.com", "A", "192.0.2.1")], PlanSettings(owner_id="default"))
    assert planned.changes.create == []
    assert planned.batch.create == []
    [skip] = planned.skipped
    assert "outside zone example.com" in skip.reason and skip.endpoint.refs == (REF,)


async def test_a_record_beside_a_refused_apex_is_still_planned_with_its_txt() -> None:
    planned = await plan(
        [wanted("example.com", "A", "192.0.2.1"), wanted("www.example.com", "A", "192.0.2.2")],
        PlanSettings(owner_id="default"),
    )
    assert [ep.dns_name for ep in planned.changes.create] == ["www.example.com"]
    assert sorted(ep.dns_name for ep in planned.batch.create) == ["a-www.example.com", "www.example.com"]


@pytest.mark.parametrize(
    ("settings", "reason"),
    [
        (PlanSettings(owner_id="default"), "MX records are not managed (--managed-record-types: A, AAAA, CNAME)"),
        (
            PlanSettings(owner_id="default", managed_types=frozenset({"A", "MX"}), exclude_types=frozenset({"MX"})),
            "MX records are excluded (--exclude-record-types)",
        ),
    ],
    ids=["an unmanaged type is ignored with the flag to change", "an excluded type says it is excluded"],
)
async def test_wanted_records_the_flags_exclude_are_ignored_with_a_reason(settings: PlanSettings, reason: str) -> None:
    planned = await plan([wanted("mx.example.com", "MX", "10 mail.example.com")], settings)
    assert not planned.batch.has_changes()
    assert planned.skipped == []
    assert [skip.reason for skip in planned.ignored] == [reason]


async def test_a_name_outside_the_domain_filter_is_ignored_with_a_reason() -> None:
    settings = PlanSettings(owner_id="default", domain_filters=(DomainFilter(exclude=("internal.example.com",)),))
    planned = await plan([wanted("a.internal.example.com", "A", "192.0.2.1")], settings)
    assert [skip.reason for skip in planned.ignored] == ["the name does not match the domain filter"]


async def test_the_plan_reports_the_current_records_with_their_owner() -> None:
    held = [Endpoint("web.example.com", "A", ("192.0.2.1",)), Endpoint("a-web.example.com", "TXT", (OWNED,))]
    planned = await plan([wanted("web.example.com", "A", "192.0.2.1")], PlanSettings(owner_id="default"), held)
    assert [(ep.dns_name, ep.labels["owner"]) for ep in planned.current] == [("web.example.com", "default")]
    assert not planned.batch.has_changes()


class HoldBack:
    """A screen that holds back every wanted endpoint at one name."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.seen_current: list[Endpoint] = []

    def apply(self, wanted: list[Endpoint], current: list[Endpoint]) -> tuple[list[Endpoint], list[Skipped]]:
        self.seen_current = current
        held = [ep for ep in wanted if ep.dns_name == self.name]
        return [ep for ep in wanted if ep.dns_name != self.name], [Skipped(ep, "held back") for ep in held]


async def test_the_guards_hooks_screen_the_wanted_and_check_the_plan_before_ownership_is_added() -> None:
    held = [
        Endpoint("old.example.com", "A", ("192.0.2.9",)),
        Endpoint("a-old.example.com", "TXT", (OWNED.replace("web", "old"),)),
    ]
    screen = HoldBack("tenant.example.com")

    def keep_deletes(plan: Plan) -> Plan:
        kept = [Skipped(ep, "mass deletion held back") for ep in plan.changes.delete]
        plan.changes.delete = []
        plan.skipped += kept
        return plan

    cache = ZoneCache()
    cache.replace(held)
    wanted_endpoints = [wanted("tenant.example.com", "A", "192.0.2.1"), wanted("www.example.com", "A", "192.0.2.2")]
    names = {"tenant.example.com", "www.example.com", "old.example.com"}
    planned = await plan_zone(
        ZONE, cache, TXTRegistry("default"), wanted_endpoints, names, PlanSettings(owner_id="default"), _identity,
        screen=screen, check=keep_deletes,
    )  # fmt: skip
    assert [ep.dns_name for ep in planned.changes.create] == ["www.example.com"]
    assert planned.batch.delete == []  # the check ran before the ownership TXT deletes were added
    assert [(s.endpoint.dns_name, s.reason) for s in planned.skipped] == [
        ("tenant.example.com", "held back"),
        ("old.example.com", "mass deletion held back"),
    ]
    assert [ep.dns_name for ep in screen.seen_current] == ["old.example.com"]


# --- the record-state store ------------------------------------------------------------------------------------


def test_record_states_answer_per_zone_and_say_what_was_touched() -> None:
    states = RecordStates()
    record = wanted("web.example.com", "A", "192.0.2.1")
    states.queued("example.com", {"web.example.com"})
    assert states.record_state("example.com", record) == (False, "waiting to be applied")
    assert states.record_state("internal.example.com", record) == (True, "")
    states.set_error("example.com", "web.example.com", "REFUSED")
    states.settled("example.com", {"web.example.com"}, failed={"web.example.com"})
    assert states.record_state("example.com", record) == (False, "REFUSED")
    assert states.touched.is_set()
    assert states.take_touched() == ({"web.example.com"}, set())
    assert not states.touched.is_set()
    states.settled("example.com", {"web.example.com"}, failed=set())
    assert states.record_state("example.com", record) == (True, "")


def test_problems_are_reported_once_per_distinct_set() -> None:
    states = RecordStates()
    key = ObjectKey("crd", "default", "api")
    assert states.set_problems(key, ["bad TTL"]) is True
    assert states.set_problems(key, ["bad TTL"]) is False
    assert states.problems(key) == ("bad TTL",)
    assert states.set_problems(key, []) is True
    assert states.problems(key) == ()
    states.touch_object(key)
    states.forget_object(key)
    assert states.take_touched() == (set(), set())


# --- the source table -----------------------------------------------------------------------------------------


def test_the_source_table_has_a_row_for_every_source_flag_value() -> None:
    assert sorted(SOURCES) == sorted(get_args(SourceName))


@pytest.mark.parametrize("name", sorted(SOURCES))
def test_every_source_loads_with_its_resource(name: str) -> None:
    kind = source_kind(name, SourceSettings())
    assert kind.name == name
    assert kind.resource.plural
    assert callable(kind.derive)


def test_resource_labels_name_the_kind_behind_them() -> None:
    assert BY_LABEL["httproute"].ref_for("ns", "r") == ObjectRef("HTTPRoute", "gateway.networking.k8s.io/v1", "ns", "r")
    assert "" not in BY_LABEL and "pod" not in BY_LABEL


def test_an_unknown_source_is_refused() -> None:
    with pytest.raises(ValueError, match="not supported"):
        source_kind("configmap", SourceSettings())


# --- settings flow ----------------------------------------------------------------------------------------------


def test_every_source_setting_comes_from_a_flag_of_its_name_but_three() -> None:
    flags = {factory.SOURCE_FLAGS.get(f.name, f.name) for f in dataclasses.fields(SourceSettings)}
    # resolve_lb_hostname is accepted and ignored (see its doc); the AES key is decoded from --txt-encrypt-aes-key;
    # the target filter is built from --target-net-filter and --exclude-target-net.
    assert flags - set(Settings.model_fields) == {"resolve_lb_hostname", "ownership_aes_key", "target_filter"}


def test_default_targets_the_target_filter_and_the_min_ttl_are_steps_of_every_source() -> None:
    settings = Settings.load(
        {
            "source": ["crd"],
            "provider": "inmemory",
            "default_targets": ["203.0.113.9"],
            "target_net_filter": ["203.0.113.0/24"],
            "min_ttl": "5m",
        },
        env={},
    )
    part = factory.source_settings(settings)
    assert part.min_ttl == 300 and part.default_targets == ("203.0.113.9",)
    crd = source_kind("crd", part)
    obj = {
        "apiVersion": "externaldns.k8s.io/v1alpha1", "kind": "DNSEndpoint",
        "metadata": {"name": "d", "namespace": "default", "uid": "u"},
        "spec": {"endpoints": [
            {"dnsName": "filled.example.com", "recordType": "A", "targets": []},
            {"dnsName": "kept.example.com", "recordType": "A", "targets": ["203.0.113.1", "198.51.100.1"]},
        ]},
    }  # fmt: skip
    result = crd.derive(obj, part, EmptyLookups())
    assert [(ep.dns_name, ep.targets, ep.ttl) for ep in result.endpoints] == [
        ("filled.example.com", ("203.0.113.9",), 300),
        ("kept.example.com", ("203.0.113.1",), 300),
    ]


def test_the_ownership_key_reaches_the_sources_decoded() -> None:
    key = "0123456789abcdef0123456789abcdef"
    settings = Settings.load(
        {"source": ["crd"], "provider": "inmemory", "txt_encrypt_enabled": True, "txt_encrypt_aes_key": key}, env={}
    )
    assert factory.source_settings(settings).ownership_aes_key == key.encode()


def test_flags_flow_into_the_parts_settings_with_their_types() -> None:
    settings = Settings.load(
        {
            "source": ["service"],
            "provider": "inmemory",
            "ingress_class": ["nginx"],
            "fqdn_template": ["{{.Name}}.example.com"],
            "publish_host_ip": True,
            "crd_source_kind": "Record",
            "interval": 30.0,
            "debounce": 0.5,
        },
        env={},
    )
    source = factory.source_settings(settings)
    assert source.ingress_classes == frozenset({"nginx"})
    assert source.fqdn_templates == ("{{.Name}}.example.com",)
    assert source.publish_host_ip is True
    assert source.crd_kind == "Record"
    assert factory.reconciler_settings(settings) == ReconcilerSettings(debounce=0.5, resync_interval=30.0)


def test_without_a_reader_nothing_touched_is_kept() -> None:
    states = RecordStates(track_touched=False)
    states.settled("example.com", {"web.example.com"}, failed=set())
    states.touch_object(ObjectKey("crd", "default", "api"))
    assert not states.touched.is_set()
    assert states.take_touched() == (set(), set())


def _provider_configs() -> dict[str, type]:
    from external_dns.providers.aws.provider import AWSConfig
    from external_dns.providers.cloudflare.provider import CloudflareConfig
    from external_dns.providers.google import GoogleConfig
    from external_dns.providers.pdns.provider import PDNSConfig
    from external_dns.providers.rfc2136.provider import RFC2136Config
    from external_dns.providers.webhook.provider import WebhookConfig

    return {"rfc2136": RFC2136Config, "aws": AWSConfig, "cloudflare": CloudflareConfig, "pdns": PDNSConfig,
            "google": GoogleConfig, "webhook": WebhookConfig}  # fmt: skip


#: Provider config fields no flag sets: the domain filter (built from four flags) and internal tunables.
NOT_FLAGS = {"domain_filter", "timeout", "max_retries", "records_per_page"}


@pytest.mark.parametrize("name", sorted(factory.PROVIDER_FLAGS))
def test_every_provider_config_field_comes_from_a_flag(name: str) -> None:
    prefix, renamed = factory.PROVIDER_FLAGS[name]
    config = _provider_configs()[name]
    unset = {
        f.name for f in dataclasses.fields(config) if renamed.get(f.name, prefix + f.name) not in Settings.model_fields
    }
    assert unset <= NOT_FLAGS, f"{name}: fields with no flag: {sorted(unset - NOT_FLAGS)}"
    if name == "cloudflare":
        assert unset == {"domain_filter", "max_retries"}


def test_provider_configs_get_their_flags_converted() -> None:
    settings = Settings.load(
        {
            "source": ["service"],
            "provider": "rfc2136",
            "domain_filter": ["example.com"],
            "rfc2136_host": "10.0.0.1",
            "rfc2136_zone": ["example.com"],
            "rfc2136_tsig_keyname": "k",
            "rfc2136_tsig_secret": "c2VjcmV0",
            "rfc2136_min_ttl": "90s",
        },
        env={},
    )
    configs = _provider_configs()
    rfc2136 = factory.provider_config(configs["rfc2136"], "rfc2136", settings)
    assert (rfc2136.zones, rfc2136.tsig_secret, rfc2136.min_ttl) == (("example.com",), "c2VjcmV0", 90)
    aws = factory.provider_config(configs["aws"], "aws", settings)
    assert aws.endpoint_url is None and aws.domain_filter == DomainFilter(include=("example.com",))
    cloudflare = factory.provider_config(configs["cloudflare"], "cloudflare", settings)
    assert cloudflare.api_token == "" and cloudflare.api_url == settings.cloudflare_api_url
