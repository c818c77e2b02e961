"""The dev/test environment is exactly requirements-dev.lock, and the image's requirements.lock agrees with it.

`make venv` installs the dev lock and the project with --no-deps, so an upstream release cannot change what the
suite runs with; `make lock` (tools/lock.sh) is the one way to move the pins.
"""

from __future__ import annotations

import importlib.metadata
import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from tests.unit.test_dockerfile import locked

ROOT = Path(__file__).resolve().parents[2]


def dev_locked() -> dict[str, str]:
    pins: dict[str, str] = {}
    for line in (ROOT / "requirements-dev.lock").read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        name, separator, version = line.partition("==")
        assert separator and version, f"not an exact pin: {line!r}"
        pins[canonicalize_name(name)] = version
    return pins


def test_every_package_of_the_environment_is_the_locked_version() -> None:
    for name, version in dev_locked().items():
        assert importlib.metadata.version(name) == version, name


def test_nothing_is_installed_that_the_dev_lock_does_not_pin() -> None:
    pins = dev_locked()
    installed = {canonicalize_name(dist.metadata["Name"]) for dist in importlib.metadata.distributions()}
    assert installed - pins.keys() <= {"external-dns-kopf"}


def test_the_runtime_lock_is_the_dev_locks_runtime_part() -> None:
    pins = dev_locked()
    for name, (version, _) in locked().items():
        assert pins.get(name) == version, name


def test_the_dev_lock_satisfies_every_dependency_pyproject_declares() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    declared = [*project["dependencies"], *(r for extra in project["optional-dependencies"].values() for r in extra)]
    pins = dev_locked()
    for raw in declared:
        requirement = Requirement(raw)
        if canonicalize_name(requirement.name) == "external-dns-kopf":
            continue  # the dev extra includes the testing extra by name
        version = pins.get(canonicalize_name(requirement.name))
        assert version is not None, f"{raw} is not in requirements-dev.lock"
        assert requirement.specifier.contains(version, prereleases=True), f"{raw} vs {version}"
