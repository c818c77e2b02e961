"""The etag of each Azure record set as last known, so that every write is conditional on the version it replaces.

Reads and writes of one zone overlap: at start-up a change planned from a point read (``records_at``) is written
while the zone's whole read is still listing, and that listing may hold a record set's etag from before the write.
Were it kept, the next update of that record set would be refused (412) and reported as changed in Azure. So what
a read saw is kept only if nothing newer is known: nothing written, and no read begun, after that read began.
"""

from __future__ import annotations

#: (zone, normalised name, record type).
EtagKey = tuple[str, str, str]


class Etags:
    """Etags by record set, each with the moment it was learnt (a counter, not a clock: only the order matters)."""

    def __init__(self) -> None:
        self._known: dict[EtagKey, tuple[int, str]] = {}
        self._moment = 0

    def read_begins(self) -> int:
        """The moment a read begins, to hand to :meth:`seen` with what it finds."""
        self._moment += 1
        return self._moment

    def seen(self, key: EtagKey, etag: str, since: int) -> None:
        """``etag``, listed by a read that began at ``since``: kept unless something newer is known."""
        known = self._known.get(key)
        if known is None or known[0] < since:
            self._known[key] = (since, etag)

    def now(self, key: EtagKey, etag: str) -> None:
        """``etag`` as Azure gave it just now (a write's answer, a record set read alone): newer than any read."""
        self._known[key] = (self.read_begins(), etag)

    def get(self, key: EtagKey) -> str | None:
        known = self._known.get(key)
        return None if known is None else known[1]

    def forget(self, key: EtagKey) -> None:
        """The record set is deleted (an older read seeing it later only brings back an etag nothing will use: a
        create is conditional on absence, not on an etag)."""
        self._known.pop(key, None)
