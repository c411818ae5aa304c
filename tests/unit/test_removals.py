"""amlmove_action.removals' pure parts: each write apply makes before the move names the command that undoes it."""

from __future__ import annotations

import pytest

from amlmove_action.ids import endpoint_kind
from amlmove_action.removals import Write, undo_command

WS = "/subscriptions/s2/resourceGroups/rg-prod/providers/Microsoft.MachineLearningServices/workspaces/mlw"
TARGET = "--resource-group rg-prod --workspace-name mlw --subscription s2"


@pytest.mark.parametrize(
    ("rid", "kind"),
    [
        (f"{WS}/onlineEndpoints/ep", "online-endpoint"),
        (f"{WS}/ONLINEENDPOINTS/ep", "online-endpoint"),
        (f"{WS}/batchEndpoints/b", "batch-endpoint"),
        (f"{WS}/serverlessEndpoints/s", "serverless-endpoint"),
        (f"{WS}/computes/c", "endpoint"),
    ],
)
def test_endpoint_kind(rid, kind) -> None:
    assert endpoint_kind(rid) == kind


def test_a_created_group_is_undone_by_deleting_it() -> None:
    write = Write("created", "/subscriptions/s2/resourceGroups/rg-prod", "resource-group")
    assert undo_command(write, WS) == "az group delete --name rg-prod --subscription s2 --yes"


def test_a_registered_provider_is_unregistered_without_parsing_it_as_a_resource_id() -> None:
    write = Write("registered", "/subscriptions/s2/providers/Microsoft.KeyVault", "provider")
    assert undo_command(write, WS) == "az provider unregister --namespace Microsoft.KeyVault --subscription s2"


def test_a_removal_is_reversed_from_its_exports_at_the_workspace_where_it_is_now() -> None:
    endpoint = Write(
        "deleted",
        f"{WS}/onlineEndpoints/ep",
        "online-endpoint",
        (("online-endpoint", "exports/ep.yml"), ("online-deployment", "exports/ep-blue.yml")),
    )
    assert undo_command(endpoint, WS) == (
        f"az ml online-endpoint create --file exports/ep.yml {TARGET} && "
        f"az ml online-deployment create --file exports/ep-blue.yml {TARGET}"
    )
    detached = Write("detached", f"{WS}/computes/aks", "compute", (("attached-compute", "exports/aks.yml"),))
    assert undo_command(detached, WS) == f"az ml compute attach --file exports/aks.yml {TARGET}"
    raw = Write("detached", f"{WS}/computes/hdi", "compute", (("attached-compute", "exports/hdi.json"),))
    assert undo_command(raw, WS) == (
        f'az rest --method put --url "{WS}/computes/hdi?api-version=2024-10-01" --body @exports/hdi.json'
    )
    assert undo_command(Write("deleted", f"{WS}/computes/c", "compute"), WS) == "(no export: recreate it by hand)"


def test_the_journal_entry_carries_its_command() -> None:
    write = Write("deleted", f"{WS}/computes/c", "compute", (("compute", "exports/compute-c.yml"),))
    assert write.to_json(WS) == {
        "action": "deleted",
        "target": f"{WS}/computes/c",
        "kind": "compute",
        "exports": ["exports/compute-c.yml"],
        "command": f"az ml compute create --file exports/compute-c.yml {TARGET}",
    }
