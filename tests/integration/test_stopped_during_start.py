"""An operator stopped during its start (its LIST still running) closes what the start had opened.

Kopf runs the cleanup handlers only once every startup handler has returned, so a stop (SIGTERM, or a test's end)
during the start-up LIST used to skip them: the catch-up watch kept running and kept the collector's start policy
(gcpolicy.py) raised for the whole process. In the test suite, which runs many operators in one process, that
made the collector tests that ran later fail whenever an operator test had failed with its LIST held.
"""

from __future__ import annotations

import gc
import threading

from tests.harness import OperatorThread, operator_settings, wait_for
from tests.integration.test_start_changes_early import (  # noqa: F401  (a fixture, found by pytest by its name)
    ZONE,
    ListHold,
    create_services,
    second_page_held,
)

from external_dns import handlers
from external_dns.testing.cluster import LocalCluster


def test_an_operator_stopped_during_its_start_up_list_leaves_nothing_open(
    cluster: LocalCluster,
    second_page_held: ListHold,  # noqa: F811
) -> None:
    create_services(cluster)
    thresholds = gc.get_threshold()
    settings = operator_settings(
        cluster.kubeconfig, source=["service"], provider="inmemory", inmemory_zone=[ZONE], txt_owner_id="stop"
    )
    op = OperatorThread(settings)
    start_failures: list[BaseException] = []

    def start() -> None:
        try:
            op.start(timeout=60)
        except BaseException as error:
            start_failures.append(error)

    starting = threading.Thread(target=start, daemon=True)
    starting.start()
    wait_for(second_page_held.held.is_set, 30, "the operator's LIST, held after its first page")
    state = handlers.running(op.memo)
    catch_up = state.catch_up
    assert catch_up is not None and gc.get_threshold() != thresholds  # the start's collector policy is on

    op.stop()
    starting.join(30)

    assert not starting.is_alive()
    assert [str(error) for error in start_failures] == ["the operator stopped before it had started"]
    assert gc.get_threshold() == thresholds
    assert not any(catch_up.watching(plural) for plural in catch_up.position)
    assert (state.catch_up, state.app, state.kube, state.loop_sampler) == (None, None, None, None)
