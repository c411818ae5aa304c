"""A check's identity (`CheckSpec`: stable ID, severity, title, remediation template) and the registry the
`@registered` decorator fills; running.py reads it."""

from __future__ import annotations

import re
import shlex
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from ..inventory import Inventory
from .findings import Finding, Severity
from .what_moves import Selection
from .wording import MAX_LISTED

CheckFunction = Callable[[Inventory, Selection], list[Finding]]


@dataclass(frozen=True)
class CheckSpec:
    """A check's identity. `remediation` is a template: `{name}`-style fields, filled with shell-quoted values."""

    id: str
    severity: Severity
    title: str
    remediation: str
    hint: str = ""  # one sentence added once after the filled commands (e.g. the apply input that does it for you)
    skippable: bool = True
    prose: bool = False  # the template is a portal step or advice, not a shell command: insert values unquoted
    summary: str = ""  # README text when the template alone says too little

    def fill(self, **values: str) -> str:
        if self.prose:
            return self.remediation.format(**values)
        return self.remediation.format(**{key: shlex.quote(value) for key, value in values.items()})

    def finding(
        self,
        detail: str,
        remediation: Sequence[str],
        resource_ids: Iterable[str] = (),
        *,
        severity: Severity | None = None,
    ) -> Finding:
        lines = list(remediation[:MAX_LISTED])
        if len(remediation) > MAX_LISTED:
            lines.append(f"… and {len(remediation) - MAX_LISTED} more like these (see the resource IDs)")
        if self.hint:
            lines.append(self.hint)
        return Finding(
            id=self.id,
            severity=severity or self.severity,
            title=self.title,
            detail=detail,
            remediation="\n".join(lines),
            resource_ids=tuple(resource_ids),
        )

    @property
    def remediation_summary(self) -> str:
        """The template with `<field>` placeholders, for the README table."""
        if self.summary:
            return self.summary
        template = re.sub(r"\{(\w+)\}", r"<\1>", self.remediation)
        return f"{template} — {self.hint}" if self.hint else template


REGISTRY: list[tuple[CheckSpec, CheckFunction]] = []


def registered(spec: CheckSpec) -> Callable[[CheckFunction], CheckFunction]:
    def register(run: CheckFunction) -> CheckFunction:
        if any(known.id == spec.id for known, _ in REGISTRY):
            raise ValueError(f"duplicate check id {spec.id}")
        REGISTRY.append((spec, run))
        return run

    return register
