"""A stateful fake of Azure Resource Manager's DNS and Private DNS APIs and of Azure AD's token endpoints.

Served over HTTPS on 127.0.0.1 (azure-identity and azure-core refuse bearer tokens over plain HTTP) with a
self-signed certificate the test trusts. It follows the documented shapes: zones and record sets listed with
``nextLink`` pages, a record-set listing filtered by ``$recordsetnamesuffix`` as documented (the relative names
that are the suffix or end with ``.<suffix>``; ``suffix_filter`` can widen that to any name ending in its characters,
or ignore it); record sets written with PUT and removed with DELETE, each honouring ``If-Match`` (412 when
the etag differs) and ``If-None-Match: *`` (412 when the record set exists); a new etag on every write; ARM's
error body ``{"error": {"code", "message"}}``; 401 without a token it issued. Tokens come from
``POST /{tenant}/oauth2/v2.0/token`` (client secret or a federated client assertion) or from the instance metadata
path (managed identity). Faults are queued with :meth:`FakeAzure.fail_next`; a whole-zone listing can be held with
its answer as it was when asked (``whole_listing_release``).
"""

from __future__ import annotations

import asyncio
import datetime
import ipaddress
import ssl
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, TypeVar

from aiohttp import web
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from tests.backends.serving import CatchAllServer, FaultQueue

T = TypeVar("T")
SUBSCRIPTION = "00000000-0000-0000-0000-000000000001"
RESOURCE_GROUP = "dns-rg"
TENANT = "11111111-1111-1111-1111-111111111111"
CLIENT_ID = "22222222-2222-2222-2222-222222222222"
CLIENT_SECRET = "fake-azure-secret"
#: Record sets per page of a listing by default (small, so that paging is exercised).
PAGE_SIZE = 3

#: Wire names of the typed values: public DNS (API 2018-05-01) and Private DNS (2024-06-01).
PUBLIC_KEYS = {"A": "ARecords", "AAAA": "AAAARecords", "CNAME": "CNAMERecord", "MX": "MXRecords",
               "SRV": "SRVRecords", "TXT": "TXTRecords", "NS": "NSRecords", "SOA": "SOARecord"}  # fmt: skip
PRIVATE_KEYS = {"A": "aRecords", "AAAA": "aaaaRecords", "CNAME": "cnameRecord", "MX": "mxRecords",
                "SRV": "srvRecords", "TXT": "txtRecords", "SOA": "soaRecord"}  # fmt: skip


def make_certificate(directory: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 and localhost: (certificate PEM, key PEM)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "fake-azure")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "fake-azure.pem", directory / "fake-azure.key"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return cert_path, key_path


@dataclass
class Fault:
    """An ARM error answered instead of serving, to the next request whose method and path end match."""

    method: str
    path_end: str
    status: int
    code: str
    message: str
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class FakeZone:
    name: str
    private: bool
    #: (relative name, type) -> {"etag": ..., "properties": {...}}
    record_sets: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)


class FakeAzure(CatchAllServer):
    """ARM DNS and Private DNS for one subscription and resource group, plus Azure AD; see the module docstring."""

    def __init__(self, workdir: Path) -> None:
        self.cert_path, self._key_path = make_certificate(workdir)
        self.zones: dict[tuple[bool, str], FakeZone] = {}
        self.tokens: set[str] = set()
        self.faults: FaultQueue[Fault] = FaultQueue()
        #: Values whose PUT is refused with 400 BadRequest.
        self.refused_values: set[str] = set()
        self.requests: list[tuple[str, str]] = []
        #: Record sets per page of a listing.
        self.page_size = PAGE_SIZE
        #: Writes refused with 412 because the record set's etag was not the one given (If-Match).
        self.etag_mismatches = 0
        #: The ``$recordsetnamesuffix`` of each record-set listing request, pages included (None: no filter).
        self.listings: list[str | None] = []
        #: How the suffix filter is honoured: "labels" (Azure's documented filter), "characters" (any name ending
        #: in the suffix's characters, a wider reading), or "ignored" (every record set of the zone).
        self.suffix_filter: Literal["labels", "characters", "ignored"] = "labels"
        #: While not None, each page of a listing without a suffix filter (a whole-zone read) is built when asked
        #: but answered only once this is set: an answer from before whatever is written meanwhile.
        self.whole_listing_release: asyncio.Event | None = None
        #: Set once such a page is being held.
        self.whole_listing_held = asyncio.Event()
        self.writes = 0

    def add_zone(self, name: str, *, private: bool = False) -> FakeZone:
        zone = FakeZone(name, private)
        keys = PRIVATE_KEYS if private else PUBLIC_KEYS
        soa = {"host": "ns1-01.azure-dns.com.", "email": "azuredns-hostmaster.microsoft.com", "serialNumber": 1}
        properties = {_ttl(private): 3600, keys["SOA"]: soa}
        zone.record_sets[("@", "SOA")] = {"etag": str(uuid.uuid4()), "properties": properties}
        if not private:
            ns = [{"nsdname": "ns1-01.azure-dns.com."}, {"nsdname": "ns2-01.azure-dns.net."}]
            zone.record_sets[("@", "NS")] = {"etag": str(uuid.uuid4()), "properties": {"TTL": 172800, "NSRecords": ns}}
        self.zones[(private, name)] = zone
        return zone

    def fail_next(self, fault: Fault, times: int = 1) -> None:
        self.faults.add(fault, times)

    def values(self, name: str, *, private: bool = False) -> dict[tuple[str, str], set[str]]:
        """``{(fqdn, type): {targets in ExternalDNS form}}`` of a zone."""
        zone = self.zones[(private, name)]
        keys = PRIVATE_KEYS if private else PUBLIC_KEYS
        result: dict[tuple[str, str], set[str]] = {}
        for (relative, rtype), record_set in zone.record_sets.items():
            fqdn = name if relative == "@" else f"{relative}.{name}"
            result[(fqdn, rtype)] = _targets(rtype, record_set["properties"].get(keys.get(rtype, ""), None))
        return result

    def etag(self, name: str, relative: str, rtype: str, *, private: bool = False) -> str:
        return str(self.zones[(private, name)].record_sets[(relative, rtype)]["etag"])

    async def start(self, ssl_context: ssl.SSLContext | None = None) -> None:
        """Over HTTPS with the fake's own certificate (unless given another context)."""
        if ssl_context is None:
            ssl_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            ssl_context.load_cert_chain(self.cert_path, self._key_path)
        await super().start(ssl_context)

    # --- serving --------------------------------------------------------------------------------------

    async def handle(self, request: web.Request) -> web.Response:
        path = request.path
        self.requests.append((request.method, path))
        fault = self.faults.take(request.method, path)
        if fault is not None:
            return _error(fault.status, fault.code, fault.message, fault.headers)
        if path.endswith("/oauth2/v2.0/token") and request.method == "POST":
            return await self._token(request)
        if path == "/metadata/identity/oauth2/token":
            return self._imds(request)
        if request.headers.get("Authorization", "").removeprefix("Bearer ") not in self.tokens:
            return _error(401, "AuthenticationFailed", "Authentication failed. The 'Authorization' header is missing.")
        return await self._arm(request, path.strip("/").split("/"))

    async def _token(self, request: web.Request) -> web.Response:
        form = await request.post()
        if form.get("client_id") != CLIENT_ID:
            return web.json_response({"error": "unauthorized_client", "error_description": "AADSTS700016"}, status=400)
        secret_ok = form.get("client_secret") == CLIENT_SECRET
        assertion_ok = str(form.get("client_assertion", "")).count(".") == 2  # a JWT from the federated token file
        if not (secret_ok or assertion_ok):
            return web.json_response({"error": "invalid_client", "error_description": "AADSTS7000215"}, status=401)
        return web.json_response(self._issue())

    def _imds(self, request: web.Request) -> web.Response:
        if request.headers.get("Metadata") != "true":
            return web.json_response(
                {"error": "invalid_request", "error_description": "Required metadata header not specified"}, status=400
            )
        issued = self._issue()
        issued.update(expires_in=str(issued["expires_in"]), expires_on=str(int(time.time()) + 3599),
                      resource=request.query.get("resource", ""))  # fmt: skip
        return web.json_response(issued)

    def _issue(self) -> dict[str, Any]:
        token = f"eyFake.{uuid.uuid4().hex}"
        self.tokens.add(token)
        return {"token_type": "Bearer", "expires_in": 3599, "ext_expires_in": 3599, "access_token": token}

    async def _arm(self, request: web.Request, parts: list[str]) -> web.Response:
        # subscriptions/{s}/resourceGroups/{rg}/providers/Microsoft.Network/{kind}[/{zone}[/{type}[/{name}]]]
        if len(parts) < 7 or parts[1] != SUBSCRIPTION or parts[3] != RESOURCE_GROUP or parts[5] != "Microsoft.Network":
            group = parts[3] if len(parts) > 3 else ""
            return _error(404, "ResourceGroupNotFound", f"Resource group '{group}' could not be found.")
        kind = parts[6]
        private = kind.lower() == "privatednszones"
        if kind.lower() not in ("dnszones", "privatednszones"):
            return _error(404, "InvalidResourceType", f"The resource type '{kind}' could not be found.")
        base = "/" + "/".join(parts[:7])
        if len(parts) == 7 and request.method == "GET":
            zones = [
                {"id": f"{base}/{z.name}", "name": z.name, "type": f"Microsoft.Network/{kind}", "location": "global",
                 "etag": "zone-etag", "properties": {}}
                for (flavour, _), z in sorted(self.zones.items()) if flavour == private
            ]  # fmt: skip
            return self._page(request, zones)
        zone = self.zones.get((private, parts[7])) if len(parts) > 7 else None
        if zone is None:
            return _error(404, "ResourceNotFound", f"The Resource '{'/'.join(parts[5:8])}' was not found.")
        if len(parts) == 9 and parts[8].lower() in ("all", "recordsets") and request.method == "GET":
            suffix = request.query.get("$recordsetnamesuffix")
            self.listings.append(suffix)
            keys = [key for key in sorted(zone.record_sets) if self._listed(key[0], suffix)]
            page = self._page(request, keys, lambda key: self._render(base, zone, key, kind))
            if suffix is None and self.whole_listing_release is not None:
                self.whole_listing_held.set()
                await self.whole_listing_release.wait()
            return page
        if len(parts) != 10:
            return _error(404, "NotFound", "Not found.")
        key = (parts[9], parts[8].upper())
        current = zone.record_sets.get(key)
        if request.method == "GET":
            if current is None:
                return _error(404, "NotFound", f"The resource record '{parts[9]}' does not exist in resource group.")
            return web.json_response(self._render(base, zone, key, kind))
        if_match, if_none = request.headers.get("If-Match"), request.headers.get("If-None-Match")
        if if_none == "*" and current is not None:
            message = f"The Record set {parts[9]} exists already and hence cannot be created again."
            return _error(412, "PreconditionFailed", message)
        if if_match and (current is None or current["etag"] != if_match.strip('"')):
            self.etag_mismatches += 1
            return _error(412, "PreconditionFailed", "The etag on the record set does not match the given etag.")
        if request.method == "DELETE":
            self.writes += 1
            if current is not None:
                del zone.record_sets[key]
            return web.Response(status=200 if current is not None else 204)
        if request.method == "PUT":
            body = await request.json()
            properties = dict(body.get("properties") or {})
            problem = self._invalid(key[1], properties, private)
            if problem:
                return _error(400, "BadRequest", problem)
            self.writes += 1
            zone.record_sets[key] = {"etag": str(uuid.uuid4()), "properties": properties}
            return web.json_response(self._render(base, zone, key, kind), status=201 if current is None else 200)
        return _error(405, "MethodNotAllowed", "The method is not allowed.")

    def _listed(self, relative: str, suffix: str | None) -> bool:
        if suffix is None or self.suffix_filter == "ignored":
            return True
        relative, suffix = relative.lower(), suffix.lower()
        if self.suffix_filter == "characters":
            return relative.endswith(suffix)
        return relative == suffix or relative.endswith("." + suffix)

    def _invalid(self, rtype: str, properties: dict[str, Any], private: bool) -> str:
        keys = PRIVATE_KEYS if private else PUBLIC_KEYS
        if rtype not in keys:
            return f"The record type '{rtype}' is not supported."
        values = properties.get(keys[rtype])
        targets = _targets(rtype, values)
        if not targets:
            return f"The record set has no {keys[rtype]}."
        refused = targets & self.refused_values
        if refused:
            return f"The value '{sorted(refused)[0]}' is not valid for a record of type {rtype}."
        if not isinstance(properties.get(_ttl(private)), int):
            return "The TTL of the record set is missing."
        return ""

    def _render(self, base: str, zone: FakeZone, key: tuple[str, str], kind: str) -> dict[str, Any]:
        record_set = zone.record_sets[key]
        relative, rtype = key
        fqdn = (zone.name if relative == "@" else f"{relative}.{zone.name}") + "."
        properties = {**record_set["properties"], "fqdn": fqdn, "provisioningState": "Succeeded"}
        return {
            "id": f"{base}/{zone.name}/{rtype}/{relative}",
            "name": relative,
            "type": f"Microsoft.Network/{kind}/{rtype}",
            "etag": record_set["etag"],
            "properties": properties,
        }

    def _page(
        self, request: web.Request, items: Sequence[T], render: Callable[[T], dict[str, Any]] | None = None
    ) -> web.Response:
        """One page of ``items`` (only its own rendered: a zone of 10,000 record sets is listed in 100 pages)."""
        start = int(request.query.get("$skipToken", "0") or 0)
        page = items[start : start + self.page_size]
        body: dict[str, Any] = {"value": [render(item) for item in page] if render is not None else list(page)}
        if start + self.page_size < len(items):
            query = {**request.query, "$skipToken": str(start + self.page_size)}
            body["nextLink"] = str(request.url.with_query(query))
        return web.json_response(body)


def _ttl(private: bool) -> str:
    return "ttl" if private else "TTL"


def _targets(rtype: str, values: Any) -> set[str]:
    if values is None:
        return set()
    if rtype == "CNAME":
        return {str(values.get("cname", ""))}
    if rtype == "SOA":
        return {str(values.get("host", ""))}
    found: set[str] = set()
    for value in values:
        if rtype == "A":
            found.add(str(value.get("ipv4Address")))
        elif rtype == "AAAA":
            found.add(str(value.get("ipv6Address")))
        elif rtype == "TXT":
            found.add("".join(value.get("value") or []))
        elif rtype == "MX":
            found.add(f"{value.get('preference')} {value.get('exchange')}")
        elif rtype == "SRV":
            found.add(f"{value.get('priority')} {value.get('weight')} {value.get('port')} {value.get('target')}")
        elif rtype == "NS":
            found.add(str(value.get("nsdname")))
    return found


def _error(status: int, code: str, message: str, headers: dict[str, str] | None = None) -> web.Response:
    return web.json_response({"error": {"code": code, "message": message}}, status=status, headers=headers or {})
