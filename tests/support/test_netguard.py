"""The network guard proves nothing leaves 127.0.0.1: it refuses (before any packet) in this process, in a Python
subprocess, in the az CLI's interpreter, it is on in the emulator's process, and a recorded attempt fails the session.

10.255.255.1 is a non-routable address and example.com a public name: the guard refuses both before a SYN or a DNS
query could be sent, so these tests send nothing anywhere."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
from tests_netguard import LOG_ENV, NetworkGuardError, is_loopback

from amlmove_emulator.control import SCENARIOS
from tests.conftest import NETGUARD, ROOT, SdkClients, run_pytest_session, subprocess_env

AZ = ROOT / ".venv" / "azcli" / "bin" / "az"
OUTSIDE = ("10.255.255.1", 9)


@pytest.fixture
def own_log(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Record this test's refusals in a log of its own, not the session's (which must stay empty)."""
    log = tmp_path / "netguard.log"
    monkeypatch.setenv(LOG_ENV, str(log))
    return log


def entries(log: Path) -> list[str]:
    return log.read_text().splitlines() if log.exists() else []


def test_guard_is_installed_in_this_process() -> None:
    assert getattr(socket, "_amlmove_netguard", False) is True


@pytest.mark.parametrize(
    "attempt",
    [
        lambda: socket.create_connection(OUTSIDE, timeout=5),
        lambda: socket.socket().connect(OUTSIDE),
        lambda: socket.socket().connect_ex(OUTSIDE),
        lambda: socket.socket(socket.AF_INET6).connect(("2001:db8::1", 9)),
        lambda: socket.socket(socket.AF_INET, socket.SOCK_DGRAM).sendto(b"x", ("10.255.255.1", 53)),
        lambda: socket.getaddrinfo("example.com", 443),
        lambda: socket.gethostbyname("example.com"),
        lambda: requests.get("https://example.com/", timeout=5),
    ],
    ids=["create_connection", "connect", "connect_ex", "ipv6", "sendto", "getaddrinfo", "gethostbyname", "requests"],
)
def test_leaving_loopback_raises_at_once_and_is_recorded(own_log: Path, attempt) -> None:
    started = time.monotonic()
    with pytest.raises((NetworkGuardError, requests.ConnectionError)) as refused:
        attempt()
    assert time.monotonic() - started < 1  # refused, not timed out: nothing was sent
    assert "network guard" in str(refused.value)
    recorded = entries(own_log)
    assert len(recorded) == 1 and recorded[0].startswith(f"pid={os.getpid()} ")
    assert "10.255.255.1" in recorded[0] or "example.com" in recorded[0] or "2001:db8::1" in recorded[0]


def test_loopback_is_allowed(own_log: Path) -> None:
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        port = server.getsockname()[1]
        for host in ("127.0.0.1", "localhost"):
            socket.create_connection((host, port), timeout=5).close()
    assert all(is_loopback(h) for h in ("127.0.0.1", "127.8.9.10", "::1", "::ffff:127.0.0.1", "localhost"))
    assert not any(is_loopback(h) for h in ("10.255.255.1", "::ffff:10.0.0.1", "0.0.0.0", "example.com", ""))  # noqa: S104
    assert entries(own_log) == []


def test_a_python_subprocess_is_guarded_through_sitecustomize(tmp_path: Path) -> None:
    log = tmp_path / "child.log"
    env = {**subprocess_env(), LOG_ENV: str(log)}
    code = f"import socket; socket.create_connection({OUTSIDE!r}, timeout=5)"
    proc = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 1 and "NetworkGuardError" in proc.stderr
    (line,) = entries(log)
    assert "10.255.255.1" in line and line.startswith("pid=") and f"pid={os.getpid()} " not in line


def test_the_emulator_process_runs_with_the_guard_and_serves(emulator) -> None:
    environ = Path(f"/proc/{emulator.proc.pid}/environ").read_bytes().split(b"\0")
    env = dict(item.decode().split("=", 1) for item in environ if b"=" in item)
    assert env["PYTHONPATH"].split(":")[0] == str(NETGUARD)
    assert env[LOG_ENV] == subprocess_env()[LOG_ENV]
    emulator.load_scenario(SCENARIOS / "clean.yaml")
    assert len(list(SdkClients(emulator).subscriptions().subscriptions.list())) == 2


@pytest.mark.azcli
@pytest.mark.skipif(not AZ.exists(), reason="run `make test` to install .venv/azcli")
def test_the_az_cli_interpreter_is_guarded(tmp_path: Path) -> None:
    log = tmp_path / "az.log"
    config = tmp_path / "azure"
    config.mkdir()
    now = time.strftime("%Y-%m-%d %H:%M:%S.000000")
    versions = {"versions": {"azure-cli": {"local": "2.91.0"}, "core": {"local": "2.91.0"}}, "update_time": now}
    (config / "versionCheck.json").write_text(json.dumps(versions))
    env = {**subprocess_env(), LOG_ENV: str(log), "AZURE_CONFIG_DIR": str(config)}
    env["AZURE_CORE_COLLECT_TELEMETRY"] = "false"
    url = f"https://{OUTSIDE[0]}:{OUTSIDE[1]}/"
    proc = subprocess.run(
        [str(AZ), "rest", "--method", "get", "--url", url, "--skip-authorization-header"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode != 0 and "network guard: refusing" in proc.stderr
    assert [line for line in entries(log) if "10.255.255.1" in line], entries(log)


def test_a_recorded_attempt_fails_the_session(tmp_path: Path) -> None:
    proc = run_pytest_session(
        tmp_path,
        """
        import socket

        def test_tries_to_leave():
            try:
                socket.create_connection(("10.255.255.1", 9), timeout=5)
            except OSError:
                pass  # a test that swallows the refusal still fails the session
        """,
    )
    assert "1 passed" in proc.stdout, proc.stdout + proc.stderr
    assert proc.returncode == 1
    assert "SESSION CHECK FAILED: network guard: 1 attempt(s) to leave 127.0.0.1" in proc.stdout
