"""DomainFilter: ExternalDNS's list and regex domain filters (reference §2.8), and their webhook JSON form."""

from __future__ import annotations

import pytest

from external_dns.domain_filter import DomainFilter, match_all
from external_dns.errors import ConfigError

EXAMPLE = DomainFilter(("example.com",))
BELOW_EXAMPLE = DomainFilter((".example.com",))
EXAMPLE_COM_RE = r"\.example\.com$"

LIST_CASES = [
    pytest.param(DomainFilter(), "anything.example.org", True, id="an empty filter matches every name"),
    pytest.param(DomainFilter(("", " ")), "anything.example.org", True, id="blank entries are ignored"),
    pytest.param(EXAMPLE, "example.com", True, id="an entry matches its own name"),
    pytest.param(EXAMPLE, "a.b.example.com", True, id="an entry matches names below it"),
    pytest.param(EXAMPLE, "badexample.com", False, id="an entry is not a plain suffix"),
    pytest.param(EXAMPLE, "example.org", False, id="other domains do not match"),
    pytest.param(EXAMPLE, "com", False, id="a parent of the entry does not match"),
    pytest.param(BELOW_EXAMPLE, "www.example.com", True, id="a leading dot matches below"),
    pytest.param(BELOW_EXAMPLE, "example.com", False, id="a leading dot excludes the apex"),
    pytest.param(DomainFilter(("example.com.",)), "www.example.com", True, id="an entry's trailing dot is ignored"),
    pytest.param(EXAMPLE, "www.example.com.", True, id="a name's trailing dot is ignored"),
    pytest.param(DomainFilter((" Example.COM ",)), "WWW.example.com", True, id="case and spaces are ignored"),
    pytest.param(DomainFilter(("a.com", "b.com")), "x.b.com", True, id="any include entry may match"),
    pytest.param(DomainFilter(("example.com",), ("api.example.com",)), "api.example.com", False, id="exclusions win"),
    pytest.param(
        DomainFilter(("example.com",), ("api.example.com",)),
        "v1.api.example.com",
        False,
        id="exclusions cover names below them",
    ),
    pytest.param(
        DomainFilter(("example.com",), ("api.example.com",)),
        "www.example.com",
        True,
        id="names outside the exclusion still match",
    ),
    pytest.param(
        DomainFilter((), ("example.com",)), "example.org", True, id="an exclusion alone lets other names pass"
    ),
    pytest.param(DomainFilter(("xn--bcher-kva.example",)), "bücher.example", True, id="punycode entries match unicode"),
    pytest.param(
        DomainFilter(("bücher.example",)),
        "a.xn--bcher-kva.example",
        True,
        id="unicode entries match punycode",
    ),
    pytest.param(DomainFilter(("BÜCHER.example",)), "bücher.example", True, id="unicode entries ignore case"),
    pytest.param(EXAMPLE, "*.example.com", True, id="wildcard names match their parent"),
    pytest.param(EXAMPLE, "_sip._tcp.example.com", True, id="service labels with underscores match"),
]


@pytest.mark.parametrize(("domain_filter", "name", "expected"), LIST_CASES)
def test_list_filter(domain_filter: DomainFilter, name: str, expected: bool) -> None:
    assert domain_filter.match(name) is expected


REGEX_CASES = [
    pytest.param(DomainFilter(regex_include=EXAMPLE_COM_RE), "a.example.com", True, id="the include regex"),
    pytest.param(DomainFilter(regex_include=EXAMPLE_COM_RE), "a.example.org", False, id="include regex misses"),
    pytest.param(DomainFilter(regex_include=r"example"), "www.example.org", True, id="regexes are unanchored"),
    pytest.param(
        DomainFilter(regex_include=r"example", regex_exclude=r"^internal\."),
        "internal.example.com",
        False,
        id="the exclusion regex is checked first",
    ),
    pytest.param(DomainFilter(regex_exclude=r"^internal\."), "other.org", True, id="an exclusion regex alone"),
    pytest.param(
        DomainFilter(("other.org",), regex_include=r"example"),
        "www.example.com",
        True,
        id="regex mode ignores the include list",
    ),
    pytest.param(
        DomainFilter((), ("example.com",), regex_exclude=r"^nothing$"),
        "www.example.com",
        True,
        id="regex mode ignores the exclude list",
    ),
    pytest.param(DomainFilter(regex_include=r"^bücher\."), "xn--bcher-kva.example", True, id="regexes see unicode"),
    pytest.param(DomainFilter(regex_include=r"\.com$"), "a.example.com.", True, id="regexes see no final dot"),
]


@pytest.mark.parametrize(("domain_filter", "name", "expected"), REGEX_CASES)
def test_regex_filter(domain_filter: DomainFilter, name: str, expected: bool) -> None:
    assert domain_filter.match(name) is expected


@pytest.mark.parametrize(
    ("domain_filter", "expected"),
    [
        pytest.param(DomainFilter(), False, id="an empty filter is not configured"),
        pytest.param(DomainFilter(("",)), False, id="a filter of blank entries is not configured"),
        pytest.param(EXAMPLE, True, id="an include list configures it"),
        pytest.param(DomainFilter(regex_include="x"), True, id="an include regex configures it"),
        pytest.param(DomainFilter((), ("example.com",)), False, id="exclusions alone do not configure it"),
    ],
)
def test_is_configured(domain_filter: DomainFilter, expected: bool) -> None:
    assert domain_filter.is_configured is expected


@pytest.mark.parametrize(
    ("domain_filter", "document"),
    [
        pytest.param(DomainFilter(), {}, id="an empty filter is an empty object"),
        pytest.param(
            DomainFilter(("b.com", "a.com"), ("x.a.com",)),
            {"include": ["a.com", "b.com"], "exclude": ["x.a.com"]},
            id="lists are sorted",
        ),
        pytest.param(DomainFilter(("a.com.",)), {"include": ["a.com"]}, id="entries are sent normalised"),
        pytest.param(
            DomainFilter(regex_include="a", regex_exclude="b"),
            {"regexInclude": "a", "regexExclude": "b"},
            id="regexes are sent by themselves",
        ),
    ],
)
def test_json_form_round_trips(domain_filter: DomainFilter, document: dict[str, object]) -> None:
    assert domain_filter.to_json() == document
    assert DomainFilter.from_json(document) == domain_filter


def test_json_with_both_lists_and_regexes_is_refused() -> None:
    with pytest.raises(ValueError, match="both"):
        DomainFilter.from_json({"include": ["a.com"], "regexInclude": "a"})


def test_an_invalid_regex_is_a_configuration_error() -> None:
    with pytest.raises(ConfigError, match="invalid domain filter regex"):
        DomainFilter(regex_include="(")


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        pytest.param("www.example.com", True, id="a name every filter matches passes"),
        pytest.param("www.example.org", False, id="a name one filter rejects is rejected"),
        pytest.param("internal.example.com", False, id="a name another filter excludes is rejected"),
    ],
)
def test_match_all_requires_every_filter(name: str, expected: bool) -> None:
    user = DomainFilter((), ("internal.example.com",))
    provider = DomainFilter(("example.com",))
    assert match_all((user, provider), name) is expected


def test_match_all_of_no_filters_matches_everything() -> None:
    assert match_all((), "anything.example")
