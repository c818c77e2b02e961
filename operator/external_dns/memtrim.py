"""Handing the heap's free pages back to the system once the start is over: glibc's ``malloc_trim(0)``.

The start's transients (the first LIST's pages, the first sync's plan of every record, Kopf's replay of every
object) are freed once it is over, but glibc keeps most of the freed pages mapped: at 100,000 objects one
``malloc_trim(0)`` after the start gave back 40 MiB of RSS (bench/README.md, "Memory per object"). Where the C
library is not glibc (musl in Alpine images, macOS) there is no such function: nothing is called, nothing fails.

Called once per start; the log line says what it gave back, measured as the process's RSS before and after.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import logging
import os
import time
from collections.abc import Callable
from pathlib import Path

logger = logging.getLogger(__name__)

#: ``int malloc_trim(size_t pad)``: 1 if memory was returned to the system, 0 otherwise.
Trim = Callable[[int], int]


def find_malloc_trim(library: object | None = None) -> Trim | None:
    """glibc's ``malloc_trim`` from ``library`` (default: the C library this process runs on), or None."""
    if library is None:
        try:
            library = ctypes.CDLL(None)  # the symbols already loaded into this process, its C library's included
        except OSError:
            return None
    function = getattr(library, "malloc_trim", None)
    if function is None:
        return None
    function.argtypes = [ctypes.c_size_t]
    function.restype = ctypes.c_int
    trim: Trim = function
    return trim


def resident_bytes() -> int | None:
    """This process's resident set size (Linux's /proc/self/statm), or None where it cannot be read."""
    try:
        pages = int(Path("/proc/self/statm").read_text().split()[1])
    except (OSError, IndexError, ValueError):
        return None
    return pages * os.sysconf("SC_PAGE_SIZE")


def trim_heap(moment: str, trim: Trim | None = None) -> int | None:
    """Call ``malloc_trim(0)`` once and log what it gave back; the bytes of RSS freed, or None when glibc's
    function is absent (or the RSS cannot be read)."""
    trim = trim if trim is not None else find_malloc_trim()
    if trim is None:
        logger.info("No malloc_trim in this C library (not glibc): the heap is left as it is after %s", moment)
        return None
    before = resident_bytes()
    started = time.perf_counter()
    returned = trim(0)
    took = time.perf_counter() - started
    after = resident_bytes()
    freed = before - after if before is not None and after is not None else None
    mib = 1 << 20
    logger.info(
        "malloc_trim(0) after %s (%.0f ms): %s; RSS %s",
        moment,
        took * 1000,
        "memory returned to the system" if returned else "nothing to return",
        f"{before / mib:.0f} -> {after / mib:.0f} MiB" if before is not None and after is not None else "unknown",
    )
    return freed


async def trim_when(done: asyncio.Event, moment: str, at_most: float, trim: Trim | None = None) -> int | None:
    """:func:`trim_heap` once ``done`` is set (the end of the start's last transient), or after ``at_most``
    seconds whatever happens: a start that never quite ends still gets its pages back."""
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(at_most):  # not wait_for: see reconciler.ZoneWorker.run
            await done.wait()
    return trim_heap(moment, trim)
