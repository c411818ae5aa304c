"""tools/code_figures.py measures what issue 17 tracks: check it on a small package written here."""

from __future__ import annotations

from pathlib import Path

from tools.code_figures import figures


def test_figures_find_the_cycle_the_widest_function_and_the_plan_lookups(tmp_path: Path) -> None:
    package = tmp_path / "pkg"
    (package / "commands").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "commands" / "__init__.py").write_text("")
    (package / "a.py").write_text(
        "from . import b\n\n\ndef wide(self, x, y, *rest, z=1, **more):\n    return plan['k']\n"
    )
    (package / "b.py").write_text("def late():\n    from .a import wide\n\n    return wide\n")
    (package / "commands" / "c.py").write_text(
        "from .. import b\n\n\nclass P:\n    def to_json(self):\n        return self.plan['k']\n\n"
        "def use(run, approved):\n    return run.approved['x'], approved.get('y'), other['z']\n"
    )
    lines = figures(package)
    assert "max parameters: pkg.a.wide (5)" in lines
    assert any(line.startswith("import cycles: 1\n  pkg.a <-> pkg.b") for line in lines)
    lookups = next(line for line in lines if line.startswith("plan/report/state dict lookups"))
    assert lookups.splitlines()[0].endswith(": 3")  # plan['k'], run.approved['x'], approved.get('y'); not to_json's


def test_the_product_package_keeps_no_import_cycle_and_no_plan_dict_lookups() -> None:
    """Issue 17's redesign, kept: the product has no import cycle and reads plan/report/state only through typed
    objects outside their (de)serialisation."""
    package = Path(__file__).resolve().parents[2] / "amlmove_action"
    lines = figures(package)
    assert next(line for line in lines if line.startswith("import cycles")).splitlines()[0] == "import cycles: 0"
    lookups = next(line for line in lines if line.startswith("plan/report/state dict lookups"))
    assert lookups.splitlines()[0].endswith(": 0"), lookups
