"""Lint-like checks of the Dockerfile, .dockerignore and requirements.lock (there is no Docker engine here to
build with), and that the image's entrypoint works given the installed package.
"""

from __future__ import annotations

import importlib.metadata
import json
import re
import subprocess
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[2]
TEST_ONLY = {
    "pytest", "pytest-asyncio", "pytest-timeout", "kmock", "moto", "ruff", "mypy", "types-pyyaml", "flask",
    "hypothesis", "looptime", "mutmut",
}  # fmt: skip


@dataclass(frozen=True, slots=True)
class Instruction:
    """One Dockerfile instruction: keyword (upper case), its arguments, and the build stage it belongs to."""

    keyword: str
    arguments: str
    stage: int


def instructions(path: Path = ROOT / "Dockerfile") -> list[Instruction]:
    """The instructions, with comments dropped and backslash continuations joined."""
    result: list[Instruction] = []
    stage = -1
    pending = ""
    for line in path.read_text().splitlines():
        stripped = line.strip()
        if not pending and (not stripped or stripped.startswith("#")):
            continue
        if stripped.endswith("\\"):
            pending += stripped[:-1] + " "
            continue
        keyword, _, arguments = (pending + stripped).partition(" ")
        pending = ""
        if keyword.upper() == "FROM":
            stage += 1
        result.append(Instruction(keyword.upper(), arguments.strip(), stage))
    return result


def of(keyword: str) -> list[Instruction]:
    return [i for i in instructions() if i.keyword == keyword]


def final_stage() -> list[Instruction]:
    every = instructions()
    return [i for i in every if i.stage == every[-1].stage]


def base_images() -> list[str]:
    """The FROM images with ARG defaults substituted (stage aliases excluded)."""
    defaults = dict(i.arguments.split("=", 1) for i in of("ARG") if i.stage == -1 and "=" in i.arguments)
    images = []
    for instruction in of("FROM"):
        image = instruction.arguments.split()[0]
        images.append(re.sub(r"\$\{(\w+)\}", lambda m: defaults[m.group(1)], image))
    return images


def locked() -> dict[str, tuple[str, list[str]]]:
    """requirements.lock as {canonical name: (version, [sha256 hashes])}."""
    text = (ROOT / "requirements.lock").read_text().replace("\\\n", " ")
    result: dict[str, tuple[str, list[str]]] = {}
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        spec, *options = line.split()
        name, _, version = spec.partition("==")
        result[canonicalize_name(name)] = (version, [o.removeprefix("--hash=sha256:") for o in options])
    return result


def test_the_image_is_multi_stage_on_an_exactly_pinned_python_311_slim() -> None:
    images = base_images()
    assert len(images) >= 2
    for image in images:
        assert re.fullmatch(r"python:3\.11\.\d+-slim(-[a-z]+)?(@sha256:[0-9a-f]{64})?", image), image
        assert "latest" not in image
    assert of("FROM")[0].arguments.endswith(" AS build")


def test_nothing_is_added_from_urls() -> None:
    assert of("ADD") == []
    assert not any("curl " in i.arguments or "wget " in i.arguments for i in of("RUN"))


def test_the_runtime_stage_runs_as_uid_65532_after_every_install() -> None:
    stage = final_stage()
    users = [index for index, i in enumerate(stage) if i.keyword == "USER"]
    assert [stage[index].arguments for index in users] == ["65532:65532"]
    assert all(i.keyword != "RUN" for i in stage[users[0] :])


def test_the_entrypoint_is_the_operators_command_in_exec_form() -> None:
    (entrypoint,) = of("ENTRYPOINT")
    assert json.loads(entrypoint.arguments) == ["external-dns"]


def test_the_healthcheck_probes_healthz_without_a_shell() -> None:
    (healthcheck,) = of("HEALTHCHECK")
    command = json.loads(healthcheck.arguments.split(" CMD ", 1)[1])
    assert command[0] == "python"
    assert "/healthz" in command[-1]
    (expose,) = of("EXPOSE")
    deployment = yaml.safe_load((ROOT / "manifests" / "base" / "deployment.yaml").read_text())
    (port,) = deployment["spec"]["template"]["spec"]["containers"][0]["ports"]
    assert expose.arguments == str(port["containerPort"]) and f":{port['containerPort']}/healthz" in command[-1]


def test_python_writes_no_bytecode_and_no_buffered_output() -> None:
    env = " ".join(i.arguments for i in final_stage() if i.keyword == "ENV")
    assert "PYTHONDONTWRITEBYTECODE=1" in env
    assert "PYTHONUNBUFFERED=1" in env


def test_dependencies_are_installed_from_the_lock_with_hashes_and_no_cache() -> None:
    build, runtime = of("RUN")[0].arguments, " ".join(i.arguments for i in final_stage() if i.keyword == "RUN")
    assert "pip wheel --no-deps" in build
    assert "--require-hashes" in build and "requirements.lock" in build
    assert "--require-hashes" in runtime and "--no-cache-dir" in runtime and "--no-index" in runtime
    assert "pip check" in runtime


def test_the_lock_pins_every_package_with_a_hash() -> None:
    for name, (version, hashes) in locked().items():
        assert re.fullmatch(r"[\w.+]+", version), name
        assert hashes and all(re.fullmatch(r"[0-9a-f]{64}", h) for h in hashes), name


def test_the_lock_satisfies_pyprojects_runtime_dependencies_and_holds_no_test_packages() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    lock = locked()
    for raw in project["dependencies"]:
        requirement = Requirement(raw)
        version, _ = lock[canonicalize_name(requirement.name)]
        assert requirement.specifier.contains(version, prereleases=True), f"{raw} vs {version}"
    assert not TEST_ONLY & lock.keys()


def test_the_lock_pins_the_versions_the_tests_ran_with() -> None:
    for name, (version, _) in locked().items():
        assert importlib.metadata.version(name) == version, name


def test_the_build_context_holds_only_what_the_dockerfile_copies() -> None:
    ignore = [line for line in (ROOT / ".dockerignore").read_text().splitlines() if line and not line[0] == "#"]
    assert ignore[0] == "*"
    included = {line.removeprefix("!").rstrip("/") for line in ignore if line.startswith("!")}
    copied = {
        source.rstrip("/") for i in of("COPY") if "--from=" not in i.arguments for source in i.arguments.split()[:-1]
    }
    mounted = set(re.findall(r"--mount=type=bind,source=([^,\s]+)", " ".join(i.arguments for i in of("RUN"))))
    assert copied | mounted <= included


def test_the_entrypoint_runs_with_the_installed_package() -> None:
    command = Path(sys.executable).with_name("external-dns")
    if not command.exists():
        pytest.skip("the package is not installed with its console script")
    result = subprocess.run([str(command), "--help"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "--peering" in result.stdout


def test_no_syntax_directive_sends_buildkit_to_docker_hub() -> None:
    """`# syntax=` makes BuildKit fetch a frontend image: the build then fails wherever Docker Hub is unreachable."""
    first = (ROOT / "Dockerfile").read_text().splitlines()[0]
    assert not re.match(r"#\s*syntax\s*=", first)


def test_every_stage_is_based_on_the_python_image_build_arg() -> None:
    """`make image PYTHON_IMAGE=...` (a mirror or a local base) must change every stage, not just one."""
    assert [i.arguments.split()[0] for i in of("FROM")] == ["${PYTHON_IMAGE}"] * len(of("FROM"))
    makefile = (ROOT / "Makefile").read_text()
    assert "--build-arg PYTHON_IMAGE=$(PYTHON_IMAGE)" in makefile
