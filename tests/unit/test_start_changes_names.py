"""The point read of a change made during the start-up LIST asks for no more names than its plan reads
(ZoneWorker.sync_before_listed, zoneplan.types_owned).

Each name asked is a query (RFC2136) or a request (Route 53: 5 a second). The registry has a TXT name per record
type it supports (10), but a plan acts only on the managed types (A, AAAA and CNAME by default), so only their
TXT names, and the legacy one, are read: 4 names per changed name instead of 11.
"""

from __future__ import annotations

from collections.abc import Collection

from tests.unit.test_start_changes_planned import ZONE, restart, targets, want, written_by_a_previous_operator

from external_dns.endpoint import Endpoint
from external_dns.model import Changes
from external_dns.providers.base import Zone
from external_dns.providers.inmemory import InMemoryProvider

WEB = want("Service", "web", "web.example.com", "192.0.2.1")
MOVED = want("Service", "web", "web.example.com", "192.0.2.10")
OWNED_BY_US = '"heritage=external-dns,external-dns/owner=default,external-dns/resource=service/default/other"'


class AskedNames(InMemoryProvider):
    """The in-memory provider, remembering the names each point read asked for."""

    def __init__(self, zones: list[str]) -> None:
        super().__init__(zones)
        self.asked: list[set[str]] = []

    async def records_at(self, zone: Zone, names: Collection[str]) -> list[Endpoint]:
        self.asked.append(set(names))
        return await super().records_at(zone, names)


async def asked_over(*more: Endpoint) -> AskedNames:
    """The zone a previous operator wrote for WEB, and ``more``, served by :class:`AskedNames`."""
    previous = await written_by_a_previous_operator(dict([WEB]))
    provider = AskedNames([ZONE])
    await provider.apply_changes(Zone(ZONE, ZONE), Changes(create=[*previous.snapshot()[ZONE], *more]))
    return provider


async def test_each_changed_name_is_read_with_the_txt_names_of_the_types_its_plan_owns() -> None:
    provider = await asked_over()

    await restart(provider, dict([MOVED]), {"web.example.com"})

    assert provider.asked == [
        {"web.example.com", "a-web.example.com", "aaaa-web.example.com", "cname-web.example.com"}
    ]
    assert targets(provider, "web.example.com") == {"192.0.2.1", "192.0.2.10"}


async def test_a_record_of_a_type_the_plan_does_not_manage_is_left_as_it_is() -> None:
    """An MX at the changed name, with its ownership TXT (not read now), is neither touched nor claimed."""
    mail = Endpoint("web.example.com", "MX", ("10 mail.example.com",))
    provider = await asked_over(mail, Endpoint("mx-web.example.com", "TXT", (OWNED_BY_US,)))

    await restart(provider, dict([MOVED]), {"web.example.com"})

    assert "mx-web.example.com" not in provider.asked[0]
    assert targets(provider, "web.example.com") == {"192.0.2.1", "192.0.2.10"}
    assert targets(provider, "web.example.com", "MX") == {"10 mail.example.com"}
    assert targets(provider, "mx-web.example.com", "TXT") == {OWNED_BY_US}
