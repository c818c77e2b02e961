"""The errors the reconciler branches on: how bad a failure is is told by its type, never by its text."""

from __future__ import annotations


class ExternalDNSError(Exception):
    """Base of every error this operator raises on purpose."""


class ConfigError(ExternalDNSError):
    """A setting is invalid; the message names the flag and what is wrong. Startup stops with it."""


class InvalidEndpoint(ExternalDNSError):
    """An object asks for a record that cannot exist; ``field`` names the part of the object at fault."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


class ProviderError(ExternalDNSError):
    """The provider refused a change or a read. Retried with backoff, but it will likely fail again as is."""


class TransientProviderError(ProviderError):
    """Throttling, timeouts, connection errors, 5xx: retried with backoff, expected to pass."""
