"""Annotation parsing in one pass over the object's annotations gives what the lookup per annotation gave.

``parse_annotations`` used to look each of its 14 suffixes up under each prefix (``find_annotation``) and scan
every annotation once per prefix for provider-specific properties; it now builds one suffix table per object
(the configured prefix winning). The former function is kept here, verbatim but for its name, and both are run
over a table of tricky annotation maps and over generated ones: same endpoints' inputs, same problems (text
and order).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from external_dns.errors import InvalidEndpoint
from external_dns.sources.annotations import (
    _CLOUDFLARE_SUFFIXES,
    _PROVIDER_FAMILIES,
    Annotations,
    _field,
    _hostname_source,
    _hostnames,
    _targets,
    _ttl,
    _value,
    parse_annotations,
)
from external_dns.sources.base import ALPHA_PREFIX, STABLE_PREFIX, annotation_prefixes, find_annotation, is_mapping

# --- the former implementation (operator/external_dns/sources/annotations.py before the one-pass table) ----------


def former_parse_annotations(raw: object, prefix: str = ALPHA_PREFIX) -> Annotations:
    problems: list[InvalidEndpoint] = []
    if raw is None:
        return Annotations()
    if not is_mapping(raw):
        return Annotations(problems=(InvalidEndpoint("metadata.annotations", "expected an object"),))
    annotations: dict[str, str] = {}
    for key, value in raw.items():
        if isinstance(value, str):
            annotations[str(key)] = value
        else:
            problems.append(InvalidEndpoint(_field(str(key)), "annotation values must be strings"))

    def get(suffix: str) -> tuple[str, str] | None:
        return find_annotation(annotations, suffix, prefix)

    controller = get("controller")
    set_identifier = get("set-identifier")
    alias = get("alias")
    record_type = get("record-type")
    return Annotations(
        hostnames=_hostnames(get("hostname"), problems),
        internal_hostnames=_hostnames(get("internal-hostname"), problems),
        targets=_targets(get("target"), problems),
        ttl=_ttl(get("ttl"), problems),
        controller=controller[1] if controller else None,
        access=_value(get("access")),
        endpoints_type=_value(get("endpoints-type")),
        set_identifier=set_identifier[1] if set_identifier else "",
        alias=alias is not None and alias[1] == "true",
        record_type=record_type[1] if record_type else None,
        ingress=_value(get("ingress")),
        ingress_hostname_source=_hostname_source(get("ingress-hostname-source")),
        gateway_hostname_source=_hostname_source(get("gateway-hostname-source")),
        provider_specific=_former_provider_specific(annotations, prefix, alias is not None and alias[1] == "true"),
        problems=tuple(problems),
    )


def _former_provider_specific(annotations: Mapping[str, str], prefix: str, alias: bool) -> dict[str, str]:
    properties: dict[str, str] = {}
    for candidate in reversed(annotation_prefixes(prefix)):
        for key, value in annotations.items():
            if not key.startswith(candidate):
                continue
            suffix = key[len(candidate) :]
            family, _, name = suffix.partition("-")
            if family in _PROVIDER_FAMILIES and name:
                properties[f"{family}/{name}"] = value
            elif suffix == "azure-tags":
                properties["azure/tags"] = value
            elif suffix in _CLOUDFLARE_SUFFIXES:
                properties[STABLE_PREFIX + suffix] = value
    if alias:
        properties["alias"] = "true"
    return dict(sorted(properties.items()))


# --- comparison --------------------------------------------------------------------------------------------------


def comparable(parsed: Annotations) -> dict[str, Any]:
    """Every field, the problems as (field, message) in order and the properties in their order."""
    fields = {name: getattr(parsed, name) for name in Annotations._fields}
    fields["problems"] = [(problem.field, problem.message) for problem in parsed.problems]
    fields["provider_specific"] = list(parsed.provider_specific.items())
    return fields


def assert_same(raw: object, prefix: str) -> None:
    assert comparable(parse_annotations(raw, prefix)) == comparable(former_parse_annotations(raw, prefix))


A, S = ALPHA_PREFIX, STABLE_PREFIX
CUSTOM = "dns.example.org/"


class TextKey:
    """A key that is not a string, whose text is an annotation key (a Mapping built by hand, not from JSON)."""

    def __init__(self, text: str) -> None:
        self.text = text

    def __str__(self) -> str:
        return self.text


TRICKY: dict[str, object] = {
    "none": None,
    "not a mapping": ["hostname", "web.example.com"],
    "a string": "hostname=web.example.com",
    "empty": {},
    "unrelated only": {"kubectl.kubernetes.io/restartedAt": "now", "app": "web"},
    "alpha hostname": {A + "hostname": "web.example.com"},
    "stable hostname": {S + "hostname": "web.example.com"},
    "both prefixes, alpha first": {A + "hostname": "a.example.com", S + "hostname": "s.example.com"},
    "both prefixes, stable first": {S + "hostname": "s.example.com", A + "hostname": "a.example.com"},
    "both prefixes, the configured one invalid": {A + "ttl": "ten", S + "ttl": "60"},
    "both prefixes, only the other one invalid": {A + "ttl": "60", S + "ttl": "-1"},
    "every suffix under both prefixes": {
        prefix + suffix: value
        for prefix in (S, A)
        for suffix, value in (
            ("hostname", "a.example.com,b.example.com"),
            ("internal-hostname", "in.example.com"),
            ("target", "192.0.2.1,lb.example.net"),
            ("ttl", "5m"),
            ("controller", "dns-controller"),
            ("access", " public "),
            ("endpoints-type", "NodeExternalIP"),
            ("set-identifier", "eu"),
            ("alias", "true"),
            ("record-type", "CNAME"),
            ("ingress", "ns/ing"),
            ("ingress-hostname-source", "Annotation-Only"),
            ("gateway-hostname-source", "nonsense"),
            ("aws-weight", "10"),
            ("azure-tags", "a=b"),
            ("cloudflare-proxied", "true"),
            ("webhook-x", "y"),
            ("coredns-group", "g"),
            ("scw-", "empty name"),
            ("unknown-family-x", "ignored"),
        )
    },
    "provider properties from both prefixes": {
        S + "aws-weight": "1",
        A + "aws-weight": "2",
        S + "aws-region": "eu",
        A + "cloudflare-tags": "t",
        S + "cloudflare-tags": "u",
    },
    "alias false and a property called alias": {A + "alias": "false", A + "aws-alias": "x"},
    "non-string values": {A + "hostname": 5, S + "hostname": "s.example.com", A + "ttl": None, "x": ["a"]},
    "non-string value under the configured prefix only": {A + "target": {"ip": "1"}, S + "target": "192.0.2.9"},
    "non-string key": {TextKey(A + "hostname"): "k.example.com", 7: "seven"},
    "non-string key and string key of the same text": {
        A + "hostname": "first.example.com",
        TextKey(A + "hostname"): "second.example.com",
    },
    "same text, the later value not a string": {A + "hostname": "kept.example.com", TextKey(A + "hostname"): 1},
    "hostile hostnames": {
        A + "hostname": "a..b, *.example.com, x*.example.com,  ,-bad.example.com,123,"
        + "a" * 64
        + ".example.com,web.example.com..,ünï.example.com"
    },
    "huge hostname list": {A + "hostname": ",".join(f"h{i}.example.com" for i in range(1200))},
    "huge target list": {S + "target": ",".join(f"192.0.2.{i % 256}" for i in range(3000))},
    "duplicated hostnames": {A + "hostname": "a.example.com,A.example.com,a.example.com."},
    "bare prefixes": {A: "x", S: "y", A + "-": "z", S + "aws": "no dash"},
    "prefix without its slash": {"external-dns.alpha.kubernetes.iohostname": "no.example.com"},
    "upper-case key": {A.upper() + "HOSTNAME": "up.example.com", A + "Hostname": "mixed.example.com"},
    "ttl edge values": {A + "ttl": "0", S + "ttl": "2147483648"},
    "ttl durations": {A + "ttl": "1h30m", S + "ttl": "+1.5s"},
}


@pytest.mark.parametrize("prefix", [A, S, CUSTOM, "", "external-dns.kubernetes.io/aws-"], ids=repr)
@pytest.mark.parametrize("raw", list(TRICKY.values()), ids=list(TRICKY))
def test_one_pass_parses_as_the_lookup_per_annotation_did(raw: object, prefix: str) -> None:
    assert_same(raw, prefix)


def test_the_configured_prefix_wins_over_the_current_one() -> None:
    """Not only the same as before: the rule itself (so that both functions cannot be wrong together)."""
    parsed = parse_annotations({S + "hostname": "s.example.com", CUSTOM + "hostname": "c.example.com"}, CUSTOM)
    assert parsed.hostnames == ("c.example.com",)
    parsed = parse_annotations({S + "aws-weight": "1", CUSTOM + "aws-weight": "2", S + "aws-zone": "z"}, CUSTOM)
    assert dict(parsed.provider_specific) == {"aws/weight": "2", "aws/zone": "z"}


SUFFIXES = (
    "hostname", "internal-hostname", "target", "ttl", "controller", "access", "endpoints-type", "set-identifier",
    "alias", "record-type", "ingress", "ingress-hostname-source", "gateway-hostname-source", "aws-weight",
    "azure-tags", "cloudflare-proxied", "webhook-", "", "x",
)  # fmt: skip
PREFIXES = (A, S, CUSTOM, "", "external-dns.", "external-dns.kubernetes.io/aws-")
VALUES = st.one_of(
    st.sampled_from(["", " ", "true", "false", "60", "1m", "web.example.com", "a..b", "192.0.2.1", "x,y,,z", "*"]),
    st.text(max_size=12),
    st.integers(),
    st.none(),
    st.lists(st.text(max_size=3), max_size=2),
)
KEYS = st.one_of(
    st.builds(lambda prefix, suffix: prefix + suffix, st.sampled_from(PREFIXES), st.sampled_from(SUFFIXES)),
    st.text(max_size=8),
)
# derandomize: the same examples on every run and machine (see tests/unit/test_plan_properties.py).
SAME_EXAMPLES = settings(
    max_examples=300, deadline=None, derandomize=True, database=None, suppress_health_check=[HealthCheck.too_slow]
)


@SAME_EXAMPLES
@given(raw=st.dictionaries(KEYS, VALUES, max_size=12), prefix=st.sampled_from(PREFIXES))
def test_one_pass_parses_generated_annotations_as_before(raw: dict[str, object], prefix: str) -> None:
    assert_same(raw, prefix)
