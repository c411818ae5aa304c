"""Shared fixtures: one emulator for the session (traffic captured and checked against Microsoft's OpenAPI shapes at
the end), the environment a subprocess needs to reach it, and the network guard (nothing leaves 127.0.0.1)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NETGUARD = ROOT / "tests" / "netguard"
sys.path.insert(0, str(NETGUARD))
sys.path.insert(0, str(ROOT))

from tests_netguard import install  # noqa: E402

SESSION_DIR: Path | None = None


def pytest_configure(config: pytest.Config) -> None:
    global SESSION_DIR
    import tempfile

    SESSION_DIR = Path(tempfile.mkdtemp(prefix="amlmove-tests-"))
    os.environ["AMLMOVE_NETGUARD_LOG"] = str(SESSION_DIR / "netguard.log")
    os.environ["AMLMOVE_CAPTURE_DIR"] = str(SESSION_DIR / "captures")
    (SESSION_DIR / "captures").mkdir()
    install()


def capture_file(name: str) -> Path:
    """A capture file in the session's directory; every emulator the tests start should write one."""
    assert SESSION_DIR is not None
    return SESSION_DIR / "captures" / f"{name}-{os.getpid()}-{len(list((SESSION_DIR / 'captures').iterdir()))}.jsonl"


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return ROOT


@pytest.fixture(scope="session")
def emulator():
    from amlmove_action.emulator.control import EmulatorProcess

    emu = EmulatorProcess(capture=capture_file("session"), extra_env=subprocess_env())
    emu.start()
    yield emu
    emu.stop()


def subprocess_env(ca_file: Path | None = None) -> dict[str, str]:
    """What any Python subprocess of the tests gets: the guard first on PYTHONPATH, the repo, no CI variables."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("GITHUB_", "INPUT_", "ACTIONS_", "RUNNER_", "AZURE_", "SYSTEM_", "TF_BUILD"))
    }
    env["PYTHONPATH"] = os.pathsep.join([str(NETGUARD), str(ROOT)])
    env["AZURE_CORE_INSTANCE_DISCOVERY"] = "false"
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    if ca_file is not None:
        env["REQUESTS_CA_BUNDLE"] = str(ca_file)
    return env


@pytest.fixture
def emulator_env(emulator) -> dict[str, str]:
    return subprocess_env(emulator.ca_file)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if SESSION_DIR is None:
        return
    problems: list[str] = []
    log = SESSION_DIR / "netguard.log"
    if log.exists() and log.read_text().strip():
        lines = [
            line for line in log.read_text().splitlines() if "10.255.255.1" not in line and "guard-probe" not in line
        ]
        if lines:
            problems.append(f"network guard: {len(lines)} connection(s) tried to leave 127.0.0.1: {lines[:5]}")
    captures = sorted((SESSION_DIR / "captures").glob("*.jsonl"))
    if captures and os.environ.get("AMLMOVE_SKIP_SPEC_CHECK") != "1":
        from tests.spec_conformance import SpecIndex, check_capture, find_specs_root

        seen = checked = 0
        try:
            index = SpecIndex.load(find_specs_root())
        except FileNotFoundError as exc:
            problems.append(f"spec conformance could not run: {exc}")
            captures = []
        for capture in captures:
            s, c, errors = check_capture(capture, index)
            seen, checked = seen + s, checked + c
            problems += errors[:20]
        reporter = session.config.pluginmanager.get_plugin("terminalreporter")
        if reporter:
            reporter.write_line(
                f"spec conformance: {checked} of {seen} emulator responses checked against "
                f"shared/specs; {len(problems)} problem(s)"
            )
        if seen and not checked:
            problems.append("spec conformance: no response matched any spec operation")
    if problems:
        reporter = session.config.pluginmanager.get_plugin("terminalreporter")
        for p in problems[:40]:
            if reporter:
                reporter.write_line(f"SESSION CHECK FAILED: {p}")
        session.exitstatus = 1
