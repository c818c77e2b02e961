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


class AmbiguousProviderError(TransientProviderError):
    """The request was sent but its answer was lost (5xx, timeout, connection dropped after sending): some or all
    of it may have been applied. The zone must be re-read before the changes are planned again, or creates
    already applied would be sent twice."""


class ProviderBusy(TransientProviderError):
    """The provider asked us to come back later (a rate limit; a prior change on the zone still being applied).
    Nothing of the request was applied and nothing is wrong with the records: they wait for a retry, with
    backoff, without an error on their objects."""


class PendingChange(ProviderBusy, AmbiguousProviderError):
    """The zone is still applying a change whose answer we lost (Route 53's PriorRequestNotComplete after a
    timeout): busy, so no error on the records, and ambiguous, so the zone is re-read before they are planned
    again."""


class BatchRejected(ProviderError):
    """The provider refused a batch because of what is in it (a record it will not take). Nothing of the batch
    was applied; a smaller batch without the culprit may pass. ``message`` is the provider's own reason.
    ``divisible`` is False when the refusal is about the whole request (a zone the server does not serve, say):
    splitting it would only multiply the same refusal."""

    def __init__(self, message: str, *, divisible: bool = True) -> None:
        super().__init__(message)
        self.message = message
        self.divisible = divisible
