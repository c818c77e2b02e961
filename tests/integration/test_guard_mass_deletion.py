"""The mass-deletion guard through the real operator, the local API server and a real BIND.

The story it guards against: the operator is restarted with a ``--label-filter`` typo, sees no object wanting
any record, and (as ExternalDNS does) deletes every record it owns in the zone.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from prometheus_client import REGISTRY
from tests.backends.bind import BindServer, running_bind
from tests.builders import lb_service
from tests.harness import OperatorThread, operator_settings, wait_for, written_ago

from external_dns.testing.cluster import LocalCluster

ZONE = "example.com"
FOREIGN = [
    "manual 300 IN A 192.0.2.1",
    "theirs 300 IN A 192.0.2.2",
    'a-theirs 300 IN TXT "heritage=external-dns,external-dns/owner=other,external-dns/resource=service/x/y"',
]
OWNED = 40


@pytest.fixture
def bind(tmp_path: Path) -> Iterator[BindServer]:
    with running_bind(tmp_path / "bind", [ZONE], records={ZONE: FOREIGN}) as server:
        yield server


def settings_for(cluster: LocalCluster, bind: BindServer, **flags: Any) -> Any:
    base = {
        **bind.provider_flags(ZONE),
        "source": ["service"],
        "txt_owner_id": "guarded",
    }
    return operator_settings(cluster.kubeconfig, **{**base, **flags})


def service(name: str, ip: str, app: str = "web") -> dict[str, Any]:
    """A LoadBalancer Service for ``<name>.example.com``, labelled ``app=<app>`` (what --label-filter selects)."""
    body = lb_service(name, f"{name}.{ZONE}", ip)
    body["metadata"]["labels"] = {"app": app}
    return body


def dns(bind: BindServer) -> dict[tuple[str, str], set[str]]:
    return bind.axfr_records_sync(ZONE)


def addresses(bind: BindServer) -> set[str]:
    return {name for name, type_ in dns(bind) if type_ == "A" and name.startswith("svc")}


def foreign(bind: BindServer) -> dict[tuple[str, str], set[str]]:
    return {key: value for key, value in dns(bind).items() if key[0].startswith(("manual.", "theirs.", "a-theirs."))}


def actions() -> float:
    value = REGISTRY.get_sample_value("external_dns_guard_actions_total", {"guard": "mass_deletion"})
    return value or 0.0


@pytest.fixture
def published(cluster: LocalCluster, bind: BindServer) -> dict[tuple[str, str], set[str]]:
    """40 Services labelled app=web, their records written by an operator filtering on app=web; the foreign
    records as they were before."""
    before = foreign(bind)
    for i in range(OWNED):
        asyncio.run(cluster.create("v1", "services", service(f"svc{i}", f"203.0.113.{i + 1}")))
    with OperatorThread(settings_for(cluster, bind, label_filter="app=web")) as op:
        wait_for(lambda: len(addresses(bind)) == OWNED, what="the 40 records")
        op.wait_idle()
    return before


def test_a_label_filter_typo_no_longer_wipes_the_zone(
    cluster: LocalCluster,
    bind: BindServer,
    published: dict[tuple[str, str], set[str]],
    caplog: pytest.LogCaptureFixture,
) -> None:
    with written_ago(3600):  # not just before the start: the first sync writes it, so the held count is exact
        asyncio.run(cluster.create("v1", "services", service("svcnew", "203.0.113.200", app="wbe")))
    before = actions()
    with OperatorThread(settings_for(cluster, bind, label_filter="app=wbe")) as op:  # the typo
        wait_for(lambda: ("svcnew.example.com", "A") in dns(bind), what="the create of the same plan")
        op.wait_idle()
        assert addresses(bind) == {f"svc{i}.{ZONE}" for i in range(OWNED)} | {f"svcnew.{ZONE}"}
        assert ("a-svc0.example.com", "TXT") in dns(bind)  # the ownership records stay too
        assert foreign(bind) == published
        assert actions() > before
        warned = wait_for(
            lambda: (
                {
                    e["involvedObject"]["name"]
                    for e in asyncio.run(cluster.list("v1", "events", field_selector="reason=RecordError"))
                    if "mass-deletion guard" in e["message"] and e["type"] == "Warning"
                }
                >= {f"svc{i}" for i in range(OWNED)}
            ),
            what="a Warning on each Service whose record is held",
        )
        assert warned
    held = [r.getMessage() for r in caplog.records if "HELD BACK" in r.getMessage()]
    assert held and "40 deletions of the 40 records" in held[0] and "--max-delete-ratio=1" in held[0]


def test_the_override_lets_an_intended_mass_deletion_through(
    cluster: LocalCluster, bind: BindServer, published: dict[tuple[str, str], set[str]]
) -> None:
    with OperatorThread(settings_for(cluster, bind, label_filter="app=gone", max_delete_ratio=1)) as op:
        wait_for(lambda: not addresses(bind), what="every owned record deleted")
        op.wait_idle()
    assert not [name for name, _ in dns(bind) if name.startswith("a-svc")]
    assert foreign(bind) == published


def test_ordinary_deletes_are_not_held(
    cluster: LocalCluster, bind: BindServer, published: dict[tuple[str, str], set[str]]
) -> None:
    before = actions()
    with OperatorThread(settings_for(cluster, bind, label_filter="app=web")) as op:
        # A record created through the watch shows the watch streams are up before the deletes are made.
        asyncio.run(cluster.create("v1", "services", service("svcwatched", "203.0.113.100")))
        wait_for(lambda: ("svcwatched.example.com", "A") in dns(bind), what="the watch streams")
        for i in range(3):
            asyncio.run(cluster.delete("v1", "services", f"svc{i}", "default"))
        wait_for(lambda: len(addresses(bind)) == OWNED - 2, what="the three deletes")
        op.wait_idle()
    assert addresses(bind) == {f"svc{i}.{ZONE}" for i in range(3, OWNED)} | {f"svcwatched.{ZONE}"}
    assert actions() == before


def test_objects_deleted_in_waves_are_held_once_most_of_the_zone_would_go(
    cluster: LocalCluster, bind: BindServer, published: dict[tuple[str, str], set[str]]
) -> None:
    """A namespace or a CRD going away reaches the operator as several small plans: they add up."""
    with OperatorThread(settings_for(cluster, bind, label_filter="app=web")) as op:
        asyncio.run(cluster.create("v1", "services", service("svcwatched", "203.0.113.100")))
        wait_for(lambda: ("svcwatched.example.com", "A") in dns(bind), what="the watch streams")
        before = actions()
        for wave in range(3):  # 3 x 10 of the 41 records, each wave applied before the next
            for i in range(wave * 10, wave * 10 + 10):
                asyncio.run(cluster.delete("v1", "services", f"svc{i}", "default"))
            if wave < 2:
                wait_for(lambda w=wave: f"svc{w * 10 + 9}.{ZONE}" not in addresses(bind), what=f"wave {wave}")
        wait_for(lambda: actions() > before, what="the guard to hold the third wave")
        op.wait_idle()
        assert addresses(bind) == {f"svc{i}.{ZONE}" for i in range(20, OWNED)} | {f"svcwatched.{ZONE}"}
        assert foreign(bind) == published


def external_dns_once(cluster: LocalCluster, bind: BindServer, *flags: str) -> subprocess.CompletedProcess[str]:
    info = bind.info
    args = [
        sys.executable, "-m", "external_dns", "--once", "--source=service", "--provider=rfc2136",
        f"--kubeconfig={cluster.kubeconfig}", f"--rfc2136-host={info.host}", f"--rfc2136-port={info.port}",
        f"--rfc2136-zone={ZONE}", f"--rfc2136-tsig-keyname={info.key_name}", "--txt-owner-id=guarded", *flags,
    ]  # fmt: skip
    env: dict[str, Any] = {**os.environ, "EXTERNAL_DNS_RFC2136_TSIG_SECRET": info.key_secret}
    return subprocess.run(args, capture_output=True, text=True, env=env, timeout=60, check=False)


def test_the_documented_one_shot_override_applies_what_the_guard_holds(
    cluster: LocalCluster, bind: BindServer, published: dict[tuple[str, str], set[str]]
) -> None:
    held = external_dns_once(cluster, bind, "--label-filter=app=retired")
    assert "HELD BACK 40 deletions" in held.stdout + held.stderr
    assert len(addresses(bind)) == OWNED
    allowed = external_dns_once(cluster, bind, "--label-filter=app=retired", "--max-delete-ratio=1")
    assert allowed.returncode == 0, allowed.stderr
    assert not addresses(bind)
    assert foreign(bind) == published
