"""The emulator's command-line and hook contract: `serve` (ca.pem, emulator.json, SIGTERM, exit 2 on a bad scenario),
the scenario/state/requests hooks, the traffic capture and the session-end checks built on it, and the generated
scenario files."""

from __future__ import annotations

import ipaddress
import json
import re
import socket
import ssl
import subprocess
import sys
import urllib.error
from pathlib import Path

import pytest
import yaml
from cryptography import x509

from amlmove_emulator import samples
from amlmove_emulator.control import CAPTURE_DIR_ENV, SCENARIOS, EmulatorProcess
from tests.conftest import SdkClients, capture_file, run_pytest_session, start_emulator, subprocess_env

SUB = samples.SOURCE_SUB
REQUEST_LOG_FIELDS = {"method", "path", "query", "status", "startedAt", "durationMs", "principal"}
CAPTURE_FIELDS = {"method", "path", "query", "status", "body", "requestBody", "userAgent", "requestTruncated"}


def serve(tmp_path: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    argv = [sys.executable, "-m", "amlmove_emulator", "serve", "--port", "0", "--state-dir", str(tmp_path)]
    return subprocess.run(
        [*argv, "--capture", str(capture_file("cli-bad")), *extra],
        env=subprocess_env(),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_serve_writes_a_ca_a_127_0_0_1_certificate_and_emulator_json_and_exits_0_on_sigterm(tmp_path: Path) -> None:
    emu = start_emulator("cli", scenario=SCENARIOS / "clean.yaml", state_dir=tmp_path)
    try:
        ca = x509.load_pem_x509_certificate((tmp_path / "ca.pem").read_bytes())
        assert ca.extensions.get_extension_for_class(x509.BasicConstraints).value.ca is True

        info = json.loads((tmp_path / "emulator.json").read_text())
        assert set(info) == {"url", "tenantId", "clientId", "clientSecret"}
        match = re.fullmatch(r"https://127\.0\.0\.1:(\d+)", info["url"])
        assert match, info["url"]
        assert (info["tenantId"], info["clientId"], info["clientSecret"]) == (
            samples.TENANT,
            samples.SP["clientId"],
            samples.SP["clientSecret"],
        )

        # A client trusting only ca.pem verifies the server certificate for the IP address 127.0.0.1.
        context = ssl.create_default_context(cafile=str(tmp_path / "ca.pem"))
        with (
            socket.create_connection(("127.0.0.1", int(match.group(1))), timeout=10) as raw,
            context.wrap_socket(raw, server_hostname="127.0.0.1") as tls,
        ):
            der = tls.getpeercert(binary_form=True)
        cert = x509.load_der_x509_certificate(der)
        sans = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        assert ipaddress.ip_address("127.0.0.1") in sans.get_values_for_type(x509.IPAddress)
        assert cert.issuer == ca.subject

        # The credentials in emulator.json sign in and read the scenario.
        names = [s.display_name for s in SdkClients(emu).subscriptions().subscriptions.list()]
        assert sorted(names) == ["ml-prod", "ml-test"]
    finally:
        code = emu.stop()
    assert code == 0
    assert emu.log_file.read_text() == ""


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("missing.yaml", None, "cannot read scenario file"),
        ("broken.yaml", "subscriptions: [\n  - {subscriptionId: x\n", "neither valid JSON nor YAML"),
        ("list.json", "[1, 2]", "must be an object"),
        ("badsub.yaml", "subscriptions:\n  - subscriptionId: not-a-guid\n", "is not a GUID"),
        ("shape.json", json.dumps({"subscriptions": {"a": 1}}), "'subscriptions' must be a list of objects"),
        ("settings.yaml", "settings: {defaultPageSize: many}\n", "settings: a value has the wrong type"),
        (
            "orphan.json",
            json.dumps({"resources": [{"id": f"/subscriptions/{SUB}/resourceGroups/rg", "body": {"location": "x"}}]}),
            "is not listed in 'subscriptions'",
        ),
    ],
)
def test_bad_scenario_exits_2_with_one_line(tmp_path: Path, name: str, content: str | None, expected: str) -> None:
    path = tmp_path / name
    if content is not None:
        path.write_text(content)
    proc = serve(tmp_path, "--scenario", str(path))
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("emulator: ") and expected in lines[0], lines[0]
    assert not (tmp_path / "emulator.json").exists()


def test_port_in_use_exits_2_with_one_line(tmp_path: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        argv = ["--port", str(busy.getsockname()[1])]
        proc = serve(tmp_path, *argv)
    assert proc.returncode == 2
    assert len(proc.stderr.strip().splitlines()) == 1 and proc.stderr.startswith("emulator: "), proc.stderr


def test_scenario_hook_accepts_yaml_and_json_and_replaces_the_state(emulator) -> None:
    clean = samples.clean()
    emulator.load_scenario(SCENARIOS / "clean.yaml")  # YAML text
    from_yaml = {r["id"] for r in emulator.state()["resources"]}
    sample = samples.sample()
    emulator.call("POST", "scenario", raw=json.dumps(sample).encode())  # JSON text
    from_json = {r["id"] for r in emulator.state()["resources"]}
    assert from_yaml == {r["id"] for r in clean["resources"]}
    assert from_json == {r["id"] for r in sample["resources"]}
    assert from_yaml != from_json
    reply = emulator.call("POST", "scenario", raw=yaml.safe_dump(clean).encode())
    assert reply["loaded"] == len(clean["resources"])
    assert reply["clientId"] == samples.SP["clientId"] and reply["url"] == emulator.url


def test_scenario_hook_refuses_a_bad_scenario_with_400_and_keeps_the_state(emulator) -> None:
    emulator.load_scenario(SCENARIOS / "clean.yaml")
    before = emulator.state()["resources"]
    bad = samples.sample()  # another scenario, broken after its first resource
    bad["resources"].insert(1, {"id": f"/subscriptions/{SUB}/resourceGroups/rg-x/providers/Microsoft.Nope/things/t"})
    with pytest.raises(urllib.error.HTTPError) as refused:
        emulator.call("POST", "scenario", bad)
    assert refused.value.code == 400
    error = json.loads(refused.value.read())["error"]
    assert error["code"] == "InvalidScenario" and "resources[" in error["message"]
    assert emulator.state()["resources"] == before


def test_reset_health_settings_and_unknown_hooks(emulator) -> None:
    emulator.load_scenario(SCENARIOS / "clean.yaml")
    assert emulator.call("GET", "health") == {"status": "ok"}
    with pytest.raises(urllib.error.HTTPError) as bad_setting:
        emulator.settings(retryAfterSeconds=0)  # azure-core would wait 30 s per poll
    assert bad_setting.value.code == 400
    with pytest.raises(urllib.error.HTTPError) as unknown:
        emulator.call("GET", "nonsense")
    assert unknown.value.code == 404 and json.loads(unknown.value.read())["error"]["code"] == "UnknownHook"
    emulator.reset()
    assert emulator.state() == {"resources": [], "subscriptions": [], "operations": []}
    assert emulator.requests() == []


def test_request_log_names_method_path_query_status_timing_and_principal(emulator) -> None:
    emulator.load_scenario(SCENARIOS / "clean.yaml")
    clients = SdkClients(emulator)
    list(clients.resources(SUB).resource_groups.list())
    emulator.call("GET", "health")  # hooks are not logged
    clients.send("GET", f"/subscriptions/{SUB}", api_version=None)
    log = emulator.requests()
    assert all(set(entry) == REQUEST_LOG_FIELDS for entry in log), log
    discovery, token, groups, missing = log  # MSAL reads the tenant's OpenID configuration first
    assert discovery["path"].endswith("/v2.0/.well-known/openid-configuration") and discovery["principal"] is None
    assert token["method"] == "POST" and token["path"].endswith("/oauth2/v2.0/token")
    assert groups["method"] == "GET" and groups["path"] == f"/subscriptions/{SUB}/resourcegroups"
    assert groups["query"] == {"api-version": "2025-04-01"} and groups["status"] == 200
    assert groups["principal"] == token["principal"] == samples.SP["objectId"]
    assert missing["status"] == 400 and missing["query"] == {}
    assert all(isinstance(e["startedAt"], float) and 0 <= e["durationMs"] < 5000 for e in log)
    assert token["startedAt"] <= groups["startedAt"] <= missing["startedAt"]


def test_capture_holds_each_arm_and_entra_response_but_no_hook(emulator) -> None:
    emulator.load_scenario(SCENARIOS / "clean.yaml")
    before = emulator.capture.read_text().count("\n") if emulator.capture.exists() else 0
    clients = SdkClients(emulator)
    clients.resources(SUB).resource_groups.get("rg-ml-test")
    emulator.call("GET", "state")
    records = [json.loads(line) for line in emulator.capture.read_text().splitlines()[before:]]
    assert [r["path"].rsplit("/", 1)[-1] for r in records] == ["openid-configuration", "token", "rg-ml-test"]
    assert all(set(r) == CAPTURE_FIELDS for r in records)
    assert records[2]["body"]["id"] == f"/subscriptions/{SUB}/resourceGroups/rg-ml-test"
    assert "access_token" in records[1]["body"]


def test_an_emulator_started_anywhere_in_the_session_captures_into_the_session_folder(tmp_path: Path) -> None:
    emu = EmulatorProcess(state_dir=tmp_path)  # as the demo builds it: no capture named
    assert emu.capture is not None and emu.capture.parent == capture_file("probe").parent
    assert subprocess_env()[CAPTURE_DIR_ENV] == str(emu.capture.parent)  # and so in subprocesses


def test_generated_scenario_files_equal_the_builders(tmp_path: Path) -> None:
    assert yaml.safe_load((SCENARIOS / "sample.yaml").read_text()) == samples.sample()
    assert yaml.safe_load((SCENARIOS / "clean.yaml").read_text()) == samples.clean()
    for written in samples.write_files(tmp_path):
        assert written.read_text() == (SCENARIOS / written.name).read_text(), f"regenerate {written.name}"


# ---- the session-end checks, run in a pytest session of their own ---------------------------------------------------


def test_session_fails_when_a_captured_response_violates_its_schema(tmp_path: Path) -> None:
    proc = run_pytest_session(
        tmp_path,
        f"""
        import json
        from tests.conftest import capture_file

        def test_writes_a_bad_response():
            record = {{"method": "GET", "path": "/subscriptions/{SUB}", "query": {{"api-version": "2022-12-01"}},
                       "status": 200, "body": {{"subscriptionId": "{SUB}", "state": "Sleeping"}}}}
            capture_file("bad").write_text(json.dumps(record) + "\\n")
        """,
    )
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "1 passed" in proc.stdout
    assert "SESSION CHECK FAILED: " in proc.stdout and "#/state: 'Sleeping' is not one of" in proc.stdout


def test_session_fails_when_no_captured_response_was_checked(tmp_path: Path) -> None:
    proc = run_pytest_session(
        tmp_path,
        """
        import json
        from tests.conftest import capture_file

        def test_writes_only_unmatched_traffic():
            record = {"method": "GET", "path": "/nowhere", "query": {}, "status": 404, "body": None}
            capture_file("none").write_text(json.dumps(record) + "\\n")
        """,
    )
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "not one emulator response matched a spec operation" in proc.stdout


def test_the_deprecated_alias_amlmove_action_emulator_runs_the_emulator_and_says_so() -> None:
    """`python -m amlmove_action.emulator` stays for one release (users' rehearsal pipelines): the same command line,
    with a deprecation line on stderr."""
    alias = subprocess.run(
        [sys.executable, "-m", "amlmove_action.emulator", "serve", "--help"],
        env=subprocess_env(),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert alias.returncode == 0, alias.stderr
    assert "--state-dir" in alias.stdout and "--scenario" in alias.stdout
    assert "deprecated" in alias.stderr and "python -m amlmove_emulator" in alias.stderr
