"""Seeding the local API server's store before it serves (--seed): the objects a client then LISTs over HTTP."""

import json
import re
import subprocess
import sys
import urllib.request
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from external_dns.testing import ApiServerEmulator, LocalCluster, local_cluster
from external_dns.testing.seed import SeedError, seed_file, seed_objects


def pod(name: str, ip: str, namespace: str = "default") -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "namespace": namespace, "resourceVersion": "999", "labels": {"app": "web"}},
        "spec": {"hostNetwork": True, "containers": [{"name": "app", "image": "app:1"}]},
        "status": {"phase": "Running", "podIP": ip},
    }


def without_writer(entry: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in entry.items() if k not in ("manager", "time")}


def write_lines(path: Path, objects: list[Any]) -> Path:
    path.write_text("".join(json.dumps(obj) + "\n" for obj in objects))
    return path


async def test_seeded_objects_are_listed_over_http_as_if_created_through_the_api() -> None:
    emulator = ApiServerEmulator()
    assert seed_objects(emulator.store, [pod("a", "10.0.0.1"), pod("b", "10.0.0.2")]) == 2
    async with local_cluster(emulator=emulator) as seeded, local_cluster() as plain:
        await plain.create("v1", "pods", pod("a", "10.0.0.1"))  # POST, then /status (LocalCluster.create)
        listed = {item["metadata"]["name"]: item for item in await seeded.list("v1", "pods", "default")}
        over_http = await plain.get("v1", "pods", "a", "default")
    assert set(listed) == {"a", "b"}
    assert listed["b"]["status"] == {"phase": "Running", "podIP": "10.0.0.2"}
    server_set = ("uid", "resourceVersion", "creationTimestamp", "managedFields")
    meta = listed["a"]["metadata"]
    # The same writes (a create, then the status): only the writer's name and the times differ.
    assert [without_writer(entry) for entry in meta["managedFields"]] == [
        without_writer(entry) for entry in over_http["metadata"]["managedFields"]
    ]
    assert re.fullmatch(r"[0-9a-f-]{36}", meta["uid"])
    assert meta["resourceVersion"] != "999"  # the server's counter, not the file's
    assert {k: v for k, v in meta.items() if k not in server_set} == {
        k: v for k, v in over_http["metadata"].items() if k not in server_set
    }
    assert {k: v for k, v in listed["a"].items() if k != "metadata"} == {
        k: v for k, v in over_http.items() if k != "metadata"
    }


async def test_a_watch_from_the_seeded_list_sees_later_changes_only(tmp_path: Path) -> None:
    emulator = ApiServerEmulator()
    seed_file(emulator.store, write_lines(tmp_path / "objects.jsonl", [pod("a", "10.0.0.1")]))
    async with local_cluster(emulator=emulator) as cluster:
        listed = await cluster.request("GET", "/api/v1/namespaces/default/pods")
        await cluster.patch("v1", "pods", "a", {"status": {"podIP": "10.0.0.9"}}, "default", subresource="status")
        events = await first_watch_event(cluster, listed["metadata"]["resourceVersion"])
    assert (events["type"], events["object"]["status"]["podIP"]) == ("MODIFIED", "10.0.0.9")


async def first_watch_event(cluster: LocalCluster, since: str) -> dict[str, Any]:
    params = {"watch": "true", "resourceVersion": since}
    async with aiohttp.ClientSession(cluster.url) as session:
        async with session.get("/api/v1/namespaces/default/pods", params=params) as response:
            async for line in response.content:
                event: dict[str, Any] = json.loads(line)
                if event["type"] != "BOOKMARK":
                    return event
    raise AssertionError("the watch ended without an event")


@pytest.mark.parametrize(
    ("objects", "message"),
    [
        ([pod("a", "10.0.0.1"), {"apiVersion": "v1", "kind": "Gizmo", "metadata": {"name": "g"}}], "object 2 (Gizmo g"),
        ([pod("a", "10.0.0.1", namespace="nowhere")], 'namespaces "nowhere" not found'),
        ([pod("a", "10.0.0.1"), pod("a", "10.0.0.2")], "already exists"),
    ],
)
def test_an_object_the_server_would_refuse_stops_the_seeding_naming_it(objects: list[Any], message: str) -> None:
    with pytest.raises(SeedError, match=re.escape(message)):
        seed_objects(ApiServerEmulator().store, objects)


def test_a_line_that_is_not_a_json_object_is_named(tmp_path: Path) -> None:
    path = tmp_path / "objects.jsonl"
    path.write_text(json.dumps(pod("a", "10.0.0.1")) + "\n\n[1, 2]\n")
    with pytest.raises(SeedError, match=r"objects.jsonl: line 3: not a JSON object"):
        seed_file(ApiServerEmulator().store, path)


def run_server(tmp_path: Path, seed: Path) -> subprocess.Popen[str]:
    command = [sys.executable, "-m", "external_dns.testing.cluster", "--port", "0"]
    command += ["--kubeconfig", str(tmp_path / "kubeconfig"), "--seed", str(seed)]
    return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_the_server_process_serves_its_seed_file(tmp_path: Path) -> None:
    process = run_server(tmp_path, write_lines(tmp_path / "objects.jsonl", [pod("a", "10.0.0.1")]))
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        assert line.startswith("READY http://127.0.0.1:")
        with urllib.request.urlopen(f"{line.split()[1]}/api/v1/namespaces/default/pods/a") as response:
            assert json.load(response)["status"]["podIP"] == "10.0.0.1"
    finally:
        process.terminate()
        process.communicate(timeout=20)


def test_the_server_process_does_not_start_on_a_bad_seed_file(tmp_path: Path) -> None:
    process = run_server(tmp_path, tmp_path / "missing.jsonl")
    stdout, stderr = process.communicate(timeout=60)
    assert process.returncode == 2
    assert "READY" not in stdout
    assert "cannot seed the API server" in stderr and "missing.jsonl" in stderr
