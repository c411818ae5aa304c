"""Counts that tests add to as they run and the session reports once, after every test (tests/conftest.py's session
checks): the fuzz cases run, the runner commands parsed for injection, the files scanned for secrets.

A test module registers its tally at import time and adds to the returned Counter; nothing depends on the order in
which tests run. A tally whose counter stayed empty (its module was not selected) prints nothing and checks nothing.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass
class Tally:
    name: str
    describe: Callable[[Counter[str]], str]  # the one summary line
    check: Callable[[Counter[str]], list[str]]  # problems that fail the session
    counts: Counter[str] = field(default_factory=Counter)


TALLIES: dict[str, Tally] = {}


def no_problems(_: Counter[str]) -> list[str]:
    return []


def tally(
    name: str,
    describe: Callable[[Counter[str]], str],
    check: Callable[[Counter[str]], list[str]] = no_problems,
) -> Counter[str]:
    """The counter of tally `name` (registered once; a module imported again gets the same counter)."""
    if name not in TALLIES:
        TALLIES[name] = Tally(name, describe, check)
    return TALLIES[name].counts


def session_report() -> tuple[list[str], list[str]]:
    """(summary lines, problems) over every tally that counted something."""
    lines: list[str] = []
    problems: list[str] = []
    for item in TALLIES.values():
        if not item.counts:
            continue
        line = item.describe(item.counts)
        lines.append(line)
        problems += [f"{item.name}: {problem} ({line})" for problem in item.check(item.counts)]
    return lines, problems
