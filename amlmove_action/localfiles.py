"""The local paths a run reads and writes — output-dir, plan-file, state.json — checked before any network call:
output-dir is (or is created as) a writable directory on a regular filesystem, and every file amlmove reads is a
regular file, opened without blocking and read with a size bound (a FIFO, a device such as /dev/zero, a directory or
a link to one is refused with one line, exit 2)."""

from __future__ import annotations

import errno
import json
import os
import stat
from pathlib import Path
from typing import Any

from .errors import InputError, echo

# Kernel filesystems: their "files" are devices, process state or endless streams, never a place for artifacts.
SYSTEM_ROOTS = (Path("/proc"), Path("/sys"), Path("/dev"))
# What amlmove writes into output-dir: each must be a regular file (or absent), or writing it could block (a FIFO),
# land on a device, or fail after Azure was changed (a directory). state.json is checked where it is read.
OUTPUT_FILES = ("plan.json", "plan.md", "report.json", "report.md", "status.json", "status.md")
_CHUNK = 1 << 20
_FIX_DIR = "Use a directory in the job's workspace that amlmove may create and write, e.g. amlmove-output"
_FIX_FILE = "Remove it, or use another output-dir"


def _shown(path: Path) -> str:
    return echo(str(path), 120)


def _system_root(path: Path) -> Path | None:
    """The kernel filesystem `path` (resolved) lies in, if any."""
    for root in SYSTEM_ROOTS:
        if path == root or root in path.parents:
            return root
    return None


def _kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a directory"
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def _kind_of(path: Path) -> str:
    try:
        mode = path.stat().st_mode
    except OSError:
        return "a broken link"
    return "a file" if stat.S_ISREG(mode) else _kind(mode)


def prepare_output_dir(path: Path) -> None:
    """Make sure output-dir is a writable directory on a regular filesystem, creating it (and its parents) when
    missing; InputError (exit 2) otherwise: a file, under a file, under /proc, /sys or /dev, not writable."""
    name = "output-dir"
    try:
        resolved = path.resolve()
    except (OSError, RuntimeError):  # a symlink loop
        raise InputError(name, f"{_shown(path)} cannot be resolved (a symbolic link loop)", _FIX_DIR) from None
    root = _system_root(resolved)
    if root is not None:
        raise InputError(name, f"{_shown(path)} lies under {root}, a kernel filesystem", _FIX_DIR)
    existing = resolved
    while not os.path.lexists(existing):
        existing = existing.parent
    if not existing.is_dir():
        where = "is" if existing == resolved else f"lies under {_shown(existing)}, which is"
        raise InputError(name, f"{_shown(path)} {where} {_kind_of(existing)}, not a directory", _FIX_DIR)
    try:
        resolved.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(name, f"{_shown(path)} cannot be created ({exc.strerror})", _FIX_DIR) from None
    if not os.access(resolved, os.W_OK | os.X_OK):
        raise InputError(name, f"{_shown(path)} is not writable by this user", _FIX_DIR)
    for file_name in OUTPUT_FILES:
        target = resolved / file_name
        try:
            mode = target.stat().st_mode
        except FileNotFoundError:
            continue
        except OSError as exc:
            raise InputError(name, f"its {file_name} cannot be read ({exc.strerror})", _FIX_FILE) from None
        if not stat.S_ISREG(mode):
            raise InputError(name, f"its {file_name} is {_kind(mode)}, not a regular file", _FIX_FILE)


def read_regular_file(path: Path, limit: int) -> bytes:
    """The bytes of `path`, a regular file of at most `limit` bytes (following links). Opened with O_NONBLOCK, so a
    FIFO never blocks the open, and checked with fstat on the open descriptor (no race with a swap after a stat).
    Raises FileNotFoundError when absent, NotRegularFile or TooLarge otherwise; other OSErrors pass through."""
    try:
        resolved = path.resolve()
    except RuntimeError:  # a symbolic link loop (older Pythons)
        raise OSError(errno.ELOOP, os.strerror(errno.ELOOP)) from None
    root = _system_root(resolved)
    if root is not None:
        raise NotRegularFile(f"lies under {root}, a kernel filesystem")
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC)
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise NotRegularFile(f"is {_kind(info.st_mode)}")
        if info.st_size > limit:
            raise TooLarge(info.st_size)
        chunks, total = [], 0
        while total <= limit:
            chunk = os.read(fd, min(_CHUNK, limit + 1 - total))
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
        if total > limit:
            raise TooLarge(total)
        return b"".join(chunks)
    finally:
        os.close(fd)


class NotRegularFile(OSError):
    """The path is a FIFO, a device, a directory, a socket, or lies in a kernel filesystem (the text says which)."""


class TooLarge(OSError):
    def __init__(self, size: int) -> None:
        super().__init__(f"{size} bytes")
        self.size = size


def write_json_atomically(path: Path, data: Any) -> Path:
    """Write `data` as indented JSON to `path` through a temporary file renamed over it: a reader never sees half
    a file (plan.json, report.json, state.json)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    tmp.replace(path)
    return path
