"""The one hostname validator of the package: which names a DNS server will accept, and why not.

Two rules, as BIND's ``check-names`` applies them (on by default for primary zones, and for dynamic updates):

* :attr:`NameRule.HOSTNAME` (RFC 952 / RFC 1123): letters, digits and hyphens, no hyphen at either end of a
  label. BIND refuses a whole UPDATE that holds an A, AAAA or MX record whose *owner* breaks it, or an NS, MX or
  SRV record whose *target* host breaks it; one such name in a batch would hold every other record of the batch
  hostage, so it is refused up front instead.
* :attr:`NameRule.DNS_NAME`: a hostname that may also use ``_``, which DNS allows everywhere and which is how
  service names are written (``_acme-challenge``, ``_sip._tcp``, DKIM's ``s1._domainkey``): TXT, SRV and CNAME
  owner names, CNAME targets.

Both rules: labels of 1 to 63 characters (no empty label, so ``a..b`` and ``name..`` are refused, one trailing
dot is allowed as the absolute form), 253 characters in all, no whitespace or control characters, ``*`` only
as the whole leftmost label, a last label that is not all digits (RFC 3696: that is a mistyped address).
Non-ASCII names are checked in their IDNA (punycode) form, as they will be published.
"""

from __future__ import annotations

import re
from enum import StrEnum

import idna

MAX_NAME_LENGTH = 253
MAX_LABEL_LENGTH = 63


class NameRule(StrEnum):
    """Which characters a name's labels may use (see the module docstring)."""

    HOSTNAME = "hostname"
    DNS_NAME = "dns-name"

    @property
    def description(self) -> str:
        if self is NameRule.HOSTNAME:
            return "hostname rule (RFC 1123): letters, digits and '-' only, not at either end of a label"
        return "DNS name rule: letters, digits, '-' and '_' only, '-' not at either end of a label"


_LABEL_PATTERNS = {
    NameRule.HOSTNAME: re.compile(r"[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?"),
    NameRule.DNS_NAME: re.compile(r"[A-Za-z0-9_]([A-Za-z0-9_-]*[A-Za-z0-9_])?"),
}
#: Whole names every label of which passes its rule, each at most 63 characters, ``*`` only as an owner's whole
#: leftmost label: what nearly every object asks for. One match of the whole name tells they are valid (with the
#: length and the last label checked), where the label-by-label walk below is what explains a bad one. Indexed by
#: ``wildcard`` (False, True), per rule.
_HOSTNAME_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_DNS_NAME_LABEL = r"[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?"
_VALID_HOSTNAMES = tuple(
    re.compile(rf"{wild}{_HOSTNAME_LABEL}(?:\.{_HOSTNAME_LABEL})*\.?") for wild in ("", r"(?:\*\.)?")
)
_VALID_DNS_NAMES = tuple(
    re.compile(rf"{wild}{_DNS_NAME_LABEL}(?:\.{_DNS_NAME_LABEL})*\.?") for wild in ("", r"(?:\*\.)?")
)
#: Whitespace and control characters (C0, DEL, C1, and the Unicode line/format separators people paste).
_CONTROL = re.compile(r"[\x00-\x20\x7f-\x9f\u2028\u2029\u200b\ufeff]")


def name_problem(name: str, rule: NameRule = NameRule.DNS_NAME, *, wildcard: bool = True) -> str | None:
    """None when ``name`` can be published under ``rule``; otherwise why not, naming the rule it breaks.

    ``wildcard``: whether ``*`` may be the leftmost label (owner names yes, targets no).
    """
    if _plainly_valid(name, rule, wildcard):
        return None
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


def _plainly_valid(name: str, rule: NameRule, wildcard: bool) -> bool:
    """True for a valid ASCII name, found by one match; False says only "walk its labels"."""
    # Chosen by identity and a bool index: a StrEnum hashes in Python, a cost per name checked.
    patterns = _VALID_HOSTNAMES if rule is NameRule.HOSTNAME else _VALID_DNS_NAMES
    if len(name) > MAX_NAME_LENGTH + 1 or not patterns[wildcard].fullmatch(name):
        return False
    relative = name[:-1] if name.endswith(".") else name
    return len(relative) <= MAX_NAME_LENGTH and not relative.rpartition(".")[2].isdigit()


def _label_problem(label: str, index: int, rule: NameRule, wildcard: bool) -> str | None:
    if not label:
        return "has an empty label (two dots in a row, or a leading or extra trailing dot)"
    if label == "*" and index == 0 and wildcard:
        return None
    if "*" in label:
        where = "the whole leftmost label of an owner name" if wildcard else "never allowed in a target"
        return f"'*' is only allowed as {where}"
    if len(label) > MAX_LABEL_LENGTH:
        return f"label {label[:20]!r}... is {len(label)} characters long; a label has at most {MAX_LABEL_LENGTH}"
    if not _LABEL_PATTERNS[rule].fullmatch(label):
        return f"label {label!r} breaks the {rule.description}"
    return None
