"""Prechecks as data: pure functions from (Inventory, Selection) to findings, listed in one registry.

Each check has a stable ID, a default severity, a title and a remediation template (the exact `az` command or portal
step, filled with the real names). `select_associated_resources` decides what moves with the workspace; `run_checks`
runs every check and turns skipped blockers into warnings. The README's check table comes from `describe_checks()`.

The modules: findings.py (Severity, Finding), what_moves.py (Selection), registry.py (CheckSpec, `@registered`),
wording.py and resource_names.py (small helpers), one module per kind of check (workspace_contents.py,
destination.py, move_set.py, workspace_kinds.py, around_the_move.py, arm_dry_run.py) and running.py (the registry
order, `run_checks`). Adding a check touches the module of its kind and tests/unit/test_checks.py only. The modules
import one another, never this package, which only re-exports the names the rest of amlmove uses.
"""

from __future__ import annotations

from ..selection import AssociatedResourceChoice, IncludeMode
from .destination import required_namespaces
from .findings import Finding, Severity
from .registry import CheckSpec
from .running import CHECK_IDS, SKIPPABLE_CHECK_IDS, check_spec, describe_checks, run_checks
from .what_moves import AssociatedDecision, Outcome, Selection, select_associated_resources

__all__ = [
    "CHECK_IDS",
    "SKIPPABLE_CHECK_IDS",
    "AssociatedDecision",
    "AssociatedResourceChoice",
    "CheckSpec",
    "Finding",
    "IncludeMode",
    "Outcome",
    "Selection",
    "Severity",
    "check_spec",
    "describe_checks",
    "required_namespaces",
    "run_checks",
    "select_associated_resources",
]
