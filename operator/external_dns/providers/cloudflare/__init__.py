"""Cloudflare (``--provider=cloudflare``) over the v4 REST API."""

from external_dns.providers.cloudflare.provider import PROXIED_PROPERTY, CloudflareConfig, CloudflareProvider

__all__ = ["PROXIED_PROPERTY", "CloudflareConfig", "CloudflareProvider"]
