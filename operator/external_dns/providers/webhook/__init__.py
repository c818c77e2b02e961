"""ExternalDNS's webhook protocol: the client provider (``--provider=webhook``), the server (``webhook-serve``),
the protocol's JSON (wire.py) and the change groups a lost answer is checked against (groups.py)."""

from external_dns.providers.webhook.provider import WebhookConfig, WebhookProvider
from external_dns.providers.webhook.server import WebhookServer

__all__ = ["WebhookConfig", "WebhookProvider", "WebhookServer"]
