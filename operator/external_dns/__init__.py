"""ExternalDNS-compatible DNS operator built on Kopf."""
