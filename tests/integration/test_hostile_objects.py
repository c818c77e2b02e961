"""Hostile and malformed objects against the real operator, the local API server and a real BIND.

What a platform team needs to trust at the edges: an object may not forge another owner's ownership record, a
name BIND would refuse never reaches it (so it cannot hold the other records of its batch hostage), and each bad
object is told why with a Warning naming its field. Every DNS assertion is made on BIND's AXFR.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from prometheus_client.parser import text_string_to_metric_families
from tests.backends.bind import BindServer, free_port, running_bind
from tests.harness import OperatorThread, operator_settings, wait_for
from tests.integration.healthz_probe import HealthProbe

from external_dns.config import Settings
from external_dns.hostnames import NameRule, name_problem
from external_dns.sources.limits import MAX_TARGETS_PER_RECORD
from external_dns.testing.cluster import LocalCluster

ZONE = "example.com"
HOSTNAME = "external-dns.alpha.kubernetes.io/hostname"
FOREIGN_TXT = '"heritage=external-dns,external-dns/owner=other-cluster,external-dns/resource=service/default/victim"'
PRE_EXISTING = ["victim 300 IN A 192.0.2.200", f"a-victim 300 IN TXT {FOREIGN_TXT}"]


@pytest.fixture
def bind(tmp_path: Path) -> Iterator[BindServer]:
    with running_bind(tmp_path / "bind", [ZONE], records={ZONE: PRE_EXISTING}) as server:
        yield server


def settings_for(cluster: LocalCluster, bind: BindServer, **flags: Any) -> Settings:
    base = {
        **bind.provider_flags(ZONE),
        "source": ["service", "crd"],
        "txt_owner_id": "bars",
    }
    return operator_settings(cluster.kubeconfig, **{**base, **flags})


def run(coro: Any) -> Any:
    return asyncio.run(coro)


def dns(bind: BindServer) -> dict[tuple[str, str], set[str]]:
    return bind.axfr_records_sync(ZONE)


def warnings_by_object(cluster: LocalCluster) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for event in run(cluster.list("v1", "events", field_selector="type=Warning")):
        found.setdefault(event["involvedObject"]["name"], []).append(event["message"])
    return found


def service(name: str, hostname: str, ip: str = "203.0.113.10", **annotations: str) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": name, "namespace": "default", "annotations": {HOSTNAME: hostname, **annotations}},
        "spec": {"type": "LoadBalancer", "ports": [{"port": 80}]},
        "status": {"loadBalancer": {"ingress": [{"ip": ip}]}},
    }


def dnsendpoint(name: str, *endpoints: dict[str, Any]) -> dict[str, Any]:
    return {
        "apiVersion": "externaldns.k8s.io/v1alpha1",
        "kind": "DNSEndpoint",
        "metadata": {"name": name, "namespace": "default"},
        "spec": {"endpoints": list(endpoints)},
    }


def create(cluster: LocalCluster, obj: dict[str, Any]) -> None:
    if obj["kind"] == "Service":
        run(cluster.create("v1", "services", obj))
    else:
        run(cluster.create("externaldns.k8s.io/v1alpha1", "dnsendpoints", obj))


@pytest.mark.parametrize(
    "managed",
    [
        pytest.param(None, id="default managed types"),
        pytest.param(["A", "AAAA", "CNAME", "TXT"], id="TXT managed"),
    ],
)
def test_a_forged_ownership_txt_is_refused_with_a_warning_naming_the_claimed_owner(
    cluster: LocalCluster, bind: BindServer, managed: list[str] | None
) -> None:
    forged = '"heritage=external-dns,external-dns/owner=bars"'
    create(
        cluster,
        dnsendpoint(
            "forger",
            {"dnsName": "a-victim.example.com", "recordType": "TXT", "targets": [forged]},
            {"dnsName": "fine.example.com", "recordType": "A", "targets": ["203.0.113.5"]},
        ),
    )
    flags = {"managed_record_types": managed} if managed else {}
    with OperatorThread(settings_for(cluster, bind, **flags)) as op:
        wait_for(lambda: ("fine.example.com", "A") in dns(bind), what="the forger's honest record")
        op.wait_idle()
        messages = wait_for(lambda: warnings_by_object(cluster).get("forger"), what="a Warning on the forger")
        assert any("spec.endpoints[0].targets[0]" in m and "'bars'" in m for m in messages), messages
        assert dns(bind)[("a-victim.example.com", "TXT")] == {FOREIGN_TXT}
        assert dns(bind)[("victim.example.com", "A")] == {"192.0.2.200"}


def test_names_and_values_bind_would_refuse_are_refused_up_front_and_hold_no_good_name_hostage(
    cluster: LocalCluster, bind: BindServer
) -> None:
    good = [service(f"good{i}", f"good{i}.example.com", f"203.0.113.{20 + i}") for i in range(20)]
    bad = {
        "bad-host": (service("bad-host", "bad_host0.example.com"), HOSTNAME),
        "trailing-dots": (service("trailing-dots", "trail0.example.com.."), HOSTNAME),
        "ttl-newline": (
            service("ttl-newline", "ttl0.example.com", **{"external-dns.alpha.kubernetes.io/ttl": "300\n"}),
            "ttl",
        ),
        "no-targets": (
            dnsendpoint("no-targets", {"dnsName": "empty0.example.com", "recordType": "A", "targets": []}),
            "spec.endpoints[0].targets",
        ),
        "null-targets": (
            dnsendpoint("null-targets", {"dnsName": "null0.example.com", "recordType": "A", "targets": None}),
            "spec.endpoints[0].targets",
        ),
        "crd-trailing": (
            dnsendpoint(
                "crd-trailing", {"dnsName": "trail1.example.com..", "recordType": "A", "targets": ["192.0.2.9"]}
            ),
            "spec.endpoints[0].dnsName",
        ),
        "crd-underscore": (
            dnsendpoint(
                "crd-underscore", {"dnsName": "bad_host1.example.com", "recordType": "A", "targets": ["192.0.2.9"]}
            ),
            "spec.endpoints[0].dnsName",
        ),
    }
    # Interleaved, so the bad ones land in the same batches as the good ones.
    for index, obj in enumerate(good):
        create(cluster, obj)
        if index < len(bad):
            create(cluster, list(bad.values())[index][0])
    with OperatorThread(settings_for(cluster, bind)) as op:
        wait_for(lambda: all((f"good{i}.example.com", "A") in dns(bind) for i in range(20)), what="every good name")
        op.wait_idle()
        warnings = wait_for(
            lambda: (found := warnings_by_object(cluster)) and set(bad) <= set(found) and found,
            what="a Warning on each bad object",
        )
        for name, (_, field) in bad.items():
            assert any(field in message for message in warnings[name]), (name, warnings[name])
        assert not any(name.startswith("good") for name in warnings), warnings
        published = {name for name, _ in dns(bind)}
        assert not published & {
            "bad_host0.example.com",
            "bad_host1.example.com",
            "trail0.example.com",
            "trail1.example.com",
        }
        # A bad TTL loses only itself: the record is published without a TTL of its own.
        assert ("ttl0.example.com", "A") in dns(bind)
        assert any("hostname rule" in m for m in warnings["bad-host"])


# --- the hostile corpus ----------------------------------------------------------------------------------------

TTL_KEY = "external-dns.alpha.kubernetes.io/ttl"
TARGET_KEY = "external-dns.alpha.kubernetes.io/target"
MANAGED = ["A", "AAAA", "CNAME", "TXT", "SRV", "MX"]


def record(name: str, record_type: str, *targets: Any, **extra: Any) -> dict[str, Any]:
    return {"dnsName": name, "recordType": record_type, "targets": list(targets), **extra}


def hostile_corpus() -> tuple[list[dict[str, Any]], dict[str, str], set[tuple[str, str]]]:
    """(objects, bad object name -> the field its Warning must name, good (name, type) that must be published)."""
    objects: list[dict[str, Any]] = []
    bad: dict[str, str] = {}
    good: set[tuple[str, str]] = set()
    for i in range(60):
        objects.append(service(f"good-svc{i}", f"svc{i}.example.com", f"203.0.113.{i + 1}"))
        good.add((f"svc{i}.example.com", "A"))
    for i in range(10):
        objects.append(
            dnsendpoint(
                f"good-crd{i}",
                record(f"crd{i}.example.com", "A", "198.51.100.1", "198.51.100.2"),
                record(f"alias{i}.example.com", "CNAME", "lb.example.net"),
                record(f"_acme-challenge.crd{i}.example.com", "TXT", f"token-{i}"),
                record(f"_sip._tcp.crd{i}.example.com", "SRV", f"0 5 5060 crd{i}.example.com"),
                record(f"mail{i}.example.com", "MX", f"10 crd{i}.example.com"),
            )
        )
        good |= {(f"crd{i}.example.com", "A"), (f"alias{i}.example.com", "CNAME")}
        good |= {(f"_acme-challenge.crd{i}.example.com", "TXT"), (f"_sip._tcp.crd{i}.example.com", "SRV")}
        good.add((f"mail{i}.example.com", "MX"))
    for i, idn in enumerate(["bücher", "straße", "日本語", "café", "ünïcödé"]):
        objects.append(service(f"good-idn{i}", f"{idn}.example.com", "203.0.113.200"))
    bad_names = [
        "bad_host.example.com",
        "a..example.com",
        "trail.example.com..",
        "-lead.example.com",
        "tail-.example.com",
        "x" * 64 + ".example.com",
        ".".join(["y" * 60] * 5) + ".example.com",
        "in.*.example.com",
        "*x.example.com",
        "tab\there.example.com",
        "nul\x00.example.com",
        "bell\x07.example.com",
        "zero\u200bwidth.example.com",
        "\u2615\u0301.example.com",
        "line\u2028sep.example.com",
        "dollar$.example.com",
        "999.1.1.1",
        "semi;colon.example.com",
        'quote".example.com',
        "slash/.example.com",
    ]
    for i, name in enumerate(bad_names):
        objects.append(service(f"bad-name{i}", name))
        bad[f"bad-name{i}"] = HOSTNAME
    bad_ttls = ["300\n", " 300", "+300", "3_00", "\u0663\u0660\u0660", "0300", "forever", "-5", "1e3", "99999999999"]
    for i, ttl in enumerate(bad_ttls):
        objects.append(service(f"bad-ttl{i}", f"ttl{i}.example.com", **{TTL_KEY: ttl}))
        bad[f"bad-ttl{i}"] = TTL_KEY
        good.add((f"ttl{i}.example.com", "A"))  # a bad TTL loses only itself
    bad_targets = [
        "999.1.1.1",
        "1.2.3.4.5",
        "a..b.example.net",
        "-x.example.net",
        "ex!clam.example.net",
        "*.example.net",
        "ctl\x01.example.net",
        "x" * 70 + ".net",
        "semi;.example.net",
        "\u2615\u0301.net",
    ]
    for i, target in enumerate(bad_targets):
        objects.append(service(f"bad-target{i}", f"bt{i}.example.com", **{TARGET_KEY: target}))
        bad[f"bad-target{i}"] = TARGET_KEY
    forged_values = [
        '"heritage=external-dns,external-dns/owner=bars"',
        "heritage=external-dns,external-dns/owner=other-cluster,external-dns/resource=service/default/victim",
        '"heritage=external-dns,external-dns/owner=bars,external-dns/resource=crd/x/y"',
        "heritage=external-dns",
        "HERITAGE=EXTERNAL-DNS,external-dns/owner=x",
        '"v=spf1" "heritage=external-dns,external-dns/owner=y"',
        " heritage = external-dns , external-dns/owner=z",
        '"heritage=external-dns,external-dns/owner="',
        "x,heritage=external-dns,external-dns/owner=w",
        '"heritage=external-dns,external-dns/owner=bars,external-dns/resource=service/default/victim"',
    ]
    for i, value in enumerate(forged_values):
        name = "a-victim.example.com" if i % 2 == 0 else f"forged{i}.example.com"
        objects.append(dnsendpoint(f"forged{i}", record(name, "TXT", value)))
        bad[f"forged{i}"] = "spec.endpoints[0].targets[0]"
    for i in range(10):
        item = record(f"empty{i}.example.com", "A")
        item["targets"] = [] if i % 2 else None
        objects.append(dnsendpoint(f"no-targets{i}", item))
        bad[f"no-targets{i}"] = "spec.endpoints[0].targets"
    bad_records = [
        (record("ba0.example.com", "A", "not-an-ip"), "targets[0]"),
        (record("ba1.example.com", "A", "203.0.113.1."), "targets[0]"),
        (record("ba2.example.com", "AAAA", "203.0.113.1"), "targets[0]"),
        (record("ba3.example.com", "CNAME", "bad..target.net"), "targets[0]"),
        (record("ba4.example.com", "MX", "10 bad_host.example.com"), "targets[0]"),
        (record("_ba5._tcp.example.com", "SRV", "0 5 5060 bad_host.example.com"), "targets[0]"),
        (record("ba6.example.com", "SRV", "not an srv"), "targets[0]"),
        (record("ba7.example.com", "NAPTR", "no trailing dot"), "targets[0]"),
        (record("ba8.example.com", "BOGUS", "x"), "recordType"),
        (record("bad_a9.example.com", "A", "203.0.113.9"), "dnsName"),
        (record("ba10.example.com", "A", "203.0.113.9", recordTTL="300"), "recordTTL"),
        (record("ba11.example.com", "A", "203.0.113.9", recordTTL=-1), "recordTTL"),
        (record("ba12.example.com", "A", "203.0.113.9", recordTTL=2**31), "recordTTL"),
        (record("ba13.example.com", "A", "203.0.113.9", recordTTL=1.5), "recordTTL"),
        (record("ba14.example.com", "A", 42), "targets[0]"),
        (record("ba15.example.com..", "A", "203.0.113.9"), "dnsName"),
        (record("", "A", "203.0.113.9"), "dnsName"),
        (record("mx16_bad.example.com", "MX", "10 mail.example.com"), "dnsName"),
    ]
    for i, (item, field) in enumerate(bad_records):
        objects.append(dnsendpoint(f"bad-record{i}", item))
        bad[f"bad-record{i}"] = f"spec.endpoints[0].{field}"
    # Giant objects: each publishes its first N (the limit) and is told what was left out.
    for i in range(3):
        names = ",".join(f"h{j}.huge{i}.example.com" for j in range(5000))
        objects.append(service(f"huge{i}", names, f"192.0.2.{i + 1}"))
        bad[f"huge{i}"] = HOSTNAME
        good |= {(f"h{j}.huge{i}.example.com", "A") for j in (0, 499)}
    wide = [f"10.{i // 65536}.{i // 256 % 256}.{i % 256}" for i in range(600)]
    objects.append(dnsendpoint("wide", record("wide.example.com", "A", *wide)))
    bad["wide"] = "spec.endpoints[0].targets"
    good.add(("wide.example.com", "A"))
    objects.append(dnsendpoint("many", *(record(f"m{j}.many.example.com", "A", "192.0.2.50") for j in range(600))))
    bad["many"] = "spec.endpoints"
    good |= {("m0.many.example.com", "A"), ("m499.many.example.com", "A")}
    return objects, bad, good


def warned(cluster: LocalCluster, bad: dict[str, str]) -> dict[str, list[str]] | None:
    """The Warnings by object once every bad object has one (None before; the last poll shows what is missing)."""
    found = warnings_by_object(cluster)
    return found if set(bad) <= set(found) else None


class OperatorProcess:
    """The operator as deployed: its own process (its own interpreter lock), configured by flags; the log is kept."""

    def __init__(self, cluster: LocalCluster, bind: BindServer, log: Path, *flags: str) -> None:
        info = bind.info
        self.port = free_port()
        args = [
            sys.executable, "-m", "external_dns", "--source=service", "--source=crd", "--provider=rfc2136",
            f"--kubeconfig={cluster.kubeconfig}", f"--rfc2136-host={info.host}", f"--rfc2136-port={info.port}",
            f"--rfc2136-zone={ZONE}", f"--rfc2136-tsig-keyname={info.key_name}",
            f"--rfc2136-tsig-secret-alg={info.key_algorithm}", "--txt-owner-id=bars", "--debounce=50ms",
            f"--metrics-address=127.0.0.1:{self.port}", *flags,
        ]  # fmt: skip
        env = {**os.environ, "EXTERNAL_DNS_RFC2136_TSIG_SECRET": info.key_secret}
        self.log = log
        self.process = subprocess.Popen(args, stdout=log.open("w"), stderr=subprocess.STDOUT, env=env)

    def __enter__(self) -> OperatorProcess:
        return self

    def __exit__(self, *_: object) -> None:
        self.process.terminate()
        try:
            self.process.wait(20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def metric(self, name: str, **labels: str) -> float:
        """A sample from /metrics (0 when absent or while the endpoint is not up yet)."""
        try:
            with urllib.request.urlopen(self.url("/metrics"), timeout=10) as response:
                text = response.read().decode()
        except OSError:
            return 0.0
        for family in text_string_to_metric_families(text):
            for sample in family.samples:
                if sample.name == name and all(sample.labels.get(k) == v for k, v in labels.items()):
                    return float(sample.value)
        return 0.0


def test_a_hostile_corpus_publishes_every_good_name_warns_every_bad_object_and_never_stalls(
    cluster: LocalCluster, bind: BindServer, tmp_path: Path
) -> None:
    objects, bad, good = hostile_corpus()
    assert len(objects) >= 150
    managed = [f"--managed-record-types={kind}" for kind in MANAGED]
    # Every resync a whole read and a whole-zone pass (a resync may otherwise follow the zone's changes).
    whole = ["--interval=3s", "--zone-full-read-interval=3s"]
    with OperatorProcess(cluster, bind, tmp_path / "operator.log", *whole, *managed) as op:
        with HealthProbe(op.url("/healthz"), tmp_path, op.process.pid) as probe:
            wait_for(lambda: probe.answers > 0, what="the first /healthz answer")
            for obj in objects:
                create(cluster, obj)
            wait_for(lambda: good <= set(dns(bind)), timeout=120, what="every good name", interval=0.25)
            try:
                warnings = wait_for(lambda: warned(cluster, bad), timeout=60, what="each Warning", interval=0.25)
            except AssertionError:
                missing = sorted(set(bad) - set(warnings_by_object(cluster)))
                raise AssertionError(f"no Warning on {missing}") from None
            # Two more whole-zone passes (--interval) over everything the corpus published.
            reads = op.metric("external_dns_provider_calls_total", operation="records")
            wait_for(
                lambda: op.metric("external_dns_provider_calls_total", operation="records") >= reads + 2,
                timeout=60,
                what="two resyncs",
                interval=0.25,
            )
            zone = dns(bind)
    for name, field in bad.items():
        assert any(field in message for message in warnings[name]), (name, warnings[name])
    assert not [name for name in warnings if name.startswith("good")], warnings
    assert len(zone[("wide.example.com", "A")]) == MAX_TARGETS_PER_RECORD
    assert ("m500.many.example.com", "A") not in zone and ("h500.huge0.example.com", "A") not in zone
    for (name, record_type), values in zone.items():
        rule = NameRule.HOSTNAME if record_type in ("A", "AAAA", "MX") else NameRule.DNS_NAME
        assert name_problem(name, rule) is None, (name, record_type)
        if record_type == "TXT" and any("heritage=" in value for value in values):
            # Only the operator's own ownership records (and the foreign one that was there) carry a heritage.
            assert values == {FOREIGN_TXT} or all("external-dns/owner=bars" in v for v in values), (name, values)
            assert not name.startswith("forged")
    assert zone[("a-victim.example.com", "TXT")] == {FOREIGN_TXT}
    figures = probe.figures()
    assert figures["failures"] == 0, figures
    assert figures["worst_stall"] < 1.0, f"/healthz stalled {figures['worst_stall']:.2f}s at worst ({figures})"


def test_a_service_asking_for_5000_names_does_not_stall_the_operator(
    cluster: LocalCluster, bind: BindServer, tmp_path: Path
) -> None:
    names = ",".join(f"h{j}.huge.example.com" for j in range(5000))
    # Every resync a whole read and a whole-zone pass (a resync may otherwise follow the zone's changes).
    whole = ["--interval=2s", "--zone-full-read-interval=2s"]
    with OperatorProcess(cluster, bind, tmp_path / "operator.log", *whole) as op:
        with HealthProbe(op.url("/healthz"), tmp_path, op.process.pid) as probe:
            wait_for(lambda: probe.answers > 0, what="the first /healthz answer")
            create(cluster, service("huge", names, "192.0.2.1"))
            wait_for(lambda: ("h499.huge.example.com", "A") in dns(bind), 120, "the first 500 names", 0.25)
            # A change re-derives and re-plans every name of the object; each resync plans the whole zone again.
            status = {"status": {"loadBalancer": {"ingress": [{"ip": "192.0.2.2"}]}}}
            run(cluster.patch("v1", "services", "huge", status, "default", subresource="status"))
            moved = {"192.0.2.2"}
            wait_for(lambda: dns(bind).get(("h499.huge.example.com", "A")) == moved, 120, "the move", 0.25)
            reads = op.metric("external_dns_provider_calls_total", operation="records")
            wait_for(
                lambda: op.metric("external_dns_provider_calls_total", operation="records") >= reads + 3,
                timeout=60,
                what="three resyncs",
                interval=0.25,
            )
            assert ("h500.huge.example.com", "A") not in dns(bind)
    figures = probe.figures()
    assert figures["failures"] == 0, figures
    assert figures["worst_stall"] < 1.0, f"/healthz stalled {figures['worst_stall']:.2f}s at worst ({figures})"
