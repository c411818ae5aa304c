"""The three platform adapters, judged by the runners' parsers (tests/support/runner_rules.py): hostile text passed to
any method yields no command but our own, our own commands and outputs parse back exactly, and the limits hold."""

from __future__ import annotations

import io
import tempfile
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings

from amlmove_action.errors import RuntimeFailure
from amlmove_action.platform import ANNOTATION_LIMIT, SUMMARY_LIMIT, Platform, detect_platform
from amlmove_action.safetext import for_log, for_output
from tests.support.hostile_text import HOSTILE, nasty_text
from tests.support.runner_rules import (
    Command,
    find_formatting_markers,
    parse_github_commands,
    parse_github_file_commands,
    parse_vso_commands,
)

KINDS = ("github", "azure-devops", "local")


@dataclass
class Run:
    platform: Platform
    out: io.StringIO
    err: io.StringIO
    env: dict[str, str]
    folder: Path

    @property
    def stdout(self) -> str:
        return self.out.getvalue()

    @property
    def stderr(self) -> str:
        return self.err.getvalue()

    def outputs(self) -> dict[str, str]:
        path = Path(self.env["GITHUB_OUTPUT"])
        return parse_github_file_commands(path.read_text("utf-8")) if path.exists() else {}


def start(kind: str, folder: Path, **extra: str) -> Run:
    env = {
        "github": {
            "GITHUB_ACTIONS": "true",
            "GITHUB_OUTPUT": str(folder / "set_output_x"),
            "GITHUB_STEP_SUMMARY": str(folder / "step_summary_x"),
        },
        "azure-devops": {"TF_BUILD": "True", "AGENT_TEMPDIRECTORY": str(folder)},
        "local": {},
    }[kind] | extra
    out, err = io.StringIO(), io.StringIO()
    platform = detect_platform(env, stdout=out, stderr=err)
    assert platform.name == kind
    return Run(platform, out, err, env, folder)


def every_method(platform: Platform, text: str) -> None:
    platform.info(text)
    platform.debug(text)
    platform.info_block(text)
    for level in ("error", "warning", "notice"):
        platform.annotate(level, text, title=text)
    platform.set_output("status", text)
    platform.write_summary(text)
    platform.complete("Failed", text)


def gh_commands(run: Run) -> list[Command]:
    return parse_github_commands(run.stdout) + parse_github_commands(run.stderr)


def vso_commands(run: Run) -> list[Command]:
    return parse_vso_commands(run.stdout) + parse_vso_commands(run.stderr)


# --- Hostile text: nothing but our own commands ----------------------------------------------------------------------


@pytest.mark.parametrize("text", HOSTILE)
def test_github_hostile_text_gives_only_our_commands(tmp_path: Path, text: str) -> None:
    run = start("github", tmp_path)
    every_method(run.platform, text)
    safe = for_log(text)
    commands = gh_commands(run)
    token = commands[1].data
    assert commands == [
        Command("debug", {}, safe),
        Command("stop-commands", {}, token),
        Command(token, {}, ""),
        Command("error", {"title": safe} if safe else {}, safe),
        Command("warning", {"title": safe} if safe else {}, safe),
        Command("notice", {"title": safe} if safe else {}, safe),
    ]
    assert parse_vso_commands(run.stdout + run.stderr) == [] and find_formatting_markers(run.stdout) == []
    assert run.outputs() == {"status": for_output(text)}


@pytest.mark.parametrize("text", HOSTILE)
def test_azure_devops_hostile_text_gives_only_our_commands(tmp_path: Path, text: str) -> None:
    run = start("azure-devops", tmp_path)
    every_method(run.platform, text)
    commands = vso_commands(run)
    assert [c.name for c in commands] == [
        "task.logissue",
        "task.logissue",
        "task.logissue",
        "task.setvariable",
        "task.uploadsummary",
        "task.complete",
    ]
    issues = commands[:3]
    assert [c.properties for c in issues] == [{"type": "error"}, {"type": "warning"}, {"type": "warning"}]
    assert all(c.data.endswith(for_log(text)) and "##" not in c.data for c in issues)
    assert commands[3] == Command("task.setvariable", {"variable": "status", "isoutput": "true"}, for_output(text))
    assert Path(commands[4].data).is_absolute() and Path(commands[4].data).read_bytes().decode("utf-8") == text
    assert commands[5] == Command("task.complete", {"result": "Failed"}, for_log(text))
    lines = run.stdout.splitlines()
    assert [(n, name) for n, name in find_formatting_markers(run.stdout)] == [
        (n, "debug") for n, line in enumerate(lines) if line.startswith("##[debug]")
    ]
    assert len([line for line in lines if line.startswith("##[debug]")]) == 1


@pytest.mark.parametrize("text", HOSTILE)
def test_local_hostile_text_gives_no_command_at_all(tmp_path: Path, text: str) -> None:
    run = start("local", tmp_path)
    every_method(run.platform, text)
    for stream in (run.stdout, run.stderr):
        assert parse_github_commands(stream) == []
        assert parse_vso_commands(stream) == []
        assert find_formatting_markers(stream) == []
    assert run.stdout.splitlines()[-1] == f"status = {for_output(text)}"


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=nasty_text)
def test_property_any_text_through_any_adapter_gives_only_our_commands(text: str) -> None:
    with tempfile.TemporaryDirectory() as folder:
        for kind in KINDS:
            run = start(kind, Path(folder))
            run.platform.info(text)
            run.platform.annotate("error", text, title=text)
            run.platform.set_output("status", text)
            run.platform.complete("Failed", text)
            gh, vso = gh_commands(run), vso_commands(run)
            if kind == "github":
                assert [c.name for c in gh] == ["error"] and vso == []
                assert run.outputs() == {"status": for_output(text)}
                Path(run.env["GITHUB_OUTPUT"]).unlink()
            elif kind == "azure-devops":
                assert [c.name for c in vso] == ["task.logissue", "task.setvariable", "task.complete"]
                assert vso[1].data == for_output(text)
            else:
                assert gh == [] and vso == []


# --- Our own commands parse back exactly -----------------------------------------------------------------------------


def test_github_outputs_round_trip_through_the_output_file(tmp_path: Path) -> None:
    run = start("github", tmp_path)
    values = {
        "status": "ready",
        "blockers": "0",
        "plan-file": "amlmove-output/plan  final.json",
        "plan-digest": "a" * 64,
        "destination-workspace-id": "/subscriptions/0000/resourceGroups/rg-ml-prod/providers/X/workspaces/w",
        "empty": "",
        "tricky": "x=y<<z %0A 50% ;,]",
    }
    for name, value in values.items():
        run.platform.set_output(name, value)
    assert run.outputs() == values
    assert run.stdout == "" and "set-output" not in run.stdout
    text = Path(run.env["GITHUB_OUTPUT"]).read_text("utf-8")
    assert text.count("<<ghadelimiter_") == len(values)


def test_github_output_value_cannot_inject_more_outputs(tmp_path: Path) -> None:
    run = start("github", tmp_path)
    run.platform.set_output("status", "ready\nEOF\nstatus<<EOF\nmoved\nEOF\nother=1")
    assert run.outputs() == {"status": "ready EOF status<<EOF moved EOF other=1"}


def test_github_refuses_a_value_holding_the_delimiter(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fixed = uuid.UUID("12345678-1234-5678-1234-567812345678")
    monkeypatch.setattr("actions_toolkit.file_command.uuid4", lambda: fixed)
    run = start("github", tmp_path)
    with pytest.raises(RuntimeFailure, match="delimiter"):
        run.platform.set_output("status", f"x\nghadelimiter_{fixed}\nstatus=moved")
    assert run.outputs() == {}


@pytest.mark.parametrize("name", ["", "a b", "a<<b", "a=b", "a\nb", "1st", "::x::", None])
@pytest.mark.parametrize("kind", KINDS)
def test_invalid_output_names_are_refused(tmp_path: Path, kind: str, name: object) -> None:
    run = start(kind, tmp_path)
    with pytest.raises(RuntimeFailure, match="not a valid output name"):
        run.platform.set_output(name, "x")  # type: ignore[arg-type]
    assert gh_commands(run) == [] and vso_commands(run) == []


def test_github_unwritable_output_file_is_one_clear_error(tmp_path: Path) -> None:
    run = start("github", tmp_path, GITHUB_OUTPUT=str(tmp_path))  # a directory
    with pytest.raises(RuntimeFailure, match="GITHUB_OUTPUT failed: IsADirectoryError"):
        run.platform.set_output("status", "ready")


def test_github_annotations_and_masks_parse_back(tmp_path: Path) -> None:
    run = start("github", tmp_path)
    secret = "p@ss%w0rd\n::x,y"
    run.platform.mask(secret)
    run.platform.mask(secret)  # once only
    run.platform.mask("  ")  # blank: never sent (the runner warns on an empty mask)
    assert run.platform.annotate("error", "50% done, a:b", title="amlmove AML001: x, y")
    assert run.platform.annotate("warning", "plain")
    assert run.platform.annotate("notice", "n", title="")
    run.platform.debug("detail %0A")
    assert gh_commands(run) == [
        Command("add-mask", {}, secret),
        Command("add-mask", {}, "p@ss%w0rd"),
        Command("add-mask", {}, "::x,y"),
        Command("error", {"title": "amlmove AML001: x, y"}, "50% done, a:b"),
        Command("warning", {}, "plain"),
        Command("notice", {}, "n"),
        Command("debug", {}, "detail %0A"),
    ]


class _SlowStream(io.StringIO):
    """A stdout whose every write yields the processor: two writes for one line are then sure to be interleaved."""

    def write(self, text: str) -> int:
        written = super().write(text)
        time.sleep(0.001)
        return written


@pytest.mark.parametrize("kind", ["github", "azure-devops"])
def test_masks_from_many_threads_stay_one_whole_command_each(kind: str) -> None:
    """apply's follow-ups run side by side and each may register a key: every mask must reach the runner as a
    line of its own, or the runner masks the joined text and neither key."""
    env = {"GITHUB_ACTIONS": "true"} if kind == "github" else {"TF_BUILD": "True"}
    out = _SlowStream()
    platform = detect_platform(env, stdout=out, stderr=io.StringIO())
    secrets = [f"key-{i:02d}-{uuid.uuid4().hex}" for i in range(16)]
    with ThreadPoolExecutor(max_workers=16) as pool:
        list(pool.map(platform.mask, secrets))
    parse = parse_github_commands if kind == "github" else parse_vso_commands
    masked = [c.data for c in parse(out.getvalue()) if c.name in ("add-mask", "task.setsecret")]
    assert sorted(masked) == sorted(secrets), out.getvalue()


def test_azure_devops_commands_parse_back(tmp_path: Path) -> None:
    run = start("azure-devops", tmp_path)
    run.platform.mask("a;b]c%d\nsecond")
    run.platform.set_output("plan-digest", "x;]%y 50%")
    run.platform.set_output("destination-workspace-id", "/subscriptions/s/rg")
    run.platform.annotate("notice", "n 100%", title="amlmove AML002")
    run.platform.write_summary("## plan\n\n| a | b |\n")
    run.platform.complete("SucceededWithIssues", "done; 2 warnings]")
    commands = vso_commands(run)
    assert commands[:6] == [
        Command("task.setsecret", {}, "a;b]c%d\nsecond"),
        Command("task.setsecret", {}, "a;b]c%d"),
        Command("task.setsecret", {}, "second"),
        Command("task.setvariable", {"variable": "planDigest", "isoutput": "true"}, "x;]%y 50%"),
        Command("task.setvariable", {"variable": "destinationWorkspaceId", "isoutput": "true"}, "/subscriptions/s/rg"),
        Command("task.logissue", {"type": "warning"}, "amlmove AML002: n 100%"),
    ]
    upload, complete = commands[6:]
    assert upload.name == "task.uploadsummary" and Path(upload.data).parent == tmp_path.resolve()
    assert Path(upload.data).read_text("utf-8") == "## plan\n\n| a | b |\n"
    assert complete == Command("task.complete", {"result": "SucceededWithIssues"}, "done; 2 warnings]")


def test_secrets_are_redacted_everywhere_but_the_mask_command(tmp_path: Path) -> None:
    for kind in KINDS:
        (tmp_path / kind).mkdir()
        run = start(kind, tmp_path / kind)
        run.platform.mask("hunter 2")
        every_method(run.platform, "password hunter 2 and hunter\n2")  # the second one only appears once flattened
        streams = run.stdout + run.stderr
        masks = [c for c in gh_commands(run) + vso_commands(run) if c.name in ("add-mask", "task.setsecret")]
        assert [c.data for c in masks] == (["hunter 2"] if kind != "local" else [])
        assert streams.count("hunter 2") == len(masks), kind
        if kind == "github":
            assert "hunter 2" not in Path(run.env["GITHUB_STEP_SUMMARY"]).read_text("utf-8")
            assert run.outputs() == {"status": "password *** and ***"}


# --- Limits ----------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_annotations_are_capped_per_level(tmp_path: Path, kind: str) -> None:
    run = start(kind, tmp_path)
    results = {
        level: [run.platform.annotate(level, f"{level} {i}") for i in range(ANNOTATION_LIMIT + 3)]
        for level in ("error", "warning", "notice")
    }
    for level, accepted in results.items():
        assert accepted == [True] * ANNOTATION_LIMIT + [False] * 3, level
    if kind == "github":
        names = [c.name for c in gh_commands(run)]
        assert [names.count(level) for level in ("error", "warning", "notice")] == [ANNOTATION_LIMIT] * 3
    elif kind == "azure-devops":
        assert len(vso_commands(run)) == 3 * ANNOTATION_LIMIT
    else:
        assert len(run.stdout.splitlines()) == 3 * ANNOTATION_LIMIT


def test_github_summary_is_capped_at_one_mebibyte_per_step(tmp_path: Path) -> None:
    run = start("github", tmp_path)
    summary = Path(run.env["GITHUB_STEP_SUMMARY"])
    summary.write_text("earlier step content\n", "utf-8")
    body = "| é | ü |\n" * 200_000  # ≈ 2.2 MB, multi-byte characters at every possible cut
    run.platform.write_summary(body)
    size = summary.stat().st_size
    assert SUMMARY_LIMIT - 200 < size <= SUMMARY_LIMIT
    text = summary.read_text("utf-8")  # still valid UTF-8
    assert text.startswith("earlier step content\n| é | ü |\n") and text.rstrip().endswith("output folder)_")
    run.platform.write_summary("more")
    assert summary.stat().st_size == size
    assert "1 MiB limit" in run.stdout and gh_commands(run) == []


def test_github_summary_appends_within_the_limit(tmp_path: Path) -> None:
    run = start("github", tmp_path)
    run.platform.write_summary("## one\n")
    run.platform.write_summary("## two\n")
    assert Path(run.env["GITHUB_STEP_SUMMARY"]).read_text("utf-8") == "## one\n## two\n"


def test_azure_devops_summary_is_capped_too(tmp_path: Path) -> None:
    run = start("azure-devops", tmp_path)
    run.platform.write_summary("x" * (SUMMARY_LIMIT + 10))
    (upload,) = vso_commands(run)
    assert Path(upload.data).stat().st_size <= SUMMARY_LIMIT


@pytest.mark.parametrize("kind", ["github", "azure-devops"])
def test_an_unwritable_summary_is_a_line_not_a_failure(tmp_path: Path, kind: str) -> None:
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("")
    run = start(kind, tmp_path, GITHUB_STEP_SUMMARY=str(tmp_path), AGENT_TEMPDIRECTORY=str(blocked))
    run.platform.write_summary("## plan")
    assert "Could not write the" in run.stdout
    assert gh_commands(run) == [] and vso_commands(run) == []


# --- Where outputs go without an output file; detection ----------------------------------------------------------


def test_local_prints_outputs_at_the_end_and_debug_on_stderr(tmp_path: Path) -> None:
    run = start("local", tmp_path)
    run.platform.set_output("status", "ready")
    run.platform.set_output("plan-file", "amlmove-output/plan.json")
    run.platform.info("Plan written")
    run.platform.debug("details")
    assert run.stdout == "Plan written\n"
    run.platform.complete("Succeeded", "amlmove finished")
    assert run.stdout == "Plan written\nstatus = ready\nplan-file = amlmove-output/plan.json\n"
    assert run.stderr == "debug: details\n"


def test_github_without_an_output_file_prints_outputs_at_the_end(tmp_path: Path) -> None:
    run = start("github", tmp_path, GITHUB_OUTPUT="")
    run.platform.set_output("status", "::set-output name=x::y")
    run.platform.complete("Succeeded", "done")
    assert run.stdout == "status = : :set-output name=x: :y\n" and gh_commands(run) == []


@pytest.mark.parametrize(
    ("env", "kind"),
    [
        ({"GITHUB_ACTIONS": "true"}, "github"),
        ({"GITHUB_ACTIONS": " TRUE "}, "github"),
        ({"GITHUB_ACTIONS": "true", "TF_BUILD": "True"}, "github"),
        ({"TF_BUILD": "True"}, "azure-devops"),
        ({"GITHUB_ACTIONS": "false", "TF_BUILD": "true"}, "azure-devops"),
        ({"GITHUB_ACTIONS": "1"}, "local"),
        ({}, "local"),
    ],
)
def test_detect_platform_reads_only_the_mapping_given(
    env: dict[str, str], kind: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GITHUB_ACTIONS", "true" if kind != "github" else "false")
    monkeypatch.setenv("TF_BUILD", "True" if kind == "local" else "False")
    assert detect_platform(env, stdout=io.StringIO(), stderr=io.StringIO()).name == kind
