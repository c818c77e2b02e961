"""Suite-wide fixtures."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator

import pytest

from external_dns.logs import QUIETED


@pytest.fixture(autouse=True)
def _restore_root_logging() -> Iterator[None]:
    """Commands under test configure logging for a process (setup_logging); undo it after each test, the levels
    of the loggers it quiets included (left at WARNING, they hid botocore's debug lines from a later test)."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    quieted = {name: logging.getLogger(name).level for name in QUIETED}
    yield
    root.handlers[:] = handlers
    root.setLevel(level)
    for name, quieted_level in quieted.items():
        logging.getLogger(name).setLevel(quieted_level)


def _under_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    """Under CI=true a skip is a failure: a missing backend (named, pdns_server, kubectl) must not let the run
    pass with the tests that need it not run. Locally a skip stays a skip, listed by ``-rs``."""
    outcome = yield
    report: pytest.TestReport = outcome.get_result()  # type: ignore[attr-defined]
    if report.skipped and _under_ci() and not hasattr(report, "wasxfail"):
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        report.outcome = "failed"
        report.longrepr = f"skipped under CI=true, where every backend must be present: {reason}"
