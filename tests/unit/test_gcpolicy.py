"""The collector's policy for the start (gcpolicy.py): raised while a start runs, restored however it ends."""

from __future__ import annotations

import asyncio
import gc
from collections.abc import Iterator

import pytest

from external_dns.gcpolicy import START_THRESHOLDS, StartCollection, during_start


@pytest.fixture(autouse=True)
def default_thresholds() -> Iterator[tuple[int, int, int]]:
    before = gc.get_threshold()
    gc.set_threshold(700, 10, 10)
    yield (700, 10, 10)
    gc.set_threshold(*before)


def test_raised_during_the_start_then_restored_with_what_was_built_frozen() -> None:
    seen: list[tuple[int, int, int]] = []
    kept: list[object] = []

    @during_start
    async def start() -> str:
        seen.append(gc.get_threshold())
        kept.extend([{"built": index}] for index in range(1000))  # tracked containers the start keeps
        return "started"

    frozen_before = gc.get_freeze_count()
    assert asyncio.run(start()) == "started"
    assert seen == [START_THRESHOLDS]
    assert gc.get_threshold() == (700, 10, 10)
    assert gc.get_freeze_count() >= frozen_before + 1000


@pytest.mark.parametrize("ending", [RuntimeError("the first sync failed"), asyncio.CancelledError()])
def test_restored_when_the_start_fails_or_is_cancelled(ending: BaseException) -> None:
    @during_start
    async def start() -> None:
        assert gc.get_threshold() == START_THRESHOLDS
        raise ending

    with pytest.raises(type(ending)):
        asyncio.run(start())
    assert gc.get_threshold() == (700, 10, 10)


def test_overlapping_starts_restore_once_the_last_one_ends() -> None:
    first, second = StartCollection(), StartCollection()
    first.begin()
    second.begin()
    first.end()
    assert gc.get_threshold() == START_THRESHOLDS  # the second start still runs
    second.end()
    assert gc.get_threshold() == (700, 10, 10)


def test_begin_and_end_twice_count_once() -> None:
    collection = StartCollection()
    collection.begin()
    collection.begin()
    collection.end()
    assert gc.get_threshold() == (700, 10, 10)
    collection.end()  # not begun any more: nothing to undo
    assert gc.get_threshold() == (700, 10, 10)
    other = StartCollection()
    other.begin()
    assert gc.get_threshold() == START_THRESHOLDS
    other.end()
