"""A real ExternalDNS args list (its Helm chart's defaults plus its AWS tutorial's flags) runs unchanged.

``external-dns --once --dry-run`` with those args against the local API server and moto's Route 53: the plan is
the one ExternalDNS would make, and the flags with no effect here are named in one warning line.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

from aiobotocore.session import get_session
from tests.backends.moto import MotoServer
from tests.unit.test_compat_flags import HELM_CHART_ARGS

from external_dns.testing import local_cluster_in_thread


async def create_public_zone(url: str, name: str) -> None:
    session = get_session()
    async with session.create_client(
        "route53", endpoint_url=url, region_name="us-east-1", aws_access_key_id="AKIASETUP", aws_secret_access_key="x"
    ) as route53:
        await route53.create_hosted_zone(Name=name, CallerReference=name)


def test_the_helm_charts_args_plan_what_externaldns_would(tmp_path: Path) -> None:
    env = {
        **{key: value for key, value in os.environ.items() if not key.startswith(("AWS_", "EXTERNAL_DNS_"))},
        "AWS_ACCESS_KEY_ID": "AKIATEST",
        "AWS_SECRET_ACCESS_KEY": "secret",
        "AWS_CONFIG_FILE": str(tmp_path / "none"),
        "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "none"),
    }
    service = {
        "apiVersion": "v1", "kind": "Service",
        "metadata": {"name": "web", "namespace": "default",
                     "annotations": {"external-dns.alpha.kubernetes.io/hostname": "web.example.com"}},
        "spec": {"type": "LoadBalancer", "ports": [{"port": 80}]},
        "status": {"loadBalancer": {"ingress": [{"ip": "203.0.113.7"}]}},
    }  # fmt: skip
    with MotoServer() as moto, local_cluster_in_thread() as cluster:
        asyncio.run(create_public_zone(moto.url, "example.com"))
        asyncio.run(cluster.create("v1", "services", service))
        argv = [*HELM_CHART_ARGS, "--once", "--dry-run", f"--kubeconfig={cluster.kubeconfig}"]
        argv.append(f"--aws-endpoint-url={moto.url}")
        done = subprocess.run(
            [sys.executable, "-m", "external_dns", *argv], capture_output=True, text=True, env=env, timeout=90
        )
    assert done.returncode == 0, done.stderr
    assert "DRY-RUN CREATE A web.example.com -> 203.0.113.7 ttl=60" in done.stdout  # --min-ttl=60s
    warnings = [line for line in done.stderr.splitlines() if "accepted with no effect here" in line]
    assert len(warnings) == 1 and "--events" in warnings[0]
