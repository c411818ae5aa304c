"""Where the tool runs, behind one small interface: GitHub Actions (outputs file, masks, annotations, job summary),
Azure DevOps (##vso logging commands) and a local terminal. Only our own, intended commands are ever printed; every
piece of text passes through safetext.for_log first, so untrusted text can never become a command."""

from __future__ import annotations

import os
import re
import sys
import uuid
from collections.abc import Mapping
from pathlib import Path
from typing import Literal, TextIO

from .safetext import for_log, redact

SUMMARY_LIMIT = 1024 * 1024
ANNOTATION_LIMIT = 10  # per level and step, as GitHub shows them


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def _vso_escape(text: str) -> str:
    return text.replace("%", "%AZP25").replace(";", "%3B").replace("\r", "%0D").replace("\n", "%0A").replace("]", "%5D")


class _Base:
    name = "local"

    def __init__(self, env: Mapping[str, str], stdout: TextIO, stderr: TextIO) -> None:
        self.env, self.stdout, self.stderr = env, stdout, stderr
        self.secrets: set[str] = set()
        self.counts = {"error": 0, "warning": 0, "notice": 0}

    def _print(self, line: str) -> None:
        print(line, file=self.stdout, flush=True)

    def info(self, line: str) -> None:
        self._print(for_log(redact(line, self.secrets)))

    def debug(self, line: str) -> None:
        return

    def mask(self, secret: str) -> None:
        if secret:
            self.secrets.add(secret)

    def _within_limit(self, level: str) -> bool:
        self.counts[level] = self.counts.get(level, 0) + 1
        return self.counts[level] <= ANNOTATION_LIMIT

    def annotate(self, level: Literal["error", "warning", "notice"], message: str, title: str | None = None) -> bool:
        if not self._within_limit(level):
            return False
        self._print(f"{level.upper()}: {for_log(redact(message, self.secrets))}")
        return True

    def set_output(self, name: str, value: str) -> None:
        self._print(f"output {name} = {for_log(redact(value, self.secrets))}")

    def write_summary(self, markdown: str) -> None:
        return

    def complete(self, result: str, message: str) -> None:
        return


class LocalPlatform(_Base):
    name = "local"


class GitHubPlatform(_Base):
    """Workflow commands per actions/toolkit: outputs through GITHUB_OUTPUT with a random heredoc delimiter."""

    name = "github"

    def debug(self, line: str) -> None:
        self._print(f"::debug::{_escape_data(for_log(redact(line, self.secrets)))}")

    def mask(self, secret: str) -> None:
        if not secret or secret in self.secrets:
            return
        super().mask(secret)
        for part in [secret, *secret.splitlines()]:
            if part.strip():
                self._print(f"::add-mask::{_escape_data(part)}")

    def annotate(self, level: Literal["error", "warning", "notice"], message: str, title: str | None = None) -> bool:
        if not self._within_limit(level):
            return False
        props = f" title={_escape_property(for_log(title))}" if title else ""
        self._print(f"::{level}{props}::{_escape_data(for_log(redact(message, self.secrets)))}")
        return True

    def set_output(self, name: str, value: str) -> None:
        path = self.env.get("GITHUB_OUTPUT")
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_-]*", name):
            raise ValueError(f"invalid output name {name!r}")
        value = redact(value, self.secrets)
        if not path:
            self._print(f"output {name} = {for_log(value)}")
            return
        delimiter = f"ghadelimiter_{uuid.uuid4()}"
        if delimiter in value:  # cannot happen with a fresh uuid; the toolkit refuses too
            raise ValueError("output value contains the delimiter")
        with open(path, "a", encoding="utf-8", newline="") as fh:
            fh.write(f"{name}<<{delimiter}{os.linesep}{value}{os.linesep}{delimiter}{os.linesep}")

    def write_summary(self, markdown: str) -> None:
        path = self.env.get("GITHUB_STEP_SUMMARY")
        if not path:
            return
        data = redact(markdown, self.secrets).encode("utf-8")[:SUMMARY_LIMIT]
        with open(path, "ab") as fh:
            fh.write(data.decode("utf-8", "ignore").encode("utf-8"))


class AzureDevOpsPlatform(_Base):
    """Azure Pipelines logging commands. Output variables use camelCase names (ADO names allow no hyphens)."""

    name = "azure-devops"

    def debug(self, line: str) -> None:
        self._print(f"##[debug]{for_log(redact(line, self.secrets))}")

    def mask(self, secret: str) -> None:
        if not secret or secret in self.secrets:
            return
        super().mask(secret)
        self._print(f"##vso[task.setsecret]{_vso_escape(secret)}")

    def annotate(self, level: Literal["error", "warning", "notice"], message: str, title: str | None = None) -> bool:
        if not self._within_limit(level):
            return False
        kind = "error" if level == "error" else "warning"
        text = for_log(redact(f"{title}: {message}" if title else message, self.secrets))
        self._print(f"##vso[task.logissue type={kind}]{_vso_escape(text)}")
        return True

    def set_output(self, name: str, value: str) -> None:
        variable = re.sub(r"-([a-z])", lambda m: m.group(1).upper(), name)
        text = for_log(redact(value, self.secrets))
        self._print(f"##vso[task.setvariable variable={variable};isoutput=true]{_vso_escape(text)}")

    def write_summary(self, markdown: str) -> None:
        folder = Path(self.env.get("AGENT_TEMPDIRECTORY") or self.env.get("RUNNER_TEMP") or ".").resolve()
        path = folder / f"amlmove-summary-{uuid.uuid4().hex[:8]}.md"
        path.write_bytes(redact(markdown, self.secrets).encode("utf-8")[:SUMMARY_LIMIT])
        self._print(f"##vso[task.uploadsummary]{_vso_escape(str(path))}")

    def complete(self, result: str, message: str) -> None:
        self._print(f"##vso[task.complete result={result};]{_vso_escape(for_log(message))}")


def detect_platform(env: Mapping[str, str], stdout: TextIO = sys.stdout, stderr: TextIO = sys.stderr) -> _Base:
    if env.get("GITHUB_ACTIONS") == "true":
        return GitHubPlatform(env, stdout, stderr)
    if env.get("TF_BUILD", "").lower() == "true":
        return AzureDevOpsPlatform(env, stdout, stderr)
    return LocalPlatform(env, stdout, stderr)
