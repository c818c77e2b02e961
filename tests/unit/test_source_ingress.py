"""The Ingress source: hosts from rules, TLS and annotations, targets, class filtering, malformed Ingresses."""

from __future__ import annotations

from typing import Any

import pytest

from external_dns.endpoint import Endpoint, ObjectRef
from external_dns.sources.base import EmptyLookups, SourceSettings
from external_dns.sources.ingress import ingress_endpoints

P = "external-dns.alpha.kubernetes.io/"
RESOURCE = {"resource": "ingress/default/shop"}
LB = [{"ip": "203.0.113.20"}, {"hostname": "lb.cloud.example"}]


def ingress(
    *,
    rules: Any = ("shop.example.com",),
    tls: Any = (),
    annotations: dict[str, Any] | None = None,
    lb: list[dict[str, Any]] | None = None,
    class_name: str | None = None,
) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "rules": [{"host": h} for h in rules] if isinstance(rules, tuple) else rules,
        "tls": [{"hosts": list(t)} for t in tls] if isinstance(tls, tuple) else tls,
    }
    if class_name is not None:
        spec["ingressClassName"] = class_name
    return {
        "kind": "Ingress",
        "apiVersion": "networking.k8s.io/v1",
        "metadata": {"name": "shop", "namespace": "default", "uid": "u-9", "annotations": annotations or {}},
        "spec": spec,
        "status": {"loadBalancer": {"ingress": LB if lb is None else lb}},
    }


def ep(name: str, type_: str, *targets: str, **extra: Any) -> Endpoint:
    return Endpoint(name, type_, targets, labels=RESOURCE, **extra)


def both(name: str, **extra: Any) -> list[Endpoint]:
    """The A and CNAME records a host gets from the default load balancer status."""
    return [ep(name, "A", "203.0.113.20", **extra), ep(name, "CNAME", "lb.cloud.example", **extra)]


@pytest.mark.parametrize(
    ("obj", "settings", "expected"),
    [
        pytest.param(
            ingress(),
            SourceSettings(),
            both("shop.example.com"),
            id="a rule host gets the load balancer IP and hostname",
        ),
        pytest.param(
            ingress(rules=("shop.example.com", ""), tls=(("secure.example.com", "shop.example.com"),)),
            SourceSettings(),
            both("shop.example.com") + both("secure.example.com"),
            id="tls hosts are added and duplicates and empty hosts are dropped",
        ),
        pytest.param(
            ingress(annotations={P + "hostname": "extra.example.com"}),
            SourceSettings(),
            both("shop.example.com") + both("extra.example.com"),
            id="the hostname annotation adds hosts",
        ),
        pytest.param(
            ingress(annotations={P + "target": "198.51.100.3"}),
            SourceSettings(),
            [ep("shop.example.com", "A", "198.51.100.3")],
            id="the target annotation replaces the load balancer status",
        ),
        pytest.param(
            ingress(tls=(("secure.example.com",),)),
            SourceSettings(ignore_ingress_tls_spec=True),
            both("shop.example.com"),
            id="ignore ingress tls spec drops tls hosts",
        ),
        pytest.param(
            ingress(annotations={P + "hostname": "extra.example.com"}),
            SourceSettings(ignore_ingress_rules_spec=True),
            both("extra.example.com"),
            id="ignore ingress rules spec drops rule hosts",
        ),
        pytest.param(
            ingress(annotations={P + "hostname": "extra.example.com"}),
            SourceSettings(ignore_hostname_annotation=True),
            both("shop.example.com"),
            id="ignore hostname annotation drops annotation hosts",
        ),
        pytest.param(
            ingress(
                annotations={P + "hostname": "extra.example.com", P + "ingress-hostname-source": "defined-hosts-only"}
            ),
            SourceSettings(),
            both("shop.example.com"),
            id="defined hosts only ignores the hostname annotation",
        ),
        pytest.param(
            ingress(
                annotations={P + "hostname": "extra.example.com", P + "ingress-hostname-source": "annotation-only"}
            ),
            SourceSettings(),
            both("extra.example.com"),
            id="annotation only ignores rule and tls hosts",
        ),
        pytest.param(
            ingress(lb=[]),
            SourceSettings(),
            [],
            id="an ingress without load balancer status publishes nothing yet",
        ),
        pytest.param(
            ingress(annotations={P + "ttl": "1m", P + "set-identifier": "a", P + "cloudflare-proxied": "true"}),
            SourceSettings(),
            both(
                "shop.example.com",
                ttl=60,
                set_identifier="a",
                provider_specific={"external-dns.kubernetes.io/cloudflare-proxied": "true"},
            ),
            id="ttl set identifier and provider specific annotations are carried",
        ),
        pytest.param(
            ingress(rules=("*.Apps.Example.com.",)),
            SourceSettings(),
            both("*.apps.example.com"),
            id="wildcard hosts are normalised",
        ),
        pytest.param(
            ingress(rules=("bücher.example.com",)),
            SourceSettings(),
            both("xn--bcher-kva.example.com"),
            id="internationalised hosts are published in their punycode form",
        ),
        pytest.param(
            ingress(class_name="nginx"),
            SourceSettings(ingress_classes=frozenset({"nginx", "traefik"})),
            both("shop.example.com"),
            id="a listed ingress class name is kept",
        ),
        pytest.param(
            ingress(annotations={"kubernetes.io/ingress.class": "traefik"}),
            SourceSettings(ingress_classes=frozenset({"nginx", "traefik"})),
            both("shop.example.com"),
            id="the legacy class annotation counts when no class name is set",
        ),
    ],
)
def test_ingress_endpoints(obj: dict[str, Any], settings: SourceSettings, expected: list[Endpoint]) -> None:
    result = ingress_endpoints(obj, settings, EmptyLookups())
    assert (result.problems, result.ignored_reason) == ([], "")
    assert result.endpoints == expected


def test_every_endpoint_refers_to_the_ingress() -> None:
    result = ingress_endpoints(ingress(), SourceSettings(), EmptyLookups())
    expected = (ObjectRef("Ingress", "networking.k8s.io/v1", "default", "shop", "u-9"),)
    assert all(e.refs == expected for e in result.endpoints)


@pytest.mark.parametrize(
    ("obj", "settings"),
    [
        pytest.param(
            ingress(class_name="haproxy"),
            SourceSettings(ingress_classes=frozenset({"nginx"})),
            id="an unlisted ingress class name is skipped",
        ),
        pytest.param(
            ingress(class_name="haproxy", annotations={"kubernetes.io/ingress.class": "nginx"}),
            SourceSettings(ingress_classes=frozenset({"nginx"})),
            id="the class annotation is not consulted when a class name is set",
        ),
        pytest.param(
            ingress(),
            SourceSettings(ingress_classes=frozenset({"nginx"})),
            id="an ingress without any class is skipped when classes are filtered",
        ),
        pytest.param(
            ingress(annotations={P + "controller": "other"}),
            SourceSettings(),
            id="another controller annotation skips the ingress",
        ),
        pytest.param(
            ingress(annotations={"team": "a"}),
            SourceSettings(annotation_filter="team=b"),
            id="the annotation filter skips the ingress",
        ),
    ],
)
def test_skipped_ingresses_say_why(obj: dict[str, Any], settings: SourceSettings) -> None:
    result = ingress_endpoints(obj, settings, EmptyLookups())
    assert (result.endpoints, result.problems) == ([], [])
    assert result.ignored_reason


@pytest.mark.parametrize(
    ("obj", "problem_fields", "expected"),
    [
        pytest.param(
            ingress(rules=("bad..example.com", "shop.example.com")),
            ["spec.rules[0].host"],
            both("shop.example.com"),
            id="an invalid rule host is reported and the valid one published",
        ),
        pytest.param(
            ingress(tls=[{"hosts": "secure.example.com"}]),
            ["spec.tls[0].hosts"],
            both("shop.example.com"),
            id="tls hosts given as a string are reported",
        ),
        pytest.param(
            ingress(rules=[{"host": 42}, "nonsense", {"host": "shop.example.com"}]),
            ["spec.rules[0].host", "spec.rules[1]"],
            both("shop.example.com"),
            id="wrongly typed rules are reported and the good rule kept",
        ),
        pytest.param(
            ingress(annotations={P + "ttl": "-1"}),
            [f'metadata.annotations["{P}ttl"]'],
            both("shop.example.com"),
            id="a bad ttl is reported and records published without ttl",
        ),
        pytest.param(
            ingress(lb=[{"ip": "999.1.1.1"}, {"hostname": "lb.cloud.example"}]),
            ["status.loadBalancer.ingress[0].ip"],
            [ep("shop.example.com", "CNAME", "lb.cloud.example")],
            id="a bad status address is reported and the good one kept",
        ),
        pytest.param(
            ingress(annotations={P + "ingress-hostname-source": "both-please"}),
            [f'metadata.annotations["{P}ingress-hostname-source"]'],
            [],
            id="an unknown hostname source publishes nothing as upstream and says so",
        ),
    ],
)
def test_malformed_ingresses_report_problems_and_keep_the_good_parts(
    obj: dict[str, Any], problem_fields: list[str], expected: list[Endpoint]
) -> None:
    result = ingress_endpoints(obj, SourceSettings(), EmptyLookups())
    assert [p.field for p in result.problems] == problem_fields
    assert result.endpoints == expected
