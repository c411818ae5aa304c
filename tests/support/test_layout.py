"""The test suite's own layout (issue 17, point 4): every test file sits in a layer (unit, e2e, emulator, delivery,
support), a file named test_*.py holds tests, no test module imports another (shared helpers live in tests/support),
and nothing relies on the order tests run in (no `test_zz_`-style names)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from tests.conftest import ROOT

TESTS = ROOT / "tests"
LAYERS = {"unit", "e2e", "emulator", "delivery", "support"}


def layer_files() -> list[Path]:
    return sorted(p for p in TESTS.rglob("test_*.py") if "specs" not in p.relative_to(TESTS).parts)


def layout_problems(files: list[Path], root: Path = TESTS) -> list[str]:
    problems = []
    for path in files:
        rel = path.relative_to(root)
        if len(rel.parts) != 2 or rel.parts[0] not in LAYERS:
            problems.append(f"{rel}: not in a layer ({', '.join(sorted(LAYERS))})")
        tree = ast.parse(path.read_text(encoding="utf-8"))
        tests = [
            n.name
            for n in ast.walk(tree)
            if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef) and n.name.startswith("test")
        ]
        if not tests:
            problems.append(f"{rel}: named test_*.py but holds no test (a helper belongs in tests/support)")
        problems += [
            f"{rel}: {name} names an order (tests must not depend on it)"
            for name in tests
            if re.match(r"test_(z{2,}|a{2,}|\d{1,2})_", name)  # zz_, aa_, 01_ (not 429_)
        ]
        for node in ast.walk(tree):
            module = node.module if isinstance(node, ast.ImportFrom) else None
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else [module or ""]
            problems += [f"{rel}: imports the test module {n}" for n in names if re.search(r"(^|\.)test_\w+$", n or "")]
    return problems


def test_every_test_file_is_in_a_layer_holds_tests_and_imports_no_other_test_module() -> None:
    assert len(layer_files()) > 40
    assert layout_problems(layer_files()) == []


def test_the_layout_rule_can_fail(tmp_path: Path) -> None:
    (tmp_path / "unit").mkdir()
    (tmp_path / "test_top.py").write_text("def test_a():\n    pass\n")
    (tmp_path / "unit" / "test_helpers.py").write_text("HELPER = 1\n")
    (tmp_path / "unit" / "test_order.py").write_text(
        "from tests.e2e.test_faults import plan\n\ndef test_zz_totals():\n    pass\n"
    )
    problems = layout_problems(sorted(tmp_path.rglob("test_*.py")), tmp_path)
    assert "test_top.py: not in a layer (delivery, e2e, emulator, support, unit)" in problems
    assert any(p.startswith("unit/test_helpers.py: named test_*.py but holds no test") for p in problems)
    assert "unit/test_order.py: test_zz_totals names an order (tests must not depend on it)" in problems
    assert "unit/test_order.py: imports the test module tests.e2e.test_faults" in problems
