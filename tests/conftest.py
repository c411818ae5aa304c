"""Shared fixtures: one emulator for the session (traffic captured and checked against Microsoft's OpenAPI shapes at
the end), the environment a subprocess needs to reach it, and the network guard (nothing leaves 127.0.0.1).

Every emulator the tests start captures its responses into the session's folder: the `emulator` fixture and
start_emulator() name a file there, and any other EmulatorProcess (the demo's, in a subprocess) finds the folder through
$AMLMOVE_CAPTURE_DIR. At session end the session FAILS (exit status 1, each problem printed) when
- the network guard recorded an attempt to leave 127.0.0.1, in this process or any subprocess;
- a request amlmove sent (User-Agent amlmove/...) is not documented at its api-version in tests/specs or breaks its
  operation's rules (tests/support/request_conformance.py: read-only property, required parameter, enum, $filter form);
- a captured emulator response does not match its operation's schema in tests/specs, or emulator traffic was
  captured (or an emulator of the fixtures ran) and not one response matched a spec operation;
- the session emulator wrote a traceback (a handler raised: an emulator bug answered as 500).
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NETGUARD = ROOT / "tests" / "support" / "netguard"
sys.path.insert(0, str(NETGUARD))
sys.path.insert(0, str(ROOT))

from tests_netguard import LOG_ENV, install  # noqa: E402

from amlmove_emulator.control import CAPTURE_DIR_ENV, EmulatorProcess  # noqa: E402
from tests.support.tallies import session_report  # noqa: E402

SESSION_DIR: Path | None = None
_started: list[EmulatorProcess] = []  # emulators started through start_emulator(), checked at session end
_MAX_PROBLEMS = 40


def pytest_configure(config: pytest.Config) -> None:
    global SESSION_DIR
    SESSION_DIR = Path(tempfile.mkdtemp(prefix="amlmove-tests-"))
    (SESSION_DIR / "captures").mkdir()
    os.environ[LOG_ENV] = str(netguard_log())
    os.environ[CAPTURE_DIR_ENV] = str(SESSION_DIR / "captures")  # any EmulatorProcess below the tests captures here
    install()


def netguard_log() -> Path:
    assert SESSION_DIR is not None
    return SESSION_DIR / "netguard.log"


def capture_file(name: str) -> Path:
    """A fresh capture file in the session's directory: every emulator the tests start writes one."""
    assert SESSION_DIR is not None
    folder = SESSION_DIR / "captures"
    return Path(tempfile.mkstemp(prefix=f"{name}-", suffix=".jsonl", dir=folder)[1])


def subprocess_env(ca_file: Path | None = None) -> dict[str, str]:
    """What any Python subprocess of the tests gets: the guard first on PYTHONPATH, then the repository; the session's
    guard log; no CI or Azure variables of the machine; no proxy (the emulator is on loopback)."""
    env = {
        k: v
        for k, v in os.environ.items()
        # AZUREML_: an in-process MLClient(cloud=...) writes AZUREML_CURRENT_CLOUD into this process's environment;
        # a child inheriting it fails with 'Unknown cloud environment' (azure-ai-ml's _azure_environments).
        if not k.startswith(("GITHUB_", "INPUT_", "ACTIONS_", "RUNNER_", "AZURE_", "AZUREML_", "SYSTEM_", "TF_BUILD"))
        and k.lower() not in ("http_proxy", "https_proxy", "all_proxy")
    }
    env["PYTHONPATH"] = os.pathsep.join([str(NETGUARD), str(ROOT)])
    env[LOG_ENV] = str(netguard_log())
    env["NO_PROXY"] = env["no_proxy"] = "127.0.0.1,localhost"
    env["AZURE_CORE_INSTANCE_DISCOVERY"] = "false"
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    if ca_file is not None:
        env["REQUESTS_CA_BUNDLE"] = str(ca_file)
    return env


def start_emulator(name: str, scenario: Path | None = None, **kwargs) -> EmulatorProcess:
    """An emulator process of its own (for tests that need one beside the session's), guarded and captured."""
    emu = EmulatorProcess(scenario=scenario, capture=capture_file(name), extra_env=subprocess_env(), **kwargs)
    _started.append(emu)
    return emu.start()


class SdkClients:
    """The real Azure SDK clients aimed at an emulator (base_url, credential_scopes, the emulator's CA),
    signed in through the emulator's Entra with a real azure-identity credential: the scenario's default principal,
    or `principal` (a scenario principal with clientId, clientSecret, tenantId), or any `credential`. Extra keyword
    arguments (retry_total, polling_interval, ...) go to every client."""

    def __init__(self, emulator: EmulatorProcess, credential=None, principal=None, **client_kwargs) -> None:
        from azure.identity import ClientSecretCredential

        info, ca = {**emulator.info, **(principal or {})}, str(emulator.ca_file)
        self.emulator = emulator
        self.credential = credential or ClientSecretCredential(
            info["tenantId"],
            info["clientId"],
            info["clientSecret"],
            authority=emulator.url,
            disable_instance_discovery=True,
            connection_verify=ca,
        )
        self.kwargs = {"base_url": emulator.url, "connection_verify": ca, **client_kwargs}

    def subscriptions(self):
        from azure.mgmt.resource.subscriptions import SubscriptionClient

        return SubscriptionClient(self.credential, **self.kwargs)

    def resources(self, subscription_id: str):
        from azure.mgmt.resource.resources import ResourceManagementClient

        return ResourceManagementClient(self.credential, subscription_id, **self.kwargs)

    def locks(self, subscription_id: str):
        from azure.mgmt.resource.locks import ManagementLockClient

        return ManagementLockClient(self.credential, subscription_id, **self.kwargs)

    def authorization(self, subscription_id: str):
        from azure.mgmt.authorization import AuthorizationManagementClient

        return AuthorizationManagementClient(self.credential, subscription_id, **self.kwargs)  # base_url by keyword

    def ml(self, subscription_id: str, group: str, workspace: str | None = None):
        from azure.ai.ml import MLClient

        url = self.emulator.url
        metadata = {
            "azure_portal": "https://portal.azure.com/",
            "resource_manager": url + "/",
            "active_directory": url,
            "aml_resource_id": "https://ml.azure.com/",
            "storage_endpoint": "core.windows.net",
            "registry_discovery_endpoint": url + "/",
        }
        kwargs = {k: v for k, v in self.kwargs.items() if k != "base_url"}  # MLClient drops base_url silently
        return MLClient(
            self.credential, subscription_id, group, workspace, cloud="AzureEmulator", cloud_metadata=metadata, **kwargs
        )

    def send(self, method: str, path: str, api_version: str | None = "2025-04-01", body=None, subscription_id=None):
        """One request through a ResourceManagementClient's own pipeline (auth, retries), for what no SDK method
        covers; `path` may carry its own query. Returns azure.core's HttpResponse (not raised on error status)."""
        from azure.core.rest import HttpRequest

        client = self.resources(subscription_id or "00000000-0000-0000-0000-000000000000")
        params = {"api-version": api_version} if api_version else {}
        request = HttpRequest(method, self.emulator.url + path, params=params, json=body)
        return client.send_request(request)


def run_pytest_session(folder: Path, test_source: str) -> subprocess.CompletedProcess[str]:
    """Run `test_source` as the only test file of a separate pytest session that loads this conftest as a plugin
    (its own session directory, guard log and session-end checks); for tests of those checks."""
    test = folder / "test_inner.py"
    test.write_text(textwrap.dedent(test_source), encoding="utf-8")
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "tests.conftest", "--rootdir", str(folder), str(test)],
        cwd=ROOT,
        env=subprocess_env(),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.fixture
def emu(emulator):
    """The session emulator under the short name the fault, injection and secret tests use; whatever a test does to
    its faults and settings is put back by _emulator_left_as_found."""
    return emulator


@pytest.fixture
def runner(emulator, tmp_path):
    """tests/support/harness.py's Runner: `entrypoint.py` as a CI runner runs it, against the session emulator."""
    from tests.support.harness import Runner

    return Runner(emulator, tmp_path)


@pytest.fixture(autouse=True)
def _ml_cloud_stays_in_its_test():
    """MLClient(cloud=...) writes AZUREML_CURRENT_CLOUD into os.environ (azure-ai-ml's _azure_environments): left
    there, every later MLClient in this process (the product run in-process by other tests) looks that cloud name up
    on the public metadata host. Put back as it was after each test."""
    before = os.environ.get("AZUREML_CURRENT_CLOUD")
    yield
    if before is None:
        os.environ.pop("AZUREML_CURRENT_CLOUD", None)
    else:
        os.environ["AZUREML_CURRENT_CLOUD"] = before


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return ROOT


@pytest.fixture(scope="session")
def emulator():
    """The session's emulator (captured). Tests call `emulator.load_scenario(...)` first: it replaces all state."""
    emu = start_emulator("session")
    yield emu
    emu.stop()


@pytest.fixture
def emulator_env(emulator) -> dict[str, str]:
    """Environment for a subprocess that talks to the session emulator (CA bundle, guard, repository on the path)."""
    return subprocess_env(emulator.ca_file)


# ---- session-end checks ------------------------------------------------------------------------------------------


def guard_problems(log: Path) -> list[str]:
    lines = log.read_text(encoding="utf-8").splitlines() if log.exists() else []
    if not lines:
        return []
    return [f"network guard: {len(lines)} attempt(s) to leave 127.0.0.1", *lines[:10]]


def spec_problems(captures: list[Path], emulator_ran: bool) -> tuple[list[str], str]:
    """(problems, summary line) of checking every capture file against tests/specs."""
    from tests.support.request_conformance import check_product_requests
    from tests.support.spec_conformance import SpecIndex, check_capture, find_specs_root

    if not captures and not emulator_ran:
        return [], "spec conformance: no emulator traffic in this session"
    try:
        index = SpecIndex.load(find_specs_root())
    except (FileNotFoundError, ValueError) as exc:
        return [f"spec conformance could not run: {exc}"], "spec conformance: not run"
    seen = checked = 0
    problems: list[str] = []
    for capture in captures:
        s, c, errors = check_capture(capture, index)
        seen, checked = seen + s, checked + c
        problems += errors
    requests = check_product_requests(captures, index)
    problems += requests.problems
    summary = (
        f"spec conformance: {checked} of {seen} emulator responses (in {len(captures)} capture file(s)) checked "
        f"against tests/specs; requests: {requests.summary()}; {len(problems)} violation(s) in all"
    )
    if not checked:  # a vacuous pass would hide a capture or a checker that is not wired
        problems.append(
            f"spec conformance: not one emulator response matched a spec operation ({seen} captured); a session "
            "that starts the emulator must send it at least one ARM request the specs describe"
        )
    return problems, summary


def emulator_log_problems(emulators: list[EmulatorProcess]) -> list[str]:
    problems = []
    for emu in emulators:
        text = emu.log_file.read_text(encoding="utf-8", errors="replace") if emu.log_file.exists() else ""
        if "Traceback" in text:
            problems.append(f"emulator {emu.log_file} raised inside a handler (answered 500):\n{text[:3000]}")
    return problems


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if SESSION_DIR is None:
        return
    captures = sorted(p for p in (SESSION_DIR / "captures").glob("*.jsonl") if p.stat().st_size)
    problems = guard_problems(netguard_log())
    spec, summary = spec_problems(captures, emulator_ran=bool(_started))
    problems += spec + emulator_log_problems(_started)
    tally_lines, tally_problems = session_report()  # counts the tests added up (fuzz cases, injection, secrets)
    problems += tally_problems
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if reporter:
        reporter.write_sep("-", "session checks")
    write = reporter.write_line if reporter else print
    write(summary)
    for line in tally_lines:
        write(line)
    if problems:
        for problem in problems[:_MAX_PROBLEMS]:
            write(f"SESSION CHECK FAILED: {problem}")
        if len(problems) > _MAX_PROBLEMS:
            write(f"SESSION CHECK FAILED: ... and {len(problems) - _MAX_PROBLEMS} more")
        session.exitstatus = 1


@pytest.fixture(autouse=True)
def _emulator_left_as_found(request):
    """Whatever a test did to the shared emulator's faults and settings does not leak into the next test."""
    yield
    if "emulator" not in request.fixturenames:
        return
    emu = request.getfixturevalue("emulator")
    try:
        emu.call("DELETE", "faults")
        emu.settings(
            clockSpeed=1,
            tokenLifetimeSeconds=3600,
            externalTokenLifetimeSeconds=300,
            githubSubject="repo:contoso/ml-platform:environment:production",
        )
    except Exception:  # noqa: BLE001, S110 - a stopped emulator has nothing to restore
        pass
