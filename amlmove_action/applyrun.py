"""One apply run: what every step of `apply` reads (the inputs, the approved plan, the signed-in session, the
platform) and writes (the report, the phase timings, state.json) — one object instead of long parameter lists."""

from __future__ import annotations

import time
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .azure import Clients
    from .inputs import Settings
    from .plan import Plan
    from .referencescan import ScanRoot
    from .report import Report
    from .session import Session


class Phases:
    """Wall time per phase, for the report."""

    def __init__(self) -> None:
        self.done: list[tuple[str, float]] = []
        self._name, self._t0 = "", 0.0

    def start(self, name: str) -> None:
        self.stop()
        self._name, self._t0 = name, time.monotonic()

    def stop(self) -> None:
        if self._name:
            self.done.append((self._name, time.monotonic() - self._t0))
            self._name = ""


@dataclass
class ApplyRun:
    settings: Settings
    platform: Any
    approved: Plan  # the approved plan (plan.json), verified
    report: Report
    phases: Phases
    state_path: Path  # OUTPUT_DIR/state.json
    session: Session
    scan: ScanRoot | None = None  # where to look for what still points at the old workspace (scan-path)

    @property
    def clients(self) -> Clients:
        return self.session.clients

    @cached_property
    def resources(self) -> list[str]:
        """The planned resource IDs, in the plan's order."""
        return list(self.approved.resources)

    @property
    def source_group(self) -> str:
        return self.approved.source.resource_group_id

    @property
    def target_group(self) -> str:
        return self.approved.destination.resource_group_id
