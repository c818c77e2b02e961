"""Route 53 record-set mapping and the canonical desired form (adjust_endpoints), without any server."""

from __future__ import annotations

from typing import Any

import pytest

from external_dns.endpoint import Endpoint
from external_dns.providers.aws import records as aws_records
from external_dns.providers.aws.canonical_zones import canonical_hosted_zone
from external_dns.providers.aws.provider import AWSConfig, AWSProvider

ELB = "my-lb-1234.us-east-1.elb.amazonaws.com"
NLB = "my-nlb-1234.elb.eu-west-1.amazonaws.com"
CLOUDFRONT = "d111111abcdef8.cloudfront.net"


def adjust(*endpoints: Endpoint, prefer_cname: bool = False, evaluate: bool = True) -> list[Endpoint]:
    return aws_records.adjust_endpoints(endpoints, prefer_cname=prefer_cname, evaluate_target_health=evaluate)


@pytest.mark.parametrize(
    ("hostname", "zone_id"),
    [
        (ELB, "Z35SXDOTRQ7X7K"),
        (NLB, "Z2IFOLAFXWLO4F"),
        (CLOUDFRONT, "Z2FDTNDATAQYW2"),
        ("bucket.s3-website-us-east-1.amazonaws.com", "Z3AQBSTGFYJSTF"),
        ("LB.US-EAST-1.ELB.AMAZONAWS.COM.", "Z35SXDOTRQ7X7K"),
        ("notcloudfront.net", None),
        ("app.example.org", None),
    ],
    ids=[
        "an ALB hostname is in its region's ELB zone",
        "an NLB hostname is in its region's NLB zone",
        "a CloudFront hostname is in the CloudFront zone",
        "an S3 website endpoint is in its region's S3 zone",
        "case and a trailing dot do not matter",
        "a suffix must match whole labels",
        "any other hostname has no canonical zone",
    ],
)
def test_canonical_hosted_zone_by_hostname_suffix(hostname: str, zone_id: str | None) -> None:
    assert canonical_hosted_zone(hostname) == zone_id


def test_cname_to_an_elb_becomes_a_dual_stack_alias_with_default_health_evaluation() -> None:
    adjusted = adjust(Endpoint("app.example.com", "CNAME", (ELB,)))
    alias_props = {"alias": "true", "aws/evaluate-target-health": "true"}
    assert adjusted == [
        Endpoint("app.example.com", "A", (ELB,), provider_specific=alias_props),
        Endpoint("app.example.com", "AAAA", (ELB,), provider_specific=alias_props),
    ]


@pytest.mark.parametrize(
    ("endpoint", "expected"),
    [
        (
            Endpoint("app.example.com", "CNAME", (ELB,)),
            [Endpoint("app.example.com", "CNAME", (ELB,), provider_specific={"alias": "false"})],
        ),
        (
            Endpoint("app.example.com", "CNAME", ("web.example.org",), ttl=60),
            [
                Endpoint(
                    "app.example.com",
                    "CNAME",
                    ("web.example.org",),
                    ttl=60,
                    provider_specific={"alias": "false"},
                )
            ],
        ),
    ],
    ids=["prefer-cname keeps an ELB target a CNAME", "a CNAME to another hostname stays a CNAME"],
)
def test_cname_that_is_not_an_alias_is_marked_alias_false(endpoint: Endpoint, expected: list[Endpoint]) -> None:
    prefer_cname = endpoint.targets == (ELB,)
    assert adjust(endpoint, prefer_cname=prefer_cname) == expected


@pytest.mark.parametrize(
    ("alias", "types"),
    [("A", ["A"]), ("AAAA", ["AAAA"]), ("true", ["A", "AAAA"])],
    ids=["alias=A gives only an A alias", "alias=AAAA gives only an AAAA alias", "alias=true gives both"],
)
def test_explicit_alias_on_a_cname_picks_the_alias_types(alias: str, types: list[str]) -> None:
    adjusted = adjust(Endpoint("app.example.com", "CNAME", ("web.example.com",), provider_specific={"alias": alias}))
    assert [e.record_type for e in adjusted] == types
    assert all(e.provider_specific["alias"] == "true" for e in adjusted)


@pytest.mark.parametrize(
    ("ttl", "expected_ttl"),
    [(60, 300), (0, 0)],
    ids=["a configured TTL on an alias becomes Route 53's 300", "an unset TTL stays unset"],
)
def test_alias_ttl_is_what_route53_reports(ttl: int, expected_ttl: int) -> None:
    adjusted = adjust(Endpoint("app.example.com", "CNAME", (ELB,), ttl=ttl))
    assert {e.ttl for e in adjusted} == {expected_ttl}


@pytest.mark.parametrize(
    ("given", "default", "expected"),
    [(None, True, "true"), (None, False, "false"), ("true", False, "true"), ("bogus", True, "false")],
    ids=[
        "missing takes the flag default true",
        "missing takes the flag default false",
        "an explicit value wins over the flag",
        "an invalid value becomes false",
    ],
)
def test_alias_evaluate_target_health_is_normalised(given: str | None, default: bool, expected: str) -> None:
    props = {"aws/evaluate-target-health": given} if given is not None else {}
    adjusted = adjust(
        Endpoint("app.example.com", "A", (ELB,), provider_specific={"alias": "true", **props}),
        evaluate=default,
    )
    assert adjusted[0].provider_specific["aws/evaluate-target-health"] == expected


def test_plain_a_record_loses_alias_properties() -> None:
    endpoint = Endpoint(
        "app.example.com",
        "A",
        ("192.0.2.1",),
        provider_specific={"alias": "false", "aws/evaluate-target-health": "true", "aws/weight": "5"},
        set_identifier="one",
    )
    assert adjust(endpoint)[0].provider_specific == {"aws/weight": "5"}


def test_target_hosted_zone_that_would_be_inferred_anyway_is_dropped() -> None:
    canonical = Endpoint(
        "a.example.com", "CNAME", (ELB,), provider_specific={"aws/target-hosted-zone": "Z35SXDOTRQ7X7K"}
    )
    explicit = Endpoint("b.example.com", "CNAME", (ELB,), provider_specific={"aws/target-hosted-zone": "ZOTHER"})
    adjusted = adjust(canonical, explicit)
    assert "aws/target-hosted-zone" not in adjusted[0].provider_specific
    assert adjusted[2].provider_specific["aws/target-hosted-zone"] == "ZOTHER"


# --- reading ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "name"),
    [
        ("\\052.example.com.", "*.example.com"),
        ("a\\100b.example.com.", "a@b.example.com"),
        ("plain.example.com.", "plain.example.com"),
    ],
    ids=["the wildcard escape becomes a star", "other octal escapes are decoded", "plain names lose the dot"],
)
def test_names_are_unescaped(raw: str, name: str) -> None:
    assert aws_records.unescape_name(raw) == name


@pytest.mark.parametrize(
    ("name", "sent"),
    [
        ("*.example.com", "*.example.com"),
        ("_sip._udp.a-b.example.com", "_sip._udp.a-b.example.com"),
        ("a@b.example.com", "a\\100b.example.com"),
    ],
    ids=[
        "a wildcard is sent as a star, which Route 53 sorts as the character it is",
        "letters, digits, hyphens, underscores and dots are sent as they are",
        "other characters are sent as octal escapes",
    ],
)
def test_names_are_escaped_for_requests_and_read_back_the_same(name: str, sent: str) -> None:
    assert aws_records.escape_name(name) == sent
    assert aws_records.unescape_name(sent) == name


def test_alias_record_reads_as_its_type_with_alias_properties_and_ttl_300() -> None:
    record_set = {
        "Name": "app.example.com.",
        "Type": "AAAA",
        "AliasTarget": {
            "DNSName": f"dualstack.{ELB}.",
            "HostedZoneId": "Z35SXDOTRQ7X7K",
            "EvaluateTargetHealth": False,
        },
    }
    assert aws_records.endpoints_from_record_set(record_set, "ZMINE") == [
        Endpoint(
            "app.example.com",
            "AAAA",
            (f"dualstack.{ELB}",),
            ttl=300,
            provider_specific={"alias": "true", "aws/evaluate-target-health": "false"},
        )
    ]


@pytest.mark.parametrize(
    ("policy", "properties"),
    [
        ({"Weight": 10}, {"aws/weight": "10"}),
        ({"Region": "eu-west-1"}, {"aws/region": "eu-west-1"}),
        ({"Failover": "PRIMARY"}, {"aws/failover": "PRIMARY"}),
        ({"MultiValueAnswer": True}, {"aws/multi-value-answer": ""}),
        ({"GeoLocation": {"ContinentCode": "EU"}}, {"aws/geolocation-continent-code": "EU"}),
        (
            {"GeoLocation": {"CountryCode": "US", "SubdivisionCode": "CA"}},
            {"aws/geolocation-country-code": "US", "aws/geolocation-subdivision-code": "CA"},
        ),
        ({"Weight": 1, "HealthCheckId": "hc-1"}, {"aws/weight": "1", "aws/health-check-id": "hc-1"}),
    ],
    ids=[
        "weighted",
        "latency",
        "failover",
        "multi-value answer",
        "geolocation by continent",
        "geolocation by country and subdivision",
        "health check",
    ],
)
def test_routing_policy_round_trips_through_provider_specific(
    policy: dict[str, Any], properties: dict[str, str]
) -> None:
    record_set = {
        "Name": "w.example.com.",
        "Type": "A",
        "TTL": 60,
        "SetIdentifier": "one",
        "ResourceRecords": [{"Value": "192.0.2.1"}],
        **policy,
    }
    [endpoint] = aws_records.endpoints_from_record_set(record_set, "ZMINE")
    assert endpoint.set_identifier == "one"
    assert dict(endpoint.provider_specific) == properties
    written = aws_records.record_set_for(endpoint, "ZMINE", evaluate_target_health=True)
    assert written == {**record_set, "Name": "w.example.com"}


def test_plain_cname_reads_with_alias_false_and_without_the_trailing_dot() -> None:
    record_set = {
        "Name": "c.example.com.",
        "Type": "CNAME",
        "TTL": 60,
        "ResourceRecords": [{"Value": "x.example.org."}],
    }
    [endpoint] = aws_records.endpoints_from_record_set(record_set, "ZMINE")
    assert endpoint == Endpoint(
        "c.example.com", "CNAME", ("x.example.org",), ttl=60, provider_specific={"alias": "false"}
    )


def test_unsupported_types_are_not_read() -> None:
    assert (
        aws_records.endpoints_from_record_set(
            {
                "Name": "example.com.",
                "Type": "SOA",
                "TTL": 900,
                "ResourceRecords": [{"Value": "ns. admin. 1 2 3 4 5"}],
            },
            "Z",
        )
        == []
    )


# --- writing ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("properties", "zone"),
    [({}, "Z35SXDOTRQ7X7K"), ({"aws/target-hosted-zone": "/hostedzone/ZEXPLICIT"}, "ZEXPLICIT")],
    ids=["the canonical table gives the ELB's zone", "an explicit target zone wins"],
)
def test_alias_target_zone_comes_from_property_or_canonical_table(properties: dict[str, str], zone: str) -> None:
    endpoint = Endpoint("app.example.com", "A", (ELB,), provider_specific={"alias": "true", **properties})
    written = aws_records.record_set_for(endpoint, "ZMINE", evaluate_target_health=True)
    assert written == {
        "Name": "app.example.com",
        "Type": "A",
        "AliasTarget": {"DNSName": ELB, "HostedZoneId": zone, "EvaluateTargetHealth": True},
    }


def test_alias_to_a_name_in_no_canonical_zone_targets_the_records_own_zone() -> None:
    endpoint = Endpoint("app.example.com", "A", ("web.example.com",), provider_specific={"alias": "true"})
    written = aws_records.record_set_for(endpoint, "ZMINE", evaluate_target_health=False)
    assert written["AliasTarget"] == {
        "DNSName": "web.example.com",
        "HostedZoneId": "ZMINE",
        "EvaluateTargetHealth": False,
    }
    [read_back] = aws_records.endpoints_from_record_set({**written, "Name": "app.example.com."}, "ZMINE")
    assert "aws/target-hosted-zone" not in read_back.provider_specific


def test_plain_record_without_ttl_is_written_with_ttl_300() -> None:
    written = aws_records.record_set_for(Endpoint("a.example.com", "A", ("192.0.2.1",)), "Z", True)
    assert written == {
        "Name": "a.example.com",
        "Type": "A",
        "TTL": 300,
        "ResourceRecords": [{"Value": "192.0.2.1"}],
    }


ALIAS_A = Endpoint("a.example.com", "A", (ELB,), provider_specific={"alias": "true"})


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (
            Endpoint("a.example.com", "A", ("192.0.2.1",)),
            Endpoint("a.example.com", "A", ("192.0.2.2",)),
            False,
        ),
        (
            Endpoint("a.example.com", "CNAME", ("x.org",)),
            Endpoint("a.example.com", "A", ("192.0.2.2",)),
            True,
        ),
        (Endpoint("a.example.com", "A", ("192.0.2.1",)), ALIAS_A, True),
        (
            Endpoint("a.example.com", "A", ("192.0.2.1",), set_identifier="x"),
            Endpoint("a.example.com", "A", ("192.0.2.1",), set_identifier="y"),
            True,
        ),
        (
            Endpoint(
                "a.example.com",
                "A",
                ("192.0.2.1",),
                set_identifier="x",
                provider_specific={"aws/weight": "1"},
            ),
            Endpoint(
                "a.example.com",
                "A",
                ("192.0.2.1",),
                set_identifier="x",
                provider_specific={"aws/weight": "9"},
            ),
            False,
        ),
        (
            Endpoint(
                "a.example.com",
                "A",
                ("192.0.2.1",),
                set_identifier="x",
                provider_specific={"aws/weight": "1"},
            ),
            Endpoint(
                "a.example.com",
                "A",
                ("192.0.2.1",),
                set_identifier="x",
                provider_specific={"aws/region": "eu"},
            ),
            True,
        ),
    ],
    ids=[
        "new targets are an upsert",
        "a type change is delete plus create",
        "becoming an alias is delete plus create",
        "a set identifier change is delete plus create",
        "a new weight is an upsert",
        "a routing policy change is delete plus create",
    ],
)
def test_update_is_upsert_unless_the_record_set_identity_changes(old: Endpoint, new: Endpoint, expected: bool) -> None:
    assert aws_records.requires_delete_create(old, new) is expected


def test_provider_adjust_endpoints_uses_its_config() -> None:
    provider = AWSProvider(AWSConfig(prefer_cname=True))
    assert provider.adjust_endpoints([Endpoint("a.example.com", "CNAME", (ELB,))])[0].record_type == "CNAME"
