"""The --fqdn-template interpreter (reference §3.3) and the rule that applies it to Service and Ingress."""

from __future__ import annotations

from typing import Any

import pytest

from external_dns.errors import ConfigError, InvalidEndpoint
from external_dns.sources.base import EmptyLookups, SourceSettings
from external_dns.sources.fqdn_template import (
    compile_templates,
    ingress_targets,
    service_targets,
    with_templates,
)
from external_dns.sources.ingress import ingress_endpoints
from external_dns.sources.service import service_endpoints

ALPHA = "external-dns.alpha.kubernetes.io/"

SERVICE: dict[str, Any] = {
    "apiVersion": "v1",
    "kind": "Service",
    "metadata": {
        "name": "web",
        "namespace": "prod",
        "labels": {"app": "shop", "app.kubernetes.io/part-of": "store", "Env": "upper"},
        "annotations": {"team": "payments"},
    },
    "spec": {"type": "LoadBalancer", "clusterIP": "10.0.0.12", "ports": [{"port": 80}]},
    "status": {"loadBalancer": {"ingress": [{"ip": "203.0.113.7"}, {"ip": "203.0.113.8"}]}},
}


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        ("{{.Name}}.example.com", ["web.example.com"]),
        ("{{.Name}}.{{.Namespace}}.example.com", ["web.prod.example.com"]),
        ("{{.Labels.app}}.example.com", ["shop.example.com"]),
        ('{{index .Labels "app.kubernetes.io/part-of"}}.example.com', ["store.example.com"]),
        ("{{.Annotations.team}}.example.com", ["payments.example.com"]),
        ('{{.Spec.ClusterIP | replace "." "-"}}.example.com', ["10-0-0-12.example.com"]),
        ("{{.Kind | toLower}}.example.com", ["service.example.com"]),
        ('{{trimPrefix .Name "w"}}.{{trimSuffix .Namespace "d"}}.example.com', ["eb.pro.example.com"]),
        ('{{ trim "  x  " }}.example.com', ["x.example.com"]),
        ('{{printf "%s-%s" .Name .Namespace}}.example.com', ["web-prod.example.com"]),
        ('{{if contains .Name "we"}}yes{{else}}no{{end}}.example.com', ["yes.example.com"]),
        (
            '{{if hasKey .Labels "missing"}}yes{{else if hasKey .Labels "app"}}app{{end}}.example.com',
            ["app.example.com"],
        ),
        (
            "{{if isIPv4 .Spec.clusterIP}}v4{{end}}{{if isIPv6 .Spec.clusterIP}}v6{{end}}.example.com",
            ["v4.example.com"],
        ),
        (
            '{{range .Status.LoadBalancer.Ingress}}{{.ip | replace "." "-"}}.lb.example.com,{{end}}',
            ["203-0-113-7.lb.example.com", "203-0-113-8.lb.example.com"],
        ),
        ("{{.Labels.env}}x.example.com", ["x.example.com"]),
        ("b.example.com., a.example.com ,b.example.com", ["a.example.com", "b.example.com"]),
        ("{{- /* a comment */ -}} {{.Name}}.example.com", ["web.example.com"]),
    ],
    ids=[
        "the object name",
        "name and namespace",
        "a label",
        "a label with a slash through index",
        "an annotation",
        "a spec field by its Go name, piped to replace",
        "the kind lower-cased",
        "trimPrefix and trimSuffix",
        "trim",
        "printf with string arguments",
        "if contains with else",
        "else if with hasKey",
        "isIPv4 and isIPv6 on a spec field by its JSON name",
        "range over the load balancer ingress",
        "labels are indexed by their exact key",
        "output is split on commas, trimmed, trailing dots removed, de-duplicated and sorted",
        "comments and whitespace trimming",
    ],
)
def test_supported_forms(template: str, expected: list[str]) -> None:
    assert compile_templates([template]).hostnames(SERVICE) == expected


def test_several_templates_are_joined() -> None:
    compiled = compile_templates(["{{.Name}}.a.example.com", "{{.Name}}.b.example.com"])
    assert compiled.hostnames(SERVICE) == ["web.a.example.com", "web.b.example.com"]


@pytest.mark.parametrize(
    ("template", "construct"),
    [
        ("{{with .Name}}{{.}}{{end}}", "{{with}}"),
        ("{{$name := .Name}}{{$name}}", "variables ($name)"),
        ("{{ upper .Name }}.example.com", "function 'upper'"),
        ('{{define "x"}}y{{end}}', "{{define}}"),
        ("{{if .Name}}unterminated", "{{if}} without {{end}}"),
        ("{{.Name", "unclosed action"),
        ('{{.Name "x"}}', "cannot give arguments to a non-function"),
    ],
    ids=[
        "with is rejected",
        "variables are rejected",
        "an unknown function is rejected",
        "define is rejected",
        "an unterminated if is rejected",
        "an unclosed action is rejected",
        "arguments to a field are rejected",
    ],
)
def test_unsupported_constructs_raise_config_error_naming_the_flag(template: str, construct: str) -> None:
    with pytest.raises(ConfigError) as raised:
        compile_templates([template])
    assert "--fqdn-template" in str(raised.value)
    assert construct in str(raised.value)


def test_a_template_failing_on_an_object_names_the_flag() -> None:
    compiled = compile_templates(["{{toLower .Spec.ports}}.example.com"])
    with pytest.raises(InvalidEndpoint) as raised:
        compiled.hostnames(SERVICE)
    assert raised.value.field == "--fqdn-template"
    names, problems = compiled.checked_hostnames(SERVICE)
    assert names == [] and [p.field for p in problems] == ["--fqdn-template"]


def test_an_invalid_generated_hostname_is_a_problem() -> None:
    names, problems = compile_templates(["{{.Name}}_!.example.com"]).checked_hostnames(SERVICE)
    assert names == [] and len(problems) == 1


def test_service_targets_are_learnt_from_the_service_source() -> None:
    assert service_targets(SERVICE, SourceSettings(), EmptyLookups()) == ["203.0.113.7", "203.0.113.8"]


def test_template_hostnames_are_used_when_the_service_asks_for_nothing() -> None:
    settings = SourceSettings(fqdn_templates=("{{.Name}}.{{.Namespace}}.example.com",))
    derive = with_templates(service_endpoints, compile_templates(settings.fqdn_templates), settings)
    result = derive(SERVICE, settings, EmptyLookups())
    assert [(e.dns_name, e.targets) for e in result.endpoints] == [
        ("web.prod.example.com", ("203.0.113.7", "203.0.113.8"))
    ]
    assert result.endpoints[0].labels == {"resource": "service/prod/web"}


@pytest.mark.parametrize(
    ("combine", "names"),
    [(False, ["own.example.com"]), (True, ["own.example.com", "web.prod.example.com"])],
    ids=[
        "template hostnames are not used when the object asks for records",
        "with combine-fqdn-annotation template hostnames are appended",
    ],
)
def test_templates_with_an_annotated_service(combine: bool, names: list[str]) -> None:
    settings = SourceSettings(fqdn_templates=("{{.Name}}.{{.Namespace}}.example.com",), combine_fqdn_annotation=combine)
    annotated = {**SERVICE, "metadata": {**SERVICE["metadata"], "annotations": {f"{ALPHA}hostname": "own.example.com"}}}
    derive = with_templates(service_endpoints, compile_templates(settings.fqdn_templates), settings)
    result = derive(annotated, settings, EmptyLookups())
    assert [e.dns_name for e in result.endpoints] == names


def test_ingress_templates_use_the_ingress_targets() -> None:
    ingress = {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "Ingress",
        "metadata": {"name": "shop", "namespace": "prod", "annotations": {}},
        "spec": {"rules": [{"http": {"paths": []}}]},
        "status": {"loadBalancer": {"ingress": [{"hostname": "lb.example.net"}]}},
    }
    settings = SourceSettings(fqdn_templates=("{{.Name}}.example.com",))
    assert ingress_targets(ingress, settings, EmptyLookups()) == ["lb.example.net"]
    derive = with_templates(
        ingress_endpoints, compile_templates(settings.fqdn_templates), settings, targets_for=ingress_targets
    )
    result = derive(ingress, settings, EmptyLookups())
    assert [(e.dns_name, e.record_type, e.targets) for e in result.endpoints] == [
        ("shop.example.com", "CNAME", ("lb.example.net",))
    ]


def test_a_filtered_object_stays_ignored() -> None:
    settings = SourceSettings(fqdn_templates=("{{.Name}}.example.com",), label_filter="app=other")
    derive = with_templates(service_endpoints, compile_templates(settings.fqdn_templates), settings)
    result = derive(SERVICE, settings, EmptyLookups())
    assert result.endpoints == [] and "label-filter" in result.ignored_reason
