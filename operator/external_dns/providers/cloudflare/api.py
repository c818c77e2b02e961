"""The Cloudflare v4 API as the provider uses it: paged listings, one call at a time, errors as typed exceptions.

Requests go through the shared HTTP client (providers/http.py), which retries 429 and 5xx with backoff honouring
``Retry-After``. A 4xx (or ``success: false``) is :class:`CloudflareRefused` with Cloudflare's own message; after a
lost answer even a refusal is ambiguous ("already exists" may be our own create), so it is raised as such.
Credentials are sent as headers only and never appear in logs, exceptions or reprs.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from external_dns.errors import AmbiguousProviderError, ProviderError, TransientProviderError
from external_dns.providers.base import Zone
from external_dns.providers.http import HttpClient

#: Cloudflare's TTL value for "automatic".
AUTO_TTL = 1


@dataclass(frozen=True, slots=True)
class Credentials:
    """``CF_API_TOKEN``, or ``CF_API_KEY`` with ``CF_API_EMAIL``."""

    api_token: str = field(default="", repr=False)
    api_key: str = field(default="", repr=False)
    api_email: str = ""

    def headers(self) -> dict[str, str]:
        if self.api_token:
            return {"Authorization": f"Bearer {self.api_token}"}
        return {"X-Auth-Key": self.api_key, "X-Auth-Email": self.api_email}


@dataclass(frozen=True, slots=True)
class CloudflareRecord:
    """One Cloudflare DNS record as the API lists it, with its value in ExternalDNS's target form."""

    id: str
    name: str
    type: str
    target: str
    ttl: int
    proxied: bool


class CloudflareRefused(ProviderError):
    """Cloudflare answered with a 4xx (or ``success: false``); ``message`` is its ``errors[].message``."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(f"Cloudflare refused the request (HTTP {status}): {message}")
        self.status = status
        self.message = message


class CloudflareAPI:
    """Calls under ``api_url`` with the given credentials."""

    def __init__(self, api_url: str, credentials: Credentials, http: HttpClient) -> None:
        self._base = api_url.rstrip("/")
        self._credentials = credentials
        self._http = http

    async def list_records(self, zone: Zone, per_page: int, name: str | None = None) -> list[CloudflareRecord]:
        """The zone's DNS records, or only those named ``name`` (Cloudflare's exact ``name`` filter)."""
        path = f"/zones/{zone.id}/dns_records"
        filters = {} if name is None else {"name": name}
        return [parse_record(item) async for item in self.paginate(path, per_page, filters)]

    async def paginate(
        self, path: str, per_page: int, filters: Mapping[str, str] | None = None
    ) -> AsyncIterator[dict[str, Any]]:
        """Yield the ``result`` items of every page of a listing."""
        page = 1
        while True:
            params = {**(filters or {}), "page": str(page), "per_page": str(per_page)}
            reply = await self.request("GET", path, params=params)
            for item in reply.get("result") or []:
                yield item
            total_pages = int((reply.get("result_info") or {}).get("total_pages") or 1)
            if page >= total_pages:
                return
            page += 1

    async def request(
        self, method: str, path: str, *, params: Mapping[str, str] | None = None, body: object = None
    ) -> dict[str, Any]:
        """One API call (the shared client retries throttling and server errors); returns the decoded reply."""
        reply = await self._http.request(
            method, self._base + path, params=params, json=body, headers=self._credentials.headers()
        )
        decoded = reply.json()
        data: dict[str, Any] = decoded if isinstance(decoded, dict) else {}
        if reply.status == 429 or reply.status >= 500:
            error = AmbiguousProviderError if reply.answer_lost else TransientProviderError
            attempts = self._http.policy.attempts
            problem = f"HTTP {reply.status}: {_error_message(data) or reply.reason}"
            raise error(f"Cloudflare {method} {path} failed after {attempts} attempts: {problem}")
        if reply.status >= 400 or data.get("success") is False:
            message = _error_message(data) or reply.reason
            if reply.answer_lost:
                # An earlier attempt was sent and its answer lost: "already exists" may be our own create.
                raise AmbiguousProviderError(
                    f"Cloudflare {method} {path}: HTTP {reply.status} after a lost answer: {message}"
                )
            raise CloudflareRefused(reply.status, message)
        return data

    async def close(self) -> None:
        await self._http.close()


def parse_record(item: Mapping[str, Any]) -> CloudflareRecord:
    record_type = str(item["type"])
    content = str(item.get("content") or "")
    priority = item.get("priority")
    if record_type == "MX" and priority is not None:
        content = f"{priority} {content}"
    elif record_type == "SRV":
        data = item.get("data") or {}
        if data:
            content = f"{data['priority']} {data['weight']} {data['port']} {data['target']}"
        elif priority is not None:
            content = f"{priority} {content}"
    if record_type in {"CNAME", "NS", "MX", "SRV", "PTR"}:
        content = content.rstrip(".")
    return CloudflareRecord(
        id=str(item["id"]),
        name=str(item["name"]).rstrip("."),
        type=record_type,
        target=content,
        ttl=int(item.get("ttl") or AUTO_TTL),
        proxied=bool(item.get("proxied", False)),
    )


def _error_message(data: Mapping[str, Any]) -> str:
    errors = data.get("errors") or []
    parts = []
    for error in errors:
        if isinstance(error, Mapping):
            code = error.get("code")
            message = str(error.get("message", "")).strip()
            parts.append(f"{message} (code {code})" if code is not None else message)
    return "; ".join(part for part in parts if part)
