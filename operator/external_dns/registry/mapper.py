"""Names of the ownership TXT records: ExternalDNS's ``AffixNameMapper``, byte for byte.

An ownership TXT sits next to the record it owns. Its name is the record's name with the record type and the
``--txt-prefix`` / ``--txt-suffix`` worked into the first label (``a-api.example.com``, ``txt.cname-api...``).
Reading goes the other way, and has to accept every name ExternalDNS ever wrote, including the type-less
legacy format (≤ v0.17), so the reverse mapping is deliberately as lenient, and as ambiguous, as upstream's: a
legacy TXT for ``a-team.example.com`` reads as new-format ``A`` ownership of ``team.example.com``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from external_dns.endpoint import RecordType
from external_dns.errors import ConfigError

#: The placeholder a prefix or suffix may contain; it is replaced by the lower-case record type.
RECORD_TYPE_TEMPLATE = "%{record_type}"

#: The types the reverse mapping recognises, in the order upstream tries them (first match wins).
SUPPORTED_TYPES: tuple[str, ...] = tuple(kind.value for kind in RecordType)


@dataclass(frozen=True, slots=True)
class AffixNameMapper:
    """Maps record names to ownership TXT names and back (``registry/mapper/mapper.go``).

    Construct it with :meth:`create` (or directly with lower-case affixes): prefix and suffix are mutually
    exclusive, as in ExternalDNS.
    """

    prefix: str = ""
    suffix: str = ""
    wildcard_replacement: str = ""
    #: Per supported type, in order: what :meth:`to_txt_name` puts before the first label, at its head, after it.
    _typed_affixes: tuple[tuple[str, str, str], ...] = field(init=False, repr=False, compare=False, default=())
    _keeps_names_normal: bool = field(init=False, repr=False, compare=False, default=False)

    def __post_init__(self) -> None:
        if self.prefix and self.suffix:
            raise ConfigError("--txt-prefix and --txt-suffix are mutually exclusive; set only one of them")
        # Upstream lower-cases the affixes once, at construction.
        object.__setattr__(self, "prefix", self.prefix.lower())
        object.__setattr__(self, "suffix", self.suffix.lower())
        object.__setattr__(self, "wildcard_replacement", self.wildcard_replacement.lower())
        typed_label = not self.record_type_in_affix
        affixes = tuple(
            (
                self.prefix.replace(RECORD_TYPE_TEMPLATE, kind),
                f"{kind}-" if typed_label else "",
                self.suffix.replace(RECORD_TYPE_TEMPLATE, kind),
            )
            for kind in (supported.lower() for supported in SUPPORTED_TYPES)
        )
        object.__setattr__(self, "_typed_affixes", affixes)
        plain = all(
            affix.isascii() and affix == affix.strip()
            for affix in (self.prefix, self.suffix, self.wildcard_replacement)
        )
        object.__setattr__(self, "_keeps_names_normal", plain and not self.suffix.endswith("."))

    @property
    def keeps_names_normal(self) -> bool:
        """Whether the TXT names of a normalised name are normalised too (what normalize_name would return):
        affixes in plain lower-case ASCII without surrounding spaces, and no suffix ending the name with a dot."""
        return self._keeps_names_normal

    @property
    def record_type_in_affix(self) -> bool:
        """Whether prefix or suffix carries ``%{record_type}`` (then no ``<type>-`` goes into the label)."""
        return RECORD_TYPE_TEMPLATE in self.prefix or RECORD_TYPE_TEMPLATE in self.suffix

    def to_txt_name(self, dns_name: str, record_type: str) -> str:
        """The new-format TXT name that carries ownership of the ``record_type`` records at ``dns_name``."""
        kind = record_type.lower()
        prefix = self.prefix.replace(RECORD_TYPE_TEMPLATE, kind)
        suffix = self.suffix.replace(RECORD_TYPE_TEMPLATE, kind)
        first, dot, rest = dns_name.partition(".")
        if self.wildcard_replacement and first == "*":
            first = self.wildcard_replacement
        if not self.record_type_in_affix:
            first = f"{kind}-{first}"
        return f"{prefix}{first}{suffix}{dot}{rest}"

    def txt_names(self, dns_name: str) -> list[str]:
        """:meth:`to_txt_name` of every supported type (in order), then :meth:`to_legacy_txt_name`: every TXT name
        that can own records at ``dns_name``, in one pass (a zone worker asks this of every name it plans)."""
        first, dot, rest = dns_name.partition(".")
        if self.wildcard_replacement and first == "*":
            first = self.wildcard_replacement
        names = [f"{prefix}{head}{first}{suffix}{dot}{rest}" for prefix, head, suffix in self._typed_affixes]
        names.append(self.to_legacy_txt_name(dns_name))
        return names

    def to_legacy_txt_name(self, dns_name: str) -> str:
        """The type-less TXT name ExternalDNS ≤ v0.17 also wrote (only read now, never written)."""
        prefix = self.prefix.replace(RECORD_TYPE_TEMPLATE, "")
        suffix = self.suffix.replace(RECORD_TYPE_TEMPLATE, "")
        first, dot, rest = dns_name.partition(".")
        if self.wildcard_replacement and first == "*":
            first = self.wildcard_replacement
        return f"{prefix}{first}{suffix}{dot}{rest}"

    def to_endpoint_name(self, txt_name: str) -> tuple[str, str]:
        """``(record name, record type)`` a TXT name owns; type ``""``: legacy; ``("", "")``: foreign.

        The returned name is lower-cased, as upstream does.
        """
        name = txt_name.lower()
        if not self.suffix:
            return self._drop_affix_extract_type(name)
        # Suffix mode: the suffix may span dots, so the first 1 + dots(suffix) labels hold the affixed label.
        dots = self.suffix.count(".")
        labels = name.split(".", dots + 1)
        if len(labels) < dots + 2:
            return "", ""
        owned, kind = self._drop_affix_extract_type(".".join(labels[: dots + 1]))
        if not owned and not kind:
            return "", ""
        return f"{owned}.{labels[dots + 1]}", kind

    def _drop_affix_extract_type(self, name: str) -> tuple[str, str]:
        prefix, suffix = self.prefix, self.suffix
        if self.record_type_in_affix:
            for kind in SUPPORTED_TYPES:
                typed_prefix = prefix.replace(RECORD_TYPE_TEMPLATE, kind.lower())
                typed_suffix = suffix.replace(RECORD_TYPE_TEMPLATE, kind.lower())
                if not suffix and name.startswith(typed_prefix):
                    return name.removeprefix(typed_prefix), kind
                if suffix and name.endswith(typed_suffix):
                    return name.removesuffix(typed_suffix), kind
            # No typed affix matched: maybe a legacy TXT, written with the template dropped.
            prefix = prefix.replace(RECORD_TYPE_TEMPLATE, "")
            suffix = suffix.replace(RECORD_TYPE_TEMPLATE, "")
        if not suffix and name.startswith(prefix):
            return _extract_type_from_first_label(name.removeprefix(prefix))
        if suffix and name.endswith(suffix):
            return _extract_type_from_first_label(name.removesuffix(suffix))
        return "", ""


def _extract_type_from_first_label(name: str) -> tuple[str, str]:
    """``a-api.example.com`` -> (``api.example.com``, ``A``); no known ``<type>-`` -> (name, ``""``)."""
    head = name.partition("-")[0]
    for kind in SUPPORTED_TYPES:
        if head == kind.lower():
            return name.removeprefix(head + "-"), kind
    return name, ""
