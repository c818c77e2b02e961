"""The keys of one stored resource in etcd's order, so that a page of a LIST costs the page, not the resource.

etcd keeps keys sorted (``/registry/<resource>/<namespace>/<name>``) and the real API server reads a page as a key
range starting just after the continue key. The emulator's store keeps its objects in a dict; this index keeps the
same keys in a sorted list beside it, updated by bisection on every create and delete, so that a page starts with a
bisection instead of a sort of the whole resource.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterator

from external_dns.testing.model import ObjectKey

__all__ = ["KeyIndex"]


class KeyIndex:
    """The (namespace, name) keys of one resource, sorted as etcd orders them."""

    def __init__(self) -> None:
        self._keys: list[ObjectKey] = []

    def __len__(self) -> int:
        return len(self._keys)

    def add(self, key: ObjectKey) -> None:
        """Index a key (idempotent); appending in order, as seeding does, costs no bisection."""
        keys = self._keys
        if not keys or key > keys[-1]:
            keys.append(key)
            return
        position = bisect.bisect_left(keys, key)
        if position == len(keys) or keys[position] != key:
            keys.insert(position, key)

    def discard(self, key: ObjectKey) -> None:
        """Forget a key (idempotent)."""
        keys = self._keys
        position = bisect.bisect_left(keys, key)
        if position < len(keys) and keys[position] == key:
            del keys[position]

    def iter_after(self, namespace: str | None, after: ObjectKey | None) -> Iterator[ObjectKey]:
        """The keys in order, in one namespace (None: all), strictly after `after` (None: from the first).

        The index must not change while the iterator is in use (the store's reads and writes never interleave).
        """
        keys = self._keys
        start, end = self._span(namespace)
        if after is not None:
            start = bisect.bisect_right(keys, after, start, end)
        for position in range(start, end):
            yield keys[position]

    def count_after(self, namespace: str | None, key: ObjectKey) -> int:
        """How many keys, in one namespace (None: all), sort after `key`."""
        start, end = self._span(namespace)
        return end - bisect.bisect_right(self._keys, key, start, end)

    def _span(self, namespace: str | None) -> tuple[int, int]:
        if namespace is None:
            return 0, len(self._keys)
        # Every key of the namespace sorts between (namespace, "") and (namespace + "\0", ""): names hold no NUL.
        start = bisect.bisect_left(self._keys, (namespace, ""))
        return start, bisect.bisect_left(self._keys, (namespace + "\0", ""), start)
