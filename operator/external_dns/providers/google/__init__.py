"""Google Cloud DNS provider (``--provider=google``): the provider, its REST client and its credentials."""

from external_dns.providers.google.provider import GoogleConfig, GoogleProvider

__all__ = ["GoogleConfig", "GoogleProvider"]
