"""The one exception hierarchy of amlmove: each error builds its own one-line message and carries its exit code.

Exit codes are part of the interface (documented in the README):
  0  success;  1  the move is blocked or the saved plan was refused;  2  an input is invalid;
  3  Azure, sign-in or an unexpected runtime step failed.
Only the entrypoint turns these into an exit status. Messages are single lines that can be printed to a CI log as-is:
`one_line` strips line breaks and defuses workflow-command sequences (`::`, `##[`, `##vso[`) because both GitHub and
Azure DevOps scan every output line for them.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from enum import IntEnum
from typing import ClassVar

_ECHO_LIMIT = 240  # long enough for any ARM ID; a longer value keeps its start and its end (where typos hide)
_AZURE_MESSAGE_LIMIT = 400


class ExitCode(IntEnum):
    """Process exit status, one per outcome the caller may want to branch on."""

    SUCCESS = 0
    REFUSED = 1
    INVALID_INPUT = 2
    FAILURE = 3


def defuse(text: str) -> str:
    """Make text unable to act as a CI logging command: split every `::` and `##` pair.

    GitHub reads `::cmd::` at a line start and `##[cmd]` anywhere; Azure DevOps reads `##vso[` and `##[` anywhere.
    Splitting each pair (`: :`, `# #`) disables all of them and stays readable.
    """
    return re.sub(r"#(?=#)", "# ", re.sub(r":(?=:)", ": ", text))


def one_line(text: str) -> str:
    """Collapse text to one printable line (line breaks and control characters become spaces), then defuse it."""
    flat = "".join(ch if ch.isprintable() else " " for ch in text)
    return defuse(" ".join(flat.split()))


def echo(value: str, limit: int = _ECHO_LIMIT) -> str:
    """A quoted, harmless rendering of untrusted text for an error message. A value over `limit` characters keeps
    its beginning and its end (a trailing slash or a wrong last segment stays visible)."""
    half = max(limit // 2, 1)
    shown = value if len(value) <= limit else value[:half] + "…" + value[-half:]
    return defuse(repr(shown))


def clause(text: str) -> str:
    """`text` without its closing period, to be followed by ". " (no "moving.." when ARM's message ends a sentence)."""
    stripped = text.rstrip()
    return stripped[:-1] if stripped.endswith(".") and not stripped.endswith("..") else stripped


class AmlMoveError(Exception):
    """Base class. `str(error)` is the one-line message; `exit_code` and `reference` classify it."""

    exit_code: ClassVar[ExitCode] = ExitCode.FAILURE
    reference: ClassVar[str] = "amlmove-error"  # stable kebab-case id, like pip's error references

    def __init__(self, message: str) -> None:
        self.message = one_line(message)
        super().__init__(self.message)

    def __str__(self) -> str:
        return self.message


class InputError(AmlMoveError):
    """An input (action input or CLI flag) is missing, malformed or contradicts another one."""

    exit_code = ExitCode.INVALID_INPUT
    reference = "invalid-input"

    def __init__(self, input_name: str, problem: str, fix: str, *, value: str | None = None) -> None:
        """`value` is echoed (shortened and defused) when given; leave it out for anything that may be secret."""
        self.input_name = input_name
        got = f" (got {echo(value)})" if value is not None else ""
        super().__init__(f"Input {input_name}{got}: {clause(problem)}. {fix}")


class PlanRefused(AmlMoveError):
    """Apply refuses the saved plan: missing, edited, stale, or made for different inputs (Terraform's stale plan)."""

    exit_code = ExitCode.REFUSED
    reference = "plan-refused"

    def __init__(self, plan_file: str, reason: str, fix: str) -> None:
        self.plan_file = plan_file
        self.reason = reason
        super().__init__(f"Refusing plan {echo(plan_file)}: {clause(reason)}. {fix}")


class Blocked(AmlMoveError):
    """Checks found blockers and fail-on-blockers is true: nothing was changed."""

    exit_code = ExitCode.REFUSED
    reference = "move-blocked"

    def __init__(self, workspace_id: str, blocker_ids: Sequence[str]) -> None:
        self.workspace_id = workspace_id
        self.blocker_ids = tuple(blocker_ids)
        unique = sorted(set(self.blocker_ids))
        super().__init__(
            f"Moving workspace {workspace_id} is blocked by {len(self.blocker_ids)} finding(s): {', '.join(unique)}. "
            "Fix each as its remediation says (see the plan summary), or list its check ID in skip-checks "
            "to accept the risk."
        )


class AzureError(AmlMoveError):
    """An Azure request failed in a way the tool cannot work around. ARM's code and correlation id are kept."""

    exit_code = ExitCode.FAILURE
    reference = "azure-request-failed"

    def __init__(
        self,
        operation: str,
        *,
        status: int | None = None,
        code: str | None = None,
        message: str = "",
        correlation_id: str | None = None,
        fix: str = "Check the resource and your permissions, then re-run; quote the correlation id to Azure support.",
    ) -> None:
        self.operation = operation
        self.status = status
        self.code = code
        self.azure_message = message
        self.correlation_id = correlation_id
        parts = [f"{operation} failed"]
        if status is not None:
            parts.append(f"HTTP {status}")
        if code:
            parts.append(code)
        said = message if len(message) <= _AZURE_MESSAGE_LIMIT else message[:_AZURE_MESSAGE_LIMIT] + "…"
        where = f" (correlation id {correlation_id})" if correlation_id else ""
        super().__init__(f"{': '.join(parts)}{': ' + clause(said) if said else ''}{where}. {fix}")


class SignInError(AmlMoveError):
    """No credential could get a token. The message may show token claims (issuer, subject, audience), never a token."""

    exit_code = ExitCode.FAILURE
    reference = "sign-in-failed"

    def __init__(self, method: str, detail: str, fix: str) -> None:
        self.method = method
        super().__init__(f"Sign-in with {method} failed: {clause(detail)}. {fix}")


class RuntimeFailure(AmlMoveError):
    """Anything else that stopped a run midway: a file that cannot be written, a move that timed out, and the like."""

    exit_code = ExitCode.FAILURE
    reference = "runtime-failure"

    def __init__(self, what: str, detail: str, fix: str) -> None:
        self.what = what
        super().__init__(f"{what} failed: {clause(detail)}. {fix}")
