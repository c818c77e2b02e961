"""A local Kubernetes API server for tests and the demo, in-process, in a thread, or as a process.

- ``async with local_cluster() as cluster:`` serves on 127.0.0.1 (a free port) in the current loop;
- ``with local_cluster_in_thread() as cluster:`` serves from a thread with its own loop, for tests
  that run Kopf (Kopf inside pytest-asyncio's loop breaks fixture teardown);
- ``python -m external_dns.testing.cluster --port 0 --kubeconfig FILE [--seed OBJECTS.jsonl]`` serves until
  SIGTERM and prints one line ``READY <url>`` once it accepts requests (``--seed``: objects loaded into the
  store before it serves, see `seed`).

The yielded `LocalCluster` has `.url`, `.kubeconfig` (a file it wrote), `.emulator` (KMock's DSL for
fault injection: ``cluster.emulator['list', kmock.resource('v1/services')][:2] << 500``) and small
async HTTP helpers (`create`, `get`, `list`, `patch`, `delete`) so tests need no hand-written URLs.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import signal
import socket
import sys
import tempfile
import threading
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import aiohttp
import aiohttp.web

from external_dns.testing.emulator import ApiServerEmulator
from external_dns.testing.patches import PatchType
from external_dns.testing.seed import SeedError, seed_file
from external_dns.testing.store import ApiError, ResourceType

T = TypeVar("T")

JsonObject = dict[str, Any]
#: What answers the server's HTTP requests (the emulator, or a wrapper around it).
Handler = Callable[[aiohttp.web.BaseRequest], Awaitable[aiohttp.web.StreamResponse]]


class ClusterRequestError(Exception):
    """A helper request that the API server answered with an error Status."""

    def __init__(self, status: int, body: Any):
        reason = body.get("reason") if isinstance(body, Mapping) else None
        super().__init__(f"HTTP {status} {reason}: {body}")
        self.status = status
        self.reason = reason
        self.body = body


def resource_path(
    api_version: str, plural: str, namespace: str | None = None, name: str | None = None, subresource: str | None = None
) -> str:
    """The URL path of a collection or object: ``("v1", "services", "default", "web")`` and the like."""
    parts = ["api", api_version] if "/" not in api_version else ["apis", api_version]
    if namespace is not None:
        parts += ["namespaces", namespace]
    parts.append(plural)
    if name is not None:
        parts.append(name)
    if subresource is not None:
        parts.append(subresource)
    return "/" + "/".join(parts)


@dataclass(slots=True)
class LocalCluster:
    """A running local API server: where it is, its kubeconfig, its emulator, and request helpers."""

    url: str
    kubeconfig: Path
    emulator: ApiServerEmulator
    _timeout: aiohttp.ClientTimeout = field(default_factory=lambda: aiohttp.ClientTimeout(total=30))
    #: The event loop serving the requests: the emulator's store and watch streams live there.
    loop: asyncio.AbstractEventLoop | None = None

    def in_server(self, action: Callable[[], T], timeout: float = 30.0) -> T:
        """Run ``action`` in the server's event loop (from another thread) and return its result.

        Fault injection that touches the store or the watch streams (``drop_watches``, ``trim_log``, writes
        that must land together) has to run there: asyncio queues are not thread-safe.
        """
        if self.loop is None:
            raise RuntimeError("the server's loop is unknown")

        async def call() -> T:
            return action()

        return asyncio.run_coroutine_threadsafe(call(), self.loop).result(timeout)

    async def request(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        content_type: str | None = None,
        params: Mapping[str, str] | None = None,
    ) -> Any:
        """One HTTP request to the server; the decoded JSON answer, or `ClusterRequestError`."""
        headers = {"Content-Type": content_type or "application/json"}
        data = json.dumps(body).encode() if body is not None else None
        async with aiohttp.ClientSession(self.url, timeout=self._timeout) as session:
            async with session.request(method, path, data=data, headers=headers, params=params) as response:
                text = await response.text()
                decoded = json.loads(text) if text else None
                if response.status >= 400:
                    raise ClusterRequestError(response.status, decoded)
                return decoded

    async def create(
        self, api_version: str, plural: str, body: Mapping[str, Any], namespace: str | None = None
    ) -> JsonObject:
        """POST an object. A `status` in the body is written through /status afterwards, for convenience."""
        rtype = _resource_type(self.emulator, api_version, plural)
        if namespace is None and rtype is not None and rtype.namespaced:
            namespace = (body.get("metadata") or {}).get("namespace")
        created: JsonObject = await self.request("POST", resource_path(api_version, plural, namespace), body)
        if body.get("status") and rtype is not None and rtype.has_status:
            meta = created["metadata"]
            return await self.patch(
                api_version,
                plural,
                meta["name"],
                {"status": body["status"]},
                meta.get("namespace"),
                subresource="status",
            )
        return created

    async def get(self, api_version: str, plural: str, name: str, namespace: str | None = None) -> JsonObject:
        """GET one object (ClusterRequestError with status 404 if absent)."""
        result: JsonObject = await self.request("GET", resource_path(api_version, plural, namespace, name))
        return result

    async def list(
        self,
        api_version: str,
        plural: str,
        namespace: str | None = None,
        *,
        label_selector: str | None = None,
        field_selector: str | None = None,
    ) -> list[JsonObject]:
        """The items of a LIST (all namespaces when namespace is None)."""
        params = {k: v for k, v in (("labelSelector", label_selector), ("fieldSelector", field_selector)) if v}
        result = await self.request("GET", resource_path(api_version, plural, namespace), params=params)
        items: list[JsonObject] = result["items"]
        return items

    async def patch(
        self,
        api_version: str,
        plural: str,
        name: str,
        patch: Any,
        namespace: str | None = None,
        *,
        patch_type: PatchType = PatchType.MERGE,
        subresource: str | None = None,
    ) -> JsonObject:
        """PATCH an object (merge patch unless told otherwise), or its status with subresource='status'."""
        path = resource_path(api_version, plural, namespace, name, subresource)
        result: JsonObject = await self.request("PATCH", path, patch, content_type=patch_type.value)
        return result

    async def delete(self, api_version: str, plural: str, name: str, namespace: str | None = None) -> JsonObject:
        """DELETE an object; with finalizers it stays, marked with deletionTimestamp."""
        result: JsonObject = await self.request("DELETE", resource_path(api_version, plural, namespace, name))
        return result

    async def create_namespace(self, name: str) -> JsonObject:
        """Create a namespace (objects can only be created in existing namespaces)."""
        return await self.create("v1", "namespaces", {"metadata": {"name": name}})


def _resource_type(emulator: ApiServerEmulator, api_version: str, plural: str) -> ResourceType | None:
    group, _, version = api_version.rpartition("/")
    try:
        return emulator.store.resolve(group, version, plural)
    except ApiError:
        return None


def write_kubeconfig(path: Path, url: str) -> Path:
    """Write a kubeconfig (JSON is valid YAML) whose current context points at `url`."""
    config = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": "local", "cluster": {"server": url}}],
        "users": [{"name": "local", "user": {"token": "local-cluster-token"}}],
        "contexts": [{"name": "local", "context": {"cluster": "local", "user": "local", "namespace": "default"}}],
        "current-context": "local",
    }
    path.write_text(json.dumps(config, indent=2))
    return path


def _bind(port: int) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", port))
    return sock


@contextlib.asynccontextmanager
async def local_cluster(
    *,
    port: int = 0,
    kubeconfig: Path | None = None,
    emulator: ApiServerEmulator | None = None,
    handler: Handler | None = None,
) -> AsyncIterator[LocalCluster]:
    """Serve an emulated API server on 127.0.0.1 in the running loop until the block exits.

    ``handler`` (default: the emulator itself) answers the HTTP requests: a test can put a wrapper in front of
    the emulator, e.g. one that checks RBAC, and still get the same server, kubeconfig and shutdown.
    """
    emulator = emulator or ApiServerEmulator()
    sock = _bind(port)
    url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    server = aiohttp.web.Server(handler or emulator, access_log=None)
    runner = aiohttp.web.ServerRunner(server, shutdown_timeout=2.0)
    with tempfile.TemporaryDirectory(prefix="local-cluster-") as tmp:
        config_path = write_kubeconfig(kubeconfig or Path(tmp) / "kubeconfig", url)
        async with emulator:
            await runner.setup()
            try:
                await aiohttp.web.SockSite(runner, sock).start()
                yield LocalCluster(url=url, kubeconfig=config_path, emulator=emulator, loop=asyncio.get_running_loop())
            finally:
                emulator.store.drop_watches()  # open watch streams would hold the shutdown
                await runner.cleanup()
                sock.close()


@contextlib.contextmanager
def local_cluster_in_thread(
    *,
    port: int = 0,
    kubeconfig: Path | None = None,
    emulator: ApiServerEmulator | None = None,
    handler: Handler | None = None,
) -> Iterator[LocalCluster]:
    """The same server, run by a thread with its own event loop; usable from sync and async tests."""
    started = threading.Event()
    failure: list[BaseException] = []
    holder: list[LocalCluster] = []
    loop_holder: list[asyncio.AbstractEventLoop] = []
    stop: list[asyncio.Event] = []

    async def serve() -> None:
        stop.append(asyncio.Event())
        loop_holder.append(asyncio.get_running_loop())
        async with local_cluster(port=port, kubeconfig=kubeconfig, emulator=emulator, handler=handler) as cluster:
            holder.append(cluster)
            started.set()
            await stop[0].wait()

    def run() -> None:
        try:
            asyncio.run(serve())
        except BaseException as exc:  # reported to the starting thread
            failure.append(exc)
        finally:
            started.set()

    thread = threading.Thread(target=run, name="local-cluster", daemon=True)
    thread.start()
    started.wait()
    if failure or not holder:
        raise RuntimeError("the local cluster failed to start") from (failure[0] if failure else None)
    try:
        yield holder[0]
    finally:
        loop_holder[0].call_soon_threadsafe(stop[0].set)
        thread.join(timeout=30)


async def _serve_until_signalled(port: int, kubeconfig: Path, seeds: Sequence[Path] = ()) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    emulator = ApiServerEmulator()
    for seed in seeds:
        seed_file(emulator.store, seed)
    async with local_cluster(port=port, kubeconfig=kubeconfig, emulator=emulator) as cluster:
        print(f"READY {cluster.url}", flush=True)
        await stop.wait()


def main(argv: list[str] | None = None) -> int:
    """Serve until SIGTERM/SIGINT: ``python -m external_dns.testing.cluster --port 0 --kubeconfig FILE``."""
    parser = argparse.ArgumentParser(description="Serve an emulated Kubernetes API on 127.0.0.1.")
    parser.add_argument("--port", type=int, default=0, help="TCP port (0: pick a free one)")
    parser.add_argument("--kubeconfig", type=Path, required=True, help="where to write the kubeconfig")
    parser.add_argument(
        "--seed",
        type=Path,
        action="append",
        default=[],
        help="a JSON-lines file of objects to store before serving (repeatable)",
    )
    args = parser.parse_args(argv)
    try:
        asyncio.run(_serve_until_signalled(args.port, args.kubeconfig, args.seed))
    except SeedError as exc:
        print(f"cannot seed the API server: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
