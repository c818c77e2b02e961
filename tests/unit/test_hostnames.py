"""The one hostname validator: which names the DNS server accepts, and the rule named when it does not."""

from __future__ import annotations

import pytest

from external_dns.hostnames import NameRule, name_problem


@pytest.mark.parametrize(
    ("name", "rule"),
    [
        pytest.param("web.example.com", NameRule.HOSTNAME, id="a plain hostname"),
        pytest.param("web.example.com.", NameRule.HOSTNAME, id="one trailing dot (absolute form)"),
        pytest.param("*.example.com", NameRule.HOSTNAME, id="a wildcard as the whole leftmost label"),
        pytest.param("1st.example.com", NameRule.HOSTNAME, id="a label starting with a digit"),
        pytest.param("_acme-challenge.example.com", NameRule.DNS_NAME, id="an underscore in a TXT owner"),
        pytest.param("_sip._tcp.example.com", NameRule.DNS_NAME, id="an SRV owner"),
        pytest.param("bücher.example.com", NameRule.HOSTNAME, id="an IDN checked in punycode"),
        pytest.param("a" * 63 + ".example.com", NameRule.HOSTNAME, id="a label of exactly 63 characters"),
        pytest.param(".".join(["a" * 62] * 4) + ".c", NameRule.HOSTNAME, id="253 characters"),
    ],
)
def test_names_a_dns_server_accepts_pass(name: str, rule: NameRule) -> None:
    assert name_problem(name, rule) is None


@pytest.mark.parametrize(
    ("name", "rule", "said"),
    [
        pytest.param("bad_host0.example.com", NameRule.HOSTNAME, "hostname rule", id="an underscore in a hostname"),
        pytest.param("trail0.example.com..", NameRule.HOSTNAME, "empty label", id="two trailing dots"),
        pytest.param("a..example.com", NameRule.DNS_NAME, "empty label", id="an empty label"),
        pytest.param(".example.com", NameRule.DNS_NAME, "empty label", id="a leading dot"),
        pytest.param("", NameRule.DNS_NAME, "empty", id="empty"),
        pytest.param(".", NameRule.DNS_NAME, "empty", id="only a dot"),
        pytest.param("-web.example.com", NameRule.DNS_NAME, "'-' not at either end", id="a leading hyphen"),
        pytest.param("web-.example.com", NameRule.HOSTNAME, "'-' only", id="a trailing hyphen"),
        pytest.param("a" * 64 + ".example.com", NameRule.DNS_NAME, "at most 63", id="a label of 64 characters"),
        pytest.param(".".join(["a" * 62] * 4) + ".cd", NameRule.DNS_NAME, "at most 253", id="254 characters"),
        pytest.param("web.*.example.com", NameRule.DNS_NAME, "whole leftmost label", id="an inner wildcard"),
        pytest.param("*web.example.com", NameRule.DNS_NAME, "whole leftmost label", id="a partial wildcard"),
        pytest.param("web\n.example.com", NameRule.DNS_NAME, "control character", id="a newline"),
        pytest.param("web .example.com", NameRule.DNS_NAME, "whitespace", id="a space"),
        pytest.param("web\x00.example.com", NameRule.DNS_NAME, "control character", id="a NUL"),
        pytest.param("999.1.1.1", NameRule.DNS_NAME, "all digits", id="a mistyped address"),
        pytest.param("we$b.example.com", NameRule.DNS_NAME, "DNS name rule", id="a dollar sign"),
        pytest.param("xn--.example.com", NameRule.DNS_NAME, "'-'", id="a broken punycode label"),
        pytest.param("\u2615\u0301.example.com", NameRule.DNS_NAME, "IDNA", id="an IDN that IDNA refuses"),
    ],
)
def test_names_a_dns_server_refuses_are_refused_naming_the_rule(name: str, rule: NameRule, said: str) -> None:
    problem = name_problem(name, rule)
    assert problem is not None
    assert said in problem


def test_a_wildcard_is_refused_where_wildcards_are_not_allowed() -> None:
    assert name_problem("*.example.com", NameRule.DNS_NAME, wildcard=False) is not None
