"""The README's generated tables (inputs and outputs from action.yml, checks from the check registry). One source
each; `python -m tests.support.readme_tables` rewrites the README, and test_readme.py fails when it is out of date."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"


def _cell(text: object) -> str:
    return " ".join(str(text).split()).replace("|", "\\|")


def inputs_table() -> str:
    action = yaml.safe_load((ROOT / "action.yml").read_text(encoding="utf-8"))
    rows = ["| Input | Default | Description |", "|---|---|---|"]
    for name, spec in action["inputs"].items():
        default = spec.get("default", "")
        shown = f"`{default}`" if default not in ("", None) else ("required" if spec.get("required") else "—")
        rows.append(f"| `{name}` | {shown} | {_cell(spec.get('description', ''))} |")
    return "\n".join(rows)


def outputs_table() -> str:
    action = yaml.safe_load((ROOT / "action.yml").read_text(encoding="utf-8"))
    rows = ["| Output | Description |", "|---|---|"]
    rows += [f"| `{name}` | {_cell(spec.get('description', ''))} |" for name, spec in action["outputs"].items()]
    return "\n".join(rows)


def checks_table() -> str:
    sys.path.insert(0, str(ROOT))
    from amlmove_action.checks import SKIPPABLE_CHECK_IDS, describe_checks

    rows = ["| Check ID | Default severity | What it means | How to fix |", "|---|---|---|---|"]
    for check_id, severity, title, fix in describe_checks():
        skippable = "" if check_id in SKIPPABLE_CHECK_IDS else " (cannot be skipped)"
        rows.append(f"| `{check_id}` | {severity}{skippable} | {_cell(title)} | {_cell(fix)} |")
    return "\n".join(rows)


def status_exit_pairs() -> set[tuple[str, int]]:
    """(report status, exit code) pairs of the README's table "Report status and exit code" (hand-written: the
    contract the fault tests hold apply to)."""
    section = README.read_text(encoding="utf-8").split("### Report status and exit code", 1)[1].split("\n#", 1)[0]
    rows = re.findall(r"^\| `([a-z-]+)` \| ([^|]+) \|", section, re.M)
    return {(status, int(code)) for status, codes in rows for code in re.findall(r"\d", codes)}


SECTIONS = {"inputs": inputs_table, "outputs": outputs_table, "checks": checks_table}


def render(text: str) -> str:
    for name, make in SECTIONS.items():
        pattern = re.compile(rf"(<!-- {name}:start -->).*?(<!-- {name}:end -->)", re.S)
        if not pattern.search(text):
            raise ValueError(f"README has no <!-- {name}:start --> … <!-- {name}:end --> block")
        text = pattern.sub(lambda m, make=make: f"{m.group(1)}\n{make()}\n{m.group(2)}", text)
    return text


if __name__ == "__main__":
    README.write_text(render(README.read_text(encoding="utf-8")), encoding="utf-8")
    print(f"updated {README}")
