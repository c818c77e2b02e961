"""--help and the README agree flag by flag: every flag in both, the same defaults, no-ops marked as such in both."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from external_dns.cli import flags, help_text
from external_dns.compat_flags import IGNORED_FLAGS
from external_dns.config import Settings

README = (Path(__file__).parent.parent.parent / "README.md").read_text()

#: Flags the README shows that belong to other programs (kubectl, kopf, gcloud) or to --help's own usage lines.
OTHER_PROGRAMS = {"all-namespaces", "priority", "field-selector", "from-literal", "validate", "port", "strict", "help"}
OTHER_PROGRAMS |= {"role", "member"}
OTHER_PROGRAMS |= {"all", "for", "replicas", "subresource", "tcp", "type"}  # kubectl's: demo, deploy, switch steps
HELP_ONLY = {"listen", "version"}


def readme_flags() -> set[str]:
    return set(re.findall(r"--([a-z0-9][a-z0-9-]+)", README))


def readme_lines_about(flag: str) -> list[str]:
    """The README table rows whose first cell (the flag column) names the flag."""
    rows = [line.split("|") for line in README.splitlines() if line.startswith("| `--")]
    return ["|".join(cells) for cells in rows if f"`--{flag}`" in cells[1]]


def help_entry(field_name: str) -> str:
    description = Settings.model_fields[field_name].description
    assert description is not None
    return description


@pytest.mark.parametrize("flag", sorted(flags()))
def test_every_flag_of_help_is_in_the_readme(flag: str) -> None:
    assert f"--{flag}" in README


def test_every_flag_the_readme_names_is_in_help() -> None:
    text = help_text()
    for flag in readme_flags() - OTHER_PROGRAMS:
        assert f"--{flag}" in text or f"--[no-]{flag}" in text, f"--{flag} is in the README, not in --help"
    assert set(flags()) | set(IGNORED_FLAGS) | HELP_ONLY >= readme_flags() - OTHER_PROGRAMS


@pytest.mark.parametrize("flag", sorted(flags()))
def test_a_flag_with_no_effect_says_so_in_both(flag: str) -> None:
    field_name = flags()[flag].field_name
    in_help = "no effect" in help_entry(field_name).lower()
    rows = readme_lines_about(flag)
    in_readme = any("no effect" in row.lower() for row in rows)
    assert in_help == in_readme, f"--{flag}: help says {help_entry(field_name)!r}; README: {rows}"


@pytest.mark.parametrize(
    ("flag", "words"),
    [
        pytest.param("metrics-address", ["/metrics", "/healthz", "/readyz"], id="metrics address serves readyz"),
        pytest.param("policy", ["sync", "upsert-only", "create-only", "requires the flag"], id="policy wording"),
        pytest.param("min-event-sync-interval", ["no effect", "--debounce"], id="min event sync interval"),
        pytest.param("kube-api-qps", ["no effect"], id="kube api qps"),
        pytest.param("kube-api-burst", ["no effect"], id="kube api burst"),
    ],
)
def test_what_users_asked_about_reads_the_same_in_both(flag: str, words: list[str]) -> None:
    rows = " ".join(readme_lines_about(flag)).lower()
    described = help_entry(flags()[flag].field_name).lower()
    for word in words:
        assert word.lower() in described, f"--help of --{flag} lacks {word!r}"
        assert word.lower() in rows, f"README row of --{flag} lacks {word!r}"


def readme_defaults() -> list[tuple[str, str]]:
    """(flag, default) from the README's flag tables, where a row gives one backticked default per flag."""
    pairs = []
    for line in README.splitlines():
        if not line.startswith("| `--"):
            continue
        cells = line.split("|")
        names = re.findall(r"`--([a-z0-9-]+)`", re.sub(r"\(also [^)]*\)", "", cells[1]))
        defaults = re.findall(r"`([^`]*)`", cells[2])
        if names and len(defaults) == len(names):
            pairs += zip(names, defaults, strict=True)
    return pairs


def test_the_readme_tables_give_defaults() -> None:
    assert len(readme_defaults()) >= 15


@pytest.mark.parametrize(("flag", "default"), readme_defaults())
def test_a_default_in_the_readme_is_the_one_help_shows(flag: str, default: str) -> None:
    usage_and_facts = help_text().split(f"--{flag}=", 1)[1].split("\n  --", 1)[0]
    assert f"default: {default}]" in usage_and_facts
