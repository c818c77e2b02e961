"""A thin JSON client for the Kubernetes API: authentication from kubernetes-asyncio, bodies as plain JSON.

kubernetes-asyncio resolves kubeconfig files, in-cluster service accounts, exec plugins and TLS; its generated
models are skipped on purpose: a paged LIST of 10,000 Services is parsed as JSON and handed to the sources as
is, which is several times faster than building model objects that nothing here needs.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
from collections.abc import AsyncIterator, Mapping
from typing import Any

import yaml
from kubernetes_asyncio import client, config

from external_dns.errors import ConfigError, ExternalDNSError

logger = logging.getLogger(__name__)


#: Objects per page of a LIST (what client-go's informers ask for too).
LIST_PAGE_SIZE = 500
#: How long a LIST waits, after asking for the next page, for the request to leave (bench/list_ahead.py).
REQUEST_SENT_WITHIN = 0.001


class KubeAPIError(ExternalDNSError):
    """The API server answered with an error status."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(f"HTTP {status}: {message}")
        self.status = status


class KubeClient:
    """GET/POST/PATCH/LIST against the API server as JSON."""

    def __init__(self, api: client.ApiClient) -> None:
        self._api = api

    @classmethod
    async def connect(cls, kubeconfig: str = "", master: str = "") -> KubeClient:
        """A client with the credentials of :func:`load_configuration`."""
        return cls(client.ApiClient(await load_configuration(kubeconfig, master)))

    async def close(self) -> None:
        await self._api.close()

    async def request(
        self,
        method: str,
        path: str,
        *,
        query: Mapping[str, str] | None = None,
        body: Any = None,
        content_type: str = "application/json",
        request_timeout: float = 30.0,
    ) -> Any:
        headers = {"Accept": "application/json"}
        if body is not None:
            headers["Content-Type"] = content_type  # any JSON type: the client serialises ``body`` itself
        response = await self._api.call_api(
            path,
            method,
            query_params=list((query or {}).items()),
            header_params=headers,
            body=body,
            auth_settings=["BearerToken"],
            _preload_content=False,
            _request_timeout=request_timeout,
        )
        try:
            payload = await response.read()
            if not 200 <= response.status <= 299:
                raise KubeAPIError(response.status, _status_message(payload))
            return json.loads(payload) if payload else None
        finally:
            response.release()

    async def list_pages(
        self, path: str, *, page_size: int | None = None, query: Mapping[str, str] | None = None
    ) -> AsyncIterator[Any]:
        """Every page of a LIST, following ``continue`` tokens.

        The next page is asked for before this one is handed over: the server prepares it while the caller works
        on this one (the initial LIST of 50,000 objects is then no longer the server's time plus the operator's).
        """
        params = {"limit": str(page_size or LIST_PAGE_SIZE), **(query or {})}
        asking = asyncio.ensure_future(self.request("GET", path, query=params))
        try:
            while True:
                page = await asking
                token = (page.get("metadata") or {}).get("continue") or ""
                if token:
                    asking = asyncio.ensure_future(self.request("GET", path, query={**params, "continue": token}))
                    # The request must be on the wire before the caller takes the loop for the page (~50 ms at
                    # 500 Services): kubernetes-asyncio and aiohttp need several loop turns to write it, and one
                    # turn left it unsent, so the server started the page only when the caller was done.
                    await asyncio.wait({asking}, timeout=REQUEST_SENT_WITHIN)
                yield page
                if not token:
                    return
        finally:
            asking.cancel()  # the caller stopped early: the page asked for ahead is not wanted (no-op when done)

    async def watch(
        self, path: str, since: str, *, query: Mapping[str, str] | None = None, server_timeout: int = 300
    ) -> AsyncIterator[Any]:
        """The events of one watch request from resourceVersion ``since``, as parsed JSON, until the server ends it.

        Bookmarks are asked for, so a quiet stream still moves its resourceVersion on; an expired ``since`` comes
        as an ``ERROR`` event with code 410 (the caller lists again).
        """
        params = {
            "watch": "true",
            "resourceVersion": since,
            "allowWatchBookmarks": "true",
            "timeoutSeconds": str(server_timeout),
            **(query or {}),
        }
        response = await self._api.call_api(
            path,
            "GET",
            query_params=list(params.items()),
            header_params={"Accept": "application/json"},
            auth_settings=["BearerToken"],
            _preload_content=False,
            _request_timeout=server_timeout + 30,  # the server ends the request first; this is for a dead one
        )
        try:
            if not 200 <= response.status <= 299:
                raise KubeAPIError(response.status, _status_message(await response.read()))
            # Not `async for line in response.content`: aiohttp refuses lines over 128 KiB, and one object with
            # thousands of names in an annotation is longer than that.
            pending = b""
            async for chunk in response.content.iter_any():
                *lines, pending = (pending + chunk).split(b"\n")
                for line in lines:
                    if line.strip():
                        yield json.loads(line)
            if pending.strip():
                yield json.loads(pending)
        finally:
            response.release()


async def load_configuration(kubeconfig: str = "", master: str = "") -> client.Configuration:
    """In-cluster credentials when running in a pod (and no kubeconfig given), else the kubeconfig;
    ``master`` (``--master``) overrides the server address, as in ExternalDNS."""
    configuration = client.Configuration()
    kubeconfig = kubeconfig or os.environ.get("KUBECONFIG", "")
    try:
        if not kubeconfig and os.environ.get("KUBERNETES_SERVICE_HOST"):
            config.load_incluster_config(client_configuration=configuration)  # type: ignore[no-untyped-call]
        else:
            await config.load_kube_config(config_file=kubeconfig or None, client_configuration=configuration)
    except (config.ConfigException, OSError, yaml.YAMLError) as error:
        where = kubeconfig or "~/.kube/config (no --kubeconfig, KUBECONFIG or in-cluster service account)"
        raise ConfigError(f"--kubeconfig: cannot use {where}: {error}") from None
    if master:
        configuration.host = master.rstrip("/")
    return configuration


def _status_message(payload: bytes) -> str:
    try:
        status = json.loads(payload)
    except ValueError:
        return payload[:200].decode(errors="replace")
    if isinstance(status, dict):
        return str(status.get("message") or status.get("reason") or status)
    return str(status)


def resource_path(group: str, version: str, plural: str, namespace: str | None = None, name: str = "") -> str:
    """The REST path of a collection or an object (core group when ``group`` is empty)."""
    base = f"/api/{version}" if not group else f"/apis/{group}/{version}"
    if namespace:
        base += f"/namespaces/{namespace}"
    base += f"/{plural}"
    return f"{base}/{name}" if name else base
