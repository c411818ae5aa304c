"""Start and drive an emulator process from Python (tests, the demo, users' rehearsal scripts).

Uses only the standard library so the hooks can be called without any Azure SDK. When no capture file is given and
$AMLMOVE_CAPTURE_DIR names a folder, the emulator captures its traffic to a new file there: the test session sets it,
so an emulator started anywhere below the tests (the demo's, say) has its responses checked against the specs too."""

from __future__ import annotations

import json
import os
import signal
import ssl
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

SCENARIOS = Path(__file__).parent / "scenarios"
CAPTURE_DIR_ENV = "AMLMOVE_CAPTURE_DIR"


class EmulatorProcess:
    """`python -m amlmove_emulator serve` as a child process, with helpers for the /_emulator/ hooks."""

    def __init__(
        self,
        state_dir: Path | None = None,
        scenario: Path | None = None,
        capture: Path | None = None,
        port: int = 0,
        extra_env: dict[str, str] | None = None,
    ) -> None:
        self.state_dir = Path(state_dir or tempfile.mkdtemp(prefix="amlmove-emulator-"))
        if capture is None and os.environ.get(CAPTURE_DIR_ENV):
            capture = Path(tempfile.mkstemp(prefix="emulator-", suffix=".jsonl", dir=os.environ[CAPTURE_DIR_ENV])[1])
        self.scenario, self.capture, self.port = scenario, capture, port
        self.extra_env = extra_env or {}
        self.proc: subprocess.Popen[bytes] | None = None
        self.info: dict[str, Any] = {}

    # ---- lifecycle ---------------------------------------------------------------------------------------------
    def start(self, timeout: float = 30.0) -> EmulatorProcess:
        self.state_dir.mkdir(parents=True, exist_ok=True)  # the log file below is opened before the emulator runs
        ready = self.state_dir / "emulator.json"
        ready.unlink(missing_ok=True)
        argv = [
            sys.executable,
            "-m",
            "amlmove_emulator",
            "serve",
            "--port",
            str(self.port),
            "--state-dir",
            str(self.state_dir),
        ]
        if self.scenario:
            argv += ["--scenario", str(self.scenario)]
        if self.capture:
            argv += ["--capture", str(self.capture)]
        root = str(Path(__file__).resolve().parents[2])
        base = {**os.environ, **self.extra_env}
        env = {**base, "PYTHONPATH": os.pathsep.join(p for p in (base.get("PYTHONPATH"), root) if p)}
        # stderr goes to a file, not a pipe: nobody reads a pipe while the emulator runs, and once its buffer is full
        # (a few dozen tracebacks) the emulator would block on its next write.
        with self.log_file.open("wb") as log:
            self.proc = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=log)
        deadline = time.monotonic() + timeout
        while not ready.exists():
            if self.proc.poll() is not None:
                err = self.log_file.read_text(encoding="utf-8", errors="replace")
                raise RuntimeError(f"emulator exited with {self.proc.returncode}: {err.strip()}")
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError("emulator did not become ready in time")
            time.sleep(0.05)
        self.info = json.loads(ready.read_text(encoding="utf-8"))
        return self

    def stop(self) -> int | None:
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        return self.proc.returncode

    def __enter__(self) -> EmulatorProcess:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ---- facts -------------------------------------------------------------------------------------------------
    @property
    def url(self) -> str:
        return self.info["url"]

    @property
    def ca_file(self) -> Path:
        return self.state_dir / "ca.pem"

    @property
    def log_file(self) -> Path:
        """The emulator's stderr: empty unless it failed to start or a handler raised (a traceback per 500)."""
        return self.state_dir / "emulator.log"

    # ---- hooks -------------------------------------------------------------------------------------------------
    def call(self, method: str, hook: str, body: Any = None, raw: bytes | None = None) -> Any:
        data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
        request = urllib.request.Request(  # noqa: S310 - an https URL this class built
            f"{self.url}/_emulator/{hook}", data=data, method=method, headers={"Content-Type": "application/json"}
        )
        context = ssl.create_default_context(cafile=str(self.ca_file))
        with urllib.request.urlopen(request, context=context, timeout=60) as response:  # noqa: S310
            payload = response.read()
        return json.loads(payload) if payload else None

    def load_scenario(self, scenario: dict[str, Any] | Path) -> None:
        """Replace the emulator's state; `info` then names the scenario's default principal."""
        if isinstance(scenario, Path):
            reply = self.call("POST", "scenario", raw=scenario.read_bytes())
        else:
            reply = self.call("POST", "scenario", scenario)
        self.info = {k: reply[k] for k in ("url", "tenantId", "clientId", "clientSecret")}

    def requests(self) -> list[dict[str, Any]]:
        return self.call("GET", "requests")

    def state(self) -> dict[str, Any]:
        return self.call("GET", "state")

    def reset(self) -> None:
        self.call("POST", "reset", {})

    def fault(self, **fault: Any) -> None:
        self.call("POST", "faults", fault)

    def shape_lro(self, **shape: Any) -> None:
        self.call("POST", "lro", shape)

    def settings(self, **settings: Any) -> None:
        self.call("POST", "settings", settings)
