"""Azure DNS (``--provider=azure``) and Azure Private DNS (``--provider=azure-private-dns``) providers."""

from external_dns.providers.azure.config import AzureConfig, load_config
from external_dns.providers.azure.provider import AzureProvider

__all__ = ["AzureConfig", "AzureProvider", "load_config"]
