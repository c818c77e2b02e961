"""The one-match fast path of ``name_problem`` answers as the label-by-label walk did, for every rule.

A valid name is now told by one whole-name match (deriving an object validates each hostname twice: as a DNS
name when its annotation is read, under the hostname rule when its A record is checked). The former function is
kept here, verbatim but for its name, and both are run over a table of tricky names and over generated ones:
same verdict, same text.
"""

from __future__ import annotations

import idna
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from external_dns.hostnames import _CONTROL, MAX_NAME_LENGTH, NameRule, _label_problem, name_problem


def former_name_problem(name: str, rule: NameRule = NameRule.DNS_NAME, *, wildcard: bool = True) -> str | None:
    if _CONTROL.search(name):
        return f"{name!r} contains whitespace or a control character"
    relative = name[:-1] if name.endswith(".") else name
    if not relative:
        return "the name is empty"
    ascii_name = relative
    if not relative.isascii():
        try:
            ascii_name = idna.encode(relative, uts46=True).decode("ascii")
        except idna.IDNAError as error:
            return f"{name!r} is not a valid internationalised name (IDNA: {error})"
    if len(ascii_name) > MAX_NAME_LENGTH:
        return f"{name[:40]!r}... is {len(ascii_name)} characters long; a DNS name has at most {MAX_NAME_LENGTH}"
    labels = ascii_name.split(".")
    for index, label in enumerate(labels):
        problem = _label_problem(label, index, rule, wildcard)
        if problem:
            return f"{name!r}: {problem}"
    if labels[-1].isdigit():
        return f"{name!r}: the last label is all digits (RFC 3696), which reads as a mistyped address"
    return None


RULES = [(rule, wildcard) for rule in NameRule for wildcard in (True, False)]


def assert_same(name: str) -> None:
    for rule, wildcard in RULES:
        assert name_problem(name, rule, wildcard=wildcard) == former_name_problem(name, rule, wildcard=wildcard)


def name_of_length(length: int, label: int = 63, *, dot: bool = False) -> str:
    """A valid-looking name of exactly ``length`` characters (before an optional trailing dot)."""
    labels: list[str] = []
    left = length
    while left > 0:
        size = min(label, left if not labels else left - 1)
        if size <= 0:
            labels[-1] += "b"
            break
        labels.append("a" * size)
        left -= size + (1 if len(labels) > 1 else 0)
    return ".".join(labels) + ("." if dot else "")


TRICKY = [
    "web.example.com",
    "web.example.com.",
    "web.example.com..",
    "Web-1.Example.COM",
    "_acme-challenge.example.com",
    "_sip._tcp.example.com",
    "s1._domainkey.example.com",
    "under_score.example.com",
    "*.example.com",
    "*.example.com.",
    "*",
    "*.",
    "*.*.example.com",
    "a.*.example.com",
    "x*.example.com",
    "*x.example.com",
    "",
    ".",
    "..",
    ".example.com",
    "a..b",
    "-a.example.com",
    "a-.example.com",
    "a.-b-.com",
    "_-_.example.com",
    "a--b.example.com",
    "example.123",
    "example.123.",
    "123.example",
    "1.2.3.4",
    "0",
    "a" * 63 + ".com",
    "a" * 64 + ".com",
    "com." + "a" * 63,
    "com." + "a" * 64,
    name_of_length(253),
    name_of_length(253, dot=True),
    name_of_length(254),
    name_of_length(254, dot=True),
    name_of_length(255),
    name_of_length(2000, 10),
    "web.example.com\n",
    "web .example.com",
    " web.example.com",
    "web.example.com\u200b",
    "web\x00.example.com",
    "ünïcode.example.com",
    "ÜNÏCODE.example.com.",
    "xn--nicode-2ya.example.com",
    "xn--.example.com",
    "ex@mple.com",
    "exa/mple.com",
    "exa mple",
    "a.b.c.d.e.f.g.h.i.j.k.l.m.n.o.p",
    "\uff41\uff42\uff43.example.com",  # full-width letters: non-ASCII, mapped by IDNA
    "١٢٣.example.com",  # Arabic-Indic digits
]


@pytest.mark.parametrize("name", TRICKY, ids=repr)
def test_fast_path_answers_as_the_walk_did(name: str) -> None:
    assert_same(name)


def test_fast_path_still_refuses_what_the_rules_refuse() -> None:
    """The rules themselves (so that both functions cannot be wrong together on the names the fast path takes)."""
    assert name_problem("web.example.com", NameRule.HOSTNAME) is None
    assert name_problem("_sip._tcp.example.com", NameRule.DNS_NAME) is None
    assert name_problem("_sip._tcp.example.com", NameRule.HOSTNAME) is not None
    assert name_problem("*.example.com", wildcard=True) is None
    assert name_problem("*.example.com", wildcard=False) is not None
    assert name_problem("a" * 64 + ".com") is not None
    assert name_problem(name_of_length(254)) is not None
    assert name_problem("example.123") is not None


NAME_CHARACTERS = st.sampled_from([*"abzAZ09_-.*", " ", "\n", "ü", "\u200b", "1"])
SAME_EXAMPLES = settings(
    max_examples=1000, deadline=None, derandomize=True, database=None, suppress_health_check=[HealthCheck.too_slow]
)


@SAME_EXAMPLES
@given(name=st.text(NAME_CHARACTERS, max_size=24))
def test_fast_path_answers_generated_names_as_the_walk_did(name: str) -> None:
    assert_same(name)


@SAME_EXAMPLES
@given(label=st.text(st.sampled_from("ab0-_"), min_size=60, max_size=66), count=st.integers(1, 5))
def test_fast_path_answers_long_labels_and_names_as_the_walk_did(label: str, count: int) -> None:
    assert_same(".".join([label] * count))
    assert_same(".".join([label] * count) + ".")
