"""The shared bisection of rejected batches (providers/splitting.py), with a scripted provider."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from external_dns.endpoint import Endpoint
from external_dns.errors import AmbiguousProviderError, BatchRejected, TransientProviderError
from external_dns.providers.splitting import MAX_SPLITS, apply_bisecting


class Remote:
    """Accepts a batch unless it holds a refused group; can fail transiently after some successful sends."""

    def __init__(self, refused: set[int], *, divisible: bool = True, fail_after: int | None = None) -> None:
        self.refused = refused
        self.divisible = divisible
        self.fail_after = fail_after
        self.applied: list[int] = []
        self.sends = 0
        self.error: Exception = AmbiguousProviderError("answer lost")

    async def send(self, groups: Sequence[int]) -> None:
        self.sends += 1
        if self.fail_after is not None and len(self.applied) >= self.fail_after:
            raise self.error
        if culprits := self.refused.intersection(groups):
            raise BatchRejected(f"refused {sorted(culprits)}", divisible=self.divisible)
        self.applied.extend(groups)


def endpoints(group: int) -> list[Endpoint]:
    """Each group is a record and its ownership TXT."""
    return [
        Endpoint(f"h{group}.example.com", "A", ("192.0.2.1",)),
        Endpoint(f"a-h{group}.example.com", "TXT", ('"x"',)),
    ]


def failed_groups(failed: list[tuple[Endpoint, str]]) -> list[int]:
    return sorted({int(endpoint.dns_name.split(".")[0].removeprefix("a-").removeprefix("h")) for endpoint, _ in failed})


@pytest.mark.parametrize("culprits", [{0}, {37}, {99}, {3, 50, 98}])
async def test_only_the_culprits_fail_and_everything_else_is_applied(culprits: set[int]) -> None:
    remote = Remote(culprits)

    outcome = await apply_bisecting([list(range(100))], remote.send, endpoints)

    assert failed_groups(outcome.failed) == sorted(culprits)
    assert sorted(remote.applied) == sorted(set(range(100)) - culprits)
    assert all(message.startswith("refused") for _, message in outcome.failed)
    assert not outcome.ambiguous
    assert remote.sends <= 1 + len(culprits) * 2 * 7  # about 2*log2(100) per culprit, not 100


async def test_a_refusal_about_the_whole_request_is_not_split() -> None:
    remote = Remote({5}, divisible=False)

    outcome = await apply_bisecting([list(range(10)), list(range(10, 20))], remote.send, endpoints)

    assert failed_groups(outcome.failed) == list(range(10))
    assert remote.sends == 2 and remote.applied == list(range(10, 20))


async def test_splitting_stops_at_the_budget_and_reports_the_rest() -> None:
    remote = Remote(set(range(64)))  # a provider that refuses everything

    outcome = await apply_bisecting([list(range(64))], remote.send, endpoints, max_splits=4)

    assert failed_groups(outcome.failed) == list(range(64))
    assert remote.sends == 1 + 2 * 4


async def test_a_failure_before_anything_landed_is_raised() -> None:
    remote = Remote(set(), fail_after=0)
    remote.error = TransientProviderError("down")

    with pytest.raises(TransientProviderError):
        await apply_bisecting([[1, 2], [3, 4]], remote.send, endpoints)


async def test_a_lost_answer_after_something_landed_fails_the_rest_and_marks_the_outcome_ambiguous() -> None:
    remote = Remote(set(), fail_after=2)

    outcome = await apply_bisecting([[1, 2], [3, 4], [5]], remote.send, endpoints)

    assert remote.applied == [1, 2]
    assert failed_groups(outcome.failed) == [3, 4, 5]
    assert all(message == "not applied: answer lost" for _, message in outcome.failed)
    assert outcome.ambiguous


async def test_many_culprits_among_good_records_are_all_isolated_within_the_budget() -> None:
    culprits = set(range(3, 400, 10))  # 40 bad records spread through 400
    remote = Remote(culprits)

    outcome = await apply_bisecting([list(range(400))], remote.send, endpoints)

    assert failed_groups(outcome.failed) == sorted(culprits)
    assert sorted(remote.applied) == sorted(set(range(400)) - culprits)
    assert remote.sends <= 2 * (MAX_SPLITS + len(remote.applied)) + 1
