"""Which DNS names this instance may touch: ExternalDNS's DomainFilter (``endpoint/domain_filter.go``).

Two modes, as in ExternalDNS:

* **Lists** (``--domain-filter`` / ``--exclude-domains``): an entry matches a name equal to it or below
  it; an entry with a leading dot (``.example.com``) matches names below it only. A name passes when some
  include entry matches (or there are none) and no exclude entry does.
* **Regex** (``--regex-domain-filter`` / ``--regex-domain-exclusion``): as soon as either pattern is set,
  the lists are ignored. The exclusion is checked first, then the include pattern must match if set.
  Patterns are unanchored (``re.search``), which is how Go's ``MatchString`` treats RE2 patterns.

Names and entries are compared in normalised form: trimmed, without trailing dot, lower-cased Unicode (IDNA
ToUnicode), so ``xn--bcher-kva.example`` and ``bücher.example`` are the same name.

The planner AND-s several filters (the user's and the provider's own): see :func:`match_all`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import idna

from external_dns.errors import ConfigError


@dataclass(frozen=True, slots=True)
class DomainFilter:
    """A domain filter; entries are normalised and sorted on construction, empty entries dropped.

    An invalid regex raises :class:`ConfigError` at construction: a bad flag stops startup, not a sync.
    """

    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    regex_include: str = ""
    regex_exclude: str = ""

    def __post_init__(self) -> None:
        # Normalise once here so that match() compares like with like (Go's prepareFilters does the same).
        object.__setattr__(self, "include", _prepare(self.include))
        object.__setattr__(self, "exclude", _prepare(self.exclude))
        for pattern in (self.regex_include, self.regex_exclude):
            try:
                re.compile(pattern)
            except re.error as error:
                raise ConfigError(f"invalid domain filter regex {pattern!r}: {error}") from error

    @property
    def regex_mode(self) -> bool:
        """True when a regex is set: the include/exclude lists are then ignored."""
        return bool(self.regex_include or self.regex_exclude)

    @property
    def is_configured(self) -> bool:
        """Whether the filter restricts names by inclusion (ExternalDNS's IsConfigured).

        As upstream, exclusions alone do not count: providers use this to decide whether to look zones up by
        name, and ``match`` still applies the exclusions.
        """
        return bool(self.regex_include or self.include)

    def match(self, name: str) -> bool:
        """Whether ``name`` is inside this filter."""
        domain = normalize_domain(name)
        if self.regex_mode:
            if self.regex_exclude and re.search(self.regex_exclude, domain):
                return False
            return not self.regex_include or re.search(self.regex_include, domain) is not None
        # No include entries: every name is in (ExternalDNS's empty filter); exclusions apply either way.
        return (not self.include or _match_entries(self.include, domain)) and not _match_entries(self.exclude, domain)

    def match_parent(self, name: str) -> bool:
        """Whether ``name`` is a parent of an include entry (``--aws-zone-match-parent``).

        As ExternalDNS's ``MatchParent``: excluded names never match; entries with a leading dot are not
        expanded; with no include entries every name matches. In regex mode nothing is a parent (ExternalDNS
        would then match every zone, which would widen the filter to the whole account).
        """
        domain = normalize_domain(name)
        if self.regex_mode or _match_entries(self.exclude, domain):
            return False
        if not self.include:
            return True
        return any(not entry.startswith(".") and entry.endswith("." + domain) for entry in self.include)

    def to_json(self) -> dict[str, object]:
        """The webhook negotiation form.

        ``{"include": [...], "exclude": [...]}`` (sorted, empty keys omitted), or
        ``{"regexInclude": ..., "regexExclude": ...}`` in regex mode; ``{}`` for an empty filter.
        """
        result: dict[str, object] = {}
        if self.regex_mode:
            if self.regex_include:
                result["regexInclude"] = self.regex_include
            if self.regex_exclude:
                result["regexExclude"] = self.regex_exclude
            return result
        if self.include:
            result["include"] = sorted(self.include)
        if self.exclude:
            result["exclude"] = sorted(self.exclude)
        return result

    @classmethod
    def from_json(cls, data: Mapping[str, object]) -> DomainFilter:
        """Parse the webhook form; lists and regexes together are refused, as upstream does."""
        include = _string_list(data, "include")
        exclude = _string_list(data, "exclude")
        regex_include = _string(data, "regexInclude")
        regex_exclude = _string(data, "regexExclude")
        if (regex_include or regex_exclude) and (include or exclude):
            raise ValueError("a domain filter cannot have both a domain list and a regex")
        return cls(include, exclude, regex_include, regex_exclude)


def match_all(filters: Sequence[DomainFilter], name: str) -> bool:
    """Whether every filter matches ``name`` (ExternalDNS's MatchAllDomainFilters); no filters match all."""
    return all(domain_filter.match(name) for domain_filter in filters)


def normalize_domain(name: str) -> str:
    """Trimmed, no trailing dot, lower-cased Unicode form of a name or filter entry.

    Labels IDNA rejects (``_sip``, ``*``) are only lower-cased, as Go's ToUnicode returns its input then.
    """
    name = name.strip().removesuffix(".")
    # An empty name is one empty label, which stays empty.
    return ".".join(_label_to_unicode(label) for label in name.split("."))


def _label_to_unicode(label: str) -> str:
    if label.isascii() and not label.lower().startswith("xn--"):
        return label.lower()
    try:
        return idna.decode(label, uts46=True).lower()
    except (idna.IDNAError, UnicodeError):
        return label.lower()


def _prepare(entries: Sequence[str]) -> tuple[str, ...]:
    # Sorted so that two filters with the same entries compare equal, whatever order the flags gave them in.
    return tuple(sorted({entry for entry in (normalize_domain(raw) for raw in entries) if entry}))


def _match_entries(entries: Sequence[str], domain: str) -> bool:
    """Whether some entry matches ``domain`` (none does in an empty list)."""
    for entry in entries:
        if entry.startswith("."):
            # A leading dot means "strictly below": ".example.com" does not match "example.com" itself.
            if domain.endswith(entry):
                return True
        elif domain == entry or domain.endswith("." + entry):
            return True
    return False


def _string_list(data: Mapping[str, object], key: str) -> tuple[str, ...]:
    value = data.get(key) or []
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ValueError(f"domain filter {key!r} must be a list of strings")
    return tuple(value)


def _string(data: Mapping[str, object], key: str) -> str:
    value = data.get(key) or ""
    if not isinstance(value, str):
        raise ValueError(f"domain filter {key!r} must be a string")
    return value
