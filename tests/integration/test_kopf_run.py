"""``kopf run -m external_dns``: the same operator, configured from EXTERNAL_DNS_* env vars alone."""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import sys
from pathlib import Path

from tests.backends.bind import BindServer, free_port
from tests.harness import wait_for

from external_dns.testing.cluster import LocalCluster

ZONE = "example.com"


def test_kopf_run_reads_its_configuration_from_the_environment(
    cluster: LocalCluster, bind: BindServer, tmp_path: Path
) -> None:
    kopf = shutil.which("kopf", path=str(Path(sys.executable).parent))
    assert kopf is not None, "kopf's command line is installed with the package"
    asyncio.run(cluster.create("externaldns.k8s.io/v1alpha1", "dnsendpoints", {
        "apiVersion": "externaldns.k8s.io/v1alpha1", "kind": "DNSEndpoint",
        "metadata": {"name": "api", "namespace": "default"},
        "spec": {"endpoints": [{"dnsName": "api.example.com", "recordType": "A", "targets": ["192.0.2.44"]}]},
    }))  # fmt: skip
    info = bind.info
    env = {
        **os.environ,
        "KUBECONFIG": str(cluster.kubeconfig),
        "EXTERNAL_DNS_SOURCE": "crd",
        "EXTERNAL_DNS_PROVIDER": "rfc2136",
        "EXTERNAL_DNS_RFC2136_HOST": info.host,
        "EXTERNAL_DNS_RFC2136_PORT": str(info.port),
        "EXTERNAL_DNS_RFC2136_ZONE": ZONE,
        "EXTERNAL_DNS_RFC2136_TSIG_KEYNAME": info.key_name,
        "EXTERNAL_DNS_RFC2136_TSIG_SECRET": info.key_secret,
        "EXTERNAL_DNS_METRICS_ADDRESS": f"127.0.0.1:{free_port()}",
    }
    log = (tmp_path / "kopf.log").open("w")
    process = subprocess.Popen(
        [kopf, "run", "-m", "external_dns", "--all-namespaces", "--standalone"], env=env, stdout=log, stderr=log
    )
    try:
        wait_for(lambda: ("api.example.com", "A") in bind.axfr_records_sync(ZONE), 30, "the record")
        assert bind.axfr_records_sync(ZONE)[("api.example.com", "A")] == {"192.0.2.44"}
    finally:
        process.terminate()
        process.wait(20)
