"""Issue 15, hostile paths: every path input is checked before any network call. output-dir is (or is created as) a
writable directory on a regular filesystem; plan-file and state.json are regular files, opened without blocking and
read with a size bound; resource IDs are checked by one function everywhere. Each failure: exit 2, one line on
stderr, zero requests in the emulator's log, in bounded time (the process must end within its timeout: a FIFO read
would hang) and bounded memory (the process runs with an address-space limit: reading /dev/zero would exhaust it).

Runs `entrypoint.py` as a terminal user would (the client secret in AZURE_CLIENT_SECRET).
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from amlmove_action import inputs, planfile
from amlmove_action import state as statefile
from amlmove_action.errors import InputError
from tests.conftest import ROOT, subprocess_env
from tests.support.fault_runs import DEST_ID, SRC, WS_ID, plan, scenario
from tests.support.harness import cli_flags

MEMORY_LIMIT = 3 << 30  # bytes of address space: far more than a run needs, far less than /dev/zero offers
TIMEOUT = 120  # a guard, not a measurement: a run blocked on a FIFO never ends by itself


def limited() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))


def run(emu, command: str, out: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    flags = cli_flags(WS_ID, DEST_ID, emu.url, emu.info["clientId"], emu.info["tenantId"], out)
    env = subprocess_env(emu.ca_file) | {"AZURE_CLIENT_SECRET": emu.info["clientSecret"]}
    return subprocess.run(
        [sys.executable, str(ROOT / "entrypoint.py"), command, *flags, *extra],
        env=env,
        cwd=ROOT,  # every path given is absolute
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        preexec_fn=limited,
        check=False,
    )


def assert_refused_before_azure(emu, mark: int, result: subprocess.CompletedProcess[str], *expected: str) -> None:
    lines = result.stderr.strip().splitlines()
    assert result.returncode == 2, result.stderr + result.stdout
    assert len(lines) == 1 and lines[0].startswith("amlmove: Input ") and "[invalid-input]" in lines[0], lines
    assert "internal error" not in lines[0]
    for text in expected:
        assert text in lines[0], lines[0]
    assert emu.requests()[mark:] == [], "a refused input must not reach Azure (or Entra)"


@pytest.fixture
def approved(emu, tmp_path) -> Path:
    emu.load_scenario(scenario().build())
    plan(emu, tmp_path)
    return tmp_path / "plan" / "plan.json"


# --- output-dir ----------------------------------------------------------------------------------------------------


def _a_file(tmp: Path) -> Path:
    target = tmp / "not-a-dir"
    target.write_text("x", "utf-8")
    return target


def _under_a_file(tmp: Path) -> Path:
    return _a_file(tmp) / "out"


def _link_to_a_file(tmp: Path) -> Path:
    link = tmp / "link"
    link.symlink_to(_a_file(tmp))
    return link


OUTPUT_DIRS = {
    "a regular file": (_a_file, "is a file, not a directory"),
    "under a regular file": (_under_a_file, "which is a file, not a directory"),
    "a link to a regular file": (_link_to_a_file, "is a file, not a directory"),
    "under /proc": (lambda tmp: Path("/proc/amlmove-output"), "lies under /proc"),
    "under /sys": (lambda tmp: Path("/sys/amlmove-output"), "lies under /sys"),
    "under /dev (a writable tmpfs for root)": (lambda tmp: Path("/dev/shm") / f"amlmove-{tmp.name}", "lies under /dev"),
    "/dev/null itself": (lambda tmp: Path("/dev/null"), "lies under /dev"),
}


@pytest.mark.parametrize("command", ["plan", "apply"])
@pytest.mark.parametrize("make, expected", list(OUTPUT_DIRS.values()), ids=list(OUTPUT_DIRS))
def test_output_dir_that_cannot_hold_files_is_refused_before_azure(emu, approved, tmp_path, command, make, expected):
    out = make(tmp_path)
    extra = ("--plan-file", str(approved)) if command == "apply" else ()
    mark = len(emu.requests())
    try:
        result = run(emu, command, out, *extra)
        assert_refused_before_azure(emu, mark, result, "Input output-dir", expected)
        assert not (out.exists() and out.is_dir()), "nothing may be created there"
    finally:
        if str(out).startswith("/dev/shm/"):
            shutil.rmtree(out, ignore_errors=True)


def test_output_dir_whose_report_md_is_a_fifo_is_refused_before_azure(emu, approved, tmp_path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    os.mkfifo(out / "report.md")
    mark = len(emu.requests())
    result = run(emu, "apply", out, "--plan-file", str(approved))
    assert_refused_before_azure(emu, mark, result, "report.md is a FIFO")


def test_output_dir_created_when_missing(emu, approved, tmp_path) -> None:
    """The check creates a missing output-dir (and its parents), as plan would."""
    out = tmp_path / "a" / "b" / "out"
    result = run(emu, "plan", out)
    assert result.returncode == 0, result.stderr
    assert (out / "plan.json").is_file()


# --- plan-file and state.json -------------------------------------------------------------------------------------


def _fifo(path: Path) -> None:
    os.mkfifo(path)


def _dev_zero_link(path: Path) -> None:
    path.symlink_to("/dev/zero")


def _directory(path: Path) -> None:
    path.mkdir()


def _link_to_a_directory(path: Path) -> None:
    target = path.parent / "some-dir"
    target.mkdir()
    path.symlink_to(target)


def _too_large(path: Path) -> None:
    with path.open("wb") as f:
        f.truncate(planfile.MAX_PLAN_BYTES + 1)  # sparse: no disk used


FILES = {
    "a FIFO": (_fifo, "is a FIFO"),
    "a link to /dev/zero": (_dev_zero_link, "lies under /dev"),
    "a directory": (_directory, "is a directory"),
    "a link to a directory": (_link_to_a_directory, "is a directory"),
    "larger than the bound (sparse)": (_too_large, "is larger than any"),
}


@pytest.mark.parametrize("make, expected", list(FILES.values()), ids=list(FILES))
def test_plan_file_that_is_not_a_regular_file_is_refused_before_azure(emu, approved, tmp_path, make, expected):
    plan_file = tmp_path / "hostile-plan.json"
    make(plan_file)
    mark = len(emu.requests())
    result = run(emu, "apply", tmp_path / "out", "--plan-file", str(plan_file))
    assert_refused_before_azure(emu, mark, result, "Input plan-file", expected)


@pytest.mark.parametrize("make, expected", list(FILES.values()), ids=list(FILES))
def test_state_json_that_is_not_a_regular_file_is_refused_before_azure(emu, approved, tmp_path, make, expected):
    out = tmp_path / "out"
    out.mkdir()
    if make is _too_large:  # a state.json of this plan, padded past the bound
        body = json.dumps({"planDigest": json.loads(approved.read_text("utf-8"))["digest"]})
        (out / "state.json").write_text(body + " " * statefile.MAX_STATE_BYTES, "utf-8")
    else:
        make(out / "state.json")
    mark = len(emu.requests())
    result = run(emu, "apply", out, "--plan-file", str(approved))
    assert_refused_before_azure(emu, mark, result, "Input output-dir", "state.json", expected)


def test_state_json_listing_an_id_with_a_query_is_refused_before_azure(emu, approved, tmp_path) -> None:
    """state.json's resources go into the body of a resumed move: checked by the same ID function as the plan's."""
    the_plan = json.loads(approved.read_text("utf-8"))
    out = tmp_path / "out"
    out.mkdir()
    state = {
        "schemaVersion": "1.0",
        "planDigest": the_plan["digest"],
        "status": "failed",
        "startedAt": "2026-01-01T00:00:00Z",
        "resources": [the_plan["resources"][0] + "?api-version=1"],
        "targetResourceGroup": DEST_ID,
        "continuationToken": None,
        "error": None,
    }
    (out / "state.json").write_text(json.dumps(state), "utf-8")
    mark = len(emu.requests())
    result = run(emu, "apply", out, "--plan-file", str(approved))
    assert_refused_before_azure(emu, mark, result, "Input output-dir", "state.json", "not a top-level resource ID")


# --- resource IDs: one function everywhere ---------------------------------------------------------------------------


@pytest.mark.parametrize("char", ["?", "#", "%"])
def test_include_associated_resources_id_with_url_characters_is_refused_before_azure(emu, tmp_path, char) -> None:
    emu.load_scenario(scenario().build())
    listed = f"{SRC.associated('storage')}{char}x=1"
    mark = len(emu.requests())
    result = run(emu, "plan", tmp_path / "out", "--include-associated-resources", listed)
    assert_refused_before_azure(
        emu, mark, result, "Input include-associated-resources", "invalid provider, type or name"
    )


@pytest.mark.parametrize(
    "name",
    ["st?x", "st#x", "st%2Fx", "st/blobServices/default", "", "st\x07"],
)
def test_one_id_check_for_inputs_plan_and_state(emu, approved, tmp_path, name) -> None:
    """include-associated-resources, plan.json and state.json all ask inputs.resource_id_problem: an ID one of them
    refuses, all of them refuse."""
    rid = f"{SRC.source_rg}/providers/Microsoft.Storage/storageAccounts/{name}"
    assert inputs.resource_id_problem(rid, SRC.source_rg) is not None
    with pytest.raises(InputError):
        inputs.settings_from_argv(
            [
                *("plan", "--source-workspace-id", WS_ID, "--destination-resource-group-id", DEST_ID),
                *("--include-associated-resources", rid),
            ],
        )
    the_plan = json.loads(approved.read_text("utf-8"))
    edited = tmp_path / "edited.json"
    edited.write_text(json.dumps({**the_plan, "resources": [*the_plan["resources"], rid]}), "utf-8")
    with pytest.raises(InputError, match="Input plan-file"):
        planfile.load_plan(edited)
    state = tmp_path / "state.json"
    state.write_text(
        json.dumps(
            {
                "planDigest": the_plan["digest"],
                "status": "failed",
                "startedAt": "2026-01-01T00:00:00Z",
                "resources": [rid],
                "targetResourceGroup": DEST_ID,
                "continuationToken": None,
                "error": None,
            }
        ),
        "utf-8",
    )
    with pytest.raises(InputError, match="not a top-level resource ID"):
        statefile.read_state(state, the_plan["digest"], None, SRC.source_rg)
    assert inputs.resource_id_problem(SRC.associated("storage"), SRC.source_rg) is None
