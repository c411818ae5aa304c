"""What still points at the old workspace: a pure matcher (text lines + the move → the lines that name the old
workspace, group or subscription, with the value to put there instead) and a bounded, read-only walk of the checked-out
repository that never follows a symbolic link.

What counts as a reference (one per line and kind of stale value):
- the workspace's full ARM id, anywhere (case-insensitive, as ARM ids are; a child id or an MLflow tracking URI holds
  it too), and the ARM id of every other resource that moved with it;
- an `azureml://subscriptions/<sub>/resourcegroups/<group>/workspaces/<name>` URI (datastore and asset paths);
- the old subscription id or the old group name, as a token of its own, within `WINDOW` lines of the workspace name
  in the same file: config.json/workspace.json, `MLClient(credential, sub, group, name)` (keywords, positional or
  variables set just above), `az ml … -w name -g group` (flags in any order, continuation lines), Bicep
  `scope: resourceGroup(sub, group)`, ARM `resourceId(…)`, Terraform `resource_group_name = …`, workflow variables.
  The name alone is never enough (a workspace called `main` or `ml` is a common word), and a value that the move does
  not change (the subscription of a move within one subscription) is not listed.
The line listed is the one that must be edited: for the triple, the group's and the subscription's lines (the name
stays). Only the file, the line, the kind of reference and the new value are kept — never the line's text, which
could hold a key.
"""

from __future__ import annotations

import codecs
import os
import re
import stat
from bisect import bisect_left
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path
from typing import Any

from .errors import InputError, echo

WINDOW = 10  # lines either side of the workspace name within which its group or subscription counts as the triple
REPORT_LIMIT = 1000  # references kept in report.json; the count of all is in referenceScan
# Dependency and tool folders: vendored code and caches, never the team's own pipelines.
SKIPPED_DIRS = frozenset(
    {
        ".git",
        ".hg",
        ".svn",
        "node_modules",
        "bower_components",
        ".venv",
        "venv",
        "site-packages",
        "__pycache__",
        ".tox",
        ".nox",
        ".mypy_cache",
        ".pytest_cache",
        ".ruff_cache",
        ".terraform",
    }
)
_CONTINUED = ("\\", "`", "^")  # sh/bash, PowerShell, cmd line continuations
_GUID = r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
# An ARM id (resource group, or a resource in it) or an azureml:// workspace URI, as written in any text.
_ARM_ID = re.compile(
    rf"/subscriptions/({_GUID})/resourcegroups/([-\w.()]{{1,90}})"
    r"(?:/providers/([A-Za-z][\w.]*)/([A-Za-z]\w*)/([^/\s\"'`,;)\]}?#]+)|/workspaces/([\w-]+))?",
    re.IGNORECASE,
)
_AZ_COMMAND = re.compile(r"(?<![\w-])az\s+[a-z]|--resource-group\b|--workspace-name\b", re.IGNORECASE)


# --- the move: what is stale, and what replaces it ------------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    """The old workspace and where the move puts it. `renames`: old id (lower case) → new id of every other
    top-level resource that moved with it."""

    subscription_id: str
    resource_group: str
    workspace_name: str
    new_subscription_id: str
    new_resource_group: str
    renames: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def for_move(cls, workspace_id: str, destination_group_id: str, moved: Iterable[tuple[str, str]] = ()) -> Target:
        old, new = workspace_id.strip("/").split("/"), destination_group_id.strip("/").split("/")
        return cls(old[1].lower(), old[3], old[7], new[1].lower(), new[3], {a.lower(): b for a, b in moved})

    @property
    def new_workspace_id(self) -> str:
        return (
            f"/subscriptions/{self.new_subscription_id}/resourceGroups/{self.new_resource_group}/providers/"
            f"Microsoft.MachineLearningServices/workspaces/{self.workspace_name}"
        )

    @property
    def new_azureml_uri(self) -> str:
        return (
            f"azureml://subscriptions/{self.new_subscription_id}/resourcegroups/{self.new_resource_group}/"
            f"workspaces/{self.workspace_name}"
        )

    @property
    def subscription_changes(self) -> bool:
        return self.subscription_id != self.new_subscription_id

    @property
    def group_changes(self) -> bool:
        return self.resource_group.lower() != self.new_resource_group.lower()


@dataclass(frozen=True)
class Reference:
    """One line that still points at the old workspace: `what` is stale there, `new_value` goes in its place."""

    path: str  # relative to the scanned root, `/`-separated
    line: int  # 1-based
    form: str  # where it was found: workspace-config, python, az-cli, bicep, arm-template, terraform, yaml, …
    what: str  # workspace-id | resource-id | azureml-uri | subscription | resource-group
    new_value: str

    def to_json(self) -> dict[str, Any]:
        return {"path": self.path, "line": self.line, "form": self.form, "what": self.what, "newValue": self.new_value}


WHAT_TEXT = {
    "workspace-id": "the workspace's resource ID",
    "resource-id": "the resource ID of a resource that moved with it",
    "azureml-uri": "an azureml:// URI of the workspace",
    "subscription": "the old subscription",
    "resource-group": "the old resource group",
}


# --- the matcher (pure) ---------------------------------------------------------------------------------------------


class _Patterns:
    """The target's values as tokens of their own: not part of a longer name, not the `ml` of `az ml`."""

    def __init__(self, target: Target) -> None:
        self.subscription = re.compile(rf"(?<![0-9A-Za-z-]){re.escape(target.subscription_id)}(?![0-9A-Za-z-])", re.I)
        self.group = re.compile(rf"(?<![\w.-])(?<!az ){re.escape(target.resource_group)}(?![\w-]|\.\w)", re.I)
        self.name = re.compile(rf"(?<![\w.-])(?<!az ){re.escape(target.workspace_name)}(?![\w-]|\.\w)", re.I)
        self.needles = (target.subscription_id, target.resource_group.casefold())


def _same(found: str | None, expected: str) -> bool:
    """Case-insensitive, ignoring a sentence's full stop or closing bracket after the value."""
    if found is None:
        return False
    return expected.casefold() in (found.casefold(), found.rstrip(".)").casefold())


def _ids_on(line: str, target: Target) -> tuple[list[tuple[str, str]], str, bool]:
    """The strong references on one line ((what, new value)), the line with every ARM id blanked out (so its parts
    do not count again as loose tokens; a bare group id stays), and whether the workspace itself is named there."""
    found: list[tuple[str, str]] = []
    rest, names_workspace = line, False
    for m in _ARM_ID.finditer(line):
        sub, group, namespace, kind, name, uri_workspace = m.groups()
        if namespace is None and uri_workspace is None:
            continue  # a group id: its subscription and group are judged like any other token
        rest = rest[: m.start()] + " " * (m.end() - m.start()) + rest[m.end() :]
        if sub.lower() != target.subscription_id or not _same(group, target.resource_group):
            continue
        if uri_workspace is not None:
            if _same(uri_workspace, target.workspace_name):
                found.append(("azureml-uri", target.new_azureml_uri))
                names_workspace = True
            continue
        if _same(f"{namespace}/{kind}", "Microsoft.MachineLearningServices/workspaces") and _same(
            name, target.workspace_name
        ):
            found.append(("workspace-id", target.new_workspace_id))
            names_workspace = True
            continue
        own = f"/subscriptions/{sub}/resourcegroups/{group}/providers/{namespace}/{kind}/{name}".lower()
        if own in target.renames:
            found.append(("resource-id", target.renames[own]))
    return found, rest, names_workspace


def find_references(lines: Sequence[str], target: Target, path: str = "") -> list[Reference]:
    """Every line of one file that still points at the old workspace (see the module's docstring for the rules)."""
    patterns = _Patterns(target)
    file_form = form_of_file(path, lines)
    strong: list[tuple[int, str, str]] = []
    loose: list[tuple[int, str, str]] = []
    anchors: list[int] = []
    for index, line in enumerate(lines):
        folded = line.casefold()
        if not any(needle in folded for needle in patterns.needles):
            if target.workspace_name.casefold() in folded and patterns.name.search(line):
                anchors.append(index)
            continue
        found, rest, names_workspace = _ids_on(line, target)
        strong += [(index, what, value) for what, value in found]
        if names_workspace or patterns.name.search(rest):
            anchors.append(index)
        if target.subscription_changes and patterns.subscription.search(rest):
            loose.append((index, "subscription", target.new_subscription_id))
        if target.group_changes and patterns.group.search(rest):
            loose.append((index, "resource-group", target.new_resource_group))
    near = [(i, what, value) for i, what, value in loose if _anchored(i, anchors)]
    seen: set[tuple[int, str]] = set()
    out = []
    for index, what, value in sorted(strong + near, key=lambda r: (r[0], list(WHAT_TEXT).index(r[1]))):
        if (index, what) not in seen:
            seen.add((index, what))
            out.append(Reference(path, index + 1, form_of_line(file_form, lines, index), what, value))
    return out


def _anchored(index: int, anchors: list[int]) -> bool:
    """Whether a line naming the workspace lies within WINDOW lines of `index` (`anchors` is in ascending order)."""
    at = bisect_left(anchors, index - WINDOW)
    return at < len(anchors) and anchors[at] <= index + WINDOW


def form_of_file(path: str, lines: Sequence[str]) -> str:
    """What kind of file `path` is, by its name (and, for JSON, whether it is an ARM template)."""
    name = path.rsplit("/", 1)[-1].lower()
    suffix = name.rsplit(".", 1)[-1] if "." in name else ""
    if name in ("config.json", "workspace.json") or "/.azureml/" in f"/{path.lower()}":
        return "workspace-config"
    if suffix == "json":
        head = "\n".join(lines[:20]).lower()
        return "arm-template" if "deploymenttemplate.json" in head or "deploymentparameters.json" in head else "json"
    by_suffix = {
        "py": "python",
        "ipynb": "python",
        "bicep": "bicep",
        "bicepparam": "bicep",
        "tf": "terraform",
        "tfvars": "terraform",
        "hcl": "terraform",
        "sh": "script",
        "bash": "script",
        "ps1": "script",
        "cmd": "script",
        "bat": "script",
        "md": "docs",
        "rst": "docs",
        "txt": "docs",
        "env": "env",
    }
    if suffix in ("yml", "yaml"):
        return "github-workflow" if "/.github/workflows/" in f"/{path}" else "yaml"
    if name.startswith(".env"):
        return "env"
    return by_suffix.get(suffix, "text")


def form_of_line(file_form: str, lines: Sequence[str], index: int) -> str:
    """`az-cli` when the line is part of an `az …` command (its continuation lines included), else the file's."""
    start = index
    while start > 0 and index - start < 20 and lines[start - 1].rstrip().endswith(_CONTINUED):
        start -= 1
    end = index
    while end + 1 < len(lines) and end - index < 20 and lines[end].rstrip().endswith(_CONTINUED):
        end += 1
    return "az-cli" if _AZ_COMMAND.search(" ".join(lines[start : end + 1])) else file_form


# --- the walk (bounded, read-only, no links) ------------------------------------------------------------------------


@dataclass(frozen=True)
class Limits:
    files: int = 10_000  # files read
    file_bytes: int = 1 << 20  # a larger file is skipped (data, a build output), and counted
    total_bytes: int = 64 << 20
    entries: int = 100_000  # directory entries looked at (counting what was not read stops there)
    depth: int = 48


LIMITS = Limits()


@dataclass
class ScanResult:
    root: str
    references: list[Reference] = field(default_factory=list)
    files_scanned: int = 0  # files read (binary ones are then skipped)
    files_seen: int = 0  # regular files listed (up to the entries bound)
    bytes_scanned: int = 0
    bound: str = ""  # which bound stopped the scan ("" when none did)
    skipped: dict[str, int] = field(
        default_factory=lambda: dict.fromkeys(
            ("symlinks", "binary", "tooLarge", "unreadable", "notRegular", "skippedDirs", "ownOutput"), 0
        )
    )

    @property
    def truncated(self) -> bool:
        return bool(self.bound)

    def summary_json(self) -> dict[str, Any]:
        return {
            "root": self.root,
            "filesScanned": self.files_scanned,
            "filesSeen": self.files_seen,
            "bytesScanned": self.bytes_scanned,
            "truncated": self.truncated,
            "bound": self.bound,
            "skipped": dict(self.skipped),
            "references": len(self.references),
        }


def scan_supported() -> bool:
    """The walk opens every directory and file relative to its parent's descriptor, without following links."""
    return hasattr(os, "O_NOFOLLOW") and hasattr(os, "O_DIRECTORY") and os.open in os.supports_dir_fd


def scan_tree(root: Path, target: Target, limits: Limits = LIMITS, exclude: Iterable[Path] = ()) -> ScanResult:
    """Every reference under `root` (a directory): read-only, within `limits`, skipping binary files, the folders of
    SKIPPED_DIRS and `exclude` (files and folders: amlmove's own output, as the plan names the old workspace; `root`
    itself is always scanned), and every symbolic link.

    Directories and files are opened relative to their parent's descriptor with O_NOFOLLOW, so a link swapped in
    after the listing is refused by the kernel rather than followed (no path is resolved twice)."""
    result = ScanResult(str(root))
    excluded = set()
    for path in exclude:
        try:
            st = os.stat(path)
            excluded.add((st.st_dev, st.st_ino))
        except OSError:
            pass
    root_fd = os.open(root, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        _Walk(result, target, limits, excluded).directory(root_fd, "", 0)
    finally:
        os.close(root_fd)
    return result


class _Walk:
    def __init__(self, result: ScanResult, target: Target, limits: Limits, excluded: set[tuple[int, int]]) -> None:
        self.result, self.target, self.limits, self.excluded = result, target, limits, excluded
        self.entries = 0
        self.reading = True  # false once the files or bytes bound is reached: the rest is only counted

    def directory(self, fd: int, prefix: str, depth: int) -> None:
        result = self.result
        try:
            with os.scandir(fd) as listing:  # at most what the entries bound still allows, in memory at once
                entries = sorted(islice(listing, self.limits.entries - self.entries + 1), key=lambda e: e.name)
        except OSError:
            result.skipped["unreadable"] += 1
            return
        subdirs = []
        for entry in entries:
            self.entries += 1
            if self.entries > self.limits.entries:
                result.bound = result.bound or f"{self.limits.entries:,} directory entries"
                return
            try:
                if entry.is_symlink():
                    result.skipped["symlinks"] += 1
                elif entry.is_dir(follow_symlinks=False):
                    subdirs.append(entry.name)
                elif entry.is_file(follow_symlinks=False):
                    result.files_seen += 1
                    if self.reading:
                        self.file(fd, entry.name, prefix + _shown_name(entry.name))
                else:
                    result.skipped["notRegular"] += 1
            except OSError:
                result.skipped["unreadable"] += 1
        for name in subdirs:
            if self.entries > self.limits.entries:
                return
            if name in SKIPPED_DIRS or depth + 1 > self.limits.depth:
                result.skipped["skippedDirs"] += 1
                continue
            self.subdirectory(fd, name, prefix + _shown_name(name) + "/", depth + 1)

    def subdirectory(self, parent: int, name: str, prefix: str, depth: int) -> None:
        try:
            fd = os.open(name, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC, dir_fd=parent)
        except OSError as exc:
            self.result.skipped["symlinks" if _is_link_refusal(exc) else "unreadable"] += 1
            return
        try:
            st = os.fstat(fd)
            if (st.st_dev, st.st_ino) in self.excluded:
                self.result.skipped["ownOutput"] += 1
                return
            self.directory(fd, prefix, depth)
        finally:
            os.close(fd)

    def file(self, parent: int, name: str, shown: str) -> None:
        result, limits = self.result, self.limits
        if result.files_scanned >= limits.files:
            result.bound, self.reading = f"{limits.files:,} files", False
            return
        try:
            fd = os.open(name, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC, dir_fd=parent)
        except OSError as exc:
            result.skipped["symlinks" if _is_link_refusal(exc) else "unreadable"] += 1
            return
        try:
            st = os.fstat(fd)
            if not stat.S_ISREG(st.st_mode):  # swapped for a FIFO or device after the listing
                result.skipped["notRegular"] += 1
                return
            if (st.st_dev, st.st_ino) in self.excluded:
                result.skipped["ownOutput"] += 1
                return
            if st.st_size > limits.file_bytes:
                result.skipped["tooLarge"] += 1
                return
            if result.bytes_scanned + st.st_size > limits.total_bytes:
                result.bound, self.reading = f"{limits.total_bytes:,} bytes", False
                return
            data = _read_at_most(fd, limits.file_bytes + 1)
        except OSError:
            result.skipped["unreadable"] += 1
            return
        finally:
            os.close(fd)
        if len(data) > limits.file_bytes:  # grew since fstat
            result.skipped["tooLarge"] += 1
            return
        result.files_scanned += 1
        result.bytes_scanned += len(data)
        text = decoded(data)
        if text is None:
            result.skipped["binary"] += 1
            return
        folded = text.casefold()
        if self.target.subscription_id in folded or self.target.resource_group.casefold() in folded:
            result.references += find_references(text.split("\n"), self.target, shown)


def _read_at_most(fd: int, size: int) -> bytes:
    chunks, left = [], size
    while left > 0:
        chunk = os.read(fd, min(left, 1 << 16))
        if not chunk:
            break
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def _is_link_refusal(exc: OSError) -> bool:
    """O_NOFOLLOW on a link fails with ELOOP (Linux) or EMLINK (some BSDs); O_DIRECTORY on a link to a file with
    ENOTDIR."""
    import errno

    return exc.errno in (errno.ELOOP, errno.EMLINK, errno.ENOTDIR)


def _shown_name(name: str) -> str:
    """A file name as text: bytes that are not UTF-8 shown as \\xNN (report.json is UTF-8)."""
    return name.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def decoded(data: bytes) -> str | None:
    """The text of a file, or None for a binary one (a NUL byte, or not UTF-8/UTF-16)."""
    try:
        if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            text = data.decode("utf-16")
        elif b"\0" in data:
            return None
        else:
            text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return None
    return text.replace("\r\n", "\n").replace("\r", "\n")


# --- where to scan --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ScanRoot:
    path: Path | None
    why: str  # where the root came from, or why nothing is scanned


def scan_root(scan_path: str, env: Mapping[str, str], platform_name: str) -> ScanRoot:
    """The folder to scan: scan-path when given (it must be a directory: InputError otherwise, before any change),
    `none` for no scan, else the checked-out repository — GITHUB_WORKSPACE on GitHub (/github/workspace in the
    container), BUILD_SOURCESDIRECTORY on Azure DevOps, nothing in a terminal."""
    chosen = scan_path.strip()
    if chosen.lower() == "none":
        return ScanRoot(None, "scan-path is none")
    if chosen and chosen.lower() != "auto":
        path = Path(chosen)
        if not path.is_dir():
            raise InputError(
                "scan-path",
                f"{echo(chosen, 120)} is not a directory",
                "Give the folder of the checked-out repository (or auto, or none to scan nothing)",
            )
        return ScanRoot(path, "scan-path")
    variable = {"github": "GITHUB_WORKSPACE", "azure-devops": "BUILD_SOURCESDIRECTORY"}.get(platform_name)
    if variable is None:
        return ScanRoot(None, "no checked-out repository in a terminal run (set scan-path to scan one)")
    given = env.get(variable, "").strip()
    if not given or not Path(given).is_dir():
        return ScanRoot(None, f"{variable} is not set to a directory")
    return ScanRoot(Path(given), variable)


# --- the scan for a run, and its lines in report.md / plan.md -------------------------------------------------------


def own_output(output_dir: Path, plan_file: Path) -> list[Path]:
    """What amlmove wrote or reads, which names the old workspace: never listed as a reference, wherever it lies in
    the scanned folder (output-dir or the downloaded plan artifact may be the repository's root itself)."""
    folders = [output_dir, plan_file.parent]
    files = [plan_file, *(output_dir / name for name in ("plan.json", "plan.md", "report.json", "report.md"))]
    return [*folders, *(folder / "exports" for folder in folders), *files, output_dir / "state.json"]


def scan_for_move(scan: ScanRoot | None, target: Target, exclude: Iterable[Path]) -> ScanResult | None:
    """The scan of `scan`'s folder (None when nothing is scanned). Never fails the run: a root that cannot be
    opened gives an empty result that says so."""
    if scan is None or scan.path is None or not scan_supported():
        return None
    try:
        return scan_tree(scan.path, target, exclude=exclude)
    except OSError as exc:
        result = ScanResult(str(scan.path))
        result.skipped["unreadable"] += 1
        result.bound = f"the folder could not be read ({exc.strerror or type(exc).__name__})"
        return result


_SKIPPED_TEXT = {
    "symlinks": "symbolic link(s), never followed",
    "binary": "binary file(s)",
    "tooLarge": "file(s) over the size bound",
    "unreadable": "unreadable",
    "notRegular": "FIFO(s), socket(s) or device(s)",
    "skippedDirs": "dependency or tool folder(s)",
    "ownOutput": "amlmove output file(s) or folder(s)",
}


def summary_lines(summary: Mapping[str, Any] | None) -> list[str]:
    """A paragraph (Markdown) on what was scanned and whether a bound stopped it; none when nothing was scanned."""
    return [summary_line(summary), ""] if summary else []


def summary_line(summary: Mapping[str, Any]) -> str:
    """One sentence (Markdown) on what was scanned and whether a bound stopped it."""
    from .render import code, md

    shown = ", ".join(f"{v:,} {_SKIPPED_TEXT.get(k, k)}" for k, v in summary["skipped"].items() if v)
    text = (
        f"Scanned {code(summary['root'])}: {summary['filesScanned']:,} of {summary['filesSeen']:,} file(s), "
        f"{summary['bytesScanned']:,} bytes; {summary['references']:,} reference(s) to the old workspace"
    )
    if shown:
        text += f" (not read: {md(shown)})"
    if summary["truncated"]:
        text += f". **Stopped at the bound of {md(summary['bound'])}**: files beyond it were not searched"
    return text + "."


def reference_items(references: Sequence[Mapping[str, Any]]) -> list[str]:
    """Markdown checklist items, one per file:line: the kind of reference and the value to put there."""
    from .render import code, md

    return [
        f"- [ ] {code(str(r['path']) + ':' + str(r['line']))} ({md(r['form'])}): "
        f"{md(WHAT_TEXT.get(r['what'], r['what']))} → {code(r['newValue'])}"
        for r in references
    ]


PLAN_LIMIT = 200  # file:line items in plan.md (apply lists them all again in report.md after the move)


def plan_section(
    scan: ScanRoot | None,
    workspace_id: str,
    destination_group_id: str,
    resources: Iterable[str],
    exclude: Iterable[Path],
) -> str:
    """plan.md's "What will need editing after the move": the same scan as apply's, against the planned new ids
    (read-only and cheap, so the reviewer sees the follow-up work before approving); "" when nothing is scanned."""
    from .ids import moved_id

    moved = [(r, moved_id(r, destination_group_id)) for r in resources]
    result = scan_for_move(scan, Target.for_move(workspace_id, destination_group_id, moved), exclude)
    if result is None:
        return ""
    summary = result.summary_json()
    lines = ["", "### What will need editing after the move", ""]
    lines += reference_items([r.to_json() for r in result.references[:PLAN_LIMIT]])
    if len(result.references) > PLAN_LIMIT:
        lines.append(f"- … and {len(result.references) - PLAN_LIMIT:,} more (report.md lists them all after apply)")
    lines += ["", *summary_lines(summary)]
    return "\n".join(lines)
