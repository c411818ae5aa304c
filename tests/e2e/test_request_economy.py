"""Issue 7, as behaviour rather than timing: what plan and apply send, and in what order. `make bench` measures the
time; these keep the properties that make it short: no request twice (pages and keys included), ARM's validation
started while the long lists still page, follow-up writes in flight together, the next page asked for before the
current one is worked through. Every check reads the emulator's request log of a real `entrypoint.py` run."""

from __future__ import annotations

import time
from typing import Any

from amlmove_emulator import samples
from benchmarks import analysis, scenarios
from tests.support.emulator_clients import product_clients
from tests.support.harness import inputs, load


def duplicates(log: list[dict[str, Any]], s: samples.WorkspaceScenario) -> dict[str, int]:
    """The benchmark's definition (benchmarks/analysis.py): a read repeated with nothing written in between that
    could change its answer, a second token request, validateMoveResources again with no write in between."""
    figures = analysis.summarize(
        log, analysis.Context(s.workspace_id, s.source_rg, s.dest_rg), 0.0, 0.0, {"validate": 0.0, "move": 0.0}, 0.2
    )
    return figures["duplicateKeys"]


def overlapping(requests: list[dict[str, Any]]) -> int:
    """The most requests the emulator was answering at the same moment."""
    edges = sorted(
        [(r["startedAt"], 1) for r in requests] + [(r["startedAt"] + r["durationMs"] / 1000, -1) for r in requests]
    )
    most = now = 0
    for _, step in edges:
        now += step
        most = max(most, now)
    return most


def test_plan_validates_while_the_job_list_is_still_paging_and_sends_nothing_twice(emulator, runner) -> None:
    s = scenarios.large(jobs=40, running_jobs=0, datastores=8, computes=0, online_endpoints=0, role_assignments=4)
    load(emulator, s, defaultPageSize=5)
    emulator.fault(method="GET", pathRegex=r"/jobs$", latencyMs=60)  # 8 pages of jobs: the longest chain
    mark = len(emulator.requests())
    run = runner.run("plan", inputs(s))
    assert run.code == 0, run.explain()
    assert run.plan["validation"]["status"] == "passed"
    log = emulator.requests()[mark:]
    pages = [r for r in log if r["method"] == "GET" and r["path"].endswith("/jobs")]
    validations = [r for r in log if r["method"] == "POST" and r["path"].endswith("/validateMoveResources")]
    assert len(pages) == 8 and len(validations) == 1
    assert validations[0]["startedAt"] < pages[-1]["startedAt"], "validation waited for the whole job list"
    assert duplicates(log, s) == {}


def test_apply_sends_nothing_twice_and_runs_its_follow_ups_concurrently(emulator, runner) -> None:
    s = scenarios.large(jobs=10, running_jobs=0, datastores=12, computes=0, online_endpoints=0, role_assignments=8)
    load(emulator, s)
    planned = runner.run("plan", inputs(s), name="plan-job")
    assert planned.code == 0, planned.explain()
    emulator.shape_lro(durationSeconds=0.2, outcome="succeeded")
    emulator.fault(method="PUT", pathRegex=r"/datastores/[^/]+$", latencyMs=150)
    emulator.fault(method="PUT", pathRegex=r"/roleAssignments/[^/]+$", latencyMs=400)
    mark = len(emulator.requests())
    applied = runner.run("apply", inputs(s, **{"plan-file": str(planned.out_dir / "plan.json")}), name="apply-job")
    assert applied.code == 0, applied.explain()
    log = emulator.requests()[mark:]
    assert duplicates(log, s) == {}
    assert not [r for r in log if r["path"].lower().endswith("/listkeys")]  # never the account key (issue 12)
    secret_reads = [r["path"].lower() for r in log if r["path"].lower().endswith("/listsecrets")]
    keyed = [
        r
        for r in s.resources
        if "/datastores/" in r["id"] and r["body"]["properties"]["credentials"].get("credentialsType", "None") != "None"
    ]
    assert len(secret_reads) == len(set(secret_reads)) == len(keyed) > 0  # each one's own secret, read once
    new_ws = s.workspace_id.replace(s.source_rg, s.dest_rg)
    assert sum(1 for r in log if r["method"] == "GET" and r["path"].lower() == f"{new_ws}/datastores".lower()) == 1
    validations = [r for r in log if r["path"].endswith("/validateMoveResources")]
    assert len(validations) == 1  # the re-plan's: nothing was written before the move, so no second one
    repairs = [r for r in log if r["method"] == "PUT" and "/datastores/" in r["path"]]
    assert len(repairs) == 12
    assert overlapping(repairs) > 1, "datastores were re-registered one after another"
    restores = [r for r in log if r["method"] == "PUT" and "/roleassignments/" in r["path"].lower()]
    assert restores and {f["status"] for f in applied.report["followUps"] if f["kind"] == "datastore"} == {"done"}
    restores_end = max(r["startedAt"] + r["durationMs"] / 1000 for r in restores)
    assert min(r["startedAt"] for r in repairs) < restores_end, "the datastore repairs waited for the role assignments"
    kinds = [f["kind"] for f in applied.report["followUps"]]
    assert kinds == sorted(kinds, key=("verify", "role-assignment", "datastore", "private-endpoint").index)


def test_the_next_page_is_requested_before_the_caller_has_worked_through_this_one(emulator) -> None:
    s = scenarios.large(jobs=30, running_jobs=0, datastores=1, computes=0, online_endpoints=0, role_assignments=0)
    load(emulator, s, defaultPageSize=10)

    clients = product_clients(emulator)
    mark = len(emulator.requests())
    items = clients.list_json(f"{s.workspace_id}/jobs", "2024-10-01")
    first = next(items)  # one item taken from the first page, and the caller works on it …
    deadline = time.monotonic() + 10
    while len([r for r in emulator.requests()[mark:] if r["path"].endswith("/jobs")]) < 2:
        assert time.monotonic() < deadline, "the second page was not requested while the first was being used"
        time.sleep(0.01)
    rest = list(items)
    assert first["name"] and len(rest) == 29
    pages = [r for r in emulator.requests()[mark:] if r["path"].endswith("/jobs")]
    assert len(pages) == 3 and len({r["query"].get("$skiptoken") for r in pages}) == 3  # each page once


def test_the_early_verdict_is_used_only_for_the_move_set_it_was_asked_for() -> None:
    from concurrent.futures import Future

    from amlmove_action import checks
    from amlmove_action import inventory as inv
    from amlmove_action.inputs import AssociatedResourceChoice
    from amlmove_action.planning import EarlyValidation

    s = samples.WorkspaceScenario()
    storage = s.associated("storage")

    def selection(*moved: str, dest: str = s.dest_rg) -> checks.Selection:
        decisions = tuple(checks.AssociatedDecision(r, None, checks.Outcome.MOVE, "test") for r in moved)
        return checks.Selection(s.workspace_id, dest, AssociatedResourceChoice(), decisions)

    early = EarlyValidation(None, None)  # type: ignore[arg-type]
    assert early.result_for(selection()) is None  # never started (e.g. no destination group yet)
    early.selection, early.future = selection(storage), Future()
    early.future.set_result(inv.ValidationResult(inv.ValidationStatus.PASSED))
    assert early.result_for(selection(storage.upper())).status is inv.ValidationStatus.PASSED  # ids are case-blind
    assert early.result_for(selection()) is None  # the full inventory moves less: validate that set again
    assert early.result_for(selection(storage, dest=s.dest_rg + "-other")) is None
