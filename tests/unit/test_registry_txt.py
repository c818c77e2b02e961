"""The TXT registry: ownership read from and written to TXT records as ExternalDNS does (reference §1)."""

from __future__ import annotations

import base64
from collections.abc import Sequence

import pytest

from external_dns.endpoint import (
    NONCE_LABEL,
    OWNED_RECORD_LABEL,
    OWNER_LABEL,
    RAW_TXT_LABEL,
    RESOURCE_LABEL,
    Endpoint,
    ObjectRef,
    RowKey,
    normalize_name,
)
from external_dns.errors import ConfigError
from external_dns.providers.base import Changes
from external_dns.registry import FORCE_UPDATE_PROPERTY, Registry, RegistryView, TXTRegistry
from external_dns.registry.crypto import decrypt_text

KEY = b"12345678901234567890123456789012"


def value(owner: str, resource: str = "") -> str:
    """``V(o, r)`` of the reference's worked examples."""
    text = f"heritage=external-dns,external-dns/owner={owner}"
    return f'"{text},external-dns/resource={resource}"' if resource else f'"{text}"'


def record(name: str, kind: str, *targets: str, **labels: str) -> Endpoint:
    return Endpoint(name, kind, targets, labels=labels)


def txt(name: str, text: str, set_identifier: str = "") -> Endpoint:
    return Endpoint(name, "TXT", (text,), set_identifier=set_identifier)


def by_key(records: Sequence[Endpoint]) -> dict[tuple[str, str, str], Endpoint]:
    return {(r.dns_name, r.record_type, r.set_identifier): r for r in records}


def created(registry: TXTRegistry, *records: Endpoint, view: RegistryView | None = None) -> list[Endpoint]:
    return registry.ownership_changes(Changes(create=list(records)), view or RegistryView([])).create


def test_txt_registry_and_view_satisfy_the_registry_protocol() -> None:
    assert isinstance(TXTRegistry("default"), Registry)


# Worked examples (§1.9) ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("options", "source_record", "txt_name", "txt_value"),
    [
        (
            {},
            record("api.example.com", "A", "203.0.113.10", resource="ingress/default/web"),
            "a-api.example.com",
            value("default", "ingress/default/web"),
        ),
        (
            {},
            record("app.example.com", "CNAME", "lb1.example.net", resource="service/default/app"),
            "cname-app.example.com",
            value("default", "service/default/app"),
        ),
        (
            {"prefix": "txt."},
            record("app.example.com", "CNAME", "lb1.example.net", resource="service/default/app"),
            "txt.cname-app.example.com",
            value("default", "service/default/app"),
        ),
        (
            {"suffix": "-%{record_type}"},
            record("app.example.com", "CNAME", "lb1.example.net", resource="service/default/app"),
            "app-cname.example.com",
            value("default", "service/default/app"),
        ),
        (
            {"suffix": "-txt"},
            record("app.example.com", "CNAME", "lb1.example.net", resource="service/default/app"),
            "cname-app-txt.example.com",
            value("default", "service/default/app"),
        ),
        (
            {},
            record("example.com", "A", "203.0.113.10", resource="ingress/default/web"),
            "a-example.com",
            value("default", "ingress/default/web"),
        ),
        (
            {"prefix": "_extdns."},
            record("example.com", "A", "203.0.113.10", resource="ingress/default/web"),
            "_extdns.a-example.com",
            value("default", "ingress/default/web"),
        ),
        (
            {"prefix": "extdns-%{record_type}."},
            record("example.com", "A", "203.0.113.10", resource="ingress/default/web"),
            "extdns-a.example.com",
            value("default", "ingress/default/web"),
        ),
        (
            {},
            record("*.apps.example.com", "A", "203.0.113.10"),
            "a-*.apps.example.com",
            value("default"),
        ),
        (
            {"wildcard_replacement": "wildcard"},
            record("*.apps.example.com", "A", "203.0.113.10"),
            "a-wildcard.apps.example.com",
            value("default"),
        ),
        (
            {"prefix": "txt.", "wildcard_replacement": "wc"},
            record("*.apps.example.com", "CNAME", "lb.example.net"),
            "txt.cname-wc.apps.example.com",
            value("default"),
        ),
        (
            {"managed_types": frozenset({"A", "CNAME", "SRV"})},
            record("_app._tcp.app.example.com", "SRV", "0 50 30080 app.example.com.", resource="service/default/app"),
            "srv-_app._tcp.app.example.com",
            value("default", "service/default/app"),
        ),
        (
            {},
            record("ns1.example.com", "A", "192.0.2.1", resource="crd/ns1/rec", team="blue"),
            "a-ns1.example.com",
            '"heritage=external-dns,external-dns/owner=default,external-dns/resource=crd/ns1/rec,'
            'external-dns/team=blue"',
        ),
        (
            {},
            record("pod.example.com", "A", "10.0.0.7"),
            "a-pod.example.com",
            value("default"),
        ),
    ],
    ids=[
        "1 an ingress A record gets an a- TXT",
        "2 a service CNAME gets a cname- TXT",
        "3 a plain prefix goes before the type",
        "4a a templated suffix replaces the type marker",
        "4b a plain suffix follows the typed label",
        "5a an apex TXT without affix lands outside the zone",
        "5b an apex TXT with a plain dotted prefix lands outside the zone",
        "5c an apex TXT with a templated dotted prefix lands inside the zone",
        "6a a wildcard TXT keeps its asterisk without replacement",
        "6b a wildcard TXT uses the replacement",
        "6c prefix and replacement combine",
        "8 an SRV record gets an srv- TXT",
        "10 DNSEndpoint user labels end up in the TXT",
        "11 a pod record has no resource",
    ],
)
def test_create_writes_the_record_and_its_txt_as_externaldns(
    options: dict[str, object], source_record: Endpoint, txt_name: str, txt_value: str
) -> None:
    registry = TXTRegistry("default", **options)  # type: ignore[arg-type]
    record_out, txt_out = created(registry, source_record)
    assert record_out == source_record.with_labels(owner="default")
    assert (txt_out.dns_name, txt_out.record_type, txt_out.targets) == (txt_name, "TXT", (txt_value,))


def test_dual_stack_records_get_independent_txts() -> None:
    registry = TXTRegistry("default")
    out = created(registry, record("ds.example.com", "A", "1.1.1.1"), record("ds.example.com", "AAAA", "2001:db8::1"))
    assert sorted(r.dns_name for r in out if r.record_type == "TXT") == ["a-ds.example.com", "aaaa-ds.example.com"]


def test_encrypted_create_reproduces_the_externaldns_fixture() -> None:
    registry = TXTRegistry("owner", prefix="txt.", encrypt=True, aes_key=KEY)
    source = record(
        "foobar.test-zone.example.org", "CNAME", "new-loadbalancer-1.lb.com", **{NONCE_LABEL: "h8UQ6jelUFUsEIn7"}
    )
    _, txt_out = created(registry, source)
    assert txt_out.dns_name == "txt.cname-foobar.test-zone.example.org"
    assert txt_out.targets == (
        '"h8UQ6jelUFUsEIn7SbFktc2MYXPx/q8lySqI4VwfVtVaIbb2nkHWV/88KKbuLtu7fJNzMir8ELVeVnRSY01KdiIuj7ledqZe5ailEjQ'
        'aU5Z6uEKd5pgs6sH8"',
    )


def test_encrypted_create_without_nonce_uses_a_fresh_one_that_decrypts() -> None:
    registry = TXTRegistry("owner", encrypt=True, aes_key=KEY)
    _, first = created(registry, record("a.example.com", "A", "192.0.2.1"))
    _, second = created(registry, record("a.example.com", "A", "192.0.2.1"))
    assert first.targets != second.targets
    assert decrypt_text(first.targets[0].strip('"'), KEY)[0] == "heritage=external-dns,external-dns/owner=owner"


def test_update_sends_old_and_new_txt_at_matching_indexes() -> None:
    registry = TXTRegistry("default")
    zone = [
        record("api.example.com", "A", "203.0.113.10"),
        txt("a-api.example.com", value("default", "ingress/default/web")),
    ]
    (current,) = registry.read(zone).records
    desired = record("api.example.com", "A", "203.0.113.11", owner="default", resource="ingress/default/web")
    out = registry.ownership_changes(Changes(update_old=[current], update_new=[desired]), registry.read(zone))
    assert [r.targets for r in out.update_old] == [("203.0.113.10",), (value("default", "ingress/default/web"),)]
    assert [r.targets for r in out.update_new] == [("203.0.113.11",), (value("default", "ingress/default/web"),)]
    assert out.update_old[1].dns_name == out.update_new[1].dns_name == "a-api.example.com"


# Reading --------------------------------------------------------------------------------------------------------


def test_read_strips_registry_txt_and_labels_the_record_with_the_exact_value() -> None:
    registry = TXTRegistry("default")
    view = registry.read(
        [
            record("api.example.com", "A", "203.0.113.10"),
            txt("a-api.example.com", value("default", "ingress/default/web")),
        ]
    )
    (owned,) = view.records
    assert owned.labels == {
        OWNER_LABEL: "default",
        RESOURCE_LABEL: "ingress/default/web",
        RAW_TXT_LABEL: value("default", "ingress/default/web"),
    }
    assert view.txt_rows == {RowKey("api.example.com", "")}
    assert view.txt_names == {RowKey("a-api.example.com", "")}


def test_another_owners_txt_labels_the_record_with_that_owner() -> None:
    view = TXTRegistry("default").read(
        [record("x.example.com", "A", "192.0.2.1"), txt("a-x.example.com", value("other"))]
    )
    assert view.records[0].labels[OWNER_LABEL] == "other"
    assert FORCE_UPDATE_PROPERTY not in view.records[0].provider_specific


@pytest.mark.parametrize(
    ("kind", "target", "owned"),
    [("A", "192.0.2.1", True), ("CNAME", "lb.example.net", True), ("AAAA", "2001:db8::1", False)],
    ids=["an A record falls back to the legacy TXT", "a CNAME falls back to it", "an AAAA record never does"],
)
def test_legacy_txt_is_fallback_ownership_except_for_aaaa(kind: str, target: str, owned: bool) -> None:
    registry = TXTRegistry("default", prefix="txt.")
    view = registry.read([record("x.example.com", kind, target), txt("txt.x.example.com", value("default"))])
    assert (view.records[0].labels.get(OWNER_LABEL) == "default") is owned


def test_new_format_txt_wins_over_legacy() -> None:
    registry = TXTRegistry("default", prefix="txt.")
    view = registry.read(
        [
            record("x.example.com", "A", "192.0.2.1"),
            txt("txt.x.example.com", value("legacy-owner")),
            txt("txt.a-x.example.com", value("default")),
        ]
    )
    assert view.records[0].labels[OWNER_LABEL] == "default"


def test_legacy_owned_record_is_marked_for_txt_migration() -> None:
    registry = TXTRegistry("default")
    (owned,) = registry.read(
        [record("x.example.com", "A", "192.0.2.1"), txt("x.example.com", value("default"))]
    ).records
    assert owned.provider_specific == {FORCE_UPDATE_PROPERTY: "true"}
    # The legacy TXT is not at the name a delete would use: no raw value for it, the TXT is regenerated.
    assert RAW_TXT_LABEL not in owned.labels


@pytest.mark.parametrize(
    ("owner", "managed", "zone_txt_name"),
    [("other", {"A"}, "x.example.com"), ("default", {"CNAME"}, "x.example.com"), ("default", {"A"}, "a-x.example.com")],
    ids=[
        "a record of another owner is not migrated",
        "a record of an unmanaged type is not migrated",
        "a record with its new-format TXT needs no migration",
    ],
)
def test_migration_mark_only_for_own_managed_records_missing_their_txt(
    owner: str, managed: set[str], zone_txt_name: str
) -> None:
    registry = TXTRegistry("default", managed_types=frozenset(managed))
    (read,) = registry.read([record("x.example.com", "A", "192.0.2.1"), txt(zone_txt_name, value(owner))]).records
    assert FORCE_UPDATE_PROPERTY not in read.provider_specific


def test_migration_update_writes_the_new_format_txt() -> None:
    registry = TXTRegistry("default")
    zone = [record("x.example.com", "A", "192.0.2.1"), txt("x.example.com", value("default", "ingress/a/b"))]
    view = registry.read(zone)
    (current,) = view.records
    desired = record("x.example.com", "A", "192.0.2.1", owner="default", resource="ingress/a/b")
    out = registry.ownership_changes(Changes(update_old=[current], update_new=[desired]), view)
    assert out.update_new[1] == txt("a-x.example.com", value("default", "ingress/a/b")).with_labels(
        **{OWNED_RECORD_LABEL: "x.example.com"}
    )
    assert FORCE_UPDATE_PROPERTY not in out.update_old[1].provider_specific


@pytest.mark.parametrize(
    "text",
    ['"v=spf1 -all"', '"heritage=someone-else,external-dns/owner=default"'],
    ids=["an SPF record", "a TXT of another heritage"],
)
def test_txt_without_our_heritage_stays_an_ordinary_unowned_record(text: str) -> None:
    view = TXTRegistry("default").read([txt("a-x.example.com", text), record("x.example.com", "A", "192.0.2.1")])
    assert by_key(view.records)[("a-x.example.com", "TXT", "")].targets == (text,)
    assert OWNER_LABEL not in by_key(view.records)[("x.example.com", "A", "")].labels
    assert view.txt_rows == set()


def test_txt_without_value_is_dropped() -> None:
    view = TXTRegistry("default").read([Endpoint("a-x.example.com", "TXT", ())])
    assert view.records == []


def test_txt_is_matched_by_set_identifier() -> None:
    registry = TXTRegistry("default")
    view = registry.read(
        [
            Endpoint("x.example.com", "A", ("192.0.2.1",), set_identifier="eu"),
            Endpoint("x.example.com", "A", ("192.0.2.2",), set_identifier="us"),
            txt("a-x.example.com", value("default"), set_identifier="eu"),
        ]
    )
    owners = {r.set_identifier: r.labels.get(OWNER_LABEL) for r in view.records}
    assert owners == {"eu": "default", "us": None}
    assert view.txt_rows == {RowKey("x.example.com", "eu")}


def test_wildcard_record_is_owned_through_the_replacement_name() -> None:
    registry = TXTRegistry("default", wildcard_replacement="wc")
    view = registry.read(
        [record("*.apps.example.com", "A", "192.0.2.1"), txt("a-wc.apps.example.com", value("default"))]
    )
    assert view.records[0].labels[OWNER_LABEL] == "default"


def test_ambiguous_legacy_txt_reads_as_new_format_ownership_of_the_shorter_name() -> None:
    registry = TXTRegistry("default")
    view = registry.read(
        [
            record("a-team.example.com", "A", "192.0.2.1"),
            record("team.example.com", "A", "192.0.2.2"),
            txt("a-team.example.com", value("default")),
        ]
    )
    owners = {r.dns_name: r.labels.get(OWNER_LABEL) for r in view.records}
    assert owners == {"a-team.example.com": None, "team.example.com": "default"}


def test_aws_a_alias_record_is_owned_through_its_pre_v022_cname_txt() -> None:
    registry = TXTRegistry("default")
    alias = Endpoint("x.example.com", "A", ("x.eu-west-1.elb.amazonaws.com",), provider_specific={"alias": "true"})
    (read,) = registry.read([alias, txt("cname-x.example.com", value("default"))]).records
    assert read.labels[OWNER_LABEL] == "default"
    assert read.provider_specific[FORCE_UPDATE_PROPERTY] == "true"


def test_old_owner_is_relabelled_and_txt_rewritten_with_the_new_owner() -> None:
    registry = TXTRegistry("new", old_owner_id="default")
    zone = [record("x.example.com", "A", "192.0.2.1"), txt("a-x.example.com", value("default", "ingress/a/b"))]
    view = registry.read(zone)
    (current,) = view.records
    assert current.labels[OWNER_LABEL] == "new"
    desired = record("x.example.com", "A", "192.0.2.1", owner="new", resource="ingress/a/b")
    out = registry.ownership_changes(Changes(update_old=[current], update_new=[desired]), view)
    assert out.update_old[1].targets == (value("default", "ingress/a/b"),)
    assert out.update_new[1].targets == (value("new", "ingress/a/b"),)


# Subset reads ---------------------------------------------------------------------------------------------------

ZONE = [
    record("api.example.com", "A", "203.0.113.10"),
    txt("a-api.example.com", value("default", "ingress/default/web")),
    record("ds.example.com", "A", "192.0.2.1"),
    record("ds.example.com", "AAAA", "2001:db8::1"),
    txt("a-ds.example.com", value("default")),
    txt("aaaa-ds.example.com", value("other")),
    record("legacy.example.com", "CNAME", "lb.example.net"),
    txt("legacy.example.com", value("default")),
    record("a-team.example.com", "A", "192.0.2.3"),
    record("team.example.com", "A", "192.0.2.4"),
    txt("a-team.example.com", value("default")),
    record("*.apps.example.com", "A", "192.0.2.5"),
    record("wc.apps.example.com", "A", "192.0.2.6"),
    txt("a-wc.apps.example.com", value("default")),
    record("example.com", "A", "192.0.2.7"),
    txt("extdns-a.example.com", value("default")),
    txt("extdns-.example.com", value("default")),
    record("spf.example.com", "TXT", '"v=spf1 -all"'),
    Endpoint("geo.example.com", "A", ("192.0.2.8",), set_identifier="eu"),
    txt("a-geo.example.com", value("default"), set_identifier="eu"),
    record("unowned.example.com", "A", "192.0.2.9"),
    record("pfx.example.com", "A", "192.0.2.10"),
    record("pfx.example.com", "CNAME", "lb.example.net"),
    txt("txt.a-pfx.example.com", value("default")),
    txt("txt.pfx.example.com", value("other")),
    record("sfx.example.com", "CNAME", "lb.example.net"),
    txt("cname-sfx-txt.example.com", value("default")),
]


@pytest.mark.parametrize(
    "options",
    [{}, {"wildcard_replacement": "wc"}, {"prefix": "extdns-%{record_type}."}, {"prefix": "txt."}, {"suffix": "-txt"}],
    ids=["without affix", "with a wildcard replacement", "with a templated prefix", "with a prefix", "with a suffix"],
)
def test_reading_a_name_and_its_related_names_equals_reading_the_whole_zone(options: dict[str, str]) -> None:
    registry = TXTRegistry("default", **options)  # type: ignore[arg-type]
    whole = registry.read(ZONE).records
    for name in {normalize_name(r.dns_name) for r in ZONE if r.record_type != "TXT"}:
        wanted = {name} | registry.related_names(name)
        subset = registry.read([r for r in ZONE if normalize_name(r.dns_name) in wanted]).records
        assert sorted(map(repr, (r for r in subset if r.dns_name == name))) == sorted(
            map(repr, (r for r in whole if r.dns_name == name))
        ), name


def test_related_names_cover_every_type_and_the_legacy_name() -> None:
    names = TXTRegistry("default", prefix="txt.").related_names("API.example.com")
    assert {"txt.a-api.example.com", "txt.aaaa-api.example.com", "txt.cname-api.example.com"} <= names
    assert {"txt.srv-api.example.com", "txt.txt-api.example.com", "txt.api.example.com"} <= names
    assert len(names) == 11


# Writing --------------------------------------------------------------------------------------------------------


def test_create_writes_no_txt_that_already_exists_whoever_owns_it() -> None:
    registry = TXTRegistry("default")
    view = registry.read([txt("a-x.example.com", value("other"))])
    out = created(registry, record("x.example.com", "A", "192.0.2.1"), view=view)
    assert [r.record_type for r in out] == ["A"]


def test_create_of_another_type_next_to_an_owned_record_gets_its_own_txt() -> None:
    registry = TXTRegistry("default")
    view = registry.read([record("x.example.com", "A", "192.0.2.1"), txt("a-x.example.com", value("default"))])
    out = created(registry, record("x.example.com", "AAAA", "2001:db8::1"), view=view)
    assert [r.dns_name for r in out] == ["x.example.com", "aaaa-x.example.com"]


def test_txt_carries_the_records_identity_routing_and_refs_with_default_ttl() -> None:
    ref = ObjectRef("Ingress", "networking.k8s.io/v1", "default", "web", "uid-1")
    source = Endpoint(
        "x.example.com", "A", ("192.0.2.1",), ttl=60, set_identifier="eu",
        provider_specific={"aws/weight": "10"}, refs=(ref,),
    )  # fmt: skip
    _, txt_out = created(TXTRegistry("default"), source)
    assert txt_out.labels == {OWNED_RECORD_LABEL: "x.example.com"}
    assert (txt_out.ttl, txt_out.set_identifier, txt_out.provider_specific) == (0, "eu", {"aws/weight": "10"})
    assert txt_out.refs == (ref,)


def test_record_whose_txt_name_has_a_label_over_63_characters_gets_no_txt() -> None:
    long_label = "x" * 62  # a- makes it 64
    out = created(TXTRegistry("default"), record(f"{long_label}.example.com", "A", "192.0.2.1"))
    assert [r.record_type for r in out] == ["A"]


def test_delete_sends_the_txt_value_exactly_as_read() -> None:
    registry = TXTRegistry("default")
    odd = '"heritage=external-dns,external-dns/owner=default,external-dns/resource=x,junk"'
    view = registry.read([record("x.example.com", "A", "192.0.2.1"), txt("a-x.example.com", odd)])
    out = registry.ownership_changes(Changes(delete=view.records), view)
    assert [r.targets for r in out.delete] == [("192.0.2.1",), (odd,)]
    assert RAW_TXT_LABEL not in out.delete[0].labels


def test_delete_without_a_read_value_regenerates_the_txt() -> None:
    registry = TXTRegistry("default")
    current = record("x.example.com", "A", "192.0.2.1", owner="default", resource="ingress/a/b")
    out = registry.ownership_changes(Changes(delete=[current]), RegistryView([current]))
    assert out.delete[1].targets == (value("default", "ingress/a/b"),)


def test_changes_to_records_of_other_owners_are_dropped() -> None:
    registry = TXTRegistry("default")
    mine = record("m.example.com", "A", "192.0.2.1", owner="default")
    theirs = record("t.example.com", "A", "192.0.2.2", owner="other")
    unowned = record("u.example.com", "A", "192.0.2.3")
    changes = Changes(
        update_old=[theirs, mine],
        update_new=[theirs.with_(targets=("192.0.2.9",)), mine.with_(targets=("192.0.2.8",))],
        delete=[theirs, unowned, mine],
    )
    out = registry.ownership_changes(changes, RegistryView([mine, theirs, unowned]))
    assert [(r.dns_name, r.record_type) for r in out.delete] == [("m.example.com", "A"), ("a-m.example.com", "TXT")]
    assert (
        [r.dns_name for r in out.update_old]
        == [r.dns_name for r in out.update_new]
        == ["m.example.com", "a-m.example.com"]
    )


def test_encrypted_txt_is_deleted_by_the_ciphertext_read_and_updated_with_the_same_nonce() -> None:
    registry = TXTRegistry("default", encrypt=True, aes_key=KEY)
    stored = created(registry, record("x.example.com", "A", "192.0.2.1", resource="ingress/a/b"))[1].targets[0]
    view = registry.read([record("x.example.com", "A", "192.0.2.1"), txt("a-x.example.com", stored)])
    (current,) = view.records
    nonce = stored.strip('"')[:16]
    assert (current.labels[NONCE_LABEL], current.labels[OWNER_LABEL]) == (nonce, "default")
    desired = record("x.example.com", "A", "192.0.2.2", owner="default", resource="ingress/a/c")
    out = registry.ownership_changes(Changes(update_old=[current], update_new=[desired], delete=[current]), view)
    assert out.update_old[1].targets == (stored,) == out.delete[1].targets
    new_value = out.update_new[1].targets[0].strip('"')
    assert new_value.startswith(nonce)
    assert decrypt_text(new_value, KEY)[0].endswith("external-dns/resource=ingress/a/c")


def test_delete_of_encrypted_record_without_read_value_regenerates_identical_ciphertext() -> None:
    registry = TXTRegistry("default", encrypt=True, aes_key=KEY)
    stored = created(registry, record("x.example.com", "A", "192.0.2.1"))[1].targets[0]
    view = registry.read([record("x.example.com", "A", "192.0.2.1"), txt("a-x.example.com", stored)])
    current = view.records[0].with_(labels={k: v for k, v in view.records[0].labels.items() if k != RAW_TXT_LABEL})
    out = registry.ownership_changes(Changes(delete=[current]), view)
    assert out.delete[1].targets == (stored,)


def test_key_without_encryption_still_reads_encrypted_and_plain_values() -> None:
    writer = TXTRegistry("default", encrypt=True, aes_key=KEY)
    encrypted = created(writer, record("e.example.com", "A", "192.0.2.1"))[1].targets[0]
    reader = TXTRegistry("default", aes_key=KEY)
    view = reader.read(
        [
            record("e.example.com", "A", "192.0.2.1"),
            txt("a-e.example.com", encrypted),
            record("p.example.com", "A", "192.0.2.2"),
            txt("a-p.example.com", value("default")),
        ]
    )
    assert {r.dns_name: r.labels[OWNER_LABEL] for r in view.records} == {
        "e.example.com": "default",
        "p.example.com": "default",
    }
    assert reader.is_registry_record(txt("a-e.example.com", encrypted))
    assert not TXTRegistry("default").is_registry_record(txt("a-e.example.com", encrypted))


def test_encryption_without_a_key_is_a_startup_error() -> None:
    with pytest.raises(ConfigError, match="--txt-encrypt-aes-key"):
        TXTRegistry("default", encrypt=True)


def test_base64_key_is_accepted() -> None:
    registry = TXTRegistry("default", encrypt=True, aes_key=base64.b64encode(KEY))
    assert registry.aes_key == KEY


@pytest.mark.parametrize(
    ("endpoint", "expected"),
    [
        (txt("a-x.example.com", value("default")), True),
        (txt("a-x.example.com", value("other")), True),
        (txt("x.example.com", '"v=spf1 -all"'), False),
        (record("x.example.com", "A", "192.0.2.1"), False),
    ],
    ids=["our TXT", "another owner's TXT", "an SPF TXT", "an A record"],
)
def test_is_registry_record(endpoint: Endpoint, expected: bool) -> None:
    assert TXTRegistry("default").is_registry_record(endpoint) is expected
