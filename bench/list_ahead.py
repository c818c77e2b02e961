"""A paged LIST with CPU work per page, as the operator's start does: does the server prepare the next page meanwhile?

``KubeClient.list_pages`` asks for page n+1 before handing page n over. Over HTTP the request only leaves after
several loop turns (kubernetes-asyncio, then aiohttp's writer); a caller that takes the loop at once for its page
(deriving 500 Services: ~50 ms) kept it unsent, and the server prepared nothing meanwhile. This starts the local
API server with N Services, then times ``list_pages`` over them, with and without ``--work`` ms of CPU per page
(a busy loop standing for derivation), for each ``--window`` (how long list_pages waits for the request to leave:
``kube.REQUEST_SENT_WITHIN``; 0 is one loop turn, what it did before).

    .venv/bin/python bench/list_ahead.py --objects 20000 50000 --work 50

``overlap`` is the share of the listing's own time (LIST alone) hidden behind the work.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from pathlib import Path

from _common import api_server_process
from reconcile import write_seed_file

from external_dns import kube
from external_dns.kube import KubeClient


async def timed_list(kubeconfig: Path, work_ms: float) -> tuple[float, int]:
    """Seconds to list every Service with ``work_ms`` of CPU per page on the loop, and the pages."""
    client = await KubeClient.connect(str(kubeconfig))
    try:
        started = time.perf_counter()
        pages = 0
        async for _page in client.list_pages("/api/v1/services"):
            pages += 1
            busy_until = time.perf_counter() + work_ms / 1000
            while time.perf_counter() < busy_until:
                pass
        return time.perf_counter() - started, pages
    finally:
        await client.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--objects", type=int, nargs="+", default=[20000])
    parser.add_argument("--work", type=float, default=50.0, help="ms of CPU per page (500 objects)")
    parser.add_argument("--windows", type=float, nargs="+", default=[0.0, 0.001], help="REQUEST_SENT_WITHIN values")
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()
    for count in args.objects:
        with (
            tempfile.TemporaryDirectory(prefix="bench-list-ahead-") as tmp,
            api_server_process(Path(tmp), write_seed_file(Path(tmp) / "seed.jsonl", count)) as api,
        ):
            for _ in range(args.repeat):
                for window in args.windows:
                    kube.REQUEST_SENT_WITHIN = window
                    alone, pages = asyncio.run(timed_list(api.kubeconfig, 0))
                    with_work, _ = asyncio.run(timed_list(api.kubeconfig, args.work))
                    work = pages * args.work / 1000
                    hidden = (alone + work - with_work) / alone
                    print(
                        f"{count} objects, window {window * 1000:g} ms: LIST alone {alone:.2f} s; "
                        f"with {work:.2f} s of work {with_work:.2f} s; overlap {hidden:.0%}",
                        flush=True,
                    )


if __name__ == "__main__":
    main()
