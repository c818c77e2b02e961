"""OAuth access tokens for Cloud DNS, from google-auth's Application Default Credentials.

ExternalDNS's Google provider authenticates with ADC (``google.DefaultClient``), and so does this one:
``GOOGLE_APPLICATION_CREDENTIALS`` naming a service-account key file (its ``token_uri`` is where tokens come
from), gcloud's user credentials, or the metadata server (GCE, and GKE workload identity; ``GCE_METADATA_HOST``
moves it). google-auth refreshes tokens synchronously, so a refresh runs in a thread; it happens about once an
hour. Tokens never reach a log line or an exception message.
"""

from __future__ import annotations

import asyncio
from typing import Any, Protocol

import google.auth
import google.auth.exceptions
import google.auth.transport.urllib3
import urllib3

from external_dns.errors import ConfigError, ProviderError, TransientProviderError

#: The scope ExternalDNS asks for (dns.NdevClouddnsReadwriteScope).
SCOPE = "https://www.googleapis.com/auth/ndev.clouddns.readwrite"


class TokenSource(Protocol):
    """Gives a valid bearer token; ``invalidate`` makes the next call refresh (after an HTTP 401)."""

    async def token(self) -> str: ...

    def invalidate(self) -> None: ...


class ApplicationDefaultTokens:
    """Tokens of google-auth credentials (ADC unless given), refreshed in a thread when they expire."""

    def __init__(self, credentials: Any, project: str | None) -> None:
        self._credentials = credentials
        self.project = project or ""
        self._request = google.auth.transport.urllib3.Request(urllib3.PoolManager())  # type: ignore[no-untyped-call]
        self._lock = asyncio.Lock()
        self._stale = False

    @classmethod
    def from_environment(cls) -> ApplicationDefaultTokens:
        """ADC as google-auth finds it; a missing or broken key file stops the start with one line."""
        try:
            credentials, project = google.auth.default(scopes=[SCOPE])
        except google.auth.exceptions.DefaultCredentialsError as error:
            raise ConfigError(
                "GOOGLE_APPLICATION_CREDENTIALS: no usable Google credentials (set it to a service-account key "
                f"file, or run with workload identity / on GCE): {_first_line(error)}"
            ) from None
        return cls(credentials, project)

    async def token(self) -> str:
        async with self._lock:
            if self._stale or not self._credentials.valid:
                try:
                    await asyncio.to_thread(self._credentials.refresh, self._request)
                except google.auth.exceptions.TransportError as error:
                    raise TransientProviderError(f"Google token endpoint unreachable: {_first_line(error)}") from None
                except google.auth.exceptions.RefreshError as error:
                    raise ProviderError(f"Google credentials refused: {_first_line(error)}") from None
                self._stale = False
            return str(self._credentials.token)

    def invalidate(self) -> None:
        self._stale = True


def _first_line(error: Exception) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__
