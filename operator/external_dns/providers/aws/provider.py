"""The Route 53 provider: ExternalDNS's ``--provider=aws`` over aiobotocore.

Reads and writes record sets in hosted zones, keeping a record and its ownership TXT in one change batch, and
stays up at Route 53's limits:

* every request takes its turn in the account's budget first (pacing.py, ``--aws-api-rate-limit``, 5/s), so the
  operator sends as fast as Route 53 allows and no faster; change batches follow each other as the budget allows,
  or ``--aws-batch-change-interval`` apart when the user sets that flag (ExternalDNS's fixed pause);
* Throttling and PriorRequestNotComplete mean "later", not "your records are wrong": they are waited out with
  jittered backoff (``--aws-api-retries`` times), then raised as ProviderBusy, which the reconciler retries
  without an error on the objects;
* a write whose answer was lost (timeout, connection dropped after sending, 5xx) is never sent again blindly:
  it may still be applying, so AmbiguousProviderError makes the reconciler re-read the zone first; while that
  zone then answers PriorRequestNotComplete, it is still applying our lost change (PendingChange: re-read again);
* a rejected batch is split in halves (providers/splitting.py, shared with the other providers) until only the bad
  record's group fails, so that one bad record does not hold back the others.

botocore itself makes one attempt per call: retrying is done here, where it goes through the budget and knows
which failures are ambiguous.

Credentials come from botocore's default chain (env, profile, web identity, instance role), --aws-profile or
--aws-assume-role (session.py) and are never logged. The record-set mapping lives in records.py, reading a zone
whole or at a few names in reading.py, batching in batching.py, the canonical hosted zones in canonical_zones.py
(this package).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import Counter
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from typing import Any

from aiobotocore.config import AioConfig
from aiobotocore.session import AioSession
from botocore.exceptions import ClientError, EndpointConnectionError, HTTPClientError
from botocore.exceptions import ConnectionError as BotoConnectionError

from external_dns.domain_filter import DomainFilter
from external_dns.endpoint import OWNED_RECORD_LABEL, Endpoint
from external_dns.errors import (
    AmbiguousProviderError,
    BatchRejected,
    PendingChange,
    ProviderBusy,
    ProviderError,
    TransientProviderError,
)
from external_dns.providers.aws import reading
from external_dns.providers.aws import records as aws_records
from external_dns.providers.aws.batching import (
    Action,
    BatchLimits,
    Route53Change,
    batch_groups,
    group_changes,
)
from external_dns.providers.aws.pacing import RequestBudget, busy_backoff
from external_dns.providers.aws.session import AssumedRole, assume_role, make_session
from external_dns.providers.base import ApplyOutcome, Changes, Zone
from external_dns.providers.splitting import apply_bisecting

log = logging.getLogger(__name__)

#: Error codes Route 53 answers when it wants us to come back later.
THROTTLING_CODES = frozenset({"Throttling", "ThrottlingException", "PriorRequestNotComplete", "RequestThrottled"})
PRIOR_REQUEST = "PriorRequestNotComplete"
WRITE = "change_resource_record_sets"
#: Error codes meaning "this batch is wrong": worth retrying group by group to find the bad records.
REJECTION_CODES = frozenset({"InvalidChangeBatch", "InvalidInput"})
TAGS_PER_REQUEST = 10


@dataclass(frozen=True, slots=True)
class AWSConfig:
    """The ``--aws-*`` flags (and the ones from other groups this provider honours).

    ``zones_cache_duration`` 0 keeps the zone list for the provider's lifetime (zones are listed once);
    a positive value re-lists after that many seconds. ``batch_change_interval`` None (the flag not set) lets the
    request budget alone pace the batches; a number is ExternalDNS's fixed pause between them.
    ``api_rate_limit`` is the request budget per second for every Route 53 call of the process (0: no limit).
    """

    zone_type: str = ""
    zone_tags: tuple[str, ...] = ()
    zone_id_filter: tuple[str, ...] = ()
    domain_filter: DomainFilter | None = None
    prefer_cname: bool = False
    evaluate_target_health: bool = True
    batch_change_size: int = 1000
    batch_change_size_bytes: int = 32000
    batch_change_size_values: int = 1000
    batch_change_interval: float | None = None
    api_retries: int = 3
    api_rate_limit: float = 5.0
    zones_cache_duration: float = 0.0
    endpoint_url: str | None = None
    region: str = "us-east-1"
    zone_match_parent: bool = False
    profile: str = ""
    assume_role: str = ""
    assume_role_external_id: str = ""


class Route53Rejected(ProviderError):
    """Route 53 refused a request (not throttling); ``code`` and ``message`` are Route 53's own."""

    def __init__(self, operation: str, code: str, message: str) -> None:
        super().__init__(f"{operation}: {code}: {message}")
        self.code = code
        self.message = message


class AWSProvider:
    """Route 53 as a :class:`~external_dns.providers.base.Provider`.

    ``api_calls`` counts HTTP requests by operation (``ChangeResourceRecordSets``, ...), retries included.
    """

    name = "aws"
    #: Record sets per page when reading the records at a name (records_at); tests make it smaller.
    names_page_size = reading.NAME_PAGE_SIZE

    def __init__(
        self,
        config: AWSConfig | None = None,
        *,
        session: AioSession | None = None,
        backoff: Callable[[int], float] = busy_backoff,
    ) -> None:
        """``backoff`` gives the seconds to wait after the n-th failed attempt of a call (tests make it 0)."""
        self.config = config or AWSConfig()
        self._backoff = backoff
        self.api_calls: Counter[str] = Counter()
        self._session = session or make_session(self.config.profile)
        self._limits = BatchLimits(
            changes=self.config.batch_change_size,
            size_bytes=self.config.batch_change_size_bytes,
            values=self.config.batch_change_size_values,
        )
        self._exit_stack = contextlib.AsyncExitStack()
        self._client: Any = None
        self._client_lock = asyncio.Lock()
        self._zones: list[Zone] | None = None
        self._zones_listed_at = 0.0
        self._zones_lock = asyncio.Lock()
        self._role: AssumedRole | None = None
        #: One budget for every call of this provider: the process has one Route 53 provider.
        self.budget = RequestBudget(self.config.api_rate_limit)
        #: Zones with a write whose answer was lost, and which may still be applying it.
        self._lost_writes: set[str] = set()
        #: Per zone id: record sets Route 53 counts that records() leaves out (the apex SOA and NS, unsupported
        #: types), learned at each whole read, so that record_count compares with what records() returns.
        self._uncounted: dict[str, int] = {}

    # --- zones ----------------------------------------------------------------------------------------

    async def zones(self) -> list[Zone]:
        """The hosted zones that pass the filters, listed once and then served from the cache."""
        async with self._zones_lock:
            duration = self.config.zones_cache_duration
            fresh = duration <= 0 or time.monotonic() - self._zones_listed_at < duration
            if self._zones is None or not fresh:
                self._zones = await self._list_zones()
                self._zones_listed_at = time.monotonic()
                log.debug("Route 53 zones: %s", ", ".join(f"{z.name} ({z.id})" for z in self._zones))
            return list(self._zones)

    def invalidate_zones(self) -> None:
        """Forget the cached zone list: the next :meth:`zones` lists hosted zones again."""
        self._zones = None

    async def _list_zones(self) -> list[Zone]:
        candidates: list[Zone] = []
        params: dict[str, Any] = {}
        while True:
            page = await self._call("list_hosted_zones", **params)
            for hosted_zone in page.get("HostedZones", ()):
                private = bool(hosted_zone.get("Config", {}).get("PrivateZone", False))
                zone = Zone(
                    name=aws_records.unescape_name(hosted_zone["Name"]).lower(),
                    id=aws_records.clean_zone_id(hosted_zone["Id"]),
                    private=private,
                )
                if self._zone_passes(zone, private):
                    candidates.append(zone)
            if not page.get("IsTruncated"):
                break
            params = {"Marker": page["NextMarker"]}
        if self.config.zone_tags:
            candidates = await self._zones_with_tags(candidates)
        return sorted(candidates, key=lambda zone: (zone.name, zone.id))

    def _zone_passes(self, zone: Zone, private: bool) -> bool:
        config = self.config
        if config.zone_id_filter and not any(
            zone.id.endswith(aws_records.clean_zone_id(f)) for f in config.zone_id_filter
        ):
            return False
        if config.zone_type and (config.zone_type == "private") != private:
            return False
        if config.domain_filter is None or config.domain_filter.match(zone.name):
            return True
        return config.zone_match_parent and config.domain_filter.match_parent(zone.name)

    async def _zones_with_tags(self, zones: list[Zone]) -> list[Zone]:
        wanted = [_parse_tag_filter(tag) for tag in self.config.zone_tags]
        matching: set[str] = set()
        for start in range(0, len(zones), TAGS_PER_REQUEST):
            ids = [zone.id for zone in zones[start : start + TAGS_PER_REQUEST]]
            answer = await self._call("list_tags_for_resources", ResourceType="hostedzone", ResourceIds=ids)
            for tag_set in answer.get("ResourceTagSets", ()):
                tags = {tag["Key"]: tag.get("Value", "") for tag in tag_set.get("Tags", ())}
                if all(key in tags and (not value or tags[key] == value) for key, value in wanted):
                    matching.add(aws_records.clean_zone_id(tag_set["ResourceId"]))
        return [zone for zone in zones if zone.id in matching]

    # --- records --------------------------------------------------------------------------------------

    async def records(self, zone: Zone) -> list[Endpoint]:
        """Every supported record set of the zone except its own SOA and NS, one endpoint each."""
        endpoints, uncounted = await reading.whole_zone(self._call, zone)
        self._uncounted[zone.id] = uncounted
        return endpoints

    async def records_at(self, zone: Zone, names: Collection[str]) -> list[Endpoint]:
        """What :meth:`records` returns at the normalised ``names`` (providers/base.ReadingNames): a small page
        of ListResourceRecordSets from each name in the zone, through the request budget like every call."""
        return await reading.at_names(self._call, zone, names, self.names_page_size)

    async def record_count(self, zone: Zone) -> int | None:
        """How many endpoints :meth:`records` would return now, from the zone's ResourceRecordSetCount: one
        GetHostedZone instead of a page per 300 record sets. None before the zone was read whole."""
        uncounted = self._uncounted.get(zone.id)
        if uncounted is None:
            return None
        answer = await self._call("get_hosted_zone", Id=zone.id)
        return int(answer["HostedZone"]["ResourceRecordSetCount"]) - uncounted

    def adjust_endpoints(self, endpoints: Sequence[Endpoint]) -> list[Endpoint]:
        """Alias detection, dual-stack aliases, TTL and evaluate-target-health defaults (see aws/records.py)."""
        return aws_records.adjust_endpoints(
            endpoints,
            prefer_cname=self.config.prefer_cname,
            evaluate_target_health=self.config.evaluate_target_health,
        )

    # --- changes --------------------------------------------------------------------------------------

    async def apply_changes(self, zone: Zone, changes: Changes) -> ApplyOutcome:
        """Send the changes in as few batches as the limits allow; see the module docstring for failures."""
        outcome = ApplyOutcome()
        batching = batch_groups(group_changes(self._route53_changes(zone, changes)), self._limits)
        for group in batching.oversized:
            log.error("Change group for %s is larger than one Route 53 batch may be; not sent", group[0].group)
            _report(outcome, group, "the record's changes exceed the Route 53 batch size limits")
        for batch in batching.batches:
            for change in batch:
                log.info(
                    "Desired change: %s %s %s [Id: %s]",
                    change.action,
                    change.name,
                    change.record_type,
                    zone.id,
                )
        requests = 0

        async def send(groups: Sequence[list[Route53Change]]) -> None:
            nonlocal requests
            if requests and self.config.batch_change_interval is not None:
                # The user asked for ExternalDNS's fixed pause between batches (--aws-batch-change-interval).
                await asyncio.sleep(self.config.batch_change_interval)
            requests += 1
            try:
                await self._submit(zone, [change for group in groups for change in group])
            except Route53Rejected as error:
                if error.code in REJECTION_CODES:
                    raise BatchRejected(error.message) from error
                raise

        batches = [group_changes(batch) for batch in batching.batches]
        return await apply_bisecting(batches, send, _endpoints_of, outcome)

    def _route53_changes(self, zone: Zone, changes: Changes) -> list[Route53Change]:
        result: list[Route53Change] = []

        def add(action: Action, endpoint: Endpoint, reported: Endpoint) -> None:
            record_set = aws_records.record_set_for(endpoint, zone.id, self.config.evaluate_target_health)
            group = aws_records.group_name(endpoint, OWNED_RECORD_LABEL)
            result.append(Route53Change(action, record_set, reported, group))

        for endpoint in changes.create:
            add(Action.CREATE, endpoint, endpoint)
        for endpoint in changes.delete:
            add(Action.DELETE, endpoint, endpoint)
        for old, new in zip(changes.update_old, changes.update_new, strict=True):
            if old == new:
                continue
            if aws_records.requires_delete_create(old, new):
                add(Action.DELETE, old, new)
                add(Action.CREATE, new, new)
            else:
                add(Action.UPSERT, new, new)
        return result

    async def _submit(self, zone: Zone, batch: list[Route53Change]) -> None:
        await self._call(
            "change_resource_record_sets",
            HostedZoneId=zone.id,
            ChangeBatch={"Changes": [change.to_api() for change in batch]},
        )

    # --- plumbing -------------------------------------------------------------------------------------

    async def _call(self, operation: str, **params: Any) -> dict[str, Any]:
        """One API call: at most ``api_retries + 1`` HTTP requests, each in its turn of the request budget.

        Throttling and 5xx or connection errors of a read are retried after a jittered backoff; a write whose answer
        was lost is not (see the module docstring). What outlasts the retries is raised: ProviderBusy for "later",
        TransientProviderError for the rest; Route53Rejected at once for a refusal.
        """
        client = await self._route53()
        zone = str(params.get("HostedZoneId", "")) if operation == WRITE else ""
        attempt = 0
        while True:
            await self.budget.acquire()
            try:
                answer: dict[str, Any] = await getattr(client, operation)(**params)
            except ClientError as error:
                failure = self._failure(operation, zone, error)
            except (HTTPClientError, BotoConnectionError, TimeoutError) as error:
                if zone and not isinstance(error, EndpointConnectionError):  # sent, and the answer was lost
                    self._lost_writes.add(zone)
                    raise AmbiguousProviderError(f"{operation}: {error}") from error
                failure = TransientProviderError(f"{operation}: {error}")
                failure.__cause__ = error
            else:
                if zone:
                    self._lost_writes.discard(zone)  # the zone took a change: nothing of ours is still applying
                return answer
            attempt += 1
            if attempt > self.config.api_retries or isinstance(failure, AmbiguousProviderError):
                raise failure
            delay = self._backoff(attempt)
            log.debug("%s (attempt %d); asking again in %.1fs", failure, attempt, delay)
            await asyncio.sleep(delay)

    def _failure(self, operation: str, zone: str, error: ClientError) -> ProviderError:
        """What an error answer means for the caller (raised now for a refusal)."""
        details = error.response.get("Error", {})
        code, message = str(details.get("Code", "")), str(details.get("Message", ""))
        status = int(error.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0))
        failure: ProviderError
        if code in THROTTLING_CODES or (status == 400 and "Rate exceeded" in message):
            # The zone is still applying a change of ours whose answer was lost: our plan may be stale.
            pending = code == PRIOR_REQUEST and zone in self._lost_writes
            busy = PendingChange if pending else ProviderBusy
            failure = busy(f"{operation}: {code}: {message} (Route 53 asks to wait)")
        elif status >= 500:
            if zone:  # a 5xx to a change may come after Route 53 applied it
                self._lost_writes.add(zone)
                failure = AmbiguousProviderError(f"{operation}: {code}: {message}")
            else:
                failure = TransientProviderError(f"{operation}: {code}: {message}")
        else:
            raise Route53Rejected(operation, code, message) from error
        failure.__cause__ = error
        return failure

    async def _route53(self) -> Any:
        async with self._client_lock:
            if self._client is not None and self._role is not None and self._role.expires_soon():
                await self._exit_stack.aclose()  # the assumed role's credentials are about to expire
                self._client = None
            if self._client is None:
                credentials: dict[str, str] = {}
                if self.config.assume_role:
                    self._role = await assume_role(
                        self._session, self.config.assume_role, self.config.assume_role_external_id, self.config.region
                    )
                    credentials = self._role.client_arguments()
                config = AioConfig(
                    retries={"total_max_attempts": 1, "mode": "standard"},  # retried in _call, through the budget
                    connect_timeout=10,
                    read_timeout=60,
                )
                client = self._session.create_client(
                    "route53",
                    region_name=self.config.region,
                    endpoint_url=self.config.endpoint_url,
                    config=config,
                    **credentials,
                )
                self._client = await self._exit_stack.enter_async_context(client)
                # Count every HTTP request, retries included: these are what AWS rate-limits.
                self._client.meta.events.register("before-send.route53", self._count_request)
            return self._client

    def _count_request(self, event_name: str = "", **_: Any) -> None:
        self.api_calls[event_name.rsplit(".", 1)[-1]] += 1

    async def close(self) -> None:
        """Close the HTTP session."""
        async with self._client_lock:
            await self._exit_stack.aclose()
            self._client = None


def _parse_tag_filter(tag: str) -> tuple[str, str]:
    key, _, value = tag.partition("=")
    return key.strip(), value.strip()


def _endpoints_of(group: Sequence[Route53Change]) -> list[Endpoint]:
    """The endpoints a group's failure is reported on, once each (an update's DELETE and CREATE share one)."""
    return list({id(change.endpoint): change.endpoint for change in group}.values())


def _report(outcome: ApplyOutcome, changes: Sequence[Route53Change], message: str) -> None:
    """Add each change's endpoint to the failures once (an update's DELETE and CREATE report the same one)."""
    seen = {id(endpoint) for endpoint, _ in outcome.failed}
    for change in changes:
        if id(change.endpoint) not in seen:
            seen.add(id(change.endpoint))
            outcome.failed.append((change.endpoint, message))
