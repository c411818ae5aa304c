"""Secret canaries: a client secret, GitHub's OIDC request token and federated ID tokens, Azure DevOps' access token,
the ARM access tokens, a storage account key and a datastore key, planted in (or minted by) the emulator, must never
appear in stdout, stderr, the job summary, the outputs file or any artifact (plan.json, plan.md, report.*, state.json
and its continuation token, exports/, snapshots/) — at any verbosity — and must be masked (`::add-mask::`,
`##vso[task.setsecret]`) wherever the platform supports masking and amlmove holds the value.

A "leak" is any occurrence outside the mask command itself, also URL-encoded or base64-encoded, and any JWT minted
by the emulator (a federated or an ARM token) anywhere. The module prints the number of leaks (0).
"""

from __future__ import annotations

import base64
import copy
import io
import json
import re
import threading
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote, quote_plus

import pytest

from amlmove_action import cli
from amlmove_emulator import samples
from tests.support.fault_runs import RETRY, common_args
from tests.support.harness import Runner, step_env
from tests.support.runner_rules import parse_github_line, parse_vso_line
from tests.support.tallies import tally

CLIENT_SECRET = "CANARY+client/secret=7f3a&9c~Q"  # '+', '/', '=' and '&' change under URL and form encoding
STORAGE_KEYS = ["Q0FOQVJZLXN0b3JhZ2Uta2V5LW9uZS04YjFk+/==", "Q0FOQVJZLXN0b3JhZ2Uta2V5LXR3by04YjFk"]
DATASTORE_KEY = "Q0FOQVJZLWRhdGFzdG9yZS1rZXk="
GITHUB_REQUEST_TOKEN = "emulated-github-oidc-request-token"  # what the emulator's github-oidc hook accepts
ADO_ACCESS_TOKEN = "emulated-ado-system-access-token"
JWT = re.compile(r"eyJ[A-Za-z0-9_-]{5,}\.eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]+")


def describe_secrets(leaks: Counter[str]) -> str:
    return (
        f"secrets: {leaks['runs']} runs, {leaks['files scanned']} files scanned, {leaks['masked']} mask commands, "
        f"{leaks['leaks']} leaked"
    )


LEAKS = tally("secrets", describe_secrets)  # reported after the session's last test


def canary_scenario() -> dict[str, Any]:
    s = samples.WorkspaceScenario()
    s.settings = {"retryAfterSeconds": RETRY, "clockSpeed": 1}
    s.principals[0] = {**copy.deepcopy(s.principals[0]), "clientSecret": CLIENT_SECRET}
    for r in s.resources:
        if "/storageAccounts/" in r["id"] and r.get("secrets"):
            r["secrets"] = {"keys": list(STORAGE_KEYS)}
        creds = r["body"].get("properties", {}).get("credentials")
        if isinstance(creds, dict) and creds.get("secrets"):
            creds["secrets"]["key"] = DATASTORE_KEY
    return s.build()


# --- Running ---------------------------------------------------------------------------------------------------------


@dataclass
class Result:
    mode: str
    code: int
    stdout: str
    stderr: str
    files: dict[str, str] = field(default_factory=dict)  # every file the run wrote, by name


_LOCK = threading.Lock()


def run(emulator: Any, mode: str, sign_in: str, command: str, out: Path, *extra: str, debug: bool) -> Result:
    out.mkdir(parents=True, exist_ok=True)
    temp = out.parent / f"{out.name}-temp"
    temp.mkdir(exist_ok=True)
    env: dict[str, str] = {}
    if sign_in == "client-secret":
        env["AZURE_CLIENT_SECRET"] = CLIENT_SECRET
    elif sign_in == "github-oidc":
        env["ACTIONS_ID_TOKEN_REQUEST_URL"] = f"{emulator.url}/_emulator/github-oidc?x=1"
        env["ACTIONS_ID_TOKEN_REQUEST_TOKEN"] = GITHUB_REQUEST_TOKEN
    elif sign_in == "azure-pipelines":
        env["SYSTEM_OIDCREQUESTURI"] = f"{emulator.url}/_emulator/ado-oidc"
        env["AZURESUBSCRIPTION_SERVICE_CONNECTION_ID"] = "amlmove-connection"
        env["SYSTEM_ACCESSTOKEN"] = ADO_ACCESS_TOKEN
    env |= step_env(mode, temp, temp / "github-output", temp / "summary.md", debug)
    argv = [command, *common_args(emulator, out), *extra]
    if command == "apply":
        argv += ["--plan-file", str(out.parent / "plan" / "plan.json")]
    if debug and mode == "local":
        argv.append("--debug")
    stdout, stderr = io.StringIO(), io.StringIO()
    with _LOCK, pytest.MonkeyPatch.context() as mp:
        mp.setenv("REQUESTS_CA_BUNDLE", str(emulator.ca_file))
        if "SYSTEM_OIDCREQUESTURI" in env:  # azure-identity's AzurePipelinesCredential reads it from os.environ
            mp.setenv("SYSTEM_OIDCREQUESTURI", env["SYSTEM_OIDCREQUESTURI"])
        code = cli.main(argv, env, stdout=stdout, stderr=stderr)
    files = {
        str(p.relative_to(out.parent)): p.read_text("utf-8", errors="replace")
        for folder in (out, temp)
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }
    LEAKS["runs"] += 1
    LEAKS["files scanned"] += len(files)
    return Result(mode, int(code), stdout.getvalue(), stderr.getvalue(), files)


# --- Looking for canaries --------------------------------------------------------------------------------------------


def forms(secret: str) -> set[str]:
    """The ways a secret could show up: as is, URL/form-encoded, base64 (and base64url) encoded, per line."""
    out = {secret, quote(secret, safe=""), quote_plus(secret), base64.b64encode(secret.encode()).decode().rstrip("=")}
    out.add(base64.urlsafe_b64encode(secret.encode()).decode().rstrip("="))
    return {f for f in out if len(f) >= 8}


def mask_commands(result: Result) -> tuple[set[str], list[str]]:
    """(values masked by the run, the stdout/stderr lines that are not mask commands)."""
    masked: set[str] = set()
    rest: list[str] = []
    for line in (result.stdout + "\n" + result.stderr).splitlines():
        github = parse_github_line(line) if result.mode == "github" else None
        vso = parse_vso_line(line) if result.mode == "azure-devops" else None
        if github is not None and github.name == "add-mask":
            masked.add(github.data)
        elif vso is not None and vso.name == "task.setsecret":
            masked.add(vso.data)
        else:
            rest.append(line)
    return masked, rest


def emulator_jwts(text: str) -> list[str]:
    """JWTs in text that the emulator minted (GitHub/ADO federated tokens, Entra access tokens)."""
    found = []
    for token in JWT.findall(text):
        try:
            payload = token.split(".")[1]
            claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        except ValueError:
            continue
        if isinstance(claims, dict) and ("iss" in claims or "oid" in claims):
            found.append(token)
    return found


def decoded_tokens(files: dict[str, str]) -> str:
    """The continuation tokens in state.json and the outputs, decoded (they are base64 JSON)."""
    out = []
    for text in files.values():
        for blob in re.findall(r"eyJ2ZXJzaW9uIjo[A-Za-z0-9+/=]+", text):
            try:
                out.append(base64.b64decode(blob).decode("utf-8", "replace"))
            except ValueError:
                continue
    return "\n".join(out)


def leaks(result: Result, canaries: list[str]) -> list[str]:
    masked, lines = mask_commands(result)
    places = {"stdout/stderr": "\n".join(lines), **result.files, "continuation tokens": decoded_tokens(result.files)}
    found = []
    for where, text in places.items():
        for canary in canaries:
            for form in forms(canary):
                if form in text:
                    found.append(f"{canary[:12]}… as {form[:12]}… in {where}")
        found += [f"emulator JWT {t[:16]}… in {where}" for t in emulator_jwts(text)]
    LEAKS["leaks"] += len(found)
    LEAKS["masked"] += len(masked)
    return found


# --- The runs ---------------------------------------------------------------------------------------------------------

SIGN_INS = {"github": ["github-oidc", "client-secret"], "azure-devops": ["azure-pipelines"], "local": ["client-secret"]}
CASES = [
    (mode, sign_in, debug)
    for mode, ways in SIGN_INS.items()
    for sign_in in ways
    for debug in (False, True)
    if not (mode == "github" and sign_in == "client-secret" and not debug)
]
CANARIES = [CLIENT_SECRET, *STORAGE_KEYS, DATASTORE_KEY, GITHUB_REQUEST_TOKEN, ADO_ACCESS_TOKEN]


@pytest.mark.parametrize("mode, sign_in, debug", CASES, ids=[f"{m}-{s}{'-debug' if d else ''}" for m, s, d in CASES])
def test_no_secret_reaches_any_sink_and_each_is_masked(emu, tmp_path, mode, sign_in, debug) -> None:
    emu.load_scenario(canary_scenario())
    if sign_in != "client-secret":
        emu.settings(tokenLifetimeSeconds=10, externalTokenLifetimeSeconds=5)  # several fresh tokens per run
    extra = ("--approve-private-endpoints",)  # an opt-in: recorded in the plan, so given to both commands
    plan = run(emu, mode, sign_in, "plan", tmp_path / "plan", *extra, debug=debug)
    assert plan.code == 0, plan.stderr
    emu.shape_lro(durationSeconds=2.5, outcome="succeeded")
    apply = run(emu, mode, sign_in, "apply", tmp_path / "apply", *extra, debug=debug)
    assert apply.code == 0, apply.stderr + apply.stdout[-2000:]
    report = json.loads(apply.files["apply/report.json"])
    stores = {f["target"]: f["status"] for f in report["followUps"] if f["kind"] == "datastore"}
    assert stores["workspaceblobstore"] == "done", stores  # its own key WAS read back (listSecrets) and used
    for result in (plan, apply):
        assert leaks(result, CANARIES) == [], leaks(result, CANARIES)
    masked = mask_commands(plan)[0] | mask_commands(apply)[0]
    if mode == "github":
        assert DATASTORE_KEY in masked
        if sign_in == "github-oidc":
            assert GITHUB_REQUEST_TOKEN in masked
            federated = [m for m in masked if emulator_jwts(m)]
            assert federated, "no federated token was masked"
        else:
            assert CLIENT_SECRET in masked
    elif mode == "azure-devops":
        assert DATASTORE_KEY in masked and ADO_ACCESS_TOKEN in masked
    else:
        assert masked == set()  # a terminal has no masking: the values are simply never printed


@pytest.mark.parametrize("mode", ["github", "azure-devops", "local"])
def test_no_secret_leaves_a_real_process(emu, tmp_path, mode) -> None:
    """Plan and apply through `python entrypoint.py` (tests/support/harness.py; GitHub signs in with OIDC), debug on."""
    emu.load_scenario(canary_scenario())
    emu.settings(tokenLifetimeSeconds=10, externalTokenLifetimeSeconds=5)
    emu.shape_lro(durationSeconds=2.5, outcome="succeeded")
    runner = Runner(emu, tmp_path)
    debug = {"github": {"RUNNER_DEBUG": "1"}, "azure-devops": {"SYSTEM_DEBUG": "true"}}.get(mode, {})
    plan = runner.run("plan", Runner.target(), mode=mode, name="plan", extra_env=debug)
    assert plan.code == 0, plan.explain()
    inputs = {**Runner.target(), "plan-file": str(plan.out_dir / "plan.json")}
    apply = runner.run("apply", inputs, mode=mode, name="apply", extra_env=debug)
    assert apply.code == 0, apply.explain()
    for run in (plan, apply):
        files = {
            str(f.relative_to(tmp_path)): f.read_text("utf-8", errors="replace")
            for f in sorted(run.workspace.parent.rglob("*"))
            if f.is_file() and "/home/" not in str(f)
        }
        result = Result(mode, run.code, run.stdout, run.stderr, files)
        LEAKS["runs"] += 1
        LEAKS["files scanned"] += len(files)
        assert leaks(result, CANARIES) == [], leaks(result, CANARIES)
    masked = mask_commands(Result(mode, 0, plan.stdout + apply.stdout, plan.stderr + apply.stderr))[0]
    if mode == "github":
        assert GITHUB_REQUEST_TOKEN in masked and [m for m in masked if emulator_jwts(m)]
    if mode != "local":
        assert DATASTORE_KEY in masked


def test_secret_in_an_arm_error_is_redacted(emu, tmp_path) -> None:
    """If Azure ever echoed a secret amlmove holds (here: the datastore key listSecrets returned, in a failing
    datastore PUT's error),
    the registered mask redacts it before it reaches the log, the summary or the report."""
    emu.load_scenario(canary_scenario())
    plan = run(emu, "github", "client-secret", "plan", tmp_path / "plan", debug=False)
    assert plan.code == 0
    emu.fault(
        method="PUT",
        pathRegex=r"/datastores/",
        status=400,
        errorCode="InvalidKey",
        errorMessage=f"The key {DATASTORE_KEY} is not valid for this account",
        count=50,
    )
    apply = run(emu, "github", "client-secret", "apply", tmp_path / "apply", debug=True)
    assert apply.code == 3
    found = leaks(apply, CANARIES)
    in_report = [f for f in found if "report." in f]
    assert [f for f in found if f not in in_report] == [], found
    # report.json keeps follow-up details verbatim from ARM: it must be redacted as well
    assert in_report == [], in_report
