"""Running the operator: continuously under Kopf (``run``), or a single pass (``run_once``)."""

from __future__ import annotations

import asyncio
import logging
import sys

import kopf

from external_dns import factory, handlers
from external_dns.app import Application
from external_dns.config import Settings
from external_dns.errors import ProviderError
from external_dns.events import EventSink, KubeEventRecorder
from external_dns.kube import KubeClient
from external_dns.peering import own_identity, random_priority
from external_dns.preflight import check_before_start
from external_dns.reporting import describe_changes
from external_dns.watchpoint import watch_positions
from external_dns.zonework import SyncResult

logger = logging.getLogger(__name__)


def kopf_arguments(settings: Settings, memo: kopf.Memo) -> dict[str, object]:
    """How Kopf is started for these settings: namespaces; always standalone.

    Kopf watches on every replica, also under ``--peering``: its peering would pause a standby's watch streams,
    and a standby that keeps watching is a warm one (handlers.py). The peering gate elects the active replica
    in the same peering object instead, with a random priority (Kopf's rule pauses all replicas of equal
    priority) and an identity of its own, both kept in the memo.
    """
    state = handlers.running(memo)
    if settings.peering:
        state.peering_identity = own_identity()
        state.peering_priority = random_priority()
    return {
        "clusterwide": not settings.namespace,
        "namespaces": [settings.namespace] if settings.namespace else [],
        "standalone": True,
    }


def kopf_setup(settings: Settings) -> tuple[kopf.OperatorRegistry, kopf.OperatorSettings]:
    """The registry with this operator's handlers, and Kopf's settings for it."""
    registry = kopf.OperatorRegistry()
    handlers.register(registry, settings)
    kopf_settings = kopf.OperatorSettings()
    handlers.configure_kopf(kopf_settings, settings)
    return registry, kopf_settings


def run(settings: Settings) -> int:
    """Run until stopped (SIGINT/SIGTERM); a configuration problem found before starting raises ConfigError."""
    asyncio.run(check_before_start(settings))
    if settings.peering:
        logger.info(
            "Peering %r: only the highest-priority replica reconciles; without the peering object every "
            "replica stands by and says so (apply crds/ and manifests/base/peering.yaml)",
            settings.peering,
        )
    registry, kopf_settings = kopf_setup(settings)
    memo = handlers.new_memo(settings)
    kopf.run(
        registry=registry,
        settings=kopf_settings,
        memo=memo,
        **kopf_arguments(settings, memo),  # type: ignore[arg-type]
    )
    return 0


def run_once(settings: Settings) -> int:
    """List every source, plan and apply every zone once; 0 on success, 1 if anything failed."""
    return asyncio.run(_once(settings))


async def _once(settings: Settings) -> int:
    await check_before_start(settings, serves_metrics=False)
    kube = await KubeClient.connect(settings.kubeconfig, settings.master)
    events: EventSink = (
        EventSink(settings.events_emit) if settings.dry_run else KubeEventRecorder(kube, settings.events_emit)
    )
    app = Application(factory.wiring(settings, events))
    failed = 0
    try:
        await app.list_all(kube)
        results = await sync_every_zone(app)
        if not results:
            print(f"external-dns: error: {zone_flag(settings)}: no zone of the provider matches", file=sys.stderr)
            failed += 1
        for result in results:
            for line in describe_changes(result.applied):
                print(("DRY-RUN " if settings.dry_run else "") + line)
            for endpoint, message in result.failed:
                print(f"FAILED {endpoint.describe()}: {message}", file=sys.stderr)
            if result.error:
                print(f"external-dns: error: {zone_flag(settings)}: {result.error}", file=sys.stderr)
            failed += len(result.failed) + bool(result.error)
        if isinstance(events, KubeEventRecorder):
            await events.flush()
        if not failed and not settings.dry_run:
            await save_positions(app, kube, settings)
    finally:
        await app.close()
        await kube.close()
    return 1 if failed else 0


async def save_positions(app: Application, kube: KubeClient, settings: Settings) -> None:
    """Every zone planned whole from the LIST: a continuous run started next resumes its watches from there."""
    positions = watch_positions(kube, settings.watch_position_configmap)
    if positions is not None:
        for plural, listed_at in app.listed_from.items():
            positions.note(plural, listed_at)
        await positions.save()


async def sync_every_zone(app: Application) -> list[SyncResult]:
    """--once: read and plan every zone a single time."""
    await app.build_workers()
    results = []
    for worker in app.workers.values():
        try:
            await worker.load(attempts=3)
        except ProviderError as error:
            results.append(SyncResult(error=f"zone {worker.label}: cannot read records: {error}"))
            continue
        results.append(await worker.sync_all())
    return results


def zone_flag(settings: Settings) -> str:
    """The flag that says which zones are managed, named when a zone cannot be found or read."""
    if settings.provider == "rfc2136":
        return "--rfc2136-zone"
    if settings.provider == "inmemory":
        return "--inmemory-zone"
    return "--zone-id-filter" if settings.zone_id_filter else "--domain-filter"
