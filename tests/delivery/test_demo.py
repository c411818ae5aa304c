"""`make demo` (the README's first command): `python -m amlmove_emulator.demo --yes` runs the whole flow on the sample
scenario against its own emulator — plan (blocked by the compute and the endpoint), plan again with the opt-in
removals (ready, summary shown), approval, apply, report — and exits 0 (issue 3 acceptance 5, issue 4 acceptance 7)."""

from __future__ import annotations

import json
import subprocess
import sys

from tests.conftest import ROOT, subprocess_env


def test_make_demo_runs_plan_approval_apply_and_shows_the_report(tmp_path) -> None:
    out = tmp_path / "demo"
    proc = subprocess.run(
        [sys.executable, "-m", "amlmove_emulator.demo", "--yes", "--output-dir", str(out)],
        cwd=ROOT,
        env=subprocess_env(),
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    text = proc.stdout + proc.stderr
    assert "Traceback" not in text, text[-4000:]
    assert proc.returncode == 0, text[-4000:]
    steps = ["=== 1. plan", "=== 2. plan again", "=== 3. approval", "=== 4. apply", "=== 5. report", "=== 6. status"]
    positions = [proc.stdout.find(step) for step in steps]
    assert -1 not in positions and positions == sorted(positions), positions
    first_plan = proc.stdout[positions[0] : positions[1]]
    assert "exit code 1 (1 = blocked)" in first_plan and "computes-present" in first_plan
    reviewed = proc.stdout[positions[1] : positions[2]]
    # the summary a reviewer approves: the destination group does not exist yet, so ARM validates at apply
    assert "amlmove plan: ✅ Ready — ARM validation at apply" in reviewed
    assert "&#" not in proc.stdout and "0\\.1.0" not in proc.stdout  # plain text in a terminal
    report_shown = proc.stdout[positions[4] :]
    assert "amlmove apply: ✅ Moved" in report_shown
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    assert report["status"] == "moved" and len(report["moved"]) == len(
        json.loads((out / "plan.json").read_text(encoding="utf-8"))["resources"]
    )
    assert [f for f in report["followUps"] if f["status"] == "failed"] == []
    recreated = {(f["kind"], f["target"]) for f in report["followUps"] if f["status"] == "done"}
    assert {("endpoint", "churn-endpoint"), ("endpoint", "churn-batch"), ("compute", "cpu-cluster")} <= recreated
    status = json.loads((out / "status.json").read_text(encoding="utf-8"))
    assert status["state"] in ("follow-ups-left", "done") and f"Status: {status['state']}" in proc.stdout
    assert (out / "exports" / "compute-cpu-cluster.yml").exists()
    assert json.loads((out / "plan-blocked" / "plan.json").read_text(encoding="utf-8"))["status"] == "blocked"
