"""Grouping Route 53 changes by record and packing groups into batches within the API's limits."""

from __future__ import annotations

import pytest

from external_dns.endpoint import OWNED_RECORD_LABEL, Endpoint
from external_dns.providers.aws import records as aws_records
from external_dns.providers.aws.batching import (
    Action,
    BatchLimits,
    Route53Change,
    batch_groups,
    group_changes,
)


def change(action: Action, endpoint: Endpoint) -> Route53Change:
    record_set = aws_records.record_set_for(endpoint, "ZMINE", evaluate_target_health=True)
    return Route53Change(action, record_set, endpoint, aws_records.group_name(endpoint, OWNED_RECORD_LABEL))


def record(name: str, *targets: str) -> Endpoint:
    return Endpoint(name, "A", targets or ("192.0.2.1",))


def ownership_txt(owned: str) -> Endpoint:
    value = '"heritage=external-dns,external-dns/owner=default"'
    return Endpoint(f"a-{owned}", "TXT", (value,), labels={OWNED_RECORD_LABEL: owned})


def names(batch: list[Route53Change]) -> list[str]:
    return [c.name for c in batch]


def test_record_and_its_ownership_txt_form_one_group_even_when_listed_apart() -> None:
    changes = [
        change(Action.CREATE, record("a.example.com")),
        change(Action.CREATE, record("b.example.com")),
        change(Action.CREATE, ownership_txt("a.example.com")),
        change(Action.CREATE, ownership_txt("b.example.com")),
    ]
    assert [names(group) for group in group_changes(changes)] == [
        ["a.example.com", "a-a.example.com"],
        ["b.example.com", "a-b.example.com"],
    ]


def test_deletes_come_first_in_a_group_so_a_type_change_can_land() -> None:
    changes = [
        change(Action.CREATE, record("a.example.com")),
        change(Action.DELETE, Endpoint("a.example.com", "CNAME", ("x.example.org",))),
    ]
    [group] = group_changes(changes)
    assert [c.action for c in group] == [Action.DELETE, Action.CREATE]


def test_groups_are_never_split_across_batches() -> None:
    groups = group_changes(
        change(Action.CREATE, endpoint)
        for name in ("a.example.com", "b.example.com", "c.example.com")
        for endpoint in (record(name), ownership_txt(name))
    )
    batching = batch_groups(groups, BatchLimits(changes=3))
    assert [names(batch) for batch in batching.batches] == [
        ["a.example.com", "a-a.example.com"],
        ["b.example.com", "a-b.example.com"],
        ["c.example.com", "a-c.example.com"],
    ]
    assert batching.oversized == []


def test_thousand_and_one_records_take_two_batches_of_at_most_a_thousand() -> None:
    groups = group_changes(change(Action.CREATE, record(f"h{i}.example.com")) for i in range(1001))
    batching = batch_groups(groups, BatchLimits())
    assert [len(batch) for batch in batching.batches] == [1000, 1]


@pytest.mark.parametrize(
    ("action", "expected_sizes"),
    [(Action.CREATE, [4]), (Action.UPSERT, [2, 2])],
    ids=["creates count their values once", "upserts count their values twice"],
)
def test_value_limit_counts_upserts_twice(action: Action, expected_sizes: list[int]) -> None:
    groups = group_changes(change(action, record(f"h{i}.example.com", "192.0.2.1", "192.0.2.2")) for i in range(4))
    batching = batch_groups(groups, BatchLimits(values=8))
    assert [len(batch) for batch in batching.batches] == expected_sizes


def test_byte_limit_splits_batches_by_value_length() -> None:
    long_txt = '"' + "x" * 98 + '"'  # 100 characters
    groups = group_changes(change(Action.CREATE, Endpoint(f"t{i}.example.com", "TXT", (long_txt,))) for i in range(5))
    batching = batch_groups(groups, BatchLimits(size_bytes=250))
    assert [len(batch) for batch in batching.batches] == [2, 2, 1]


def test_alias_records_carry_no_values_against_the_limits() -> None:
    alias = Endpoint("a.example.com", "A", ("lb.us-east-1.elb.amazonaws.com",), provider_specific={"alias": "true"})
    assert change(Action.UPSERT, alias).values == 0
    assert change(Action.UPSERT, alias).size_bytes == 0


def test_a_group_larger_than_any_batch_is_set_aside_and_the_rest_still_batched() -> None:
    big = record("big.example.com", *(f"192.0.2.{i}" for i in range(1, 6)))
    groups = group_changes([change(Action.CREATE, big), change(Action.CREATE, record("small.example.com"))])
    batching = batch_groups(groups, BatchLimits(values=4))
    assert [names(group) for group in batching.oversized] == [["big.example.com"]]
    assert [names(batch) for batch in batching.batches] == [["small.example.com"]]
