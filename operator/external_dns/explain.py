"""``external-dns explain NAME``: why a name has (or has not) its record, in one command.

It takes the operator's own flags, reads the live cluster and provider the way the operator does, and prints
for each name: the objects that ask for it (and those that mention it but produce no record, with the reason),
the endpoints they produce, the zone and filters that apply, what the provider holds now and who owns it, what
the operator would do next and why, and the last events posted about it. Nothing is written.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Iterator, Sequence
from dataclasses import replace
from typing import Any

from external_dns import factory
from external_dns.app import Application
from external_dns.config import Settings
from external_dns.desired import ObjectKey
from external_dns.domain_filter import match_all
from external_dns.endpoint import OWNER_LABEL, RESOURCE_LABEL, Endpoint, normalize_name
from external_dns.errors import ProviderError
from external_dns.events import EventSink
from external_dns.kinds import SourceKind
from external_dns.kube import KubeClient
from external_dns.model import Zone
from external_dns.reporting import describe_changes
from external_dns.store import Obj, object_id
from external_dns.zonecache import ZoneCache
from external_dns.zoneplan import plan_zone, provider_adjust


def explain(settings: Settings, names: Sequence[str]) -> int:
    """Print the explanation of every name; 0 when every name has its records as wanted, 1 otherwise."""
    if not names:
        print("usage: external-dns explain NAME [NAME...] (with the operator's flags)")
        return 2
    return asyncio.run(_explain(settings, names))


async def _explain(settings: Settings, names: Sequence[str]) -> int:
    kube = await KubeClient.connect(settings.kubeconfig, settings.master)
    wiring = factory.wiring(settings, EventSink(()))
    wiring.reconciler_settings = replace(wiring.reconciler_settings, dry_run=True)
    app = Application(wiring)
    healthy = True
    try:
        await app.list_all(kube)
        await app.load_zones()
        for name in names:
            lines, ok = await _explain_name(app, kube, normalize_name(name))
            healthy &= ok
            print("\n".join(lines) + "\n")
    finally:
        await app.close()
        await kube.close()
    return 0 if healthy else 1


async def _explain_name(app: Application, kube: KubeClient, name: str) -> tuple[list[str], bool]:
    out = [f"== {name}"]
    wanted = app.desired.endpoints_at([name])
    out.append("Wanted by:")
    for key in app.desired.wanted_by(name):
        for ep in app.desired.endpoints_of(key):
            if ep.key.name == name:
                out.append(f"  {_object(key)}: {_endpoint(ep)}")
        # What its source found wrong elsewhere in the object (the operator's Warnings), from the record states.
        out += [f"    problem: {problem}" for problem in app.states.problems(key)]
    mentions = _mentions_without_records(app, name)
    out += [f"  {line}" for line in mentions]
    if not wanted and not mentions:
        out.append("  (no object asks for this name)")

    zones = app.router.zones_for(name)
    plan_settings = app.wiring.plan_settings
    out.append("Rules:")
    where = ", ".join(_zone(z) for z in zones) or "none of the managed zones contains this name"
    out.append(f"  zone: {where}")
    if plan_settings.domain_filters:
        verdict = "matches" if match_all(plan_settings.domain_filters, name) else "does NOT match"
        out.append(f"  domain filter: {verdict}")
    out.append(f"  policy: {plan_settings.policy}; owner id: {plan_settings.owner_id or '(no registry)'}")
    out.append(f"  managed types: {', '.join(sorted(plan_settings.managed_types - plan_settings.exclude_types))}")
    healthy = True
    for zone in zones:
        lines, ok = await _explain_in_zone(app, name, zone, wanted)
        out += lines
        healthy &= ok
    out.append("Last events:")
    out += [f"  {line}" for line in await _events(kube, app, name)] or ["  (none)"]
    return out, healthy if zones else not wanted


async def _explain_in_zone(app: Application, name: str, zone: Zone, wanted: list[Endpoint]) -> tuple[list[str], bool]:
    out: list[str] = []
    plan_settings = app.wiring.plan_settings
    try:
        records = ZoneCache()
        records.replace(await app.provider.records(zone))
        planned = await plan_zone(
            zone,
            records,
            app.wiring.registry,
            wanted,
            {name},
            plan_settings,
            provider_adjust(app.provider),
            screen=app.isolation,  # as the zone worker does; the mass-deletion guard judges a whole pass, not a name
        )
    except ProviderError as error:
        return [f"Provider ({app.provider.name}) cannot answer for {_zone(zone)}: {error}"], False
    out.append(f"Provider ({app.provider.name}) holds in {_zone(zone)}:")
    for record in planned.current:
        owner = record.labels.get(OWNER_LABEL)
        ownership = f"owned by {owner!r}" if owner else "unowned (no ownership TXT record)"
        if owner == plan_settings.owner_id:
            ownership += " = this operator"
        out.append(f"  {_endpoint(record)}  [{ownership}]")
    if not planned.current:
        out.append("  (nothing)")
    out.append(f"Next sync in {_zone(zone)} would:")
    out += [f"  {line}" for line in describe_changes(planned.changes)]
    out += [f"  skip {_endpoint(s.endpoint)}: {s.reason}" for s in [*planned.ignored, *planned.skipped]]
    in_step = not planned.batch.has_changes() and not planned.skipped and not planned.ignored
    if in_step:
        out.append("  change nothing (in step)")
    return out, in_step


def _source_objects(app: Application) -> Iterator[tuple[SourceKind, Obj]]:
    """Every object held of every source kind."""
    for kind in app.sources.values():
        for obj in app.stores[kind.resource.plural].values():
            yield kind, obj


def _mentions_without_records(app: Application, name: str) -> list[str]:
    """Objects whose manifest names ``name`` but that produce no record for it, with the source's reason."""
    mention = _mention_pattern(name)
    lines = []
    for kind, obj in _source_objects(app):
        namespace, object_name = object_id(obj)
        key = ObjectKey(kind.name, namespace, object_name)
        if any(ep.key.name == name for ep in app.desired.endpoints_of(key)) or not mention.search(json.dumps(obj)):
            continue
        result = app.derive(kind, obj)
        if any(name in (normalize_name(t) for t in ep.targets) for ep in result.endpoints):
            continue  # the name is one of its targets, not a name it asks for
        why = result.ignored_reason or "; ".join(str(p) for p in result.problems)
        if not why:
            why = "it gives the name no target yet (no address in its status, and no target annotation)"
        lines.append(f"{_object(key)} mentions it but produces no record for it: {why}")
    return lines


def _mention_pattern(name: str) -> re.Pattern[str]:
    """``name`` as a whole DNS name: ``example.com`` is not mentioned by ``web.example.com`` nor ``example.com.au``."""
    return re.compile(rf"(?<![A-Za-z0-9.*-]){re.escape(name)}(?![A-Za-z0-9-])(?!\.[A-Za-z0-9-])", re.IGNORECASE)


async def _events(kube: KubeClient, app: Application, name: str) -> list[str]:
    refs = {ep_ref for key in app.desired.wanted_by(name) for ep in app.desired.endpoints_of(key) for ep_ref in ep.refs}
    lines = []
    for ref in sorted(refs):
        selector = f"involvedObject.name={ref.name},involvedObject.kind={ref.kind}"
        page: Any = await kube.request(
            "GET", f"/api/v1/namespaces/{ref.namespace or 'default'}/events", query={"fieldSelector": selector}
        )
        for event in page.get("items") or []:
            if name in event.get("message", "") or "Invalid" in event.get("message", ""):
                when = event.get("lastTimestamp") or event.get("eventTime") or ""
                lines.append(f"{when} {event['type']} {event['reason']} on {ref.display}: {event['message']}")
    return sorted(lines)[-10:]


def _zone(zone: Zone) -> str:
    return (zone.name or ".") + (" (private)" if zone.private else "")


def _object(key: ObjectKey) -> str:
    return f"{key.kind} {key.namespace + '/' if key.namespace else ''}{key.name}"


def _endpoint(ep: Endpoint) -> str:
    extras = []
    if ep.ttl:
        extras.append(f"ttl {ep.ttl}")
    if ep.set_identifier:
        extras.append(f"set {ep.set_identifier}")
    if ep.labels.get(RESOURCE_LABEL):
        extras.append(f"resource {ep.labels[RESOURCE_LABEL]}")
    suffix = f" ({', '.join(extras)})" if extras else ""
    return f"{ep.record_type} {ep.dns_name} -> {', '.join(ep.targets)}{suffix}"
