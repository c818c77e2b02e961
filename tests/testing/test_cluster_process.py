"""The process form: `python -m external_dns.testing.cluster` prints READY, serves, stops on SIGTERM."""

import json
import subprocess
import sys
import urllib.request
from pathlib import Path


def test_the_server_process_prints_ready_serves_and_stops_on_sigterm(tmp_path: Path) -> None:
    kubeconfig = tmp_path / "kubeconfig"
    command = [sys.executable, "-m", "external_dns.testing.cluster", "--port", "0", "--kubeconfig", str(kubeconfig)]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        assert line.startswith("READY http://127.0.0.1:")
        url = line.split()[1]
        assert json.loads(kubeconfig.read_text())["clusters"][0]["cluster"]["server"] == url
        with urllib.request.urlopen(f"{url}/api/v1/namespaces") as response:
            names = {item["metadata"]["name"] for item in json.load(response)["items"]}
        assert names == {"default", "kube-system"}
    finally:
        process.terminate()
        _, stderr = process.communicate(timeout=20)
    assert process.returncode == 0, stderr
    assert stderr == ""
