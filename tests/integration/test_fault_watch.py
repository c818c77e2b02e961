"""Faults under the watch streams: API connections reset while objects change, and a watch resumed from a
resourceVersion the server no longer has (410 Gone), with objects deleted in the gap.

Resets are injected in the local API server's own loop (``LocalCluster.in_server``): every live watch stream is
closed, as an API server restart or a load balancer in front of it would. Kopf resumes each stream from the
last resourceVersion it saw; after a 410 it lists again, which cannot report objects deleted in the gap: the
operator's periodic re-LIST does.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator
from pathlib import Path

import kmock
import pytest
from tests.backends.bind import BindServer
from tests.fault_zone import (
    API_VERSION,
    GROUP,
    PLURAL,
    VERSION,
    Stopwatch,
    assert_exact_zone,
    bind_with_foreign_records,
    converged,
    create_objects,
    dnsendpoint,
    flatten,
    foreign_lines,
    records_of,
    rfc2136_flags,
)
from tests.harness import OperatorThread, operator_settings, wait_for

from external_dns.testing.cluster import LocalCluster
from external_dns.testing.patches import PatchType

OBJECTS, PER_OBJECT = 20, 10  # 200 names
ROUNDS = 10


@pytest.fixture
def bind(tmp_path: Path) -> Iterator[BindServer]:
    yield from bind_with_foreign_records(tmp_path / "bind")


def test_watch_connections_reset_while_objects_change(cluster: LocalCluster, bind: BindServer) -> None:
    foreign_before = foreign_lines(bind)
    wanted = create_objects(cluster, OBJECTS, PER_OBJECT)
    with OperatorThread(operator_settings(cluster.kubeconfig, **rfc2136_flags(bind))) as op:
        wait_for(lambda: converged(bind, flatten(wanted)), 60, "the first 200 names")

        def cut_while_dnsendpoints_watched() -> int:
            watched = cluster.emulator.drop_watches(GROUP, VERSION, PLURAL)
            return watched + cluster.emulator.drop_watches() if watched else 0

        # Changes start once a DNSEndpoint stream is live (Kopf's, or the operator's catch-up watch before it;
        # tests/integration/test_start_changes.py covers the window before Kopf's LIST).
        wait_for(lambda: cluster.in_server(cut_while_dnsendpoints_watched), what="Kopf's DNSEndpoint stream")
        clock = Stopwatch("api-connection-resets")
        dropped = 0
        for r in range(ROUNDS):  # per round: 10 updates, 10 deletes, 10 creates, then every watch is cut

            async def one_round(r: int = r) -> None:
                patched, gone, new = f"obj-{r:03d}", f"obj-{OBJECTS // 2 + r:03d}", f"obj-{OBJECTS + r:03d}"
                wanted[patched] = records_of(r * PER_OBJECT, PER_OBJECT, generation=r + 1)
                spec = dnsendpoint(patched, wanted[patched])["spec"]
                await cluster.patch(API_VERSION, PLURAL, patched, {"spec": spec}, "default")
                del wanted[gone]
                await cluster.delete(API_VERSION, PLURAL, gone, "default")
                wanted[new] = records_of((OBJECTS + r) * PER_OBJECT, PER_OBJECT)
                await cluster.create(API_VERSION, PLURAL, dnsendpoint(new, wanted[new]))

            asyncio.run(one_round())
            # Cut every stream, as an API server restart would, once the DNSEndpoint one is live again.
            dropped += wait_for(lambda: cluster.in_server(cut_while_dnsendpoints_watched), what="a live stream to cut")
        desired = flatten(wanted)
        wait_for(lambda: converged(bind, desired), 60, "the exact zone after the resets", interval=0.2)
        clock.report(names=len(desired), changes=ROUNDS * 3 * PER_OBJECT, streams_reset=dropped,
                     converged_s=clock.lap())  # fmt: skip
        assert dropped >= ROUNDS  # every round cut at least the DNSEndpoint stream
        op.wait_idle()
        assert_exact_zone(bind, desired, foreign_before)


def test_a_watch_resumed_after_410_gone_misses_nothing(
    cluster: LocalCluster, bind: BindServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="kopf")
    foreign_before = foreign_lines(bind)
    wanted = create_objects(cluster, OBJECTS, PER_OBJECT)
    # Which watch requests are Kopf's (the operator's catch-up watch, catchup.py, may be live beside them).
    watches = cluster.emulator["watch", kmock.resource(GROUP, VERSION, PLURAL)]

    def kopf_watching() -> bool:
        return any(request.headers.get("User-Agent", "").startswith("kopf/") for request in watches)

    # --interval also paces the periodic re-LIST, the safety net for deletions a 410 hides.
    with OperatorThread(operator_settings(cluster.kubeconfig, **rfc2136_flags(bind), interval=2.0)) as op:
        wait_for(lambda: converged(bind, flatten(wanted)), 60, "the first 200 names")
        store = cluster.emulator.store
        rtype = store.resolve(GROUP, VERSION, PLURAL)
        for k in range(5):
            wanted[f"obj-{k:03d}"] = records_of(k * PER_OBJECT, PER_OBJECT, generation=7)
        for k in range(5, 10):
            del wanted[f"obj-{k:03d}"]

        def gap() -> int:
            """Cut the DNSEndpoint stream, change objects, and forget the history: Kopf's resume then gets 410
            Gone. Nothing is done (0) while that stream is not live yet (Kopf would list, not resume)."""
            if not kopf_watching():
                return 0
            dropped = cluster.emulator.drop_watches(GROUP, VERSION, PLURAL)
            if not dropped:
                return 0
            for k in range(5):
                spec = dnsendpoint(f"obj-{k:03d}", wanted[f"obj-{k:03d}"])["spec"]
                store.patch(rtype, "default", f"obj-{k:03d}", {"spec": spec}, PatchType.MERGE, None)
            for k in range(5, 10):
                store.delete(rtype, "default", f"obj-{k:03d}", None)
            store.trim_log(keep=0)
            return dropped

        clock = Stopwatch("watch-410-gone")
        wait_for(lambda: cluster.in_server(gap), what="the gap to cut a live DNSEndpoint watch stream")
        desired = flatten(wanted)
        wait_for(lambda: converged(bind, desired), 60, "the exact zone after the 410", interval=0.2)
        clock.report(names=len(desired), updated=50, deleted_in_gap=50, converged_s=clock.lap())
        # The periodic re-LIST may converge first: the resumed watch must meet its 410 all the same.
        wait_for(
            lambda: [r for r in caplog.records if "Restarting the watch-stream for dnsendpoints" in r.getMessage()],
            what="the resumed watch to meet 410 Gone",
        )
        op.wait_idle()
        assert_exact_zone(bind, desired, foreign_before)
