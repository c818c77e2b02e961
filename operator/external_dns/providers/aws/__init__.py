"""Route 53 (``--provider=aws``): the provider, its record-set mapping, change batching and canonical zones."""

from external_dns.providers.aws.provider import AWSConfig, AWSProvider

__all__ = ["AWSConfig", "AWSProvider"]
