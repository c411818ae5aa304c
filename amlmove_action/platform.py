"""Where the tool runs, behind one small interface: GitHub Actions (workflow commands, GITHUB_OUTPUT, job summary),
Azure DevOps (`##vso[` logging commands) and a local terminal.

Only our own, intended commands are ever printed. Every piece of text is redacted (secrets registered with `mask`)
and then passed through safetext before it reaches a line, so untrusted text can never become a command; the command
syntax itself (escaping of data and properties) is built here, per platform. The environment is passed in
(`detect_platform(env)`), never read from os.environ, so tests can drive each adapter completely.
"""

from __future__ import annotations

import re
import sys
import threading
import uuid
from collections.abc import Mapping
from pathlib import Path
from typing import Literal, Protocol, TextIO

# Only the pure helpers of actions-toolkit are used: its issue_command/set_output/issue_file_command write to
# sys.stdout and read os.environ (GITHUB_OUTPUT), which would make the adapter untestable and break the rule that
# only the settings/platform boundary sees the environment. Command gives the workflow-command syntax and escaping;
# prepare_key_value_message gives the heredoc with a random `ghadelimiter_<uuid>` and refuses a value containing it.
from actions_toolkit.command import Command as WorkflowCommand
from actions_toolkit.file_command import prepare_key_value_message

from .errors import RuntimeFailure
from .safetext import for_block_line, for_log, for_output, guarded_block, redact

SUMMARY_LIMIT = 1024 * 1024  # bytes per step: the runner refuses a larger GITHUB_STEP_SUMMARY file outright
ANNOTATION_LIMIT = 10  # per level and step: GitHub shows at most 10 error and 10 warning annotations per step
_OUTPUT_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*")
_SUMMARY_CUT_NOTE = "\n\n_(summary cut at the 1 MiB job-summary limit; the full text is in the output folder)_\n"

Level = Literal["error", "warning", "notice"]
Result = Literal["Succeeded", "SucceededWithIssues", "Failed"]


class Platform(Protocol):
    """What the commands need from the CI system. Callers may pass untrusted text to every method."""

    name: str  # "github" | "azure-devops" | "local"

    def info(self, line: str) -> None: ...
    def debug(self, line: str) -> None: ...
    def info_block(self, text: str) -> None: ...
    def mask(self, secret: str) -> None: ...
    def set_output(self, name: str, value: str) -> None: ...
    def annotate(self, level: Level, message: str, title: str | None = None) -> bool: ...
    def write_summary(self, markdown: str) -> None: ...
    def complete(self, result: Result, message: str) -> None: ...


def _vso_escape(text: str) -> str:
    """Azure Pipelines logging-command escaping (agent CommandStringConvertor): `%` first, as `%AZP25`."""
    return text.replace("%", "%AZP25").replace(";", "%3B").replace("\r", "%0D").replace("\n", "%0A").replace("]", "%5D")


def _cut_utf8(data: bytes, budget: int) -> bytes:
    """At most `budget` bytes, ending on a character and, when there is one, a line boundary, plus a short note."""
    if len(data) <= budget:
        return data
    keep = max(budget - len(_SUMMARY_CUT_NOTE.encode("utf-8")), 0)
    head = data[:keep].decode("utf-8", "ignore")
    if "\n" in head:
        head = head[: head.rindex("\n") + 1]
    out = (head + _SUMMARY_CUT_NOTE).encode("utf-8")
    return out if len(out) <= budget else data[:budget].decode("utf-8", "ignore").encode("utf-8")


_EMIT_LOCK = threading.Lock()


class _Adapter:
    """Shared behaviour: redaction of registered secrets, the annotation budget, line printing."""

    name = "local"

    def __init__(self, env: Mapping[str, str], stdout: TextIO, stderr: TextIO) -> None:
        self.env, self.stdout, self.stderr = env, stdout, stderr
        self.secrets: set[str] = set()
        self.annotations = {"error": 0, "warning": 0, "notice": 0}
        self.outputs: dict[str, str] = {}  # printed by complete() where the platform has no outputs of its own

    # -- helpers ---------------------------------------------------------------------------------------------------

    def _emit(self, line: str, stream: TextIO | None = None) -> None:
        """One whole line per write, under a lock: steps run side by side (apply's follow-ups), and a runner reads a
        command only from a line of its own (print() writes the line and its newline separately, so two threads
        could join two ::add-mask:: lines into one that masks neither secret)."""
        out = stream or self.stdout
        with _EMIT_LOCK:
            out.write(line + "\n")
            out.flush()

    def _safe(self, text: object) -> str:
        """Redact, neutralise, and redact again (neutralising can join a secret split over two lines)."""
        return redact(for_log(redact(text, self.secrets)), self.secrets)

    def _safe_output(self, value: object) -> str:
        return redact(for_output(redact(value, self.secrets)), self.secrets)

    def _new_secret_parts(self, secret: str) -> list[str]:
        """Registers a secret; returns it and its non-blank lines to announce (none when blank or already known).

        The runners mask the whole value and, GitHub at least, each of its lines; announcing each line as well costs
        nothing and does not depend on that."""
        if not isinstance(secret, str) or not secret.strip() or secret in self.secrets:
            return []
        self.secrets.add(secret)
        lines = [part for part in re.split(r"\r\n|\r|\n", secret) if part.strip()]
        return list(dict.fromkeys([secret, *lines]))

    def _annotation_text(self, message: str, title: str | None) -> str:
        """`title: message` on one inert line (the title is left out when the message already starts with it)."""
        text = self._safe(message)
        head = self._safe(title) if title else ""
        return f"{head}: {text}" if head and not text.startswith(head) else text

    def _take_annotation(self, level: str) -> bool:
        count = self.annotations.get(level, 0)
        if count >= ANNOTATION_LIMIT:
            return False
        self.annotations[level] = count + 1
        return True

    def _check_output_name(self, name: str) -> None:
        if not isinstance(name, str) or not _OUTPUT_NAME.fullmatch(name):
            raise RuntimeFailure(
                "Setting a step output",
                f"the name {for_log(repr(name))[:80]} is not a valid output name",
                "Use letters, digits, '_' and '-' only (this is a bug in amlmove: please report it)",
            )

    def _print_outputs(self) -> None:
        for key, value in self.outputs.items():
            self._emit(f"{key} = {value}")  # already one inert line (see _safe_output)
        self.outputs.clear()

    # -- the interface ---------------------------------------------------------------------------------------------

    def info(self, line: str) -> None:
        self._emit(self._safe(line))

    def debug(self, line: str) -> None:
        self._emit(f"debug: {self._safe(line)}", self.stderr)

    def info_block(self, text: str) -> None:
        for line in redact(text, self.secrets).splitlines() or [""]:
            self._emit(redact(for_block_line(line), self.secrets))

    def mask(self, secret: str) -> None:
        self._new_secret_parts(secret)

    def annotate(self, level: Level, message: str, title: str | None = None) -> bool:
        if not self._take_annotation(level):
            return False
        self._emit(f"{level}: {self._annotation_text(message, title)}")
        return True

    def set_output(self, name: str, value: str) -> None:
        self._check_output_name(name)
        self.outputs[name] = self._safe_output(value)

    def write_summary(self, markdown: str) -> None:
        return  # locally the same Markdown is already in the output folder (plan.md, report.md)

    def complete(self, result: Result, message: str) -> None:
        self._print_outputs()


class LocalPlatform(_Adapter):
    """A terminal: progress on stdout, debug on stderr, secrets redacted, step outputs as `name = value` at the end."""

    name = "local"


class GitHubPlatform(_Adapter):
    """GitHub Actions: workflow commands on stdout, outputs appended to GITHUB_OUTPUT, Markdown to the step summary."""

    name = "github"

    def _command(self, command: str, properties: dict[str, str], data: str) -> None:
        # The toolkit's Command escapes data (% CR LF) and property values (also : and ,) as the runner unescapes them.
        self._emit(str(WorkflowCommand(command, properties, data)))

    def debug(self, line: str) -> None:
        self._command("debug", {}, self._safe(line))

    def info_block(self, text: str) -> None:
        for line in guarded_block(redact(text, self.secrets)):
            self._emit(redact(line, self.secrets))

    def mask(self, secret: str) -> None:
        for part in self._new_secret_parts(secret):
            self._command("add-mask", {}, part)

    def annotate(self, level: Level, message: str, title: str | None = None) -> bool:
        if not self._take_annotation(level):
            return False
        properties = {"title": self._safe(title)} if title else {}
        self._command(level, properties, self._safe(message))
        return True

    def set_output(self, name: str, value: str) -> None:
        self._check_output_name(name)
        safe = self._safe_output(value)
        path = self.env.get("GITHUB_OUTPUT", "").strip()
        if not path:  # not inside a runner step (e.g. a local act-like shell): show it at the end instead
            self.outputs[name] = safe
            return
        try:
            message = prepare_key_value_message(name, safe)
        except Exception as exc:  # the toolkit raises a bare Exception when the name or value holds the delimiter
            raise RuntimeFailure(
                f"Setting the step output {name}", for_log(str(exc)), "Run the step again (a new delimiter is drawn)"
            ) from exc
        try:
            with open(path, "a", encoding="utf-8", newline="") as fh:
                fh.write(message + "\n")
        except OSError as exc:
            raise RuntimeFailure(
                f"Writing the step output {name} to GITHUB_OUTPUT",
                for_log(f"{type(exc).__name__}: {exc.strerror or exc}"),
                "Check that the runner's file_commands folder is mounted into the container and writable",
            ) from exc

    def write_summary(self, markdown: str) -> None:
        path = self.env.get("GITHUB_STEP_SUMMARY", "").strip()
        if not path:
            return
        data = redact(markdown, self.secrets).encode("utf-8", "replace")
        try:
            used = Path(path).stat().st_size if Path(path).exists() else 0
            budget = SUMMARY_LIMIT - used
            if budget <= len(_SUMMARY_CUT_NOTE.encode("utf-8")):
                self.info("The job summary is already at GitHub's 1 MiB limit: see the files in the output folder")
                return
            with open(path, "ab") as fh:
                fh.write(_cut_utf8(data, budget))
        except OSError as exc:  # the summary is a convenience: the same text is in the output folder
            self.info(f"Could not write the job summary ({type(exc).__name__}): see the files in the output folder")

    def complete(self, result: Result, message: str) -> None:
        self._print_outputs()  # only holds values when GITHUB_OUTPUT was missing


class AzureDevOpsPlatform(_Adapter):
    """Azure Pipelines: `##vso[` logging commands on stdout. Output variables use camelCase names (plan-digest →
    planDigest), as hyphens do not survive in `$(...)` and `dependencies.<job>.outputs[...]` references."""

    name = "azure-devops"

    def _vso(self, command: str, properties: dict[str, str], data: str) -> None:
        props = "".join(f"{key}={_vso_escape(value)};" for key, value in properties.items())
        self._emit(f"##vso[{command}{' ' + props if props else ''}]{_vso_escape(data)}")

    def debug(self, line: str) -> None:
        # `##[debug]` is the agent's formatting prefix (shown in the log as a debug line); the text after it cannot
        # hold `##`, so nothing else on the line is read as a command.
        self._emit(f"##[debug]{self._safe(line)}")

    def mask(self, secret: str) -> None:
        for part in self._new_secret_parts(secret):
            self._vso("task.setsecret", {}, part)

    def annotate(self, level: Level, message: str, title: str | None = None) -> bool:
        if not self._take_annotation(level):
            return False
        kind = "error" if level == "error" else "warning"  # logissue knows no notice
        self._vso("task.logissue", {"type": kind}, self._annotation_text(message, title))
        return True

    def set_output(self, name: str, value: str) -> None:
        self._check_output_name(name)
        variable = re.sub(r"-+([A-Za-z0-9])", lambda m: m.group(1).upper(), name).replace("-", "")
        self._vso("task.setvariable", {"variable": variable, "isoutput": "true"}, self._safe_output(value))

    def write_summary(self, markdown: str) -> None:
        folder = self.env.get("AGENT_TEMPDIRECTORY", "").strip() or self.env.get("RUNNER_TEMP", "").strip() or "."
        try:
            path = Path(folder).resolve() / f"amlmove-summary-{uuid.uuid4().hex[:12]}.md"
            path.write_bytes(_cut_utf8(redact(markdown, self.secrets).encode("utf-8", "replace"), SUMMARY_LIMIT))
        except OSError as exc:
            self.info(f"Could not write the run summary ({type(exc).__name__}): see the files in the output folder")
            return
        self._vso("task.uploadsummary", {}, str(path))

    def complete(self, result: Result, message: str) -> None:
        self._vso("task.complete", {"result": result}, self._safe(message))


def detect_platform(env: Mapping[str, str], stdout: TextIO = sys.stdout, stderr: TextIO = sys.stderr) -> Platform:
    """GITHUB_ACTIONS=true → GitHub; TF_BUILD=True → Azure DevOps (case-insensitive, trimmed); anything else → local."""
    if env.get("GITHUB_ACTIONS", "").strip().lower() == "true":
        return GitHubPlatform(env, stdout, stderr)
    if env.get("TF_BUILD", "").strip().lower() == "true":
        return AzureDevOpsPlatform(env, stdout, stderr)
    return LocalPlatform(env, stdout, stderr)
