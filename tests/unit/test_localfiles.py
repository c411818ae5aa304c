"""amlmove_action.localfiles: output-dir is a writable directory on a regular filesystem, and every file amlmove reads
is a regular file of bounded size, opened without blocking. Each refusal is one InputError line naming the input."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from amlmove_action.errors import InputError
from amlmove_action.localfiles import NotRegularFile, TooLarge, prepare_output_dir, read_regular_file


def refusal(path: Path) -> str:
    with pytest.raises(InputError) as caught:
        prepare_output_dir(path)
    assert caught.value.input_name == "output-dir" and "\n" not in str(caught.value)
    return str(caught.value)


def test_a_missing_output_dir_is_created_with_its_parents(tmp_path: Path) -> None:
    target = tmp_path / "a" / "b" / "out"
    prepare_output_dir(target)
    assert target.is_dir()
    prepare_output_dir(target)  # an existing one is fine, and its regular artifacts too
    (target / "plan.json").write_text("{}")
    prepare_output_dir(target)


def test_a_file_or_a_path_under_a_file_is_refused(tmp_path: Path) -> None:
    (tmp_path / "f").write_text("x")
    assert "is a file, not a directory" in refusal(tmp_path / "f")
    message = refusal(tmp_path / "f" / "out")
    assert "lies under" in message and "which is a file, not a directory" in message
    assert not (tmp_path / "f" / "out").exists()


@pytest.mark.parametrize("where", ["/proc/self", "/sys/amlmove", "/dev/shm/amlmove"])
def test_kernel_filesystems_are_refused(where: str) -> None:
    assert "a kernel filesystem" in refusal(Path(where))


def test_a_symlink_loop_is_refused(tmp_path: Path) -> None:
    (tmp_path / "loop").symlink_to(tmp_path / "loop")
    assert "cannot be resolved (a symbolic link loop)" in refusal(tmp_path / "loop")


def test_an_artifact_name_taken_by_a_directory_or_fifo_is_refused(tmp_path: Path) -> None:
    (tmp_path / "report.json").mkdir()
    assert "its report.json is a directory, not a regular file" in refusal(tmp_path)
    os.rmdir(tmp_path / "report.json")
    os.mkfifo(tmp_path / "plan.md")
    assert "its plan.md is a FIFO (named pipe)" in refusal(tmp_path)


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes anywhere")
def test_a_directory_this_user_cannot_write_is_refused(tmp_path: Path) -> None:
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        assert "is not writable by this user" in refusal(locked)
        assert "cannot be created" in refusal(locked / "out")
    finally:
        locked.chmod(0o700)


def test_read_regular_file_reads_up_to_the_limit(tmp_path: Path) -> None:
    path = tmp_path / "plan.json"
    path.write_bytes(b"x" * 100)
    assert read_regular_file(path, 100) == b"x" * 100
    with pytest.raises(TooLarge) as caught:
        read_regular_file(path, 99)
    assert caught.value.size == 100
    (tmp_path / "link").symlink_to(path)  # a link to a regular file is followed
    assert read_regular_file(tmp_path / "link", 100) == b"x" * 100
    with pytest.raises(FileNotFoundError):
        read_regular_file(tmp_path / "absent", 100)


def test_a_fifo_a_directory_or_a_device_is_refused_without_blocking(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "fifo")  # nobody writes to it: a blocking open would hang here
    with pytest.raises(NotRegularFile, match="FIFO"):
        read_regular_file(tmp_path / "fifo", 100)
    with pytest.raises(NotRegularFile, match="kernel filesystem"):
        read_regular_file(Path("/dev/zero"), 100)
    (tmp_path / "zero").symlink_to("/dev/zero")
    with pytest.raises(NotRegularFile, match="kernel filesystem"):
        read_regular_file(tmp_path / "zero", 100)
    with pytest.raises(NotRegularFile, match="is a directory"):
        read_regular_file(tmp_path, 100)
