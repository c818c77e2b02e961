"""The vocabulary of the local API server: resource types, errors answered as Status objects, watch events,
list pages and continue tokens. The store (store.py) and the HTTP layer (emulator.py) both speak it.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import datetime
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

JsonObject = dict[str, Any]
StorageKey = tuple[str, str]  # (group, plural): every version of a resource shares one storage
ObjectKey = tuple[str, str]  # (namespace or "", name)


class ApiError(Exception):
    """An error answered as a Kubernetes Status object with this HTTP code and reason."""

    def __init__(self, code: int, reason: str, message: str, details: Mapping[str, Any] | None = None):
        super().__init__(message)
        self.code = code
        self.reason = reason
        self.message = message
        self.details = dict(details or {})

    def status_body(self) -> JsonObject:
        """The `Status` object the real server sends for this error."""
        body: JsonObject = {
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Failure",
            "message": self.message,
            "reason": self.reason,
            "code": self.code,
        }
        if self.details:
            body["details"] = self.details
        return body


@dataclass(frozen=True, slots=True)
class ResourceType:
    """A declared resource: what discovery lists and what the store needs to know about it."""

    group: str
    version: str
    plural: str
    kind: str
    namespaced: bool
    singular: str = ""
    short_names: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    subresources: tuple[str, ...] = ()

    @property
    def api_version(self) -> str:
        """The apiVersion objects of this resource carry (``v1`` for the core group)."""
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def storage_key(self) -> StorageKey:
        """Where objects live: shared by all versions of the same group and plural."""
        return (self.group, self.plural)

    @property
    def has_status(self) -> bool:
        """Whether status is a subresource (then the main endpoint ignores status changes)."""
        return "status" in self.subresources

    @property
    def list_kind(self) -> str:
        """The kind of list responses, e.g. ``ServiceList``."""
        return f"{self.kind}List"

    @classmethod
    def from_declaration(cls, decl: Mapping[str, Any]) -> ResourceType:
        """Build from one entry of resources.json."""
        return cls(
            group=decl["group"],
            version=decl["version"],
            plural=decl["plural"],
            kind=decl["kind"],
            namespaced=bool(decl["namespaced"]),
            singular=decl.get("singular") or decl["kind"].lower(),
            short_names=tuple(decl.get("shortNames", ())),
            categories=tuple(decl.get("categories", ())),
            subresources=tuple(decl.get("subresources", ())),
        )

    @classmethod
    def from_crd(cls, crd: Mapping[str, Any]) -> list[ResourceType]:
        """The resources a CustomResourceDefinition serves: one per served version."""
        spec = crd.get("spec") or {}
        names = spec.get("names") or {}
        return [
            cls(
                group=spec.get("group", ""),
                version=version["name"],
                plural=names.get("plural", ""),
                kind=names.get("kind", ""),
                namespaced=spec.get("scope", "Namespaced") == "Namespaced",
                singular=names.get("singular") or names.get("kind", "").lower(),
                short_names=tuple(names.get("shortNames") or ()),
                categories=tuple(names.get("categories") or ()),
                subresources=tuple(sorted((version.get("subresources") or {}).keys())),
            )
            for version in spec.get("versions") or []
            if version.get("served", True)
        ]


@dataclass(frozen=True, slots=True)
class WatchEvent:
    """One committed write, as retained in the event log and pushed to watchers."""

    resource_version: int
    storage_key: StorageKey
    type: str  # ADDED, MODIFIED, DELETED
    obj: JsonObject
    old: JsonObject | None  # the previous state, for selector transitions in watches


@dataclass(frozen=True, slots=True)
class ListPage:
    """One page of a list: the items, the list's resourceVersion and where the next page starts."""

    items: list[JsonObject]
    resource_version: int
    continue_token: str | None
    remaining: int | None  # objects after the page; None when not counted (the LIST had a selector)


@dataclass(slots=True, eq=False)  # identity equality: subscriptions live in sets
class Subscription:
    """A live watch: the events to send first, then whatever arrives on the queue (None: stop)."""

    storage_key: StorageKey
    initial: list[WatchEvent]
    queue: asyncio.Queue[WatchEvent | None] = field(default_factory=asyncio.Queue)


class Gone(ApiError):
    """The requested resourceVersion is older than the retained event log."""

    def __init__(self, message: str):
        super().__init__(410, "Expired", message)


def now_rfc3339() -> str:
    """The current time as the API server renders timestamps: seconds precision, ``Z``."""
    return datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def encode_continue(key: ObjectKey) -> str:
    return base64.urlsafe_b64encode(json.dumps(list(key)).encode()).decode()


def decode_continue(token: str) -> ObjectKey:
    try:
        namespace, name = json.loads(base64.urlsafe_b64decode(token.encode()))
    except (ValueError, binascii.Error, TypeError) as exc:
        raise ApiError(400, "BadRequest", "invalid continue token") from exc
    return (str(namespace), str(name))
