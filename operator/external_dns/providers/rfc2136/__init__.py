"""RFC2136 (``--provider=rfc2136``): DNS UPDATE and AXFR against an authoritative server such as BIND."""

from external_dns.providers.rfc2136.provider import DEFAULT_TTL, RFC2136Config, RFC2136Provider

__all__ = ["DEFAULT_TTL", "RFC2136Config", "RFC2136Provider"]
