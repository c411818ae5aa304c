"""The real az CLI (from PyPI, in .venv/azcli) runs the seed document's manual procedure against the emulator:
cloud register, service-principal login, account set, group create, validateMoveResources, move, show."""

from __future__ import annotations

import json
import os
import subprocess
import time
from pathlib import Path

import pytest

from amlmove_emulator import samples
from tests.conftest import NETGUARD, ROOT

AZ = ROOT / ".venv" / "azcli" / "bin" / "az"
pytestmark = [pytest.mark.azcli, pytest.mark.skipif(not AZ.exists(), reason="run `make test` to install .venv/azcli")]


class Az:
    def __init__(self, emulator, config_dir: Path) -> None:
        config_dir.mkdir(parents=True, exist_ok=True)
        now = time.strftime("%Y-%m-%d %H:%M:%S.000000")
        (config_dir / "versionCheck.json").write_text(
            json.dumps(
                {"versions": {"azure-cli": {"local": "2.91.0"}, "core": {"local": "2.91.0"}}, "update_time": now}
            )
        )
        self.env = {
            "PATH": os.environ.get("PATH", ""),
            "HOME": str(config_dir),
            "AZURE_CONFIG_DIR": str(config_dir),
            "REQUESTS_CA_BUNDLE": str(emulator.ca_file),
            "AZURE_CORE_INSTANCE_DISCOVERY": "false",
            "AZURE_CORE_COLLECT_TELEMETRY": "false",
            "AZURE_CORE_NO_COLOR": "true",
            "AZURE_CORE_ONLY_SHOW_ERRORS": "true",
            "PYTHONPATH": str(NETGUARD),
            "AMLMOVE_NETGUARD_LOG": os.environ.get("AMLMOVE_NETGUARD_LOG", ""),
        }

    def __call__(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(
            [str(AZ), *args], env=self.env, text=True, capture_output=True, timeout=180, check=False
        )
        if check:
            assert result.returncode == 0, f"az {' '.join(args)}: {result.stdout}{result.stderr}"
        return result


def _login(emulator, tmp_path: Path, skip_discovery: bool) -> Az:
    az = Az(emulator, tmp_path / "azure")
    discovery = ["--skip-endpoint-discovery"] if skip_discovery else []
    az(
        "cloud",
        "register",
        "-n",
        "AzureEmulator",
        *discovery,
        "--endpoint-resource-manager",
        emulator.url + "/",
        "--endpoint-active-directory",
        emulator.url,
        "--endpoint-active-directory-resource-id",
        "https://management.core.windows.net/",
    )
    az("cloud", "set", "-n", "AzureEmulator")
    info = emulator.info
    az("login", "--service-principal", "-u", info["clientId"], "-p", info["clientSecret"], "--tenant", info["tenantId"])
    return az


def test_az_runs_the_seed_procedure(emulator, tmp_path):
    scenario = samples.WorkspaceScenario()
    scenario.settings = {"retryAfterSeconds": 0.2}
    emulator.load_scenario(scenario.build())
    az = _login(emulator, tmp_path, skip_discovery=True)
    az("account", "set", "--subscription", samples.SOURCE_SUB)
    az("group", "create", "-g", "rg-ml-new", "-l", "eastus", "--subscription", samples.DEST_SUB)
    target = samples.group_id(samples.DEST_SUB, "rg-ml-new")
    ids = [scenario.workspace_id, scenario.associated("storage")]
    body = json.dumps({"resources": ids, "targetResourceGroup": target})
    az(
        "resource",
        "invoke-action",
        "--action",
        "validateMoveResources",
        "--ids",
        scenario.source_rg,
        "--request-body",
        body,
    )
    az(
        "resource",
        "move",
        "--destination-group",
        "rg-ml-new",
        "--destination-subscription-id",
        samples.DEST_SUB,
        "--ids",
        *ids,
    )
    new_id = f"{target}/providers/Microsoft.MachineLearningServices/workspaces/{scenario.workspace}"
    shown = json.loads(az("resource", "show", "--ids", new_id).stdout)
    assert shown["id"].lower() == new_id.lower()
    assert az("resource", "show", "--ids", scenario.workspace_id, check=False).returncode != 0
    moves = [r for r in emulator.requests() if r["method"] == "POST" and r["path"].lower().endswith("/moveresources")]
    assert [m["status"] for m in moves] == [202]
    assert all(m["query"].get("api-version") == "2024-11-01" for m in moves)


def test_az_blocked_move_names_the_arm_code(emulator, tmp_path):
    scenario = samples.WorkspaceScenario()
    scenario.compute("cpu-cluster")
    scenario.settings = {"retryAfterSeconds": 0.2}
    emulator.load_scenario(scenario.build())
    az = _login(emulator, tmp_path, skip_discovery=False)
    az("account", "set", "--subscription", samples.SOURCE_SUB)
    result = az(
        "resource",
        "move",
        "--destination-group",
        scenario.dest_group,
        "--destination-subscription-id",
        samples.DEST_SUB,
        "--ids",
        scenario.workspace_id,
        check=False,
    )
    assert result.returncode != 0
    assert "ResourceMoveProviderValidationFailed" in result.stdout + result.stderr
    state = {r["id"].lower() for r in emulator.state()["resources"]}
    assert scenario.workspace_id.lower() in state
