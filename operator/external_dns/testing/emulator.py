"""An emulated Kubernetes API server for Kopf, kubectl and our tests, with KMock's DSL for fault injection.

KMock 0.8's own emulator is "a database over HTTP" (see /work/shared/reference/api-emulator.md for what it gets
wrong), so the server here stands on its own: objects live in an `ObjectStore` (store.py), paths and discovery
are discovery.py's, request bodies are JSON or kubectl's protobuf (protobuf.py), and `kubectl get` gets Tables
(tables.py). KMock is used only through its public API: ``emulator[...]`` is a `kmock.RawHandler`'s DSL, and
once a test used it, each request meets those reactions first (``emulator['list',
kmock.resource('v1/services')][:2] << 500``); a request no reaction matches is served as usual. Until the DSL is
used no request is journaled, so a server without faults costs nothing per request beyond serving it.
"""

from __future__ import annotations

import asyncio
import json
import logging
import math
from collections.abc import Callable, Mapping
from importlib import resources as package_resources
from typing import Any

import aiohttp.web
import kmock

from external_dns.testing import discovery, protobuf, tables
from external_dns.testing.discovery import ApiPath, parse_api_path
from external_dns.testing.patches import PatchType, UnsupportedPatchType
from external_dns.testing.selectors import Selector, SelectorError, parse_selector
from external_dns.testing.servermeta import manager_of
from external_dns.testing.store import ApiError, Gone, JsonObject, ObjectStore, ResourceType, WatchEvent

logger = logging.getLogger(__name__)


def _declarations() -> list[JsonObject]:
    text = package_resources.files("external_dns.testing").joinpath("resources.json").read_text()
    declarations: list[JsonObject] = json.loads(text)
    return declarations


def load_declarations() -> list[ResourceType]:
    """The resources every local cluster serves (resources.json next to this module)."""
    return [ResourceType.from_declaration(decl) for decl in _declarations()]


def bundled_printer_columns() -> dict[tuple[str, str, str], list[JsonObject]]:
    """The printer columns of bundled resources that stand for CRDs (DNSEndpoint), by (group, version, plural):
    `kubectl get dnsendpoints` shows them even when no CRD object was applied to the local cluster."""
    return {
        (decl["group"], decl["version"], decl["plural"]): decl["additionalPrinterColumns"]
        for decl in _declarations()
        if decl.get("additionalPrinterColumns")
    }


def json_response(body: Any, status: int = 200) -> aiohttp.web.Response:
    """A JSON response as the API server sends it."""
    return aiohttp.web.Response(body=json.dumps(body).encode(), status=status, content_type="application/json")


class ApiServerEmulator:
    """An emulated Kubernetes API server; KMock's DSL (``emulator[...] << 500``) injects faults in front of it."""

    def __init__(self, store: ObjectStore | None = None, *, bookmark_interval: float = 5.0) -> None:
        self.store = store or ObjectStore()
        self.bookmark_interval = bookmark_interval
        #: The user's reactions (KMock's public `RawHandler`); consulted only once the DSL was used.
        self.faults = kmock.RawHandler()
        self._faults_in_use = False
        self._bundled_columns = bundled_printer_columns()
        for rtype in load_declarations():
            self.store.declare(rtype)
        namespaces = self.store.resolve("", "v1", "namespaces")
        for name in ("default", "kube-system"):
            self.store.create(namespaces, None, {"metadata": {"name": name}})

    def __getitem__(self, criteria: Any) -> kmock.View:
        """KMock's DSL on the fault handler: ``emulator["list", kmock.resource("v1/services")][:2] << 500``.

        From the first use on, every request meets the user's reactions first (and is journaled, so slices
        such as ``[:2]`` count from then); before it, requests cost nothing extra.
        """
        self._faults_in_use = True
        view: kmock.View = self.faults[criteria]
        return view

    async def __aenter__(self) -> ApiServerEmulator:
        return self

    async def __aexit__(self, *_: object) -> None:
        self.store.drop_watches()

    def declare(self, rtype: ResourceType) -> None:
        """Serve one more resource (CRDs created through the API register themselves)."""
        self.store.declare(rtype)

    def drop_watches(self, group: str | None = None, version: str = "v1", plural: str | None = None) -> int:
        """Close live watch streams, all or of one resource; returns how many were closed."""
        rtype = self.store.resolve(group, version, plural) if group is not None and plural else None
        return self.store.drop_watches(rtype)

    # The HTTP entry point.

    async def __call__(self, raw_request: aiohttp.web.BaseRequest) -> aiohttp.web.StreamResponse:
        """Serve one request: the user's reactions first (if the DSL was used), then the emulated API server."""
        body = await raw_request.read()
        try:
            if self._faults_in_use and _kmock_can_parse(raw_request.path):
                try:
                    # Not entered as a context manager, so KMock raises instead of rendering: a request no
                    # reaction matches raises NotImplementedError, and the emulated server answers it.
                    return await self.faults(raw_request)
                except NotImplementedError:
                    pass
            return await self._serve(raw_request, body)
        except ApiError as exc:
            return json_response(exc.status_body(), exc.code)
        except kmock.KubernetesError as exc:  # raised by a user reaction, e.g. `<< kmock.KubernetesError(429)`
            error = ApiError(exc.status, exc.reason or type(exc).__name__, exc.message or repr(exc), exc.details)
            return json_response(error.status_body(), exc.status)
        except Exception as exc:
            logger.exception("The emulated API server failed on %s %s", raw_request.method, raw_request.path)
            error = ApiError(500, "InternalError", f"{type(exc).__name__}: {exc}")
            return json_response(error.status_body(), 500)

    # The emulated API server.

    async def _serve(self, raw_request: aiohttp.web.BaseRequest, body: bytes) -> aiohttp.web.StreamResponse:
        path = raw_request.path.rstrip("/") or "/"
        if path == "/version":
            return json_response(discovery.SERVER_VERSION)
        if path in ("/healthz", "/livez", "/readyz"):
            return aiohttp.web.Response(text="ok")
        if path == "/":
            return json_response({"paths": discovery.root_paths(self.store.types)})
        if path == "/api":
            host = raw_request.host
            cidrs = [{"clientCIDR": "0.0.0.0/0", "serverAddress": host}]
            return json_response({"kind": "APIVersions", "versions": ["v1"], "serverAddressByClientCIDRs": cidrs})
        if path == "/apis":
            return json_response(discovery.group_list(self.store.types))
        parsed = parse_api_path(path)
        if parsed is None:
            raise ApiError(404, "NotFound", "the server could not find the requested resource")
        if parsed.version is None:
            return json_response(discovery.api_group(self.store.types, parsed.group))
        if parsed.plural is None:
            return json_response(discovery.resource_list(self.store.types, parsed.group, parsed.version))
        return await self._serve_resource(raw_request, body, parsed)

    async def _serve_resource(
        self, raw_request: aiohttp.web.BaseRequest, body: bytes, path: ApiPath
    ) -> aiohttp.web.StreamResponse:
        assert path.version is not None and path.plural is not None
        rtype = self.store.resolve(path.group, path.version, path.plural)
        if path.namespace is not None and not rtype.namespaced:
            raise ApiError(404, "NotFound", "the server could not find the requested resource")
        if path.subresource is not None and path.subresource not in rtype.subresources:
            raise ApiError(404, "NotFound", "the server could not find the requested resource")
        query = raw_request.query
        method = raw_request.method
        as_table = tables.table_request(raw_request.headers.get("Accept", ""), query.get("includeObject"))
        if method == "GET" and query.get("watch") in ("true", "1"):
            return await self._watch(raw_request, rtype, path, as_table)
        if method == "GET" and path.name is None:
            listed = self._list(rtype, path.namespace, query)
            if as_table is not None:
                return json_response(tables.table(as_table, self._columns(rtype), listed["items"], listed["metadata"]))
            return json_response(listed)
        if method == "GET" and path.name is not None:
            obj = self.store.get(rtype, path.namespace, path.name)
            if as_table is not None:
                metadata = {"resourceVersion": obj["metadata"].get("resourceVersion", "")}
                return json_response(tables.table(as_table, self._columns(rtype), [obj], metadata))
            return json_response(obj)
        manager = manager_of(query.get("fieldManager"), raw_request.headers.get("User-Agent"))
        if method == "POST" and path.name is None:
            content_type = raw_request.headers.get("Content-Type", "")
            created = self.store.create(rtype, path.namespace, _object_body(body, content_type), manager)
            return json_response(created, 201)
        if method == "PUT" and path.name is not None:
            return json_response(
                self.store.replace(
                    rtype,
                    path.namespace,
                    path.name,
                    _object_body(body, raw_request.headers.get("Content-Type", "")),
                    path.subresource,
                    manager,
                )
            )
        if method == "PATCH" and path.name is not None:
            try:
                patch_type = PatchType.from_content_type(raw_request.headers.get("Content-Type", ""))
            except UnsupportedPatchType as exc:
                raise ApiError(415, "UnsupportedMediaType", str(exc)) from exc
            patch = _json_body(body)
            patched = self.store.patch(rtype, path.namespace, path.name, patch, patch_type, path.subresource, manager)
            return json_response(patched)
        if method == "DELETE" and path.name is not None:
            options = _json_body(body) if body else None
            return json_response(self.store.delete(rtype, path.namespace, path.name, options))
        if method == "DELETE" and path.name is None:
            return json_response(self._delete_collection(rtype, path.namespace, query))
        raise ApiError(405, "MethodNotAllowed", "the server does not allow this method on the requested resource")

    def _list(self, rtype: ResourceType, namespace: str | None, query: Mapping[str, str]) -> JsonObject:
        try:
            limit = int(query.get("limit") or 0)
        except ValueError as exc:
            raise ApiError(400, "BadRequest", "limit must be an integer") from exc
        page = self.store.list(
            rtype, namespace, _selector(query), limit=limit, continue_token=query.get("continue") or None
        )
        metadata: JsonObject = {"resourceVersion": str(page.resource_version)}
        if page.continue_token:
            metadata["continue"] = page.continue_token
            if page.remaining is not None:
                metadata["remainingItemCount"] = page.remaining
        return {"kind": rtype.list_kind, "apiVersion": rtype.api_version, "metadata": metadata, "items": page.items}

    def _columns(self, rtype: ResourceType) -> list[tables.Column]:
        """Printer columns: the CRD's for its version when the resource comes from a CRD."""
        printer_columns = self._bundled_columns.get((rtype.group, rtype.version, rtype.plural))
        if rtype.group:
            crds = self.store.resolve("apiextensions.k8s.io", "v1", "customresourcedefinitions")
            try:
                crd = self.store.get(crds, None, f"{rtype.plural}.{rtype.group}")
            except ApiError:
                crd = {}
            for version in (crd.get("spec") or {}).get("versions") or []:
                if version.get("name") == rtype.version:
                    printer_columns = version.get("additionalPrinterColumns")
        return tables.columns_for(rtype.group, rtype.plural, printer_columns)

    def _delete_collection(self, rtype: ResourceType, namespace: str | None, query: Mapping[str, str]) -> JsonObject:
        page = self.store.list(rtype, namespace, _selector(query))
        deleted = [
            self.store.delete(rtype, item["metadata"].get("namespace"), item["metadata"]["name"], None)
            for item in page.items
        ]
        metadata = {"resourceVersion": str(self.store.resource_version)}
        return {"kind": rtype.list_kind, "apiVersion": rtype.api_version, "metadata": metadata, "items": deleted}

    # Watching.

    async def _watch(
        self,
        raw_request: aiohttp.web.BaseRequest,
        rtype: ResourceType,
        path: ApiPath,
        as_table: tables.TableRequest | None = None,
    ) -> aiohttp.web.StreamResponse:
        query = raw_request.query
        selector = _selector(query, name=path.name)
        since = _since(query.get("resourceVersion"))
        timeout = float(query["timeoutSeconds"]) if query.get("timeoutSeconds") else math.inf
        bookmarks = query.get("allowWatchBookmarks") in ("true", "1")
        response = aiohttp.web.StreamResponse(status=200, headers={"Content-Type": "application/json"})
        response.enable_chunked_encoding()
        try:
            subscription = self.store.subscribe(rtype, since)  # before any await: no event is missed
        except Gone as exc:
            # The real server answers 200 and then an ERROR event carrying the 410 Status.
            await response.prepare(raw_request)
            await response.write(_line({"type": "ERROR", "object": exc.status_body()}))
            await response.write_eof()
            return response
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        render = self._renderer(rtype, as_table)
        try:
            await response.prepare(raw_request)
            for replayed in subscription.initial:
                await self._send(response, render, path.namespace, selector, replayed)
            next_bookmark = loop.time() + self.bookmark_interval
            while (now := loop.time()) < deadline:
                wait = min(deadline, next_bookmark if bookmarks else math.inf) - now
                try:
                    event: WatchEvent | None = await asyncio.wait_for(subscription.queue.get(), timeout=min(wait, 3600))
                except TimeoutError:
                    if bookmarks and loop.time() >= next_bookmark:
                        await response.write(_line(self._bookmark(rtype)))
                        next_bookmark = loop.time() + self.bookmark_interval
                    continue
                if event is None:  # dropped by the server (shutdown or fault injection)
                    break
                await self._send(response, render, path.namespace, selector, event)
            await response.write_eof()
        except (ConnectionError, aiohttp.ClientConnectionResetError):
            pass  # the client went away; nothing to tell it
        finally:
            self.store.unsubscribe(subscription)
        return response

    def _renderer(
        self, rtype: ResourceType, as_table: tables.TableRequest | None
    ) -> Callable[[JsonObject], JsonObject]:
        """How a watch sends each object: as itself, or as a one-row Table (column definitions only the first
        time, as the real server does)."""
        if as_table is None:
            return lambda obj: self.store.as_version(rtype, obj)
        columns, sent_definitions = self._columns(rtype), False

        def as_row(obj: JsonObject) -> JsonObject:
            nonlocal sent_definitions
            metadata = {"resourceVersion": obj["metadata"].get("resourceVersion", "")}
            rendered = tables.table(as_table, columns, [self.store.as_version(rtype, obj)], metadata,
                                    with_definitions=not sent_definitions)  # fmt: skip
            sent_definitions = True
            return rendered

        return as_row

    async def _send(
        self,
        response: aiohttp.web.StreamResponse,
        render: Callable[[JsonObject], JsonObject],
        namespace: str | None,
        selector: Selector,
        event: WatchEvent,
    ) -> None:
        event_type = _visible_as(event, namespace, selector)
        if event_type is not None:
            await response.write(_line({"type": event_type, "object": render(event.obj)}))

    def _bookmark(self, rtype: ResourceType) -> JsonObject:
        metadata = {"resourceVersion": str(self.store.resource_version)}
        return {
            "type": "BOOKMARK",
            "object": {"kind": rtype.kind, "apiVersion": rtype.api_version, "metadata": metadata},
        }


def _kmock_can_parse(path: str) -> bool:
    """KMock 0.8's path parser fails on the namespaces collection (``/api/v1/namespaces``) and misreads a
    namespace's own path as a namespaced one; those requests skip the fault handler (faults cannot target them)."""
    parsed = discovery.parse_api_path(path)
    return parsed is None or not (parsed.plural == "namespaces" and parsed.namespace is None)


def _object_body(body: bytes, content_type: str) -> Any:
    """A created or replaced object, sent as JSON or (kubectl's typed commands) as Kubernetes protobuf."""
    media_type = content_type.split(";", 1)[0].strip().lower()
    if media_type == protobuf.MEDIA_TYPE:
        try:
            return protobuf.decode_object(body)
        except (protobuf.ProtobufError, ValueError) as exc:
            raise ApiError(400, "BadRequest", f"the body of the request is not valid protobuf: {exc}") from exc
    if media_type not in ("", "application/json"):
        raise ApiError(415, "UnsupportedMediaType", f"the body of the request was in an unknown format: {media_type}")
    return _json_body(body)


def _json_body(body: bytes) -> Any:
    try:
        return json.loads(body) if body else {}
    except ValueError as exc:
        raise ApiError(400, "BadRequest", f"the body of the request is not valid JSON: {exc}") from exc


def _selector(query: Mapping[str, str], name: str | None = None) -> Selector:
    field_selector = query.get("fieldSelector") or ""
    if name is not None:  # a watch on /.../name is a watch with metadata.name=<name>
        field_selector = ",".join(filter(None, [field_selector, f"metadata.name={name}"]))
    try:
        return parse_selector(query.get("labelSelector"), field_selector)
    except SelectorError as exc:
        raise ApiError(400, "BadRequest", str(exc)) from exc


def _since(resource_version: str | None) -> int | None:
    # Unset or "0" means "the current state first, then changes", like the real server.
    if resource_version in (None, "", "0"):
        return None
    try:
        return int(resource_version)
    except ValueError as exc:
        raise ApiError(400, "BadRequest", f"invalid resource version: {resource_version}") from exc


def _visible_as(event: WatchEvent, namespace: str | None, selector: Selector) -> str | None:
    """How a watcher with this namespace and selector sees the event (None: not at all).

    An object that starts matching is ADDED for the watcher, one that stops matching is DELETED.
    """

    def seen(obj: JsonObject | None) -> bool:
        if obj is None:
            return False
        in_namespace = namespace is None or obj["metadata"].get("namespace") == namespace
        return in_namespace and selector.matches(obj)

    now_seen, was_seen = seen(event.obj), seen(event.old)
    match event.type:
        case "ADDED":
            return "ADDED" if now_seen else None
        case "DELETED":
            return "DELETED" if now_seen or was_seen else None
        case _:
            if now_seen:
                return "MODIFIED" if was_seen else "ADDED"
            return "DELETED" if was_seen else None


def _line(payload: JsonObject) -> bytes:
    return json.dumps(payload).encode() + b"\n"
