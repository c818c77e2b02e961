"""Reading the records at a few names of a zone one name at a time, for providers whose API reads one name per
request (Route 53, PowerDNS, Cloudflare: providers/base.ReadingNames).

The names of one change (a record's name and its ownership TXT names) are asked for together rather than one
after another: on Route 53 every request waits for its turn in the account's budget (aws/pacing.py), which
serves waiters in order, so names asked together take consecutive turns instead of each queueing behind the next
page of a whole-zone read under way. At most ``NAMES_AT_ONCE`` are in flight, so that a burst of names cannot
flood the API; the first failure cancels the reads still under way and is raised.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Collection

from external_dns.endpoint import Endpoint, normalize_name
from external_dns.model import Zone

#: Requests for names in flight at once (a change reads 2-4 names).
NAMES_AT_ONCE = 8

ReadOne = Callable[[str], Awaitable[list[Endpoint]]]


async def read_each(zone: Zone, names: Collection[str], read_one: ReadOne) -> list[Endpoint]:
    """``read_one(name)`` for each normalised name of ``names`` in ``zone`` (outside it: nothing to ask), their
    answers concatenated in name order."""
    wanted = sorted({name for name in map(normalize_name, names) if zone.contains(name)})
    slots = asyncio.Semaphore(NAMES_AT_ONCE)

    async def read(name: str) -> list[Endpoint]:
        async with slots:
            return await read_one(name)

    reads = [asyncio.create_task(read(name), name=f"records-at {name}") for name in wanted]
    try:
        answers = await asyncio.gather(*reads)
    except BaseException:
        for task in reads:
            task.cancel()
        await asyncio.gather(*reads, return_exceptions=True)
        raise
    return [endpoint for answer in answers for endpoint in answer]
