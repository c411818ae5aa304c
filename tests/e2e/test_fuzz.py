"""Property-based fuzzing (hypothesis) of everything a run reads before it may touch Azure: every input (as action
inputs and as CLI flags), the plan file apply is given, and the state.json apply resumes from.

The property, for every generated case: no traceback, no crash; an invalid input or input file gives exit 2 and ONE
line on stderr that names the input (`Input <name> …`); a plan that reads fine but must not be applied is refused
(exit 1, `Refusing plan …`); nothing reaches sign-in unless the inputs are valid, so nothing can write to Azure.

Most cases run in-process against `amlmove_action.cli.main` (the real entry point, with sign-in replaced by a
tripwire and every socket connect refused); a sample runs `entrypoint.py` as a runner would, with the emulator's
request log and a listening OIDC socket proving that not a single request (not even sign-in) left the process.

Case count: AMLMOVE_FUZZ_EXAMPLES (the total over this module; default small for the regular test run).
`make fuzz` runs the full count (≥ 10,000); the module prints the number of cases it ran.
"""

from __future__ import annotations

import base64
import contextlib
import copy
import io
import json
import math
import os
import random
import socket
import tempfile
from collections import Counter
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from amlmove_action import cli, drift, ids, move, render
from amlmove_action import state as statefile
from amlmove_action.commands import apply as apply_command
from amlmove_action.errors import InputError
from amlmove_action.ids import moved_id
from amlmove_action.inputs import INPUT_SPECS, Command, settings_from_argv, settings_from_env
from amlmove_action.plan import Plan, digest_of
from amlmove_action.planfile import load_plan, verify_plan
from amlmove_action.report import Report, report_markdown
from amlmove_emulator import samples
from tests.support.harness import Runner, cli_flags
from tests.support.runner_rules import find_formatting_markers, parse_github_commands, parse_vso_commands
from tests.support.tallies import tally

pytestmark = pytest.mark.fuzz

FUZZ_TOTAL = int(os.environ.get("AMLMOVE_FUZZ_EXAMPLES", "250"))
FULL_RUN = "AMLMOVE_FUZZ_EXAMPLES" in os.environ
# Share of the total per target (sums to 1.0); the subprocess sample is on top, ~1 % of the total, at least 8.
SHARES = {
    "inputs-env": 0.22,
    "inputs-argv": 0.13,
    "cli-main": 0.10,
    "plan-bytes": 0.08,
    "plan-json": 0.07,
    "plan-mutated": 0.14,
    "plan-resigned": 0.10,
    "state-random": 0.06,
    "state-mutated": 0.10,
}
SUBPROCESS_SAMPLE = max(8, FUZZ_TOTAL // 100)


def describe_fuzz(counts: Counter[str]) -> str:
    return f"fuzz cases run: {sum(counts.values())} ({', '.join(f'{k} {v}' for k, v in sorted(counts.items()))})"


def fuzz_total_reached(counts: Counter[str]) -> list[str]:
    """When every target ran, together they ran at least the requested number of cases."""
    if set(SHARES) | {"subprocess"} <= set(counts) and sum(counts.values()) < FUZZ_TOTAL:
        return [f"{sum(counts.values())} fuzz cases run, {FUZZ_TOTAL} requested"]
    return []


COUNTS = tally("fuzz", describe_fuzz, fuzz_total_reached)  # reported (and checked) after the session's last test

INPUT_NAMES = [spec.name for spec in INPUT_SPECS]
SPEC = {spec.name: spec for spec in INPUT_SPECS}
WS_ID = samples.WorkspaceScenario().workspace_id
DEST_ID = samples.group_id(samples.DEST_SUB, "rg-ml-prod")
CLIENT_ID = samples.SP["clientId"]
TENANT_ID = samples.TENANT
ARM = "https://127.0.0.1:9"  # never contacted in-process: sign-in is a tripwire and connects are refused


def budget(target: str) -> int:
    return max(10, math.ceil(FUZZ_TOTAL * SHARES[target]))


def fuzz(target: str):
    return settings(
        max_examples=budget(target),
        deadline=None,
        suppress_health_check=list(HealthCheck),
        print_blob=True,
    )


# --- Hostile text ---------------------------------------------------------------------------------------------------

INJECTIONS = [
    "::set-output name=status::moved",
    "::add-mask::x",
    "::error title=x::y",
    "::stop-commands::deadbeef",
    "##vso[task.setvariable variable=status;isoutput=true]moved",
    "##vso[task.complete result=Succeeded;]done",
    "##[error]boom",
    "\n::warning::line two",
    "\r\n##vso[task.setsecret]x",
    "%0A::notice::escaped",
    "ghadelimiter_00000000\nstatus<<EOF\nmoved\nEOF",
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "[click](javascript:alert(1))",
    "| a | b |\n|---|---|",
    "`code` ``` fence",
    "${{ secrets.GITHUB_TOKEN }}",
    "$(System.AccessToken)",
    "\x1b[31mred\x1b[0m",
    "\u202etxt.exe",
    "\x00",
    "\u2028",
    "../../etc/passwd",
    "/subscriptions/../../",
    "ſubscriptions",
    "\u212a",  # Kelvin sign: lower() is 'k'
    "Ａｐｐｌｙ",
    " ",
    "",
    "true\n",
    "1h" * 40,
    "9" * 400,
    "https://user:pass@evil.example/?q=1#f",
    "http://127.0.0.1",
    "file:///etc/passwd",
]
HOSTILE = st.one_of(
    st.text(),
    st.sampled_from(INJECTIONS),
    st.builds(lambda a, b, c: a + b + c, st.text(max_size=6), st.sampled_from(INJECTIONS), st.text(max_size=6)),
    st.text(min_size=300, max_size=3000),
    st.binary(max_size=60).map(lambda b: b.decode("utf-8", "replace")),
)


def valid_inputs() -> dict[str, str]:
    """A complete, valid set of action inputs for apply (every other input at its default)."""
    return {
        "command": "apply",
        "source-workspace-id": WS_ID,
        "destination-resource-group-id": DEST_ID,
        "cloud": "custom",
        "arm-endpoint": ARM,
        "authority-host": ARM,
        "client-id": CLIENT_ID,
        "tenant-id": TENANT_ID,
        "output-dir": "amlmove-output",
        "plan-file": "amlmove-output/plan.json",
    }


EXAMPLES = {  # a plausible valid value for each input the baseline leaves at its default
    "include-associated-resources": f"{samples.WorkspaceScenario().associated('storage')}",
    "skip-checks": "computes-present\nrunning-jobs",
    "max-plan-age": "1h30m",
    "move-timeout": "240m",
}


@st.composite
def value_for(draw: Any, name: str) -> str:
    """Hostile text, or a near miss of a valid value (one segment replaced, case or whitespace changed)."""
    base = valid_inputs().get(name) or EXAMPLES.get(name) or SPEC[name].default or "true"
    how = draw(st.integers(0, 5))
    if how == 0:
        return draw(HOSTILE)
    if how == 1 and "/" in base:
        parts = base.split("/")
        index = draw(st.integers(0, len(parts) - 1))
        op = draw(st.sampled_from(["replace", "insert", "delete"]))
        if op == "replace":
            parts[index] = draw(HOSTILE)
        elif op == "insert":
            parts.insert(index, draw(HOSTILE))
        elif len(parts) > 1:
            del parts[index]
        return "/".join(parts)
    if how == 2:
        return draw(st.sampled_from([base.upper(), base.lower(), base + "/", " " + base + "\n", base + base]))
    if how == 3:
        position = draw(st.integers(0, len(base)))
        return base[:position] + draw(HOSTILE) + base[position:]
    if how == 4 and SPEC[name].boolean:
        return draw(st.sampled_from(["TRUE", "Yes", "0", "on", "off", "y", "t", "2", "truee", "false false"]))
    return draw(st.one_of(st.just(base), HOSTILE))


@st.composite
def input_value(draw: Any, name: str) -> str:
    """value_for(name); inputs that may hold a pasted secret sometimes carry a canary that must never be echoed."""
    value = draw(value_for(name))
    if name in NEVER_ECHOED and draw(st.booleans()):
        position = draw(st.integers(0, len(value)))
        value = value[:position] + CANARY + value[position:]
    return value


# Which inputs a failure may legitimately name when one input is wrong (the rest valid).
RELATED = {
    "client-id": {"client-id", "tenant-id"},
    "cloud": {"cloud", "arm-endpoint", "authority-host"},
    "remove-computes": {"remove-computes", "recreate-computes"},
    "remove-endpoints": {"remove-endpoints", "recreate-endpoints"},
    "source-workspace-id": {"source-workspace-id", "destination-resource-group-id"},
    "destination-resource-group-id": {"destination-resource-group-id"},
}
NEVER_ECHOED = {"client-id", "tenant-id", "arm-endpoint", "authority-host"}  # may hold a pasted secret
CANARY = "pAsTeDsEcReT7q"


def assert_one_safe_line(text: str) -> None:
    assert "\n" not in text and "\r" not in text, text
    assert text.isprintable(), text
    assert "::" not in text and "##" not in text, text


def check_input_outcome(name: str, value: str, call: Any) -> str:
    """Run call(); it must return Settings or raise InputError naming `name` (or a related input)."""
    try:
        call()
    except InputError as err:
        message = str(err)
        assert_one_safe_line(message)
        assert int(err.exit_code) == 2
        assert err.input_name in RELATED.get(name, {name}), (name, message)
        assert message.startswith(f"Input {err.input_name}"), message
        assert CANARY not in message, message
        return "invalid"
    return "valid"


# --- Inputs, in-process ---------------------------------------------------------------------------------------------


def action_env(inputs: dict[str, str]) -> dict[str, str]:
    env = {"GITHUB_ACTIONS": "true", "ACTIONS_ID_TOKEN_REQUEST_TOKEN": "fuzz-request-token"}
    env.update({f"INPUT_{k.upper()}": v for k, v in inputs.items()})
    return env


@fuzz("inputs-env")
@given(data=st.data(), name=st.sampled_from(INPUT_NAMES))
def test_every_action_input_is_validated_with_one_line_naming_it(data: Any, name: str) -> None:
    """INPUT_<NAME> set to anything: Settings, or InputError naming that input. Never another exception."""
    value = data.draw(input_value(name), label=name)
    inputs = {**valid_inputs(), name: value}
    if name == "command" and value.strip().lower() == "plan":
        inputs.pop("plan-file")
    COUNTS["inputs-env"] += 1
    check_input_outcome(name, value, lambda: settings_from_env(action_env(inputs)))


ARGV_TOKENS = st.one_of(
    st.sampled_from(["plan", "apply", "--", "-", "--=", "--debug", "—source-workspace-id"]),
    st.sampled_from([f"--{n}" for n in INPUT_NAMES]),
    st.builds(lambda n, v: f"--{n}={v}", st.sampled_from(INPUT_NAMES), HOSTILE),
    st.builds(lambda n: f"--{n}", HOSTILE),
    HOSTILE,
)


@fuzz("inputs-argv")
@given(data=st.data(), name=st.sampled_from(INPUT_NAMES), noise=st.lists(ARGV_TOKENS, max_size=4))
def test_every_cli_flag_is_validated_with_one_line_naming_it(data: Any, name: str, noise: list[str]) -> None:
    """`--name VALUE` (or `--name=VALUE`) set to anything, optionally with stray tokens: Settings or InputError."""
    value = data.draw(input_value(name), label=name)
    inputs = {**valid_inputs(), name: value}
    command = inputs.pop("command")
    argv = [command] if name != "command" else []
    for key, val in inputs.items():
        argv += [f"--{key}={val}"] if data.draw(st.booleans()) else [f"--{key}", val]
    if name == "command":
        argv = [f"--command={value}", *argv] if value.startswith("--") else [value, *argv]
    position = data.draw(st.integers(0, len(argv)))
    argv[position:position] = noise
    COUNTS["inputs-argv"] += 1
    try:
        settings_from_argv(argv)
    except InputError as err:
        message = str(err)
        assert_one_safe_line(message)
        assert message.startswith(f"Input {err.input_name}"), message
        assert err.input_name in INPUT_NAMES or err.input_name == "command line", message


# --- The real entry point, in-process, with a sign-in tripwire -------------------------------------------------------


class ReachedSignIn(BaseException):
    """Raised instead of signing in: the inputs were valid enough to reach Azure."""


@contextlib.contextmanager
def offline_tripwire() -> Iterator[Counter[str]]:
    """Sign-in raises ReachedSignIn and every TCP connect fails (and is counted): nothing can reach Azure."""
    seen: Counter[str] = Counter()

    def tripwire(*_args: Any, **_kwargs: Any) -> Any:
        seen["sign-in"] += 1
        raise ReachedSignIn()

    original_connect = socket.socket.connect

    def refuse(self: socket.socket, address: Any) -> None:
        if self.family in (socket.AF_INET, socket.AF_INET6):
            seen["connect"] += 1
            raise ConnectionRefusedError("fuzz: no network")
        return original_connect(self, address)

    with pytest.MonkeyPatch.context() as mp, tempfile.TemporaryDirectory() as cwd:
        mp.chdir(cwd)  # relative output-dir / plan-file values land in a scratch folder
        mp.setattr("amlmove_action.commands.plan.sign_in", tripwire)
        mp.setattr("amlmove_action.commands.apply.sign_in", tripwire)
        mp.setattr(socket.socket, "connect", refuse)
        yield seen


def run_main(argv: list[str], env: dict[str, str]) -> tuple[int | str, str, str]:
    """cli.main with captured streams; returns ("sign-in", …) when the tripwire fired."""
    out, err = io.StringIO(), io.StringIO()
    try:
        code: int | str = cli.main(argv, env, stdout=out, stderr=err)
    except ReachedSignIn:
        code = "sign-in"
    return code, out.getvalue(), err.getvalue()


def assert_only_own_commands(stdout: str, stderr: str = "") -> None:
    """What the runners would execute (tests/support/runner_rules.py): only amlmove's own error annotation and debug
    lines; nothing for an Azure DevOps agent, no `##[` marker."""
    for stream in (stdout, stderr):
        for command in parse_github_commands(stream):
            assert command.name in ("error", "debug"), command
            if command.name == "error":
                assert command.properties.get("title") == "amlmove", command
    assert parse_vso_commands(stdout + "\n" + stderr) == []
    assert find_formatting_markers(stdout + "\n" + stderr) == []


def assert_invalid_input_exit(code: int | str, stdout: str, stderr: str, names: set[str]) -> None:
    assert code == 2, (code, stderr)
    lines = stderr.splitlines()
    assert len(lines) == 1, stderr
    assert "Traceback" not in stdout + stderr
    assert_one_safe_line(lines[0])
    assert any(lines[0].startswith(f"amlmove: Input {n}") for n in names), lines[0]
    assert lines[0].endswith("[invalid-input]"), lines[0]
    assert_only_own_commands(stdout, stderr)


@fuzz("cli-main")
@given(data=st.data(), name=st.sampled_from(INPUT_NAMES), as_action=st.booleans(), debug=st.booleans())
def test_entry_point_gives_exit_2_and_one_line_before_any_sign_in(
    data: Any, name: str, as_action: bool, debug: bool
) -> None:
    value = data.draw(input_value(name), label=name)
    inputs = {**valid_inputs(), name: value}
    with tempfile.TemporaryDirectory() as tmp:
        inputs["output-dir"] = inputs["output-dir"] if name == "output-dir" else tmp
        inputs["plan-file"] = inputs["plan-file"] if name == "plan-file" else str(Path(tmp) / "missing-plan.json")
        env = action_env(inputs) if as_action else {"GITHUB_ACTIONS": "true"}
        if debug:
            env["RUNNER_DEBUG"] = "1"
        argv: list[str] = []
        if not as_action:
            flags = {k: v for k, v in inputs.items() if k != "command"}
            argv = [inputs["command"]] + [f"--{k}={v}" for k, v in flags.items()]
            if name == "command":
                argv = [f"--command={value}", *argv[1:]]
        with offline_tripwire() as seen:
            code, stdout, stderr = run_main(argv, env)
    COUNTS["cli-main"] += 1
    assert seen["connect"] == 0
    if code == 0:  # help
        assert "-h" in argv or "--help" in argv
        return
    if code == "sign-in":  # every input valid, and plan signs in first (apply would first miss its plan file)
        assert seen["sign-in"] == 1
        assert check_input_outcome(name, value, lambda: settings_from_env(action_env(inputs))) == "valid"
        return
    names = RELATED.get(name, {name}) | {"command line", "plan-file"}
    assert_invalid_input_exit(code, stdout, stderr, names)


# --- The plan file -------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def real_plan(emulator, tmp_path_factory) -> dict[str, Any]:
    """One real plan, made by the real plan command against the emulator (the seed for every mutation)."""
    emulator.load_scenario(samples.clean())
    out = tmp_path_factory.mktemp("fuzz-plan")
    argv = ["plan", *cli_flags(WS_ID, DEST_ID, emulator.url, emulator.info["clientId"], emulator.info["tenantId"], out)]
    env = {"AZURE_CLIENT_SECRET": emulator.info["clientSecret"]}
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("REQUESTS_CA_BUNDLE", str(emulator.ca_file))
        code, _, stderr = run_main(argv, env)
    assert code == 0, stderr
    return json.loads((out / "plan.json").read_text("utf-8"))


def apply_argv(plan_file: Path, output_dir: Path, extra: list[str] | None = None) -> list[str]:
    flags = cli_flags(WS_ID, DEST_ID, ARM, CLIENT_ID, TENANT_ID, output_dir)
    return ["apply", *flags, "--plan-file", str(plan_file), *(extra or [])]


JSON_LEAVES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=False, allow_infinity=False),
    HOSTILE,
)
JSON_VALUES = st.recursive(
    JSON_LEAVES,
    lambda children: st.one_of(st.lists(children, max_size=4), st.dictionaries(HOSTILE, children, max_size=4)),
    max_leaves=20,
)


def paths_of(doc: Any, prefix: tuple = ()) -> list[tuple]:
    """Every path (tuple of keys/indexes) into a JSON document."""
    out = [prefix]
    if isinstance(doc, dict):
        for key, value in doc.items():
            out += paths_of(value, (*prefix, key))
    elif isinstance(doc, list):
        for index, value in enumerate(doc):
            out += paths_of(value, (*prefix, index))
    return out


def mutate(doc: Any, draw: Any, hostile_values: Any = JSON_VALUES) -> Any:
    """One to three structural edits: replace a value, delete a key, add a key, duplicate/empty a list."""
    doc = copy.deepcopy(doc)
    for _ in range(draw(st.integers(1, 3))):
        paths = paths_of(doc)
        path = draw(st.sampled_from(paths))
        if not path:
            return draw(hostile_values)
        parent = doc
        for key in path[:-1]:
            parent = parent[key]
        key = path[-1]
        op = draw(st.sampled_from(["replace", "delete", "add", "hostile-string", "type-swap"]))
        if op == "replace":
            parent[key] = draw(hostile_values)
        elif op == "delete":
            del parent[key]
        elif op == "add" and isinstance(parent, dict):
            parent[draw(HOSTILE)] = draw(hostile_values)
        elif op == "hostile-string":
            parent[key] = draw(HOSTILE)
        else:
            value = parent[key]
            parent[key] = [value] if not isinstance(value, list) else {"0": value}
    return doc


def run_apply_with(plan_bytes: bytes, state_bytes: bytes | None = None) -> tuple[int | str, str, str, Path]:
    tmp = Path(tempfile.mkdtemp(prefix="amlmove-fuzz-"))
    plan_file = tmp / "plan.json"
    plan_file.write_bytes(plan_bytes)
    out = tmp / "out"
    out.mkdir()
    if state_bytes is not None:
        (out / "state.json").write_bytes(state_bytes)
    with offline_tripwire() as seen:
        code, stdout, stderr = run_main(apply_argv(plan_file, out), {"GITHUB_ACTIONS": "true"})
    assert seen["connect"] == 0
    return code, stdout, stderr, tmp


def check_plan_outcome(code: int | str, stdout: str, stderr: str) -> str:
    assert "Traceback" not in stdout + stderr
    if code == "sign-in":
        return "valid"
    if code == 1:
        lines = stderr.splitlines()
        assert len(lines) == 1 and lines[0].startswith("amlmove: Refusing plan"), stderr
        assert_one_safe_line(lines[0])
        assert_only_own_commands(stdout, stderr)
        return "refused"
    assert_invalid_input_exit(code, stdout, stderr, {"plan-file"})
    return "invalid"


@fuzz("plan-bytes")
@given(raw=st.one_of(st.binary(max_size=400), HOSTILE.map(lambda s: s.encode("utf-8", "surrogatepass"))))
def test_plan_file_of_random_bytes(raw: bytes) -> None:
    code, stdout, stderr, _tmp = run_apply_with(raw)
    COUNTS["plan-bytes"] += 1
    assert check_plan_outcome(code, stdout, stderr) == "invalid"


@fuzz("plan-json")
@given(doc=JSON_VALUES, deep=st.integers(0, 3))
def test_plan_file_of_random_json(doc: Any, deep: int) -> None:
    for _ in range(deep):
        doc = [doc]
    raw = json.dumps(doc).encode() if deep < 3 else b"[" * 100_000 + b"]" * 100_000
    code, stdout, stderr, _tmp = run_apply_with(raw)
    COUNTS["plan-json"] += 1
    assert check_plan_outcome(code, stdout, stderr) == "invalid"


@fuzz("plan-mutated")
@given(data=st.data())
def test_plan_file_mutated_from_a_real_plan(real_plan: dict[str, Any], data: Any) -> None:
    """Edits to a real plan without recomputing the digest: exit 2 (schema) or exit 1 (digest); never sign-in."""
    doc = mutate(real_plan, data.draw)
    code, stdout, stderr, _tmp = run_apply_with(json.dumps(doc, ensure_ascii=data.draw(st.booleans())).encode())
    COUNTS["plan-mutated"] += 1
    outcome = check_plan_outcome(code, stdout, stderr)
    assert outcome != "valid" or doc == real_plan


@fuzz("plan-resigned")
@given(data=st.data())
def test_plan_file_mutated_and_resigned(real_plan: dict[str, Any], data: Any) -> None:
    """Edits WITH a recomputed digest (a hand-made plan): exit 2 or 1 before sign-in, or a plan whose every field
    apply reads after sign-in is handled without an exception (checked here with the same pure functions)."""
    doc = mutate(real_plan, data.draw) if data.draw(st.booleans()) else targeted_edit(real_plan, data.draw)
    if isinstance(doc, dict):
        doc["digest"] = digest_of(doc)
    code, stdout, stderr, tmp = run_apply_with(json.dumps(doc).encode())
    COUNTS["plan-resigned"] += 1
    if check_plan_outcome(code, stdout, stderr) == "valid":
        exercise_plan_after_sign_in(load_plan(tmp / "plan.json"), tmp / "plan.json")


RESOURCE_ID = st.from_regex(
    r"\A/subscriptions/[0-9a-fA-F-]{36}/resource[gG]roups/[^/]{1,12}/providers/[^/]{1,12}/[^/]{1,12}/[^/]{1,12}.{0,12}\Z"
)
SOURCE_GROUP_ID = st.builds(
    lambda tail: f"{samples.WorkspaceScenario().source_rg}/providers/{tail}",
    st.from_regex(r"\A[^/]{1,12}/[^/]{1,12}/[^/]{1,12}(/[^/]{1,12}/[^/]{1,12})?/?\Z"),
)
SCHEMA_VALID_EDITS: dict[tuple, Any] = {
    ("createdAt",): st.from_regex(r"\A\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z\Z"),
    ("resources",): st.lists(st.one_of(RESOURCE_ID, SOURCE_GROUP_ID), min_size=1, max_size=4),
    ("options", "includeAssociatedResources"): HOSTILE,
    ("options", "skipChecks"): st.lists(st.from_regex(r"\A[a-z0-9-]{1,20}\Z"), max_size=3),
    ("options", "removeComputes"): st.booleans(),
    ("source", "location"): HOSTILE,
    ("source", "tenantId"): HOSTILE,
    ("destination", "location"): st.one_of(st.none(), HOSTILE),
    ("destination", "exists"): st.booleans(),
    ("inventory",): st.dictionaries(HOSTILE, st.one_of(st.none(), st.integers(0, 10**12)), max_size=4),
    ("findings", 0, "detail"): HOSTILE,
    ("findings", 0, "title"): HOSTILE,
    ("postMove", "computesToRemove"): st.lists(HOSTILE, max_size=3),
    ("postMove", "endpointsToRemove"): st.lists(HOSTILE, max_size=3),
    ("tool", "version"): HOSTILE,
}


def targeted_edit(plan: dict[str, Any], draw: Any) -> dict[str, Any]:
    """A schema-valid edit of a field apply reads after sign-in (random edits rarely keep the schema happy)."""
    doc = copy.deepcopy(plan)
    path = draw(st.sampled_from(sorted(SCHEMA_VALID_EDITS, key=str)))
    parent = doc
    for key in path[:-1]:
        parent = parent[key]
    parent[path[-1]] = draw(SCHEMA_VALID_EDITS[path])
    return doc


def exercise_plan_after_sign_in(plan: Plan, path: Path) -> None:
    """Everything apply computes from the plan's content once signed in, minus the network."""
    base = settings_from_argv(apply_argv(path, path.parent / "out"))
    try:
        verify_plan(plan, path, WS_ID, DEST_ID, max_age=timedelta(hours=24))
    except Exception as exc:  # noqa: BLE001 - only the documented refusal may come out
        assert type(exc).__name__ == "PlanRefused", repr(exc)
    planned = apply_command.planned_settings(base, plan)
    assert planned.command is Command.APPLY
    target = plan.destination.resource_group_id
    for rid in plan.resources:
        ids.ResourceId.parse(rid)
        moved_id(rid, target)
    drift.differences(plan, plan)
    render.plan_markdown(plan)
    report = Report(plan.digest, plan.source.workspace_id, plan.destination.workspace_id)
    report_markdown(report.to_json(move.utc_now()))


# --- state.json ------------------------------------------------------------------------------------------------------


def real_state(plan: dict[str, Any], arm: str = ARM) -> dict[str, Any]:
    """A state.json as apply writes it the moment ARM accepts (continuation token in azure-core's format)."""
    location = f"{arm}/subscriptions/{samples.SOURCE_SUB}/operationresults/0f0e?api-version=2025-04-01"
    token = {
        "version": 1,
        "data": {
            "request": {
                "method": "POST",
                "url": f"{arm}{plan['source']['resourceGroupId']}/moveResources?api-version=2025-04-01",
                "headers": {"x-ms-client-request-id": "00000000-0000-0000-0000-000000000000"},
            },
            "response": {
                "status_code": 202,
                "headers": {"Location": location, "Retry-After": "1"},
                "content": "",
            },
            "context": {"deserialized_data": None},
        },
    }
    return statefile.MoveState(
        plan["digest"],
        "accepted",
        move.utc_now(),
        list(plan["resources"]),
        plan["destination"]["resourceGroupId"],
        base64.b64encode(json.dumps(token).encode()).decode(),
    ).to_json()


def check_state_outcome(code: int | str, stdout: str, stderr: str) -> str:
    assert "Traceback" not in stdout + stderr
    if code == "sign-in":
        return "valid"
    assert_invalid_input_exit(code, stdout, stderr, {"output-dir"})
    assert "state.json" in stderr
    return "invalid"


@fuzz("state-random")
@given(raw=st.one_of(st.binary(max_size=300), JSON_VALUES.map(lambda d: json.dumps(d).encode())))
def test_state_file_of_random_content(real_plan: dict[str, Any], raw: bytes) -> None:
    code, stdout, stderr, _ = run_apply_with(json.dumps(real_plan).encode(), raw)
    COUNTS["state-random"] += 1
    check_state_outcome(code, stdout, stderr)


@fuzz("state-mutated")
@given(data=st.data())
def test_state_file_mutated_from_a_real_one(real_plan: dict[str, Any], data: Any) -> None:
    """A state.json for this very plan with edits: exit 2 naming output-dir's state.json, or a state apply can
    resume from safely (times parse, the token is azure-core's and points at this run's ARM endpoint only)."""
    state = real_state(real_plan)
    doc = mutate(state, data.draw)
    if isinstance(doc, dict) and data.draw(st.booleans()):
        doc["planDigest"] = real_plan["digest"]  # keep it addressed to this plan, so it is not ignored
    code, stdout, stderr, tmp = run_apply_with(json.dumps(real_plan).encode(), json.dumps(doc).encode())
    COUNTS["state-mutated"] += 1
    if check_state_outcome(code, stdout, stderr) == "valid":
        loaded = statefile.read_state(tmp / "out" / "state.json", real_plan["digest"], ARM)
        if loaded is not None and loaded.status == "accepted" and loaded.continuation_token:
            loaded.started()
            assert statefile.token_targets(loaded.continuation_token or "", ARM)


@pytest.mark.parametrize(
    "where",
    [
        "https://evil.example",
        "https://127.0.0.1:9.evil.example",
        "https://127.0.0.1:10",
        "http://127.0.0.1:9",
    ],
)
def test_state_token_pointing_elsewhere_is_refused_before_sign_in(real_plan: dict[str, Any], where: str) -> None:
    """A state.json whose continuation token polls another host would hand it the bearer token: exit 2."""
    state = real_state(real_plan, arm=where)
    code, stdout, stderr, _ = run_apply_with(json.dumps(real_plan).encode(), json.dumps(state).encode())
    COUNTS["state-mutated"] += 1
    assert check_state_outcome(code, stdout, stderr) == "invalid"


def test_real_state_file_is_accepted(real_plan: dict[str, Any]) -> None:
    code, _stdout, stderr, _ = run_apply_with(
        json.dumps(real_plan).encode(), json.dumps(real_state(real_plan)).encode()
    )
    assert code == "sign-in", stderr


# --- A sample through the real entrypoint, as a runner runs it -----------------------------------------------------


@pytest.fixture(scope="module")
def oidc_listener() -> Iterator[socket.socket]:
    """A listening socket standing in for the runner's OIDC endpoint: any connection attempt is queued and seen."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    sock.listen(64)
    sock.setblocking(False)
    yield sock
    sock.close()


def pending_connections(sock: socket.socket) -> int:
    count = 0
    while True:
        try:
            conn, _ = sock.accept()
        except BlockingIOError:
            return count
        conn.close()
        count += 1


def runner_safe(text: str) -> bool:
    return "\x00" not in text and not any(0xD800 <= ord(ch) <= 0xDFFF for ch in text)


def test_entrypoint_subprocess_sample_never_calls_azure(emulator, oidc_listener, real_plan, tmp_path) -> None:
    """SUBPROCESS_SAMPLE fuzzed input sets through `python entrypoint.py` in GitHub mode (inputs as INPUT_*,
    sign-in by GitHub OIDC pointed at a listening socket, ARM and Entra at the emulator): every run exits 2 with
    one line naming the input, the emulator's request log gains no request at all (no token, no read, no write),
    and nobody connects to the OIDC socket."""
    rng = random.Random(int(os.environ.get("AMLMOVE_FUZZ_SEED", "20240601")))
    oidc = f"http://127.0.0.1:{oidc_listener.getsockname()[1]}/token?x=1"
    before = len(emulator.requests())
    plan_file = tmp_path / "plan.json"
    plan_file.write_text(json.dumps(real_plan), "utf-8")
    ran = 0
    runner = Runner(emulator, tmp_path / "runs")

    @settings(max_examples=SUBPROCESS_SAMPLE, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    @given(data=st.data(), name=st.sampled_from(INPUT_NAMES))
    def one(data: Any, name: str) -> None:
        nonlocal ran
        value = data.draw(input_value(name).filter(runner_safe), label=name)
        inputs = {
            **valid_inputs(),
            "arm-endpoint": emulator.url,
            "authority-host": emulator.url,
            "plan-file": str(plan_file),
            "output-dir": str(tmp_path / f"out-{ran}"),
        }
        inputs[name] = value
        breaker = "max-plan-age" if name != "max-plan-age" else "move-timeout"
        if check_input_outcome(name, value, lambda: settings_from_env(action_env(inputs))) == "valid":
            inputs[breaker] = "forever"  # every sample must be invalid: a valid one would sign in
        debug = {"RUNNER_DEBUG": "1"} if rng.random() < 0.5 else {}
        run = runner.run(  # tests/support/harness.py: INPUT_* over action.yml's defaults, GitHub's files, GitHub OIDC
            inputs.pop("command"),
            inputs,
            mode="github",
            name=f"sample-{ran}",
            auth="oidc",
            extra_env={"ACTIONS_ID_TOKEN_REQUEST_URL": oidc, **debug},
            timeout=60,
        )
        ran += 1
        COUNTS["subprocess"] += 1
        names = {*RELATED.get(name, {name}), breaker}
        assert_invalid_input_exit(run.code, run.stdout, run.stderr, names)
        assert run.foreign_commands() == []
        assert pending_connections(oidc_listener) == 0
        assert run.output_file == ""

    one()
    after = emulator.requests()
    assert len(after) == before, after[before:]
    assert ran >= SUBPROCESS_SAMPLE
