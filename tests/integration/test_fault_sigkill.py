"""SIGKILL mid-apply: the operator process is killed while it writes 2,000 names, then started again.

The first run is a real ``kopf run`` process, killed with SIGKILL once BIND has applied some of its UPDATEs and
not all (the test checks that the kill did land mid-apply). The restarted operator must finish the job: the
exact desired zone, nothing duplicated, every foreign record byte-identical.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.backends.bind import BindServer, free_port
from tests.fault_zone import (
    OWNER,
    ZONE,
    Stopwatch,
    assert_exact_zone,
    bind_with_foreign_records,
    converged,
    create_objects,
    flatten,
    foreign_lines,
    ours,
    rfc2136_flags,
    soa_serial,
)
from tests.harness import OperatorThread, operator_settings, wait_for

from external_dns.testing.cluster import LocalCluster

OBJECTS, PER_OBJECT = 200, 10  # 2,000 names
#: Small UPDATEs (10 records each: 400 for the 2,000 A and 2,000 TXT records) leave a window to kill in.
BATCH = 10


@pytest.fixture
def bind(tmp_path: Path) -> Iterator[BindServer]:
    yield from bind_with_foreign_records(tmp_path / "bind")


def kopf_run(cluster: LocalCluster, bind: BindServer, log: Path) -> subprocess.Popen[bytes]:
    kopf = shutil.which("kopf", path=str(Path(sys.executable).parent))
    assert kopf is not None
    info = bind.info
    env = {
        **os.environ,
        "KUBECONFIG": str(cluster.kubeconfig),
        "EXTERNAL_DNS_SOURCE": "crd",
        "EXTERNAL_DNS_PROVIDER": "rfc2136",
        "EXTERNAL_DNS_RFC2136_HOST": info.host,
        "EXTERNAL_DNS_RFC2136_PORT": str(info.port),
        "EXTERNAL_DNS_RFC2136_ZONE": ZONE,
        "EXTERNAL_DNS_RFC2136_TSIG_KEYNAME": info.key_name,
        "EXTERNAL_DNS_RFC2136_TSIG_SECRET": info.key_secret,
        "EXTERNAL_DNS_RFC2136_BATCH_CHANGE_SIZE": str(BATCH),
        "EXTERNAL_DNS_TXT_OWNER_ID": OWNER,
        "EXTERNAL_DNS_METRICS_ADDRESS": f"127.0.0.1:{free_port()}",
    }
    handle = log.open("w")
    return subprocess.Popen(
        [kopf, "run", "-m", "external_dns", "--all-namespaces", "--standalone"], env=env, stdout=handle, stderr=handle
    )


def test_sigkill_mid_apply_then_restart_converges_to_the_exact_zone(
    cluster: LocalCluster, bind: BindServer, tmp_path: Path
) -> None:
    foreign_before = foreign_lines(bind)
    desired = flatten(create_objects(cluster, OBJECTS, PER_OBJECT))
    serial_before = soa_serial(bind)
    clock = Stopwatch("sigkill-mid-apply")
    process = kopf_run(cluster, bind, tmp_path / "kopf.log")
    try:
        # Kill once a few dozen UPDATEs are in: well inside the ~400 this sync sends.
        wait_for(lambda: soa_serial(bind) >= serial_before + 30, 60, "the first UPDATEs", interval=0.005)
        process.send_signal(signal.SIGKILL)
        killed_after = clock.lap()
    finally:
        process.kill()
        process.wait(20)
    addresses, ownership = ours(bind)
    assert 0 < len(addresses) < len(desired), f"the kill did not land mid-apply: {len(addresses)} names written"
    clock.report(names=len(desired), written_when_killed=len(addresses), owned_when_killed=len(ownership),
                 killed_after_s=killed_after)  # fmt: skip

    clock.restart()
    flags = {**rfc2136_flags(bind), "rfc2136_batch_change_size": 50}
    with OperatorThread(operator_settings(cluster.kubeconfig, **flags)) as op:
        wait_for(lambda: converged(bind, desired), 120, "the exact zone after the restart", interval=0.2)
        op.wait_idle()
        clock.report(restart_to_converged_s=clock.lap())
        assert_exact_zone(bind, desired, foreign_before)
    errors = asyncio.run(cluster.list("v1", "events", field_selector="reason=RecordError"))
    assert [e["message"] for e in errors] == []
