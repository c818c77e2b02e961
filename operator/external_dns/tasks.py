"""Stopping asyncio tasks for certain: what the application and the peering gate both need when they step down."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any


async def cancel_all(tasks: Sequence[asyncio.Task[Any]]) -> None:
    """Cancel the tasks and wait until they are done, cancelling again any that swallowed it (Python 3.11's
    wait_for returns the result of a wait that finished at the moment it was cancelled, and the task runs on; the
    project's own waits use asyncio.timeout, but a library's may not)."""
    while pending := [task for task in tasks if not task.done()]:
        for task in pending:
            task.cancel()
        await asyncio.wait(pending, timeout=0.5)
    await asyncio.gather(*tasks, return_exceptions=True)
