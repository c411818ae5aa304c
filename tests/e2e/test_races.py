"""Issue 15, races: a second apply of the same plan always converges. It waits out a move in progress, recognises the
plan's own finished move (every planned resource at the destination) wherever it meets it — at the re-plan, at the
move POST, while polling — and goes on to the follow-ups with exit 0 (already-moved); and the report's status always
matches the documented meaning of the exit code (README "Exit codes and report status").

The other apply is a real second process (acceptance 1) or, where the race must land at one exact point, a move
started through ARM by the test at the moment the product reaches that point (a wrapper around the product's own
step: the concurrent actor is injected, nothing of Azure is mocked). Waiting is on events: the processes' exit, the
emulator's state and request log.
"""

from __future__ import annotations

import re
import time
from typing import Any

import pytest

from amlmove_action import move, validation
from amlmove_emulator import samples
from tests.support.fault_runs import (
    ARM_PATH,
    MOVE_POST,
    RETRY,
    SRC,
    apply,
    arm,
    assert_report_true,
    assert_success,
    fault,
    finish,
    moves_accepted,
    plan,
    plan_variant,
    positions,
    scenario,
    spawn_apply,
)
from tests.support.readme_tables import status_exit_pairs

DEST_ID = samples.group_id(samples.DEST_SUB, SRC.dest_group)


def other_move(emu: Any, resources: list[str]) -> None:
    """What the other apply does: POST moveResources for the same plan through ARM (202)."""
    arm(
        emu,
        "POST",
        f"{SRC.source_rg}/moveResources",
        {"resources": resources, "targetResourceGroup": DEST_ID},
    )


def wait_until_moved(emu: Any, resources: list[str], timeout: float = 60) -> None:
    """Until the emulator's state shows every planned resource at the destination (each state read advances ARM)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        moved, _, _ = positions(emu, resources)
        if len(moved) == len(resources):
            return
        time.sleep(0.05)
    raise AssertionError("the other move never finished")


def apply_after_the_other_move(emu: Any, tmp_path: Any, wait: bool, theirs: list[str] | None = None) -> Any:
    """This run's apply, with the other apply's moveResources POSTed (for `theirs`, else the resources this run is
    about to move) right before this run's own POST — and, with `wait`, finished by then."""
    real_start = move.start_move

    def raced(clients, source_group, resources, target_group):
        other = resources if theirs is None else theirs
        other_move(emu, other)
        if wait:
            wait_until_moved(emu, other)
        return real_start(clients, source_group, resources, target_group)

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(move, "start_move", raced)
        return apply(emu, tmp_path)


# --- Acceptance 1: two applies of one plan started together ------------------------------------------------------


@pytest.mark.parametrize("seconds", [0, 1, 3, 6])
def test_two_applies_of_one_plan_started_together_both_converge(emu, tmp_path, seconds) -> None:
    """Two runners apply the same approved plan at the same moment; ARM's move takes 0, 1, 3 or 6 s (emulator time
    at 2x). Exactly one moveResources is accepted; both runs exit 0; one report says moved, the other
    already-moved, and both list where every resource is."""
    emu.load_scenario(scenario(clockSpeed=2).build())
    the_plan = plan(emu, tmp_path)
    emu.shape_lro(durationSeconds=seconds, outcome="succeeded")
    first, second = spawn_apply(emu, tmp_path, "a"), spawn_apply(emu, tmp_path, "b")
    runs = [finish(first), finish(second)]
    assert len(moves_accepted(emu)) == 1, moves_accepted(emu)
    for run in runs:
        assert run.code == 0, run.stderr + run.stdout[-3000:]
        assert run.outputs["moved"] == "true" and run.outputs["status"] == run.report["status"]
        moved, stayed, missing = positions(emu, the_plan["resources"])
        assert len(run.report["moved"]) == len(moved) == len(the_plan["resources"])
        assert run.report["stayed"] == stayed == [] and run.report["missing"] == missing == []
        assert [f for f in run.report["followUps"] if f["status"] == "failed"] == []
    assert sorted(r.report["status"] for r in runs) == ["already-moved", "moved"]


# --- Items 1-3: the other move met at one exact point ----------------------------------------------------------------


def test_move_post_answering_404_because_this_plans_move_finished_is_already_moved(emu, tmp_path) -> None:
    """Item 1: the other apply's move starts and finishes between this run's re-plan and its move POST; ARM answers
    this POST 404 (the resources left the source group). Every planned resource is at the destination: that is the
    plan's own finished move — exit 0, already-moved, follow-ups done."""
    emu.load_scenario(scenario().build())
    the_plan = plan(emu, tmp_path)
    emu.shape_lro(durationSeconds=0, outcome="succeeded")
    run = apply_after_the_other_move(emu, tmp_path, wait=True)
    assert [r["status"] for r in emu.requests() if re.search(MOVE_POST, r["path"])] == [202, 404]
    assert_success(emu, run, the_plan, status="already-moved")


def test_move_post_answering_409_move_in_progress_waits_it_out(emu, tmp_path) -> None:
    """Item 3: the other apply's move is running when this run POSTs moveResources: ARM answers 409
    ResourceGroupMoveInProgress. Apply waits it out (as it does at the re-plan), finds every planned resource at the
    destination and goes on: exit 0, already-moved."""
    emu.load_scenario(scenario().build())
    the_plan = plan(emu, tmp_path)
    emu.shape_lro(durationSeconds=2, outcome="succeeded")
    run = apply_after_the_other_move(emu, tmp_path, wait=False)
    posts = [r["status"] for r in emu.requests() if re.search(MOVE_POST, r["path"])]
    assert posts == [202, 409], posts
    assert "waiting for it to finish" in run.stdout
    assert_success(emu, run, the_plan, status="already-moved")


def test_move_that_finishes_during_the_replan_is_already_moved(emu, tmp_path) -> None:
    """Item 2 / acceptance 2: the other apply's move finishes while this run re-plans — after the re-plan's discovery
    read the source group, when it asks ARM to validate. The re-plan then differs from the approved plan (ARM no
    longer finds the resources in the source group), but every planned resource is at the destination: it is this
    plan's own finished move, not drift. Exit 0, already-moved."""
    emu.load_scenario(scenario().build())
    the_plan = plan(emu, tmp_path)
    emu.shape_lro(durationSeconds=0, outcome="succeeded", operation="move")
    real_validate = validation.validate_move

    def raced(clients, source_group, resources, target_group, *args, **kwargs):
        other_move(emu, resources)
        wait_until_moved(emu, resources)
        return real_validate(clients, source_group, resources, target_group, *args, **kwargs)

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(validation, "validate_move", raced)
        run = apply(emu, tmp_path)
    assert "What changed" in run.stdout  # the re-plan did see a changed Azure (the drift table)
    assert len(moves_accepted(emu)) == 1
    assert_success(emu, run, the_plan, status="already-moved")
    assert run.report["drift"] == []


def test_move_that_finished_before_the_replan_read_the_workspace_is_already_moved(emu, tmp_path) -> None:
    """Item 2, the other timing: the other move finishes right after this run located the resources (none moved) and
    before its re-plan read anything: the re-plan reads the workspace gone from the source group."""
    emu.load_scenario(scenario().build())
    the_plan = plan(emu, tmp_path)
    emu.shape_lro(durationSeconds=0, outcome="succeeded", operation="move")
    real_locate = move.locate
    calls = []

    def raced(clients, resources, source_group, target_group):
        found = real_locate(clients, resources, source_group, target_group)
        if not calls:
            other_move(emu, resources)
            wait_until_moved(emu, resources)
        calls.append(found)
        return found

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(move, "locate", raced)
        run = apply(emu, tmp_path)
    assert len(moves_accepted(emu)) == 1
    assert_success(emu, run, the_plan, status="already-moved")


def test_move_that_finishes_between_the_replan_and_the_move_post_is_already_moved(emu, tmp_path) -> None:
    """The other apply's move finishes after this run's re-plan passed and right before its own moveResources (since
    issue 12 apply reads nothing in between: the role-assignment snapshot is the approved plan's). Every planned
    resource is at the destination: the plan's own move is done — exit 0, already-moved, one move accepted."""
    emu.load_scenario(scenario().build())
    the_plan = plan(emu, tmp_path)
    emu.shape_lro(durationSeconds=0, outcome="succeeded", operation="move")
    run = apply_after_the_other_move(emu, tmp_path, wait=True, theirs=list(the_plan["resources"]))
    assert len(moves_accepted(emu)) == 1  # the other run's
    assert_success(emu, run, the_plan, status="already-moved")


def test_poll_verdict_failed_while_every_resource_moved_is_moved(emu, tmp_path) -> None:
    """While polling: ARM's operation ends with ResourceMoveTimedOut but every planned resource is at the
    destination ("Even after a timeout error, the underlying resources might move successfully", move doc): that is
    the move done, not a failure."""
    emu.load_scenario(scenario().build())
    the_plan = plan(emu, tmp_path)
    emu.shape_lro(durationSeconds=0.3, outcome="timeout", partial=list(the_plan["resources"]))
    run = apply(emu, tmp_path)
    assert run.code == 0, run.stderr
    assert run.report["status"] == "moved"
    assert_report_true(emu, run, the_plan)


def test_partial_outcome_of_the_other_move_is_reported_partial(emu, tmp_path) -> None:
    """The other apply's move, met at this run's move POST (409), ends with 2 of 5 resources moved: this run reports
    exactly that (failed, moved/stayed lists), exit 3, and says to finish by hand — not "already moved"."""
    emu.load_scenario(scenario().build())
    the_plan = plan(emu, tmp_path)
    partial = [r for r in the_plan["resources"] if "/Microsoft.KeyVault/" in r or "/Microsoft.Insights/" in r]
    emu.shape_lro(durationSeconds=1, outcome="failed", partial=partial)
    run = apply_after_the_other_move(emu, tmp_path, wait=False)
    assert run.code == 3, run.stderr
    assert run.report["status"] == "failed"
    assert len(run.report["moved"]) == 2 and len(run.report["stayed"]) == 3
    assert "partially" in run.last_line and "by hand" in run.last_line
    assert_report_true(emu, run, the_plan)


# --- Item 4 / acceptance 6: the report's status matches the exit code -------------------------------------------------


def test_throttled_replan_beyond_retries_is_failed_not_refused(emu, tmp_path) -> None:
    """Item 4: a 429 that outlasts the retries during apply's re-plan exits 3; report.json and the status output say
    failed (refused is exit 1's word: the plan was judged and refused)."""
    emu.load_scenario(scenario().build())
    plan(emu, tmp_path)
    fault(emu, "GET", ARM_PATH, status=429, retryAfter=RETRY, count=500)
    run = apply(emu, tmp_path)
    assert run.code == 3, run.stderr
    assert run.report["status"] == run.outputs["status"] == "failed"
    assert run.outputs["moved"] == "false"
    assert moves_accepted(emu) == []


def _clean(emu, tmp_path, the_plan) -> None:
    pass


def _follow_up_fails(emu, tmp_path, the_plan) -> None:
    fault(emu, "PUT", r"/roleAssignments/", status=429, retryAfter=RETRY, count=200)


def _moved_before(emu, tmp_path, the_plan) -> None:
    assert apply(emu, tmp_path, "earlier").code == 0


def _moved_before_follow_up_fails(emu, tmp_path, the_plan) -> None:
    # the earlier run was approved without the role assignment follow-up (opt-ins are the plan's: issue 11)
    without = plan_variant(tmp_path, the_plan, "plan-without-roles", restoreRoleAssignments=False)
    assert apply(emu, tmp_path, "earlier", "--restore-role-assignments", "false", "--plan-file", str(without)).code == 0
    _follow_up_fails(emu, tmp_path, the_plan)


def _drift(emu, tmp_path, the_plan) -> None:
    arm(emu, "DELETE", DEST_ID)


def _move_post_throttled(emu, tmp_path, the_plan) -> None:
    fault(emu, "POST", MOVE_POST, status=429, retryAfter=RETRY, count=30)


def _replan_throttled(emu, tmp_path, the_plan) -> None:
    fault(emu, "GET", ARM_PATH, status=429, retryAfter=RETRY, count=500)


def _move_fails_partially(emu, tmp_path, the_plan) -> None:
    partial = [r for r in the_plan["resources"] if "/Microsoft.KeyVault/" in r]
    emu.shape_lro(durationSeconds=0.2, outcome="failed", partial=partial)


def _move_outlives_timeout(emu, tmp_path, the_plan) -> None:
    emu.shape_lro(durationSeconds=3600, outcome="succeeded")


FAULTS = {
    "clean": (_clean, (), ("moved", 0)),
    "re-run after a move": (_moved_before, (), ("already-moved", 0)),
    "follow-up fails": (_follow_up_fails, (), ("moved", 3)),
    "re-run, follow-up fails": (_moved_before_follow_up_fails, (), ("already-moved", 3)),
    "destination group deleted (drift)": (_drift, (), ("refused", 1)),
    "move POST throttled beyond retries": (_move_post_throttled, (), ("failed", 3)),
    "re-plan throttled beyond retries": (_replan_throttled, (), ("failed", 3)),
    "move fails partially": (_move_fails_partially, (), ("failed", 3)),
    "move outlives move-timeout": (_move_outlives_timeout, ("--move-timeout", "2s"), ("timed-out", 3)),
}


def test_the_fault_table_covers_every_documented_pair() -> None:
    assert {expected for _, _, expected in FAULTS.values()} == status_exit_pairs()


@pytest.mark.parametrize("make, extra, expected", list(FAULTS.values()), ids=list(FAULTS))
def test_report_status_and_exit_code_agree(emu, tmp_path, make, extra, expected) -> None:
    """Acceptance 6: in every fault, the pair (report status, exit code) is the documented one, the status output
    says the same, and `moved` is true exactly for moved/already-moved."""
    emu.load_scenario(scenario().build())
    the_plan = plan(emu, tmp_path)
    make(emu, tmp_path, the_plan)
    run = apply(emu, tmp_path, "run", *extra)
    assert (run.report["status"], run.code) == expected, run.stderr
    assert (run.report["status"], run.code) in status_exit_pairs()
    assert run.outputs["status"] == run.report["status"]
    assert run.outputs["moved"] == ("true" if expected[0] in ("moved", "already-moved") else "false")
