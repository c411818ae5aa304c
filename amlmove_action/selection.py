"""What to move besides the workspace: the include-associated-resources choice. Its own module, so that both the
input parser (inputs.py) and the checks (checks.py) use it without importing each other."""

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
