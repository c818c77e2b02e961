"""``make demo`` runs ``python -m external_dns.demo``: it must exit 0 and show records and events for examples/."""

from __future__ import annotations

import subprocess
import sys


def test_demo_prints_records_and_events_for_the_examples() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "external_dns.demo"], capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert any(line.split()[1:4] == ["web.example.com", "A", "120"] for line in lines if line.startswith("example.com"))
    assert any("store.example.com" in line and "198.51.100.7" in line for line in lines)
    assert any(line.startswith("Normal") and "RecordReady" in line and "DNSEndpoint/tunnel" in line for line in lines)
    assert any(line.startswith("Warning") and "Service/api" in line and "ttl" in line for line in lines)
