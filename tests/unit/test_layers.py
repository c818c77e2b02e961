"""Dependencies point one way: the model below the planner, registry and providers; the workers below the
application. Read from the source (imports inside functions count too), so a backwards import fails here."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "operator" / "external_dns"


def imported(module: str) -> set[str]:
    """Every ``external_dns`` module the file imports, anywhere in it."""
    tree = ast.parse((PACKAGE / module).read_text())
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("external_dns"):
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names if alias.name.startswith("external_dns"))
    return names


LAYERS = [
    ("model.py", ("external_dns.providers", "external_dns.plan", "external_dns.registry", "external_dns.reconciler")),
    ("plan.py", ("external_dns.providers", "external_dns.reconciler", "external_dns.app")),
    ("registry/base.py", ("external_dns.providers",)),
    ("registry/txt.py", ("external_dns.providers",)),
    ("registry/noop.py", ("external_dns.providers",)),
    ("zonecache.py", ("external_dns.providers",)),
    ("zoneplan.py", ("external_dns.reconciler", "external_dns.app", "external_dns.explain")),
    ("spoken_for.py", ("external_dns.zoneplan", "external_dns.reconciler", "external_dns.app", "external_dns.explain")),
    ("recordstate.py", ("external_dns.reconciler", "external_dns.app", "external_dns.reporting")),
    ("zonework.py", ("external_dns.reconciler", "external_dns.app", "external_dns.zoneplan")),
    ("reconciler.py", ("external_dns.app", "external_dns.handlers", "external_dns.explain")),
    ("reporting.py", ("external_dns.app", "external_dns.reconciler")),
    ("dnsendpoint_status.py", ("external_dns.app", "external_dns.reconciler")),
]


@pytest.mark.parametrize(("module", "forbidden"), LAYERS, ids=[f"{m} does not look up" for m, _ in LAYERS])
def test_lower_layers_do_not_import_upper_ones(module: str, forbidden: tuple[str, ...]) -> None:
    backwards = sorted(name for name in imported(module) if name.startswith(forbidden))
    assert backwards == []


def test_the_check_sees_imports() -> None:
    assert "external_dns.zoneplan" in imported("reconciler.py")
