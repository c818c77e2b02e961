"""Returning the heap's free pages after the start: glibc's malloc_trim where it exists, nothing elsewhere."""

from __future__ import annotations

import asyncio
import ctypes
import logging
import platform

import pytest

from external_dns import memtrim


class MuslLibrary:
    """A C library without malloc_trim, as musl's (Alpine) or macOS's is."""


def test_without_glibc_nothing_is_called_and_nothing_fails(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(ctypes, "CDLL", lambda name: MuslLibrary())
    caplog.set_level(logging.INFO, logger="external_dns.memtrim")
    assert memtrim.find_malloc_trim() is None
    assert memtrim.trim_heap("the first sync") is None
    assert "No malloc_trim in this C library (not glibc)" in caplog.text


def test_a_c_library_that_cannot_be_opened_counts_as_no_glibc(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(name: object) -> object:
        raise OSError("dlopen failed")

    monkeypatch.setattr(ctypes, "CDLL", refuse)
    assert memtrim.trim_heap("the first sync") is None


def test_the_trim_is_called_once_with_no_padding_and_logged(caplog: pytest.LogCaptureFixture) -> None:
    calls: list[int] = []

    def trim(pad: int) -> int:
        calls.append(pad)
        return 1

    caplog.set_level(logging.INFO, logger="external_dns.memtrim")
    freed = memtrim.trim_heap("the first sync", trim)
    assert calls == [0]
    assert freed is not None  # the RSS is readable on Linux
    assert "malloc_trim(0) after the first sync (" in caplog.text
    assert "ms): memory returned to the system; RSS " in caplog.text


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="glibc only")
def test_glibc_s_malloc_trim_is_found_and_runs() -> None:
    trim = memtrim.find_malloc_trim()
    assert trim is not None
    assert trim(0) in (0, 1)


async def test_the_trim_waits_for_the_start_to_end_and_runs_once() -> None:
    calls: list[int] = []
    done = asyncio.Event()
    waiting = asyncio.create_task(memtrim.trim_when(done, "Kopf's replay", 60, lambda pad: calls.append(pad) or 1))
    await asyncio.sleep(0)
    assert calls == [] and not waiting.done()
    done.set()
    await waiting
    assert calls == [0]


async def test_a_start_that_never_ends_is_trimmed_after_the_bound() -> None:
    calls: list[int] = []
    await memtrim.trim_when(asyncio.Event(), "Kopf's replay", 0.01, lambda pad: calls.append(pad) or 1)
    assert calls == [0]
