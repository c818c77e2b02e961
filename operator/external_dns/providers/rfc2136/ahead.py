"""Building the messages of a batch one ahead: each is built (rendered, signed) in a thread while the one before
it is on the wire.

Building a message costs about what the server takes to apply it (bench/cpu_parts.py, bench/floor.py): built all
before the first is sent, the server waited for the building and then the operator for the server; one ahead,
each waits for the other only at the first message of a batch.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import Generic, TypeVar

Parts = TypeVar("Parts", bound=Sequence[object])
Built = TypeVar("Built")


class BuiltAhead(Generic[Parts, Built]):
    """The messages of a batch (each given by its parts), built one ahead of the one taken."""

    def __init__(self, build: Callable[[Parts], Awaitable[Built]], messages: list[Parts]) -> None:
        self._build = build
        self._messages = messages
        self._index = {id(parts): index for index, parts in enumerate(messages)}
        self._building: dict[int, asyncio.Future[Built]] = {}
        self._start(0)

    async def take(self, parts: Sequence[object]) -> Built | None:
        """The built message of ``parts`` (None for parts that are not one of the batch's messages); the next
        message starts building as this one is handed out."""
        index = self._index.pop(id(parts), None)
        if index is None:
            return None
        self._start(index)
        built = await self._building.pop(index)
        self._start(index + 1)
        return built

    def cancel(self) -> None:
        """Drop what is still being built (the batch ended early: a failure)."""
        for building in self._building.values():
            building.cancel()
        self._building.clear()

    def _start(self, index: int) -> None:
        if index < len(self._messages) and index not in self._building:
            self._building[index] = asyncio.ensure_future(self._build(self._messages[index]))
