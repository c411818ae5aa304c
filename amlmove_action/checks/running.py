"""Running the checks: their IDs in registry order, the README's description of them, and `run_checks`."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import replace

# Importing the check modules registers their checks. Absolute imports: `from . import …` names this package, whose
# __init__ imports this module, and tools/code_figures.py (the import-cycle guard) counts that as a cycle.
import amlmove_action.checks.arm_dry_run as arm_dry_run
import amlmove_action.checks.around_the_move as around_the_move
import amlmove_action.checks.destination as destination
import amlmove_action.checks.move_set as move_set
import amlmove_action.checks.workspace_contents as workspace_contents
import amlmove_action.checks.workspace_kinds as workspace_kinds

from ..inventory import Inventory
from .findings import SEVERITY_ORDER, Finding, Severity
from .registry import REGISTRY, CheckFunction, CheckSpec
from .what_moves import Selection

CHECK_MODULES = (workspace_contents, destination, move_set, workspace_kinds, around_the_move, arm_dry_run)
_MODULE_ORDER = {module.__name__: index for index, module in enumerate(CHECK_MODULES)}
# The registry in this order: the modules' order above, then each module's own (the README's table and the plan show
# the checks in it). A check registered outside these modules fails here, on import.
_CHECKS: tuple[tuple[CheckSpec, CheckFunction], ...] = tuple(
    sorted(REGISTRY, key=lambda entry: _MODULE_ORDER[entry[1].__module__])
)

CHECK_IDS: tuple[str, ...] = tuple(spec.id for spec, _ in _CHECKS)
SKIPPABLE_CHECK_IDS: tuple[str, ...] = tuple(spec.id for spec, _ in _CHECKS if spec.skippable)


def check_spec(check_id: str) -> CheckSpec:
    """The registered spec for an ID (KeyError if unknown)."""
    for spec, _ in _CHECKS:
        if spec.id == check_id:
            return spec
    raise KeyError(check_id)


def describe_checks() -> Iterator[tuple[str, Severity, str, str]]:
    """(id, default severity, title, remediation summary) per check, in registry order: the README's table."""
    for spec, _ in _CHECKS:
        yield spec.id, spec.severity, spec.title, spec.remediation_summary


def run_checks(inventory: Inventory, selection: Selection, skip_checks: Iterable[str] = ()) -> list[Finding]:
    """Every check's findings, blockers first. Skipped checks still report, with blockers downgraded to warnings."""
    skip = {check_id.lower() for check_id in skip_checks}
    unknown = skip - set(CHECK_IDS)
    not_skippable = skip & (set(CHECK_IDS) - set(SKIPPABLE_CHECK_IDS))
    if unknown or not_skippable:
        # Settings validates skip-checks; reaching this is a programming error, not a user one.
        raise ValueError(f"cannot skip {sorted(unknown | not_skippable)}")
    findings: list[Finding] = []
    for spec, run in _CHECKS:
        for finding in run(inventory, selection):
            if spec.id in skip:
                downgraded = finding.severity is Severity.BLOCKER
                finding = replace(
                    finding,
                    skipped=True,
                    severity=Severity.WARNING if downgraded else finding.severity,
                    downgraded_from=Severity.BLOCKER if downgraded else None,
                )
            findings.append(finding)
    return sorted(findings, key=lambda finding: SEVERITY_ORDER[finding.severity])
