"""Reading a hosted zone's record sets: the whole zone page by page, or only the record sets at a few names.

Both reads turn a listed record set into endpoints through one function (:func:`zone_endpoints`), so that the
record sets at a name read alone are exactly those the whole read gives at that name (the ReadingNames contract,
providers/base.py).

Route 53 has no filter by name: ListResourceRecordSets lists the zone sorted by name (labels reversed, then
type, then set identifier) from ``StartRecordName`` on. A name's record sets are therefore one run in that
order, starting where the listing from that name starts: a small page from the name holds them, and the first
record set of another name ends the run. One request per name, plus one per further page when a name holds
more record sets than a page (weighted or geolocation sets); the names are asked together
(providers/pointreads.py), so that they take consecutive turns in the request budget.
"""

from __future__ import annotations

from collections.abc import Awaitable, Collection, Mapping
from functools import partial
from typing import Any, Protocol

from external_dns.endpoint import Endpoint, normalize_name
from external_dns.errors import ProviderError
from external_dns.providers.aws import records as aws_records
from external_dns.providers.base import Zone
from external_dns.providers.pointreads import read_each

#: Record sets per page of a whole read: Route 53's maximum, the fewest requests.
ZONE_PAGE_SIZE = 300
#: Record sets per page of a read at one name: a name rarely holds more (A, AAAA, an old-format ownership TXT,
#: a few weighted sets), and what follows the name's run is read for nothing.
NAME_PAGE_SIZE = 10


class Call(Protocol):
    """The provider's one way to call the API (paced by the request budget, retried, errors classified)."""

    def __call__(self, operation: str, **params: Any) -> Awaitable[dict[str, Any]]: ...


def zone_endpoints(record_set: Mapping[str, Any], zone: Zone) -> list[Endpoint]:
    """The endpoints a listed record set stands for in ``zone``: none for unsupported types, nor for the zone's own
    SOA and NS (its delegation is not ours to manage)."""
    endpoints = aws_records.endpoints_from_record_set(record_set, zone.id)
    if endpoints and endpoints[0].record_type in ("NS", "SOA") and normalize_name(endpoints[0].dns_name) == zone.name:
        return []
    return endpoints


async def whole_zone(call: Call, zone: Zone) -> tuple[list[Endpoint], int]:
    """Every endpoint of the zone, and how many listed record sets gave none (see ``zone_endpoints``)."""
    endpoints: list[Endpoint] = []
    params: dict[str, Any] = {"HostedZoneId": zone.id, "MaxItems": str(ZONE_PAGE_SIZE)}
    record_sets = 0
    while True:
        page = await call("list_resource_record_sets", **params)
        for record_set in page.get("ResourceRecordSets", ()):
            record_sets += 1
            endpoints.extend(zone_endpoints(record_set, zone))
        if not page.get("IsTruncated"):
            return endpoints, record_sets - len(endpoints)
        params = {"HostedZoneId": zone.id, "MaxItems": str(ZONE_PAGE_SIZE), **_next_start(page)}


async def at_names(call: Call, zone: Zone, names: Collection[str], page_size: int = NAME_PAGE_SIZE) -> list[Endpoint]:
    """The endpoints of ``zone`` at the normalised ``names``: a listing from each name in the zone, asked together
    (providers/pointreads.py)."""
    return await read_each(zone, names, partial(_at_name, call, zone, page_size=page_size))


async def _at_name(call: Call, zone: Zone, name: str, *, page_size: int) -> list[Endpoint]:
    endpoints: list[Endpoint] = []
    start = {"StartRecordName": aws_records.escape_name(name)}
    while True:
        page = await call("list_resource_record_sets", HostedZoneId=zone.id, MaxItems=str(page_size), **start)
        for record_set in page.get("ResourceRecordSets", ()):
            if _name_of(record_set["Name"]) != name:
                return endpoints  # the name's run has ended
            endpoints.extend(zone_endpoints(record_set, zone))
        if not page.get("IsTruncated") or _name_of(page["NextRecordName"]) != name:
            return endpoints
        following = _next_start(page)
        if following == start:
            # Route 53 always moves on; a listing that would not (an emulator without StartRecordIdentifier, when a
            # name holds more sets of one type than a page) must not be read again and again.
            raise ProviderError(f"list_resource_record_sets: the listing at {name!r} does not advance past {start}")
        start = following


def _next_start(page: Mapping[str, Any]) -> dict[str, str]:
    """Where the listing goes on after a truncated page."""
    start = {"StartRecordName": str(page["NextRecordName"]), "StartRecordType": str(page["NextRecordType"])}
    if "NextRecordIdentifier" in page:
        start["StartRecordIdentifier"] = str(page["NextRecordIdentifier"])
    return start


def _name_of(listed: str) -> str:
    return normalize_name(aws_records.unescape_name(listed))
