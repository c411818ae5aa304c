"""referencescan.py: the matcher on the forms real repositories use (config.json, MLClient, az ml, Bicep, ARM,
Terraform, workflow variables, azureml:// URIs), what it must not list, and the walk's bounds: files, bytes, binary
files, vendored folders, symbolic links (listed or swapped in after the listing), and where it scans."""

from __future__ import annotations

import errno
import os
from pathlib import Path

import pytest

from amlmove_action import referencescan
from amlmove_action.errors import InputError
from amlmove_action.referencescan import (
    Limits,
    ScanRoot,
    Target,
    find_references,
    reference_items,
    scan_root,
    scan_tree,
    summary_line,
)
from amlmove_action.safetext import for_log

SUB = "a1b2c3d4-0000-4000-8000-000000000001"
NEW_SUB = "a1b2c3d4-0000-4000-8000-000000000002"
OLD_GROUP = f"/subscriptions/{SUB}/resourceGroups/rg-ml-test"
NEW_GROUP = f"/subscriptions/{NEW_SUB}/resourceGroups/rg-ml-prod"
WS_ID = f"{OLD_GROUP}/providers/Microsoft.MachineLearningServices/workspaces/mlw-churn"
STORAGE = f"{OLD_GROUP}/providers/Microsoft.Storage/storageAccounts/stchurn01"
NEW_STORAGE = f"{NEW_GROUP}/providers/Microsoft.Storage/storageAccounts/stchurn01"
TARGET = Target.for_move(WS_ID, NEW_GROUP, [(STORAGE, NEW_STORAGE)])
NEW_WS = f"{NEW_GROUP}/providers/Microsoft.MachineLearningServices/workspaces/mlw-churn"


def found(text: str, path: str = "notes", target: Target = TARGET) -> set[tuple[int, str, str]]:
    return {(r.line, r.form, r.what) for r in find_references(text.split("\n"), target, path)}


# --- the forms --------------------------------------------------------------------------------------------------------


def test_workspace_config_lists_the_subscription_and_group_lines() -> None:
    text = f'{{\n  "subscription_id": "{SUB}",\n  "resource_group": "rg-ml-test",\n  "workspace_name": "mlw-churn"\n}}'
    assert found(text, "aml/.azureml/config.json") == {
        (2, "workspace-config", "subscription"),
        (3, "workspace-config", "resource-group"),
    }
    # the SDK v1 keys and a workspace.json, same rule
    v1 = f'{{"Subscription ID": "{SUB}", "Resource Group": "rg-ml-test", "Workspace name": "mlw-churn"}}'
    assert found(v1, "workspace.json") == {
        (1, "workspace-config", "subscription"),
        (1, "workspace-config", "resource-group"),
    }


def test_mlclient_keywords_positional_and_variables_set_above() -> None:
    keywords = (
        "ml_client = MLClient(\n    credential=DefaultAzureCredential(),\n"
        f'    subscription_id="{SUB}",\n    resource_group_name="rg-ml-test",\n    workspace_name="mlw-churn",\n)'
    )
    assert found(keywords, "train.py") == {(3, "python", "subscription"), (4, "python", "resource-group")}
    positional = f'MLClient(DefaultAzureCredential(), "{SUB}", "RG-ML-TEST", "MLW-CHURN")'
    assert found(positional, "train.py") == {(1, "python", "subscription"), (1, "python", "resource-group")}
    variables = (
        f'subscription_id = "{SUB}"\nresource_group = "rg-ml-test"\nworkspace = "mlw-churn"\n\n'
        "ml = MLClient(c, subscription_id, resource_group, workspace)"
    )
    assert found(variables, "nb.py") == {(1, "python", "subscription"), (2, "python", "resource-group")}


def test_az_ml_flags_in_any_order_over_continuation_lines() -> None:
    text = "az ml job create --file job.yml \\\n  -w mlw-churn \\\n  --subscription " + SUB + " \\\n  -g rg-ml-test"
    assert found(text, "run.sh") == {(3, "az-cli", "subscription"), (4, "az-cli", "resource-group")}
    one_line = "az ml model list --resource-group rg-ml-test --workspace-name mlw-churn"
    assert found(one_line, "README.md") == {(1, "az-cli", "resource-group")}
    defaults = "az configure --defaults group=rg-ml-test workspace=mlw-churn"
    assert found(defaults, "setup.ps1") == {(1, "az-cli", "resource-group")}


def test_bicep_arm_and_terraform() -> None:
    bicep = (
        "resource ws 'Microsoft.MachineLearningServices/workspaces@2024-04-01' existing = {\n  name: 'mlw-churn'\n"
        f"  scope: resourceGroup('{SUB}', 'rg-ml-test')\n}}"
    )
    assert found(bicep, "infra/main.bicep") == {(3, "bicep", "subscription"), (3, "bicep", "resource-group")}
    arm = (
        '{\n  "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",\n'
        '  "variables": {"ws": "[resourceId(\'rg-ml-test\', \'Microsoft.MachineLearningServices/workspaces\', '
        "'mlw-churn')]\"}\n}"
    )
    assert found(arm, "azuredeploy.json") == {(3, "arm-template", "resource-group")}
    terraform = (
        'data "azurerm_machine_learning_workspace" "ws" {\n  name                = "mlw-churn"\n'
        '  resource_group_name = "rg-ml-test"\n}\n'
        f'resource "x" "y" {{\n  workspace_id = "{WS_ID.lower()}"\n}}'
    )
    assert found(terraform, "main.tf") == {(3, "terraform", "resource-group"), (6, "terraform", "workspace-id")}


def test_workflow_variables_and_azureml_uris() -> None:
    workflow = "env:\n  AZURE_ML_WORKSPACE: mlw-churn\n  AZURE_RESOURCE_GROUP: rg-ml-test\n  LOCATION: westeurope"
    assert found(workflow, ".github/workflows/train.yml") == {(3, "github-workflow", "resource-group")}
    uri = f"path: azureml://subscriptions/{SUB}/resourcegroups/rg-ml-test/workspaces/mlw-churn/datastores/blob/paths/x"
    refs = find_references([uri], TARGET, "data.yml")
    assert [(r.what, r.new_value) for r in refs] == [
        ("azureml-uri", f"azureml://subscriptions/{NEW_SUB}/resourcegroups/rg-ml-prod/workspaces/mlw-churn")
    ]


def test_ids_case_insensitive_child_ids_mlflow_uris_and_moved_resources() -> None:
    mlflow = f"azureml://westeurope.api.azureml.ms/mlflow/v1.0{WS_ID.upper().replace('MLW-CHURN', 'mlw-churn')}"
    assert [(r.what, r.new_value) for r in find_references([mlflow], TARGET)] == [("workspace-id", NEW_WS)]
    child = f"{WS_ID}/computes/cpu-cluster."
    assert [r.what for r in find_references([child], TARGET)] == ["workspace-id"]
    storage = f"storage: {STORAGE}"
    assert [(r.what, r.new_value) for r in find_references([storage], TARGET)] == [("resource-id", NEW_STORAGE)]


# --- what is not listed -----------------------------------------------------------------------------------------------


def test_the_name_alone_another_workspace_and_what_stayed_are_not_listed() -> None:
    assert found("The mlw-churn workspace trains the churn model.\nworkspace_name: mlw-churn") == set()
    assert found(f'id = "{WS_ID}-v2"\nname = "mlw-churn"') == set()  # another workspace; the name alone
    key_vault = f"/subscriptions/{SUB}/resourceGroups/rg-ml-test/providers/Microsoft.KeyVault/vaults/kv-shared"
    assert found(f"vault: {key_vault}\nworkspace: mlw-churn") == set()  # stayed where it was: still right
    # the group without the workspace's name near it (another workspace's pipeline in the same group)
    assert found("az ml job create -g rg-ml-test -w mlw-fraud") == set()
    # tokens only: a longer name, a property access
    assert found("group: rg-ml-test-2\nws: mlw-churn\nrg = azurerm_resource_group.rg-ml-test.name") == set()


def test_the_group_must_be_within_the_window_of_the_name() -> None:
    far = referencescan.WINDOW + 1
    assert found("workspace: mlw-churn" + "\n" * far + "group: rg-ml-test") == set()
    assert found("workspace: mlw-churn" + "\n" * (far - 1) + "group: rg-ml-test") == {(far, "text", "resource-group")}


def test_a_value_the_move_does_not_change_is_not_listed() -> None:
    same_sub = Target.for_move(WS_ID, f"/subscriptions/{SUB}/resourceGroups/rg-ml-prod")
    text = f'{{"subscription_id": "{SUB}",\n "resource_group": "rg-ml-test",\n "workspace_name": "mlw-churn"}}'
    assert found(text, "config.json", same_sub) == {(2, "workspace-config", "resource-group")}


def test_a_group_called_like_a_cli_word() -> None:
    target = Target.for_move(
        f"/subscriptions/{SUB}/resourceGroups/ml/providers/Microsoft.MachineLearningServices/workspaces/mlw-churn",
        f"/subscriptions/{NEW_SUB}/resourceGroups/ml-prod",
    )
    assert found("az ml job create -g other -w mlw-churn", target=target) == set()
    assert found("az ml job create -g ml -w mlw-churn", target=target) == {(1, "az-cli", "resource-group")}


def test_markdown_of_a_hostile_path_is_inert() -> None:
    hostile = "a`b|c\n::error::x ##vso[task.setvariable]y <img src=x>.json"
    items = reference_items([{"path": hostile, "line": 3, "form": "json", "what": "subscription", "newValue": NEW_SUB}])
    assert len(items) == 1 and "\n" not in items[0]
    assert "::error" not in items[0] and "##vso" not in items[0]
    # two code spans (the path, inert there like the <img>, and the new value): nothing breaks out of them
    assert items[0].count("`") == 4 and items[0].index("<img") < items[0].index("` (json)")
    line = summary_line(
        {
            "root": hostile,
            "filesScanned": 1,
            "filesSeen": 2,
            "bytesScanned": 3,
            "truncated": True,
            "bound": "10 files",
            "skipped": {"symlinks": 1, "binary": 0},
            "references": 1,
        }
    )
    assert "::error" not in line and "##vso" not in line and "1 of 2 file(s)" in line and "10 files" in line


# --- the walk ---------------------------------------------------------------------------------------------------------

CONFIG = f'{{"subscription_id": "{SUB}", "resource_group": "rg-ml-test", "workspace_name": "mlw-churn"}}\n'


def tree(root: Path, files: dict[str, str | bytes]) -> Path:
    for name, content in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    return root


def paths(result: referencescan.ScanResult) -> set[str]:
    return {r.path for r in result.references}


def test_walk_skips_vendored_folders_binaries_and_the_excluded_output(tmp_path) -> None:
    root = tree(
        tmp_path / "repo",
        {
            "a/config.json": CONFIG,
            ".git/config.json": CONFIG,
            "node_modules/x/config.json": CONFIG,
            ".venv/lib/config.json": CONFIG,
            "amlmove-output/plan.json": CONFIG,
            "image.bin": CONFIG.encode() + b"\0\1\2",
            "latin1.txt": CONFIG.encode() + "é".encode("latin-1"),
            "utf16.json": CONFIG.encode("utf-16"),
            "crlf.json": CONFIG.replace(", ", ",\r\n").encode(),
        },
    )
    result = scan_tree(root, TARGET, exclude=[root / "amlmove-output"])
    assert paths(result) == {"a/config.json", "utf16.json", "crlf.json"}
    assert {r.line for r in result.references if r.path == "crlf.json"} == {1, 2}
    assert result.skipped["skippedDirs"] == 3 and result.skipped["ownOutput"] == 1 and result.skipped["binary"] == 2
    assert result.files_seen == 5 and not result.truncated


def test_walk_never_follows_a_symbolic_link(tmp_path) -> None:
    outside = tree(tmp_path / "outside", {"config.json": CONFIG, "deep/config.json": CONFIG})
    root = tree(tmp_path / "repo", {"inside.txt": "nothing here\n"})
    os.symlink(outside / "config.json", root / "config.json")
    os.symlink(outside / "deep", root / "deep")
    os.symlink(outside, root / "up")
    result = scan_tree(root, TARGET)
    assert result.references == [] and result.skipped["symlinks"] == 3 and result.files_scanned == 1


def test_a_link_swapped_in_after_the_listing_is_refused_by_the_kernel(tmp_path) -> None:
    """The race: the listing saw a file and a folder, then they were replaced by links out of the tree. Opening
    relative to the parent's descriptor with O_NOFOLLOW refuses both; nothing outside is read."""
    outside = tree(tmp_path / "outside", {"config.json": CONFIG})
    root = tmp_path / "repo"
    root.mkdir()
    os.symlink(outside / "config.json", root / "config.json")
    os.symlink(outside, root / "sub")
    result = referencescan.ScanResult(str(root))
    walk = referencescan._Walk(result, TARGET, Limits(), set())
    fd = os.open(root, os.O_RDONLY | os.O_DIRECTORY)
    try:
        walk.file(fd, "config.json", "config.json")
        walk.subdirectory(fd, "sub", "sub/", 1)
    finally:
        os.close(fd)
    assert result.references == [] and result.files_scanned == 0 and result.skipped["symlinks"] == 2


def test_bounds_on_files_and_bytes_are_reported(tmp_path) -> None:
    root = tree(tmp_path / "repo", {f"f{i:02}.json": CONFIG for i in range(12)})
    result = scan_tree(root, TARGET, Limits(files=5))
    assert result.files_scanned == 5 and result.files_seen == 12 and result.bound == "5 files"
    assert paths(result) == {f"f{i:02}.json" for i in range(5)}
    line = summary_line(result.summary_json())
    assert "5 of 12 file(s)" in line and "Stopped at the bound of 5 files" in line

    size = len(CONFIG.encode())
    result = scan_tree(root, TARGET, Limits(total_bytes=3 * size))
    assert result.files_scanned == 3 and result.bytes_scanned == 3 * size and result.bound == f"{3 * size:,} bytes"

    tree(root, {"big.json": CONFIG + " " * 200})
    result = scan_tree(root, TARGET, Limits(file_bytes=size + 10))
    assert "big.json" not in paths(result) and result.skipped["tooLarge"] == 1 and not result.truncated

    result = scan_tree(root, TARGET, Limits(entries=4))
    assert result.truncated and result.files_seen <= 4


def test_fifos_do_not_block_and_unreadable_files_are_counted(tmp_path, monkeypatch) -> None:
    root = tree(tmp_path / "repo", {"a.json": CONFIG, "b.json": CONFIG})
    os.mkfifo(root / "pipe.json")
    real_read = os.read
    calls = []

    def failing_read(fd: int, n: int) -> bytes:
        calls.append(fd)
        if len(calls) == 1:
            raise OSError(errno.EIO, "I/O error")
        return real_read(fd, n)

    monkeypatch.setattr(referencescan.os, "read", failing_read)
    result = scan_tree(root, TARGET)
    assert paths(result) == {"b.json"}
    assert result.skipped["unreadable"] == 1 and result.skipped["notRegular"] == 1


# --- where it scans ---------------------------------------------------------------------------------------------------


def test_scan_root(tmp_path) -> None:
    env = {"GITHUB_WORKSPACE": str(tmp_path), "BUILD_SOURCESDIRECTORY": str(tmp_path / "ado")}
    (tmp_path / "ado").mkdir()
    assert scan_root("auto", env, "github") == ScanRoot(tmp_path, "GITHUB_WORKSPACE")
    assert scan_root("auto", env, "azure-devops") == ScanRoot(tmp_path / "ado", "BUILD_SOURCESDIRECTORY")
    assert scan_root("auto", env, "local").path is None
    assert scan_root("auto", {}, "github").path is None
    assert scan_root("None", env, "github").path is None
    assert scan_root(str(tmp_path / "ado"), env, "local") == ScanRoot(tmp_path / "ado", "scan-path")
    with pytest.raises(InputError) as raised:
        scan_root(str(tmp_path / "missing\n::error::x"), env, "github")
    message = str(raised.value)
    assert "scan-path" in message and "not a directory" in message and for_log(message) == message


def test_amlmove_output_at_the_root_is_left_out_and_the_rest_scanned(tmp_path) -> None:
    """output-dir `.` and a plan artifact downloaded into the repository's root: the plan, the reports, state.json
    and the exports name the old workspace, but they are amlmove's, not the team's."""
    root = tree(
        tmp_path,
        {
            "plan.json": CONFIG,
            "plan.md": CONFIG,
            "report.json": CONFIG,
            "state.json": CONFIG,
            "exports/endpoint.yml": CONFIG,
            "config.json": CONFIG,
        },
    )
    result = scan_tree(root, TARGET, exclude=referencescan.own_output(root, root / "plan.json"))
    assert paths(result) == {"config.json"} and result.skipped["ownOutput"] == 5
