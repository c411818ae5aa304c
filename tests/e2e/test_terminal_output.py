"""A terminal run reads as plain text: each error once (stderr), no Markdown or HTML escapes, one duration format,
the continuation token only while a move still runs, and a bad input echoed whole enough to see the problem."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta

from amlmove_action import durations
from amlmove_action.errors import AzureError, PlanRefused, RuntimeFailure
from amlmove_action.plan import digest_of
from amlmove_emulator import samples
from tests.support.harness import inputs, load

# The one format (amlmove_action/durations.py): 5s, 0.2s, 2m05s, 1h02m05s.
DURATION = re.compile(r"^(?:\d+h\d{2}m\d{2}s|\d+m\d{2}s|\d+(?:\.\d)?s)$")
OTHER_FORMATS = re.compile(r"\b\d+:\d{2}:\d{2}\b|\b0h\d{2}m|\b\d+h\d{2}m(?!\d)")


def lines_of(run) -> list[str]:
    return [line.strip() for line in (run.stdout + run.stderr).splitlines() if line.strip()]


def assert_plain(run) -> None:
    text = run.stdout + run.stderr
    assert "&#" not in text and "&lt;" not in text and "&gt;" not in text and "&amp;" not in text, text
    assert not re.search(r"\\[.\-_()!#*\[\]`]", text), text


def test_blocked_plan_in_a_terminal_says_each_thing_once_in_plain_text(emulator, runner) -> None:
    s = samples.WorkspaceScenario(dest_location=None)
    s.compute("cpu-cluster")
    load(emulator, s)
    run = runner.run("plan", inputs(s), mode="local")
    assert run.code == 1, run.explain()
    lines = lines_of(run)
    repeated = {line for line in lines if lines.count(line) > 1}
    assert repeated == set(), repeated
    failure = run.stderr.strip()
    assert failure.startswith("amlmove: Moving workspace") and len(run.stderr.strip().splitlines()) == 1
    assert sum(failure in line for line in lines) == 1  # not also as "error: …" on stdout
    assert_plain(run)


def test_plan_and_apply_in_a_terminal_are_plain_and_print_no_token_when_done(emulator, runner) -> None:
    s = samples.WorkspaceScenario()
    s.datastore("o'brien-data", "AzureBlob", "None", container="c")  # an apostrophe: &#x27; in Markdown
    load(emulator, s)
    plan = runner.run("plan", inputs(s), mode="local", name="plan")
    assert plan.code == 0, plan.explain()
    applied = runner.run(
        "apply", inputs(s, **{"plan-file": str(plan.out_dir / "plan.json")}), mode="local", name="apply"
    )
    assert applied.code == 0, applied.explain()
    for run in (plan, applied):
        assert_plain(run)
        lines = lines_of(run)
        assert {line for line in lines if lines.count(line) > 1} == set()
    assert "continuation-token" not in applied.stdout and "eyJ" not in applied.stdout
    report_md = (applied.out_dir / "report.md").read_text(encoding="utf-8")
    timings = report_md.split("| Phase | Duration |", 1)[1].split("</details>", 1)[0]
    values = [row.split("|")[2].strip() for row in timings.strip().splitlines()[1:]]
    assert values and all(DURATION.match(v) for v in values), values
    assert not OTHER_FORMATS.search(report_md)
    assert "0\\.1.0" not in report_md and "amlmove `" in report_md.splitlines()[-1]


def test_a_stale_plan_says_its_age_in_the_one_duration_format(emulator, runner, tmp_path) -> None:
    s = samples.WorkspaceScenario()
    load(emulator, s)
    plan = runner.run("plan", inputs(s), mode="local", name="plan")
    assert plan.code == 0, plan.explain()
    data = json.loads((plan.out_dir / "plan.json").read_text("utf-8"))
    data["createdAt"] = (datetime.now(UTC) - timedelta(hours=2, minutes=5)).strftime("%Y-%m-%dT%H:%M:%SZ")
    data["digest"] = digest_of(data)
    stale = tmp_path / "plan.json"
    stale.write_text(json.dumps(data), "utf-8")
    run = runner.run("apply", inputs(s, **{"plan-file": str(stale), "max-plan-age": "1h30m"}), mode="local")
    assert run.code == 1, run.explain()
    said = re.search(r"it is (\S+) old, older than max-plan-age (\S+?)\.", run.last_line)
    assert said, run.last_line
    assert DURATION.match(said.group(1)) and said.group(1).startswith("2h0")
    assert said.group(2) == "1h30m00s"


def test_durations_have_one_format() -> None:
    assert durations.text(timedelta(seconds=5)) == "5s"
    assert durations.text(timedelta(minutes=2, seconds=5)) == "2m05s"
    assert durations.text(timedelta(days=2, seconds=5)) == "48h00m05s"
    assert durations.text(0.24, precise=True) == "0.2s"
    assert all(DURATION.match(durations.text(timedelta(seconds=n))) for n in (0, 59, 60, 3599, 3600, 90061))


def test_a_bad_input_is_echoed_whole_so_the_problem_shows(emulator, runner) -> None:
    s = samples.WorkspaceScenario()
    bad = s.dest_rg + "/"
    run = runner.run("plan", inputs(s, **{"destination-resource-group-id": bad}), mode="local")
    assert run.code == 2
    assert repr(bad) in run.last_line  # the trailing slash is visible
    assert "error: amlmove" not in run.stdout  # once, on stderr


def test_messages_never_end_a_sentence_twice() -> None:
    for error in (
        RuntimeFailure("Move", "ARM said: wait for or cancel running jobs before moving.", "Re-run apply"),
        PlanRefused("plan.json", "ARM's validateMoveResources now fails with X: before moving.", "Plan again"),
        AzureError("moveResources", code="Conflict", message="Retry after the operation completes.", fix="Wait"),
    ):
        assert ".." not in str(error), str(error)
