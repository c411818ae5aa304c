"""The benchmark machinery (benchmarks/run.py, benchmarks/analysis.py) on a tiny workspace: every figure is produced.
No timing is asserted: `make bench` measures; this only keeps the machinery working."""

from __future__ import annotations

import json

from benchmarks import analysis, scenarios
from benchmarks import run as bench
from tests.conftest import capture_file, subprocess_env

WS = "/subscriptions/s1/resourceGroups/src/providers/Microsoft.MachineLearningServices/workspaces/w"
CTX = analysis.Context(WS, "/subscriptions/s1/resourceGroups/src", "/subscriptions/s2/resourceGroups/dst")


def entry(method: str, path: str, start: float, ms: float = 50.0, status: int = 200, **query: str) -> dict:
    return {"method": method, "path": path, "query": {"api-version": "2024-10-01", **query}, "status": status,
            "startedAt": start, "durationMs": ms, "principal": None}  # fmt: skip


def test_analysis_definitions_on_a_hand_made_log() -> None:
    """Token → pages in a chain; associated GET after the workspace; a repeated read is a duplicate; the LRO's final
    poll waits for the server; the bound follows the longest chain."""
    log = [
        entry("POST", "/t/oauth2/v2.0/token", 0.0),
        entry("GET", f"{WS}/jobs", 0.05),
        entry("GET", WS, 0.05),
        entry("GET", f"{WS}/jobs", 0.10, **{"$skiptoken": "100"}),
        entry("GET", "/subscriptions/s1/resourceGroups/src/providers/Microsoft.Storage/storageAccounts/st", 0.10),
        entry("GET", WS, 0.15),  # read twice: a duplicate
        entry("POST", "/subscriptions/s1/resourcegroups/src/validateMoveResources", 0.20, status=202),
        entry("GET", "/subscriptions/s1/operationresults/op1", 0.25, status=202),
        entry("GET", "/subscriptions/s1/operationresults/op1", 1.25, status=204),
    ]
    figures = analysis.summarize(log, CTX, spawn=-0.5, exit_time=1.5, lro_seconds={"validate": 1.0}, retry_after=1.0)
    assert figures["requests"] == 9
    assert figures["duplicates"] == 1 and list(figures["duplicateKeys"]) == [f"GET {WS.lower()}"]
    assert figures["distinctReadsNeeded"] == 7  # the duplicate and the early poll are not needed
    # token 0.05 → workspace 0.10 → storage 0.15 → validate 0.20, server done 1.20 → final poll 1.25
    assert abs(figures["boundSeconds"] - 1.25) < 1e-6
    assert figures["firstArmRequestSeconds"] == 0.55
    (lro,) = figures["lros"]
    assert lro["operation"] == "validate" and lro["polls"] == 2 and lro["neededPolls"] == 1
    assert lro["detectionDelaySeconds"] == 0.05


def test_scenario_generator_counts() -> None:
    s = scenarios.large(jobs=40, datastores=12, computes=3, online_endpoints=2, role_assignments=8, linked_resources=5)
    counts = scenarios.counts(s.build())
    assert counts["jobs"] == 40 and counts["runningJobs"] == 5 and counts["datastores"] == 12
    assert (counts["computes"], counts["onlineEndpoints"], counts["deployments"]) == (3, 2, 4)
    assert counts["roleAssignments"] == 8
    clean = scenarios.counts(scenarios.large(jobs=40, clean=True).build())
    assert (clean["computes"], clean["onlineEndpoints"], clean["runningJobs"]) == (0, 0, 0)


def test_benchmark_run_on_a_tiny_workspace(tmp_path) -> None:
    config = bench.Config(
        latencies=(0.0,),
        jobs=30,
        scaling_jobs=(10,),
        scaling_latencies=(0.0,),
        sections=("startup", "plan", "apply", "scaling"),
        scenario_kwargs={"datastores": 6, "computes": 2, "online_endpoints": 1, "role_assignments": 4},
        repeats=1,
        runs=1,
        capture=capture_file("bench"),
        retry_after=0.1,
        lro_seconds={"validate": 0.0, "move": 0.2},
    )
    results = bench.run(config, subprocess_env(), tmp_path, say=lambda _line: None)
    startup = results["startup"]
    assert startup["helpExitCode"] == 0 and startup["invalidInputExitCode"] != 0
    assert startup["helpSeconds"] > 0 and startup["invalidInputSeconds"] > 0
    phases = {p["phase"]: p for p in results["phases"]}
    assert set(phases) == {"plan (large)", "floor (sign-in + jobs)", "plan (clean)", "apply (clean)"}
    assert phases["plan (large)"]["exitCode"] == 1  # computes, an endpoint and running jobs block it
    assert phases["apply (clean)"]["exitCode"] == 0 and phases["apply (clean)"]["status"] == "moved"
    assert phases["floor (sign-in + jobs)"]["exitCode"] == 0
    for figures in phases.values():
        for key in ("wallSeconds", "requests", "distinctReadsNeeded", "boundSeconds", "ratio",
                    "firstArmRequestSeconds", "criticalPath"):  # fmt: skip
            assert figures[key], (figures["phase"], key)
        assert figures["duplicates"] == 0, (figures["phase"], figures["duplicateKeys"])
        if figures["phase"] != "floor (sign-in + jobs)":  # the floor reads the jobs list only
            assert figures["lros"] and all(x["detectionDelaySeconds"] is not None for x in figures["lros"])
    assert {x["operation"] for x in phases["apply (clean)"]["lros"]} == {"validate", "move"}
    assert [r["jobs"] for r in results["scaling"]] == [10]
    table = bench.table(results)
    assert "apply (clean)" in table and "wall/bd" in table
    json.dumps(results)  # results.json is plain JSON
