"""The real operator (Kopf + this project's handlers) run in its own thread and event loop: tests and the demo.

Kopf started inside pytest-asyncio's loop cancels the fixture's teardown when it stops, so the operator gets a
thread of its own; tests talk to it only through the API server and the DNS server, as a user would, and read
its in-process state (the Application in Kopf's memo) through :meth:`OperatorThread.call`.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import threading
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

import kopf

from external_dns import handlers
from external_dns.app import Application
from external_dns.config import Settings
from external_dns.runner import kopf_arguments, kopf_setup

T = TypeVar("T")


def operator_settings(kubeconfig: Path, **flags: Any) -> Settings:
    """Settings as the command line would build them, with test-friendly timings, ignoring the environment."""
    base: dict[str, Any] = {
        "kubeconfig": str(kubeconfig),
        "debounce": 0.05,
        "interval": 3600.0,
        "metrics_address": "127.0.0.1:0",
        # Off unless a test asks: on a machine that is itself a pod, the default would find the pod's namespace.
        "watch_position_configmap": "",
    }
    return Settings.load({**base, **flags}, env={})


class OperatorThread:
    """Start with :meth:`start`, stop with :meth:`stop` (or use as a context manager)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.memo = handlers.new_memo(settings)
        self._stop = threading.Event()
        self._ready = threading.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread = threading.Thread(target=self._main, name="operator", daemon=True)
        self._failure: list[BaseException] = []

    def __enter__(self) -> OperatorThread:
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.stop()

    def start(self, timeout: float = 30.0) -> OperatorThread:
        self._thread.start()
        wait_for(
            lambda: self._failure or self._is_running() or not self._thread.is_alive(), timeout, "the operator to start"
        )
        if self._failure:
            raise RuntimeError("the operator failed to start") from self._failure[0]
        if not self._is_running():
            raise RuntimeError("the operator stopped before it had started")
        return self

    def stop(self, timeout: float = 30.0) -> None:
        self._stop.set()
        self._thread.join(timeout)

    @property
    def app(self) -> Application:
        app = handlers.running(self.memo).app
        assert app is not None, "the operator has not started"
        return app

    def call(self, make: Callable[[], Awaitable[T]], timeout: float = 30.0) -> T:
        """Run a coroutine in the operator's loop and return its result."""
        assert self._loop is not None

        async def wrapper() -> T:
            return await make()

        future: concurrent.futures.Future[T] = asyncio.run_coroutine_threadsafe(wrapper(), self._loop)
        return future.result(timeout)

    def provider_records(self) -> dict[tuple[str, str], tuple[str, ...]]:
        """``{(name, type): targets}`` of every zone, read from the operator's provider in its own loop."""

        async def snapshot() -> dict[tuple[str, str], tuple[str, ...]]:
            provider = self.app.provider
            return {
                (ep.dns_name, ep.record_type): ep.targets
                for zone in await provider.zones()
                for ep in await provider.records(zone)
            }

        return self.call(snapshot)

    def wait_idle(self, timeout: float = 30.0) -> None:
        """Until every zone worker has nothing left to do and every event is posted."""
        self.call(lambda: asyncio.wait_for(self._settle(), timeout), timeout + 5)

    async def _settle(self) -> None:
        await self.app.wait_idle()
        flush = getattr(self.app.events, "flush", None)
        if flush is not None:
            await flush()
        if self.app.wiring.status is not None:
            await self.app.wiring.status.flush()

    def _is_running(self) -> bool:
        state = handlers.running(self.memo)
        if state.gate is not None:
            return state.gate.checked.is_set()
        return state.app is not None and state.app.ready

    def _main(self) -> None:
        registry, kopf_settings = kopf_setup(self.settings)
        kopf_settings.watching.server_timeout = 10
        kopf_settings.networking.connect_timeout = 5
        kopf_settings.background.cancellation_polling = 0.5

        async def operator() -> None:
            self._loop = asyncio.get_running_loop()
            await kopf.operator(
                registry=registry,
                settings=kopf_settings,
                memo=self.memo,
                stop_flag=self._stop,
                **kopf_arguments(self.settings, self.memo),  # type: ignore[arg-type]
            )

        try:
            asyncio.run(operator())
        except BaseException as error:  # surfaced to the test by start()
            self._failure.append(error)


def wait_for(
    condition: Callable[[], object], timeout: float = 30.0, what: str = "the condition", interval: float = 0.02
) -> Any:
    """Poll ``condition`` until it returns something truthy; fail with ``what`` after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        result = condition()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(interval)
