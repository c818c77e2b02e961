"""Blank-status hold-down (``--empty-target-grace``): records outlive a load-balancer status blanked for a moment.

Ingress controllers and some cloud load-balancer controllers empty ``status.loadBalancer.ingress`` while they
restart, then fill it again (ExternalDNS issues #1289, #414). ExternalDNS deletes the records at once and
creates them again a minute later: clients meanwhile get NXDOMAIN, and resolvers cache it for the zone's
negative TTL. With a grace period, an object that still exists but whose status went empty keeps the records
it had: if the status comes back within the grace nothing is written at all; if not, the records go when the
grace ends. Deleting the object is never delayed (the hold is dropped with the object).

Only Services and Ingresses are held: their targets come from their own ``status.loadBalancer``. A hold starts
only when the object served records from a filled status before and the empty status loses some of them (a
Service whose records come from ``spec.externalIPs`` or a target annotation loses nothing, so is not held).
While held, the object's other changes wait too: the hold keeps what the object last published.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from external_dns.desired import ObjectKey
from external_dns.endpoint import Endpoint, ObjectRef
from external_dns.events import Action, EventSink, Reason, RecordEvent
from external_dns.guards.clock import Clock, Timer
from external_dns.guards.metrics import BLANK_STATUS_HOLDS, GUARD_ACTIONS

logger = logging.getLogger("external_dns.guards")

#: Source kinds whose records come from the object's own status.loadBalancer.
HELD_KINDS = frozenset({"service", "ingress"})


def has_load_balancer_status(obj: Mapping[str, Any]) -> bool:
    """Whether ``status.loadBalancer.ingress`` lists at least one entry."""
    status = obj.get("status")
    load_balancer = status.get("loadBalancer") if isinstance(status, Mapping) else None
    entries = load_balancer.get("ingress") if isinstance(load_balancer, Mapping) else None
    return isinstance(entries, list) and bool(entries)


def loses_records(derived: Sequence[Endpoint], previous: Sequence[Endpoint]) -> bool:
    """Whether some record the object had (name and type) is missing from what it derives now."""
    now = {ep.key for ep in derived}
    return any(ep.key not in now for ep in previous)


@dataclass(slots=True)
class _Hold:
    endpoints: tuple[Endpoint, ...]
    timer: Timer


class BlankStatusHoldDown:
    """Decides, per object, whether its freshly derived endpoints or the ones it had are published.

    ``on_expiry`` is called with the object's key when a grace ends with the status still empty: the caller
    derives the object again, which then publishes what the empty status gives (usually nothing).
    """

    def __init__(self, grace: float, clock: Clock, events: EventSink) -> None:
        self.grace = grace
        self.clock = clock
        self.events = events
        self.on_expiry: Callable[[ObjectKey], None] = lambda key: None
        self._held: dict[ObjectKey, _Hold] = {}
        #: Objects that published records from a filled status (a hold may start for them).
        self._served: set[ObjectKey] = set()

    @property
    def enabled(self) -> bool:
        return self.grace > 0

    def endpoints(
        self,
        key: ObjectKey,
        ref_of: Callable[[], ObjectRef],
        obj: Mapping[str, Any],
        derived: Sequence[Endpoint],
        previous: Sequence[Endpoint],
    ) -> Sequence[Endpoint]:
        """What the object publishes: ``derived``, or ``previous`` while its status is blank within the grace.

        ``ref_of`` gives the object's ref, asked only when a hold starts or ends (nearly never, per derivation).
        """
        if not self.enabled or key.kind not in HELD_KINDS:
            return derived
        if has_load_balancer_status(obj):
            self._served.add(key)
            if self._drop(key):
                logger.info("%s: status.loadBalancer is back within the grace; records kept", ref_of().display)
            return derived
        hold = self._held.get(key)
        if hold is not None:
            return hold.endpoints
        if key not in self._served or not loses_records(derived, previous):
            return derived
        self._start(key, ref_of(), tuple(previous))
        return previous

    def forget(self, key: ObjectKey) -> None:
        """The object is gone: its hold (if any) ends now, without waiting for the grace."""
        self._drop(key)
        self._served.discard(key)

    @property
    def held(self) -> frozenset[ObjectKey]:
        return frozenset(self._held)

    def _start(self, key: ObjectKey, ref: ObjectRef, endpoints: tuple[Endpoint, ...]) -> None:
        deadline = self.clock.now() + self.grace
        self._held[key] = _Hold(endpoints, self.clock.call_at(deadline, lambda: self._expire(key, ref)))
        GUARD_ACTIONS.labels(guard="blank_status").inc()
        BLANK_STATUS_HOLDS.set(len(self._held))
        names = ", ".join(sorted({ep.dns_name for ep in endpoints}))
        logger.warning(
            "%s: status.loadBalancer.ingress went empty; keeping its records (%s) for up to %gs "
            "(--empty-target-grace) in case the load balancer comes back, as ingress controllers do on restart. "
            "They are deleted if it is still empty then; delete the object to remove them now.",
            ref.display,
            names,
            self.grace,
        )
        message = (
            f"status.loadBalancer.ingress is empty: records {names} kept for up to {self.grace:g}s "
            "(--empty-target-grace) in case the load balancer comes back"
        )
        self.events.record(RecordEvent(ref, Reason.ERROR, Action.FAILED_SYNC, message))

    def _expire(self, key: ObjectKey, ref: ObjectRef) -> None:
        if self._held.pop(key, None) is None:
            return
        self._served.discard(key)
        BLANK_STATUS_HOLDS.set(len(self._held))
        logger.warning(
            "%s: status.loadBalancer.ingress still empty after %gs (--empty-target-grace); its records go now",
            ref.display,
            self.grace,
        )
        self.on_expiry(key)

    def _drop(self, key: ObjectKey) -> bool:
        hold = self._held.pop(key, None)
        if hold is None:
            return False
        hold.timer.cancel()
        BLANK_STATUS_HOLDS.set(len(self._held))
        return True
