"""The habits of issue 17 part 5 stay wired: the pre-commit hooks run what `make lint`/`make typecheck` run, mypy is
strict on the product package (its debt list names real modules only), `make test` type-checks, `make lock` pins uv."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]


def _recipe(makefile: str, target: str) -> list[str]:
    """The commands of one Makefile target, with the venv variables spelled out as the hooks spell them."""
    block = re.search(rf"^{target}:.*\n((?:\t.*\n)+)", makefile, re.M)
    assert block, f"no `{target}` target in the Makefile"
    commands = [line.strip() for line in block.group(1).splitlines()]
    return [command.replace("$(PY)", ".venv/bin/python").replace("$(VENV)", ".venv") for command in commands]


def test_pre_commit_hooks_run_the_make_checks_with_the_locked_tools():
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    config = yaml.safe_load((ROOT / ".pre-commit-config.yaml").read_text(encoding="utf-8"))
    # Local hooks only: nothing to download, the tool versions are requirements/test.txt's.
    assert [repo["repo"] for repo in config["repos"]] == ["local"]
    hooks = config["repos"][0]["hooks"]
    assert all(hook["language"] == "system" and hook["pass_filenames"] is False for hook in hooks)
    assert [hook["entry"] for hook in hooks] == _recipe(makefile, "lint") + _recipe(makefile, "typecheck")


def test_make_test_type_checks_and_make_lock_pins_uv():
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    test_prerequisites = re.search(r"^test:(.*)$", makefile, re.M).group(1).split()
    assert {"lint", "typecheck", "pytest"} <= set(test_prerequisites)
    assert _recipe(makefile, "typecheck") == [".venv/bin/mypy"]
    assert re.search(r"^format:", makefile, re.M)
    lock = "\n".join(_recipe(makefile, "lock"))
    assert "uv==$(UV_VERSION)" in lock and re.search(r"^UV_VERSION := \d+\.\d+\.\d+$", makefile, re.M)
    assert "uv pip compile" not in lock.replace("$(UV) pip compile", "")  # every compile uses the pinned uv


def test_mypy_is_strict_on_the_whole_product_package_with_no_module_exempt():
    mypy = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["mypy"]
    assert mypy["strict"] is True and mypy["files"] == ["amlmove_action"]
    assert "mypy" in (ROOT / "requirements" / "test.in").read_text(encoding="utf-8").split()
    exempt = [
        module
        for override in mypy.get("overrides", [])
        if override.get("ignore_errors")
        for module in ([override["module"]] if isinstance(override["module"], str) else override["module"])
        if module.split(".")[0] == "amlmove_action"
    ]
    assert exempt == [], f"strict mypy must cover every product module; fix the types of {exempt}"
