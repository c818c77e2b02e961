"""A stateful fake of Google Cloud DNS v1 and of Google's token endpoints, on 127.0.0.1, for tests.

It follows the documented shapes: managed zones and resource record sets listed in pages
(``maxResults`` / ``pageToken`` / ``nextPageToken``), atomic ``changes`` (all deletions and additions or none:
404 ``notFound`` for deleting a missing rrset, 412 ``conditionNotMet`` for deleting one that differs, 409
``alreadyExists`` for adding one that exists, 400 ``invalid`` for bad data), Google's JSON error body, 401 without
a token it issued. Tokens come from ``POST /token`` (a service-account JWT grant, whose signature is checked
against the key file the fake made) or from the metadata server's paths (GCE / GKE workload identity).
Faults are queued with :meth:`FakeCloudDNS.fail_next`.
"""

from __future__ import annotations

import ipaddress
import itertools
import json
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import google.auth.jwt
from aiohttp import web
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from tests.backends.serving import CatchAllServer, FaultQueue

PROJECT = "dns-project"
STATUS_OF = {400: "INVALID_ARGUMENT", 401: "UNAUTHENTICATED", 403: "PERMISSION_DENIED", 404: "NOT_FOUND",
             409: "ALREADY_EXISTS", 412: "FAILED_PRECONDITION", 429: "RESOURCE_EXHAUSTED",
             500: "INTERNAL", 503: "UNAVAILABLE"}  # fmt: skip

RRKey = tuple[str, str]


def error_body(status: int, reason: str, message: str) -> dict[str, Any]:
    """Google's JSON error body."""
    return {
        "error": {
            "code": status,
            "message": message,
            "errors": [{"message": message, "domain": "global", "reason": reason}],
            "status": STATUS_OF.get(status, "UNKNOWN"),
        }
    }


@dataclass
class Fault:
    """An answer given instead of serving, to the next request whose method and path end match."""

    method: str
    path_end: str
    status: int
    reason: str
    message: str
    headers: dict[str, str] = field(default_factory=dict)
    #: Serve the request first, then answer the error anyway (a lost answer: the change was applied).
    after_applying: bool = False


@dataclass
class ManagedZone:
    name: str
    dns_name: str
    id: str
    visibility: str = "public"
    rrsets: dict[RRKey, dict[str, Any]] = field(default_factory=dict)


class FakeCloudDNS(CatchAllServer):
    """Cloud DNS for one project, with the token endpoints; see the module docstring."""

    def __init__(self, project: str = PROJECT) -> None:
        self.project = project
        self.zones: dict[str, ManagedZone] = {}
        self.faults: FaultQueue[Fault] = FaultQueue()
        #: rrdata values whose addition is refused with 400 invalid (a record the API will not take).
        self.refused_values: set[str] = set()
        self.tokens: set[str] = set()
        self.public_key_pem = b""
        self.requests: list[tuple[str, str]] = []
        #: The ``name`` each rrsets list asked for (None: the whole zone), and whether it is ignored (answered whole).
        self.rrsets_named: list[str | None] = []
        self.ignores_name_filter = False
        #: Changes applied (each atomic), as sent: {"additions": [...], "deletions": [...]}.
        self.applied: list[dict[str, Any]] = []
        self._ids = itertools.count(1000)

    # --- set-up ---------------------------------------------------------------------------------------

    def add_zone(self, name: str, dns_name: str, visibility: str = "public") -> ManagedZone:
        zone = ManagedZone(name, dns_name.rstrip(".") + ".", str(next(self._ids)), visibility)
        apex = zone.dns_name
        zone.rrsets[(apex, "SOA")] = _rrset(apex, "SOA", 21600, ["ns1.fake. admin.fake. 1 21600 3600 259200 300"])
        zone.rrsets[(apex, "NS")] = _rrset(apex, "NS", 21600, ["ns1.fake.", "ns2.fake."])
        self.zones[name] = zone
        return zone

    def key_file(self, directory: Path) -> Path:
        """A service-account key file whose token_uri is this fake; only tokens signed with it are accepted."""
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.public_key_pem = key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        private_pem = key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        ).decode()
        path = directory / "google-key.json"
        path.write_text(
            json.dumps(
                {
                    "type": "service_account",
                    "project_id": self.project,
                    "private_key_id": secrets.token_hex(8),
                    "private_key": private_pem,
                    "client_email": f"external-dns@{self.project}.iam.gserviceaccount.com",
                    "client_id": "1234567890",
                    "token_uri": f"{self.url}/token",
                }
            )
        )
        return path

    def fail_next(self, fault: Fault, times: int = 1) -> None:
        self.faults.add(fault, times)

    def values(self, zone: str) -> dict[RRKey, set[str]]:
        """``{(name without dot, type): {rrdatas}}`` of a zone."""
        return {
            (name.rstrip("."), rtype): set(rrset["rrdatas"]) for (name, rtype), rrset in self.zones[zone].rrsets.items()
        }

    # --- serving --------------------------------------------------------------------------------------

    async def handle(self, request: web.Request) -> web.Response:
        path = request.path
        self.requests.append((request.method, path))
        fault = self.faults.take(request.method, path)
        if fault is not None:
            if fault.after_applying:
                await self._serve(request, path)
            return web.json_response(
                error_body(fault.status, fault.reason, fault.message), status=fault.status, headers=fault.headers
            )
        return await self._serve(request, path)

    async def _serve(self, request: web.Request, path: str) -> web.Response:
        if path == "/token" and request.method == "POST":
            return await self._token(request)
        if path.startswith("/computeMetadata/v1") or path == "/":
            return self._metadata(request, path)
        if request.headers.get("Authorization", "").removeprefix("Bearer ") not in self.tokens:
            return _error(401, "authError", "Request had invalid authentication credentials.")
        parts = path.strip("/").split("/")
        # dns/v1/projects/{project}/managedZones[/{zone}/(rrsets|changes)]
        if parts[:3] != ["dns", "v1", "projects"] or len(parts) < 5 or parts[3] != self.project:
            return _error(404, "notFound", f"The requested URL {path} was not found.")
        if len(parts) == 5 and parts[4] == "managedZones" and request.method == "GET":
            zones = [
                {"kind": "dns#managedZone", "name": z.name, "dnsName": z.dns_name, "id": z.id,
                 "visibility": z.visibility}
                for z in self.zones.values()
            ]  # fmt: skip
            return _page(zones, "managedZones", request)
        if len(parts) != 7 or parts[4] != "managedZones":
            return _error(404, "notFound", f"The requested URL {path} was not found.")
        zone = self.zones.get(parts[5])
        if zone is None:
            return _error(404, "notFound", f"The 'parameters.managedZone' resource named '{parts[5]}' does not exist.")
        if parts[6] == "rrsets" and request.method == "GET":
            named = request.query.get("name")  # Cloud DNS: only the rrsets at that fully qualified name
            self.rrsets_named.append(named)
            if self.ignores_name_filter:
                named = None
            rrsets = [rrset for rrset in zone.rrsets.values() if named is None or rrset["name"] == named]
            return _page(sorted(rrsets, key=lambda r: (r["name"], r["type"])), "rrsets", request)
        if parts[6] == "changes" and request.method == "POST":
            return self._change(zone, await request.json())
        return _error(404, "notFound", f"The requested URL {path} was not found.")

    async def _token(self, request: web.Request) -> web.Response:
        form = await request.post()
        try:
            claims = google.auth.jwt.decode(str(form.get("assertion", "")), certs=self.public_key_pem)
        except ValueError as error:
            return web.json_response({"error": "invalid_grant", "error_description": str(error)}, status=400)
        # google-auth signs service-account grants for Google's token endpoint, whatever token_uri says.
        if claims.get("aud") not in (f"{self.url}/token", "https://oauth2.googleapis.com/token"):
            return web.json_response({"error": "invalid_grant", "error_description": "bad audience"}, status=400)
        return self._issue()

    def _metadata(self, request: web.Request, path: str) -> web.Response:
        headers = {"Metadata-Flavor": "Google"}
        if path != "/" and request.headers.get("Metadata-Flavor") != "Google":
            return web.Response(status=403, text="Missing Metadata-Flavor:Google header.", headers=headers)
        if path.endswith("/service-accounts/default/token"):
            response = self._issue()
            response.headers.update(headers)
            return response
        if path.endswith("/project/project-id"):
            return web.Response(text=self.project, headers=headers)
        if path.endswith("/service-accounts/default/") or path.endswith("/service-accounts/default"):
            body = {"email": f"default@{self.project}.iam.gserviceaccount.com", "scopes": ["cloud-platform"]}
            return web.json_response(body, headers=headers)
        return web.Response(text="", headers=headers)

    def _issue(self) -> web.Response:
        token = "ya29.fake-" + secrets.token_urlsafe(16)
        self.tokens.add(token)
        return web.json_response({"access_token": token, "expires_in": 3599, "token_type": "Bearer"})

    def _change(self, zone: ManagedZone, body: dict[str, Any]) -> web.Response:
        deletions = body.get("deletions") or []
        additions = body.get("additions") or []
        staged = dict(zone.rrsets)
        for index, rrset in enumerate(deletions):
            key = (rrset["name"], rrset["type"])
            where = f"entity.change.deletions[{index}]"
            if key not in staged:
                return _error(404, "notFound", f"The '{where}' resource named '{key[0]} ({key[1]})' does not exist.")
            if not _same(staged[key], rrset):
                return _error(412, "conditionNotMet", f"Precondition not met for '{where}'")
            del staged[key]
        for index, rrset in enumerate(additions):
            key = (rrset["name"], rrset["type"])
            where = f"entity.change.additions[{index}]"
            problem = self._invalid(zone, rrset)
            if problem:
                return _error(400, "invalid", f"Invalid value for '{where}': {problem}")
            if key in staged:
                message = f"The resource '{where}' named '{key[0]} ({key[1]})' already exists"
                return _error(409, "alreadyExists", message)
            staged[key] = _rrset(rrset["name"], rrset["type"], int(rrset["ttl"]), list(rrset["rrdatas"]))
        zone.rrsets = staged
        self.applied.append({"additions": additions, "deletions": deletions})
        change_id = str(len(self.applied))
        return web.json_response(
            {"kind": "dns#change", "id": change_id, "status": "done", "additions": additions, "deletions": deletions}
        )

    def _invalid(self, zone: ManagedZone, rrset: dict[str, Any]) -> str:
        name, rtype, values = str(rrset.get("name", "")), str(rrset.get("type", "")), rrset.get("rrdatas") or []
        if not name.endswith(".") or not (name == zone.dns_name or name.endswith("." + zone.dns_name)):
            return f"'{name}' is not in zone '{zone.dns_name}'"
        if not values:
            return "rrdatas is empty"
        for value in values:
            if value in self.refused_values:
                return f"'{value}'"
            if (rtype == "A" and not _is_ip(value, 4)) or (rtype == "AAAA" and not _is_ip(value, 6)):
                return f"'{value}' is not an IPv{4 if rtype == 'A' else 6} address"
            if rtype in ("CNAME", "NS") and not value.endswith("."):
                return f"'{value}' is not a fully qualified domain name"
        if rtype == "CNAME" and len(values) != 1:
            return "a CNAME takes exactly one value"
        return ""


def _rrset(name: str, rtype: str, ttl: int, rrdatas: list[str]) -> dict[str, Any]:
    return {"kind": "dns#resourceRecordSet", "name": name, "type": rtype, "ttl": ttl, "rrdatas": rrdatas}


def _same(current: dict[str, Any], given: dict[str, Any]) -> bool:
    return int(current["ttl"]) == int(given.get("ttl", -1)) and sorted(current["rrdatas"]) == sorted(
        given.get("rrdatas") or []
    )


def _is_ip(value: str, version: int) -> bool:
    try:
        return ipaddress.ip_address(value).version == version
    except ValueError:
        return False


def _page(items: list[dict[str, Any]], key: str, request: web.Request) -> web.Response:
    size = int(request.query.get("maxResults", "100") or 100)
    start = int(request.query.get("pageToken", "0") or 0)
    body: dict[str, Any] = {key: items[start : start + size]}
    if start + size < len(items):
        body["nextPageToken"] = str(start + size)
    return web.json_response(body)


def _error(status: int, reason: str, message: str) -> web.Response:
    return web.json_response(error_body(status, reason, message), status=status)
