"""The repository stands alone: no tracked file points outside it, and the docs' links resolve.

A clone holds only what git tracks, so a path that climbs out of the
repository (``../something`` resolved from the file that mentions it), an
absolute path of a developer's machine, or a markdown link to a file that is
not tracked is a broken promise to whoever reads it.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import PurePosixPath

import pytest

from dagster_project.settings import PROJECT_ROOT

# "../" repeated, then a path: resolved against the mentioning file's folder.
RELATIVE_PATH = re.compile(r"(?:\.\./)+[\w.\-/]*")
# Places on a build machine that a clone never has.
MACHINE_PATHS = re.compile(r"(?<![\w.])/(?:work|root|home|Users)/[\w.\-]+")
# [text](target) in markdown; the target up to a space, ')' or '#'.
MARKDOWN_LINK = re.compile(r"\[[^\]\n]*\]\(([^)\s#]*)(?:#[^)\s]*)?\)")


def tracked_files() -> list[str]:
    if not (PROJECT_ROOT / ".git").exists():
        pytest.skip("not a git checkout: the tracked files are unknown")
    listing = subprocess.run(
        ["git", "ls-files", "-z"], cwd=PROJECT_ROOT, capture_output=True, check=True, text=True
    ).stdout
    return [name for name in listing.split("\0") if name]


def _text(name: str) -> str | None:
    try:
        return (PROJECT_ROOT / name).read_text(encoding="utf-8")
    except (UnicodeDecodeError, FileNotFoundError, IsADirectoryError):
        return None  # binary, or deleted in the work tree


def outside_references(name: str, text: str) -> list[str]:
    """Every mention in ``text`` (of tracked file ``name``) of a path outside the repository."""
    found = []
    folder = PurePosixPath(name).parent
    for lineno, line in enumerate(text.splitlines(), start=1):
        for match in RELATIVE_PATH.finditer(line):
            climbs = match.group(0).count("../")
            if climbs > len(folder.parts):
                found.append(f"{name}:{lineno}: {match.group(0)!r} climbs out of the repository")
        for match in MACHINE_PATHS.finditer(line):
            found.append(f"{name}:{lineno}: {match.group(0)!r} is a path on one machine")
    return found


def broken_links(name: str, text: str, tracked: set[str]) -> list[str]:
    """Relative markdown links in ``name`` whose target is not a tracked file or folder."""
    found = []
    folder = PurePosixPath(name).parent
    for lineno, line in enumerate(text.splitlines(), start=1):
        for target in MARKDOWN_LINK.findall(line):
            if not target or re.match(r"^[a-z][a-z0-9+.-]*:", target):  # anchor only, or a URL
                continue
            resolved = _normalise(folder / target)
            if resolved is None or not (resolved in tracked or any(t.startswith(resolved + "/") for t in tracked)):
                found.append(f"{name}:{lineno}: link to {target!r} does not resolve to a tracked file")
    return found


def _normalise(path: PurePosixPath) -> str | None:
    parts: list[str] = []
    for part in path.parts:
        if part == "..":
            if not parts:
                return None
            parts.pop()
        elif part != ".":
            parts.append(part)
    return "/".join(parts)


def test_the_checks_recognise_what_they_look_for() -> None:
    # built from parts, so this file does not itself mention such paths
    outside, machine = "../" + "elsewhere/spec/metrics.md", "/" + "work/main"
    text = f"see {outside}\nprofile: '../warehouse/trustqa.duckdb'\nread {machine}/x\n"
    assert outside_references("README.md", text) == [
        f"README.md:1: '{outside}' climbs out of the repository",
        "README.md:2: '../warehouse/trustqa.duckdb' climbs out of the repository",
        f"README.md:3: '{machine}' is a path on one machine",
    ]
    # one level up from dbt_project/ is the repository root: inside
    assert outside_references("dbt_project/profiles.yml", text) == [
        f"dbt_project/profiles.yml:3: '{machine}' is a path on one machine"
    ]
    links = "[a](docs/metrics.md#csat) [b](https://example.org/x) [c](#top) [d](docs/missing.md) [e](../x.md)"
    assert broken_links("README.md", links, {"docs/metrics.md"}) == [
        "README.md:1: link to 'docs/missing.md' does not resolve to a tracked file",
        "README.md:1: link to '../x.md' does not resolve to a tracked file",
    ]
    assert broken_links("docs/a.md", "[r](../README.md) [d](../dbt_project)", {"README.md", "dbt_project/x.sql"}) == []


def test_no_tracked_file_points_outside_the_repository() -> None:
    found = []
    for name in tracked_files():
        text = _text(name)
        if text is not None:
            found.extend(outside_references(name, text))
    assert found == [], "\n".join(found)


def test_every_relative_markdown_link_resolves() -> None:
    files = tracked_files()
    tracked = set(files)
    found = []
    for name in files:
        if name.endswith(".md") and (text := _text(name)) is not None:
            found.extend(broken_links(name, text, tracked))
    assert found == [], "\n".join(found)
