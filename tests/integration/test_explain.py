"""``external-dns explain`` answers "why is there (no) record?" from the live cluster and DNS server."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.backends.bind import BindServer, running_bind
from tests.builders import lb_service
from tests.harness import OperatorThread, operator_settings

from external_dns.explain import explain
from external_dns.testing.cluster import LocalCluster

ZONE = "example.com"
FOREIGN_OWNER_TXT = '"heritage=external-dns,external-dns/owner=other-cluster,external-dns/resource=service/x/y"'


@pytest.fixture
def bind(tmp_path: Path) -> Iterator[BindServer]:
    with running_bind(
        tmp_path / "bind",
        [ZONE],
        records={
            ZONE: [
                "taken 300 IN A 192.0.2.9",
                f"a-taken 0 IN TXT {FOREIGN_OWNER_TXT}",
            ]
        },
    ) as server:
        yield server


def test_explain_tells_in_step_foreign_owner_and_missing_zone(
    cluster: LocalCluster, bind: BindServer, capsys: pytest.CaptureFixture[str]
) -> None:
    asyncio.run(cluster.create("v1", "services", lb_service("web", "web.example.com", "203.0.113.5")))
    asyncio.run(cluster.create("v1", "services", lb_service("grab", "taken.example.com", "203.0.113.6")))
    settings = operator_settings(
        cluster.kubeconfig,
        **bind.provider_flags(ZONE),
        source=["service"],
        txt_owner_id="mine",
    )
    with OperatorThread(settings) as op:
        op.wait_idle()
    capsys.readouterr()

    assert explain(settings, ["web.example.com"]) == 0
    out = capsys.readouterr().out
    assert "service default/web: A web.example.com -> 203.0.113.5" in out
    assert "owned by 'mine' = this operator" in out
    assert "change nothing (in step)" in out
    assert 'RecordReady on Service default/web: Created A record "web.example.com"' in out

    assert explain(settings, ["taken.example.com"]) == 1
    out = capsys.readouterr().out
    assert "owned by 'other-cluster'" in out
    assert "skip A taken.example.com -> 203.0.113.6" in out
    assert 'owner id does not match: the existing A record "taken.example.com" is owned by "other-cluster"' in out

    assert explain(settings, ["elsewhere.example.org"]) == 0
    out = capsys.readouterr().out
    assert "none of the managed zones contains this name" in out
    assert "no object asks for this name" in out
