"""Bisecting a batch the provider rejects, so that one bad record never holds the others hostage.

Providers send their changes as batches of *groups*; a group is a record with its ownership TXT, which must land
together, so a group is never split. When the provider refuses a batch because of what is in it
(:class:`~external_dns.errors.BatchRejected`), the batch is split in halves and each half is sent again, until
every group that can be written is written and only the culprits are left, each reported with the provider's
own reason. One culprit among n groups costs about 2*log2(n) more requests; sending each group alone would cost n.

Any other failure: before anything was applied it is raised (the caller retries the whole set); once something
was applied, the batches not yet sent are reported failed with the error (deferred, without an error, when the
provider only asked to wait), and an ambiguous error (the last request may have been applied) marks the outcome
ambiguous, so that the zone is re-read before a retry.
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Awaitable, Callable, Iterable, Sequence
from typing import TypeVar

from external_dns.endpoint import Endpoint
from external_dns.errors import AmbiguousProviderError, BatchRejected, ProviderBusy, ProviderError
from external_dns.providers.base import ApplyOutcome

logger = logging.getLogger(__name__)

Group = TypeVar("Group")

#: Splits allowed per call beyond those that paid off: each send that lands gives one back, so isolating culprits
#: among good records never runs out, while a provider that refuses everything costs at most about twice this many
#: requests per attempt, not one per group. (Requests stay below 2 x (this + groups written) + batches.)
MAX_SPLITS = 64


async def apply_bisecting(
    batches: Iterable[Sequence[Group]],
    send: Callable[[Sequence[Group]], Awaitable[None]],
    endpoints_of: Callable[[Group], Iterable[Endpoint]],
    outcome: ApplyOutcome | None = None,
    *,
    max_splits: int = MAX_SPLITS,
) -> ApplyOutcome:
    """Send each batch with ``send``; split rejected ones in halves until only the rejected groups are left.

    ``send`` raises :class:`BatchRejected` when the provider refused the batch for its content (nothing of it
    applied), any other :class:`ProviderError` for the rest. ``endpoints_of`` names the endpoints a group's
    failure is reported on. Failures are added to ``outcome`` (a new one when not given), which is returned.
    A split costs one unit of ``max_splits`` and each send that lands gives one back; once it is spent, a rejected
    batch is reported whole, and what was not written is retried later.
    """
    outcome = outcome if outcome is not None else ApplyOutcome()
    pending: deque[Sequence[Group]] = deque(batch for batch in batches if batch)
    applied_any = False
    splits = 0
    while pending:
        batch = pending.popleft()
        try:
            await send(batch)
        except BatchRejected as rejection:
            if len(batch) == 1 or not rejection.divisible or splits >= max_splits:
                outcome.failed.extend((ep, rejection.message) for group in batch for ep in endpoints_of(group))
                continue
            splits += 1
            middle = len(batch) // 2
            logger.info("Batch of %d record groups rejected (%s); retrying it in halves", len(batch), rejection)
            pending.extendleft((batch[middle:], batch[:middle]))  # extendleft reverses: the first half goes first
            continue
        except ProviderError as error:
            if not applied_any:
                raise
            unsent = [ep for rest in (batch, *pending) for group in rest for ep in endpoints_of(group)]
            if isinstance(error, ProviderBusy):  # "later", not "wrong": retried without an error on the objects
                outcome.deferred.extend(unsent)
            else:
                outcome.failed.extend((ep, f"not applied: {error}") for ep in unsent)
            outcome.ambiguous = outcome.ambiguous or isinstance(error, AmbiguousProviderError)
            return outcome
        applied_any = True
        splits = max(0, splits - 1)  # a split that led to a write paid for itself
    return outcome
