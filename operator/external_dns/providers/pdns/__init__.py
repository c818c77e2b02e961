"""PowerDNS Authoritative (``--provider=pdns``) over its HTTP API."""

from external_dns.providers.pdns.provider import PDNSConfig, PDNSProvider

__all__ = ["PDNSConfig", "PDNSProvider"]
