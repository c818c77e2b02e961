"""kopf_peering.py reads Kopf's peering internals: it must be the Kopf it was written against."""

from __future__ import annotations

import importlib.metadata
import tomllib
from pathlib import Path

import pytest

from external_dns.kopf_peering import KOPF_VERSION, kopf_identity

ROOT = Path(__file__).parent.parent.parent


def test_the_installed_kopf_is_the_one_the_peering_reader_was_written_for() -> None:
    assert importlib.metadata.version("kopf") == KOPF_VERSION


def test_kopf_is_pinned_to_that_version_everywhere() -> None:
    dependencies = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    assert f"kopf=={KOPF_VERSION}" in dependencies
    for lock in ("requirements.lock", "requirements-dev.lock"):
        assert f"kopf=={KOPF_VERSION}" in (ROOT / lock).read_text()


def test_the_identity_is_pod_id_as_kopf_takes_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("POD_ID", "external-dns-7d9f")
    assert kopf_identity() == "external-dns-7d9f"
    monkeypatch.delenv("POD_ID")
    assert kopf_identity() is None
