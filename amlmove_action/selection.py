"""What to move besides the workspace: the include-associated-resources choice. Its own module, so that both the
input parser (inputs.py) and the checks (checks/) use it without importing each other."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class IncludeMode(StrEnum):
    AUTO = "auto"  # associated resources in the workspace's group that no other workspace uses
    NONE = "none"  # only the workspace
    ALL = "all"  # every associated resource in the workspace's group, shared or not
    LISTED = "listed"  # exactly the resource IDs given


@dataclass(frozen=True)
class AssociatedResourceChoice:
    """The include-associated-resources input, parsed: a mode, plus the IDs when the mode is LISTED."""

    mode: IncludeMode = IncludeMode.AUTO
    listed_ids: tuple[str, ...] = ()

    def to_text(self) -> str:
        """As plan.json's options.includeAssociatedResources holds it: the mode, or the listed IDs one per line."""
        return str(self.mode) if not self.listed_ids else "\n".join(self.listed_ids)

    @classmethod
    def from_text(cls, text: str) -> AssociatedResourceChoice:
        """The choice plan.json's options.includeAssociatedResources records (see to_text)."""
        if text in {m.value for m in IncludeMode if m is not IncludeMode.LISTED}:
            return cls(IncludeMode(text))
        return cls(IncludeMode.LISTED, tuple(i for i in text.split("\n") if i))
