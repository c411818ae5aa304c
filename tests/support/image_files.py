"""The container image's file list, computed the way `docker build` computes it: the build context after
.dockerignore (Docker's rules: patterns in order, the last match wins, `!` re-includes, a pattern that matches a
directory matches everything under it, `**` spans directories), then the Dockerfile's COPY lines.

Used by tests/delivery/test_release.py (what the image holds) and by the container-contract tests (the image without
Docker)."""

from __future__ import annotations

import os
import re
import shlex
from pathlib import Path, PurePosixPath

from tests.conftest import ROOT


def _pattern_regex(pattern: str) -> re.Pattern[str]:
    out, i = "", 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out, i = out + "(?:.*/)?", i + 3
        elif pattern.startswith("**", i):
            out, i = out + ".*", i + 2
        elif pattern[i] == "*":
            out, i = out + "[^/]*", i + 1
        elif pattern[i] == "?":
            out, i = out + "[^/]", i + 1
        else:
            out, i = out + re.escape(pattern[i]), i + 1
    return re.compile(out)


def dockerignore_rules(root: Path = ROOT) -> list[tuple[bool, re.Pattern[str]]]:
    """(excludes?, regex) per line of .dockerignore."""
    rules = []
    for raw in (root / ".dockerignore").read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        negate = line.startswith("!")
        pattern = str(PurePosixPath(line.lstrip("!").strip().lstrip("/")))
        rules.append((not negate, _pattern_regex(pattern)))
    return rules


def _excluded(path: str, rules: list[tuple[bool, re.Pattern[str]]]) -> bool:
    parts = path.split("/")
    prefixes = ["/".join(parts[: n + 1]) for n in range(len(parts))]  # the path and each parent directory
    excluded = False
    for excludes, regex in rules:
        if any(regex.fullmatch(p) for p in prefixes):
            excluded = excludes
    return excluded


def build_context(root: Path = ROOT) -> set[str]:
    """Files docker sends to the builder (relative POSIX paths)."""
    rules = dockerignore_rules(root)
    files = set()
    for folder, dirs, names in os.walk(root):
        dirs[:] = [d for d in dirs if d != ".git" and not (Path(folder) / d).is_symlink()]
        for name in names:
            rel = (Path(folder) / name).relative_to(root).as_posix()
            if not _excluded(rel, rules):
                files.add(rel)
    return files


def copy_instructions(root: Path = ROOT) -> list[tuple[list[str], str]]:
    """([sources], destination) for every plain COPY of the Dockerfile (no --from)."""
    copies = []
    for line in (root / "Dockerfile").read_text(encoding="utf-8").splitlines():
        words = shlex.split(line) if line.strip().upper().startswith("COPY ") else []
        if words and not any(w.startswith("--") for w in words[1:]):
            copies.append((words[1:-1], words[-1]))
    return copies


def image_files(root: Path = ROOT) -> dict[str, str]:
    """{path in the image: path in the repository} for everything the Dockerfile copies."""
    context = build_context(root)
    image: dict[str, str] = {}
    for sources, dest in copy_instructions(root):
        for source in sources:
            src = source.rstrip("/")
            if src in context:
                target = dest if not dest.endswith("/") else dest + PurePosixPath(src).name
                image[target] = src
                continue
            below = sorted(f for f in context if f.startswith(src + "/"))
            assert below, f"COPY {source}: nothing of it is in the build context"
            for rel in below:
                image[dest.rstrip("/") + "/" + rel[len(src) + 1 :]] = rel
    return image
