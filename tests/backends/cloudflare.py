"""A small stateful Cloudflare v4 API fake served by KMock, for provider and operator integration tests.

The fake stores records the way Cloudflare does (one record per value, each with an id, TTL 1 = automatic,
MX priority and SRV data in their own fields), paginates listings, filters them by ``name`` (exact match), and
refuses duplicates with Cloudflare's 81057 error. Mount it with ``handler[re.compile(".*")] << fake.serve``; KMock
reactions added later with a higher priority (see :func:`inject_faults`) answer before it, which is how tests make
the API fail.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, field
from typing import Any

import kmock

# Imported from kmock's top level (its public namespace; 0.8 leaves Response out of __all__ only).
from kmock import Response

from external_dns.providers.base import Zone

TOKEN = "fake-cloudflare-token"
ZONE = Zone("example.com", "023e105f4ecef8ad9ca31a8372d0c353")
RECORD_PATH = re.compile(r"^/client/v4/zones/(?P<zone>[^/]+)/dns_records(?:/(?P<record>[^/]+))?$")


@dataclass
class FakeCloudflare:
    """Cloudflare's zones and DNS records endpoints, with state; ``refuse`` makes a name fail on create."""

    zones: dict[str, str] = field(default_factory=lambda: {ZONE.id: ZONE.name})
    records: dict[str, dict[str, Any]] = field(default_factory=dict)
    refuse: dict[str, tuple[int, str]] = field(default_factory=dict)
    #: Requests that reached the fake with a method other than GET (faults answered by KMock excluded).
    writes: int = 0
    #: The query parameters of every DNS record listing that reached the fake, in order.
    listings: list[dict[str, str]] = field(default_factory=list)
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def serve(self, request: kmock.Request) -> Response:
        if request.headers.get("Authorization") != f"Bearer {TOKEN}":
            return self._error(403, 10000, "Authentication error")
        method = request.method.value
        path = request.url.path
        if method != "GET":
            self.writes += 1
        if path == "/client/v4/zones" and method == "GET":
            zones = [{"id": zid, "name": name} for zid, name in self.zones.items()]
            return self._page(zones, request.params, default_per_page=50)
        match = RECORD_PATH.match(path)
        if match is None or match["zone"] not in self.zones:
            return self._error(404, 7003, "Could not route to the requested resource")
        zone_records = [r for r in self.records.values() if r["zone_id"] == match["zone"]]
        if match["record"] is None and method == "GET":
            self.listings.append(dict(request.params))
            if "name" in request.params:  # Cloudflare's exact match on the record name
                zone_records = [r for r in zone_records if r["name"] == request.params["name"]]
            return self._page(zone_records, request.params, default_per_page=100)
        if match["record"] is None and method == "POST":
            return self._create(match["zone"], request.data, zone_records)
        if match["record"] not in self.records:
            return self._error(404, 81044, "Record does not exist.")
        if method == "PATCH":
            self.records[match["record"]].update(request.data)
            return self._ok(self.records[match["record"]])
        if method == "DELETE":
            del self.records[match["record"]]
            return self._ok({"id": match["record"]})
        return self._error(405, 10000, "Method not allowed")

    def stored(self) -> set[tuple[str, str, str, int, bool]]:
        """Every record as (name, type, content, ttl, proxied), for assertions."""
        return {(r["name"], r["type"], r["content"], r["ttl"], r["proxied"]) for r in self.records.values()}

    def _create(self, zone_id: str, data: dict[str, Any], existing: list[dict[str, Any]]) -> Response:
        if data["name"] in self.refuse:
            code, message = self.refuse[data["name"]]
            return self._error(400, code, message)
        record = {"zone_id": zone_id, "proxied": False, "ttl": 1, **data}
        if data["type"] == "SRV":
            srv = data["data"]
            record["priority"] = srv["priority"]
            record["content"] = f"{srv['weight']} {srv['port']} {srv['target']}"
        key = (record["name"], record["type"], record["content"], record.get("priority"))
        if any((r["name"], r["type"], r["content"], r.get("priority")) == key for r in existing):
            return self._error(400, 81057, "Record already exists.")
        record["id"] = f"rec{next(self._ids)}"
        self.records[record["id"]] = record
        return self._ok(record)

    def _page(self, items: list[dict[str, Any]], params: Any, default_per_page: int) -> Response:
        number = int(params.get("page", 1))
        per_page = int(params.get("per_page", default_per_page))
        total_pages = max(1, -(-len(items) // per_page))
        chunk = items[(number - 1) * per_page : number * per_page]
        info = {
            "page": number,
            "per_page": per_page,
            "total_pages": total_pages,
            "count": len(chunk),
            "total_count": len(items),
        }
        return Response(
            status=200, payload={"success": True, "errors": [], "messages": [], "result": chunk, "result_info": info}
        )

    @staticmethod
    def _ok(result: object) -> Response:
        return Response(status=200, payload={"success": True, "errors": [], "messages": [], "result": result})

    @staticmethod
    def _error(status: int, code: int, message: str) -> Response:
        return error_response(status, code, message)


def error_response(status: int, code: int, message: str, headers: dict[str, str] | None = None) -> Response:
    """A Cloudflare v4 error reply (``success: false`` with one error), e.g. for :func:`inject_faults`."""
    return Response(
        status=status,
        headers=headers or {},
        payload={"success": False, "errors": [{"code": code, "message": message}], "messages": [], "result": None},
    )


def inject_faults(handler: kmock.RawHandler, criteria: str, count: int, response: Response) -> None:
    """Answer the next ``count`` requests matching ``criteria`` (e.g. ``"post"``) with ``response``.

    KMock slices count every request the filter ever saw, so the slice starts after those already served;
    the priority puts the fault ahead of the fake's catch-all reaction. Call it in the server's event loop.
    """
    view = handler[criteria]
    seen = len(list(view))
    (view[seen : seen + count] ** 10) << response
