"""The Go text/template interpreter on its own (external_dns.gotemplate): Go's semantics for the supported subset.

The expected outputs are what Go's text/template prints for the same template and data, except that a missing
field renders as nothing (ExternalDNS's typed objects have no "<no value>" case worth copying); the flag-level rules
(splitting on commas, hostnames, the Service and Ingress wiring) are in test_fqdn_template.py.
"""

from __future__ import annotations

from typing import Any

import pytest

from external_dns.gotemplate import TemplateError, TemplateSyntaxError, parse

DATA: dict[str, Any] = {
    "metadata": {"name": "web", "namespace": "prod", "labels": {"app": "shop", "Env": "upper"}},
    "spec": {"ports": [{"port": 80}, {"port": 443}], "clusterIP": "10.0.0.12", "empty": []},
}


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        ("plain text", "plain text"),
        ("{{.Name}}/{{.Namespace}}", "web/prod"),
        ("{{.Spec.ClusterIP}} {{.spec.clusterIP}}", "10.0.0.12 10.0.0.12"),
        ("{{.Labels.app}}|{{.Labels.env}}|{{.Labels.Env}}", "shop||upper"),
        ("{{.Spec.Ports}}", "[map[port:80] map[port:443]]"),
        ("{{.Missing}}", ""),
        ("{{range .Spec.Ports}}{{.port}};{{end}}", "80;443;"),
        ("{{range .Spec.Empty}}x{{else}}none{{end}}", "none"),
        ("{{if .Spec.Empty}}yes{{else}}no{{end}}", "no"),
        ("{{if and .Name .Namespace}}{{and .Name .Namespace}}{{end}}", "prod"),
        ("{{or .Missing .Name}}", "web"),
        ('{{eq .Name "api" "web"}} {{ne .Name "web"}} {{not .Name}}', "true false false"),
        ("{{len .Spec.Ports}} {{len .Name}}", "2 3"),
        ("{{index .Spec.Ports 1}}", "map[port:443]"),
        ('{{printf "%s:%d %q" .Name 8080 .Namespace}}', 'web:8080 "prod"'),
        ('{{.Name | printf "%s-x" | toLower}}', "web-x"),
        ('{{(printf "%s.%s" .Name .Namespace) | replace "." "-"}}', "web-prod"),
        ("a {{- /* gone */ -}} b", "ab"),
        ("{{true}} {{false}} {{1.5}} {{`raw\\n`}}", "true false 1.5 raw\\n"),
    ],
)
def test_renders_like_go(template: str, expected: str) -> None:
    assert parse(template).render(DATA) == expected


@pytest.mark.parametrize(
    ("template", "message"),
    [
        ("{{.Name", "unclosed action"),
        ("{{$x := .Name}}", "template variables"),
        ("{{with .Name}}x{{end}}", "{{with}} is not supported"),
        ('{{template "t"}}', "{{template}} is not supported"),
        ("{{upper .Name}}", "function 'upper' is not supported"),
        ("{{if .Name}}open", "{{if}} without {{end}}"),
        ("{{end}}", "unexpected {{end}}"),
    ],
)
def test_unsupported_or_broken_templates_are_refused_when_parsed(template: str, message: str) -> None:
    with pytest.raises(TemplateSyntaxError) as raised:
        parse(template)
    assert message in str(raised.value)
    assert repr(template) in str(raised.value), "the message quotes the template"


@pytest.mark.parametrize(
    ("template", "message"),
    [
        ("{{.Name.First}}", "can't evaluate field First in type string"),
        ('{{trimPrefix .Spec.Ports "x"}}', "trimPrefix"),
        ('{{index .Name "x"}}', "index"),
        ("{{range .Name}}x{{end}}", "range can't iterate over string"),
        ('{{replace "a"}}', "wrong number of arguments"),
    ],
)
def test_a_template_failing_on_the_data_raises_template_error(template: str, message: str) -> None:
    template_ = parse(template)
    with pytest.raises(TemplateError) as raised:
        template_.render(DATA)
    assert message in str(raised.value)
