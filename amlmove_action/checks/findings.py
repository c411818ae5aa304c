"""A check's result: its severity and the finding itself."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Severity(StrEnum):
    BLOCKER = "blocker"  # the move must not start (exit 1 when fail-on-blockers is true)
    WARNING = "warning"  # the move can start; a human should read this before approving
    INFO = "info"  # something apply or the user will handle after the move


SEVERITY_ORDER = {Severity.BLOCKER: 0, Severity.WARNING: 1, Severity.INFO: 2}


@dataclass(frozen=True)
class Finding:
    """One result of one check. `skipped` and `downgraded_from` record a skip-checks entry."""

    id: str
    severity: Severity
    title: str
    detail: str
    remediation: str  # one command or step per line
    resource_ids: tuple[str, ...] = ()
    skipped: bool = False
    downgraded_from: Severity | None = None

    @property
    def is_blocker(self) -> bool:
        return self.severity is Severity.BLOCKER
