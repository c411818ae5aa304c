"""endpoints.py's pure parts: the rewrite of references to the moved workspace, the split held back and restored,
the az ml commands for people, and how ARM's view of an endpoint's routing is read."""

from __future__ import annotations

import pytest

from amlmove_action import endpoints

OLD = "/subscriptions/s1/resourceGroups/rg-test/providers/Microsoft.MachineLearningServices/workspaces/mlw"
NEW = "/subscriptions/s2/resourceGroups/rg-prod/providers/Microsoft.MachineLearningServices/workspaces/mlw"
REGISTRY = "azureml://registries/contoso/models/churn/versions/4"


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        (f"{OLD}/models/churn/versions/3", f"{NEW}/models/churn/versions/3"),
        (f"azureml:{OLD}/models/churn/versions/3", f"azureml:{NEW}/models/churn/versions/3"),
        (f"{OLD.upper()}/codes/c/versions/1", f"{NEW}/codes/c/versions/1"),  # ARM ids ignore case
        (OLD, NEW),
        (REGISTRY, REGISTRY),  # a registry is nobody's workspace: kept
        (f"{OLD}-other/models/m/versions/1", f"{OLD}-other/models/m/versions/1"),  # another workspace's name prefix
        ("azureml:churn:3", "azureml:churn:3"),
        ("score.py", "score.py"),
    ],
)
def test_rewrite_points_old_workspace_references_at_the_moved_one(given: str, expected: str) -> None:
    assert endpoints.rewrite_references(given, OLD, NEW) == expected


def test_rewrite_walks_nested_definitions_and_leaves_other_values() -> None:
    definition = {
        "model": f"azureml:{OLD}/models/churn/versions/3",
        "code_configuration": {"code": f"{OLD}/codes/c/versions/1", "scoring_script": "score.py"},
        "environment": "azureml://registries/azureml/environments/sklearn-1.5/versions/1",
        "instance_count": 1,
        "list": [f"{OLD}/computes/cpu", None],
    }
    out = endpoints.rewrite_references(definition, OLD, NEW)
    assert out["model"] == f"azureml:{NEW}/models/churn/versions/3"
    assert out["code_configuration"] == {"code": f"{NEW}/codes/c/versions/1", "scoring_script": "score.py"}
    assert out["environment"] == definition["environment"] and out["instance_count"] == 1
    assert out["list"] == [f"{NEW}/computes/cpu", None]


def test_moved_definition_fixes_the_batch_logging_level_azure_ai_ml_dumps_as_a_repr() -> None:
    text = f"name: main\nmodel: azureml:{OLD}/models/churn/versions/3\nlogging_level: BatchLoggingLevel.INFO\n"
    out = endpoints.moved_definition(text, OLD, NEW)
    assert out == {"name": "main", "model": f"azureml:{NEW}/models/churn/versions/3", "logging_level": "Info"}
    with pytest.raises(ValueError, match="mapping"):
        endpoints.moved_definition("- a list\n", OLD, NEW)


def test_an_endpoint_is_created_routing_nothing_and_its_split_is_held_back() -> None:
    online = {"name": "churn", "traffic": {"blue": 90, "green": 10}, "mirror_traffic": {"green": 5}}
    assert endpoints.held_split("online-endpoint", online) == {
        "traffic": {"blue": 90, "green": 10},
        "mirror_traffic": {"green": 5},
    }
    assert endpoints.without_split("online-endpoint", online) == {"name": "churn", "traffic": {}, "mirror_traffic": {}}
    batch = {"name": "b", "defaults": {"deployment_name": "main"}}
    assert endpoints.held_split("batch-endpoint", batch) == {"defaults": {"deployment_name": "main"}}
    assert endpoints.without_split("batch-endpoint", batch) == {"name": "b"}


def test_routing_as_arm_shows_it() -> None:
    split = {"traffic": {"blue": 90, "green": 10}, "mirror_traffic": {}}
    nothing = {"properties": {"traffic": {"blue": 0}, "mirrorTraffic": {}}}
    theirs = {"properties": {"traffic": {"blue": 50, "green": 50}}}
    ours = {"properties": {"traffic": {"blue": 90, "green": 10, "old": 0}, "mirrorTraffic": {}}}
    assert endpoints.routes_nothing("online-endpoint", nothing)
    assert not endpoints.routes_nothing("online-endpoint", ours)
    assert endpoints.routes_as_held("online-endpoint", ours, split)
    assert not endpoints.routes_as_held("online-endpoint", theirs, split)
    batch = {"defaults": {"deployment_name": "main"}}
    assert endpoints.routes_nothing("batch-endpoint", {"properties": {}})
    assert endpoints.routes_as_held("batch-endpoint", {"properties": {"defaults": {"deploymentName": "main"}}}, batch)


def test_commands_for_people_name_the_rewritten_file_and_the_moved_workspace() -> None:
    file = "exports/moved/online-deployment-churn-blue.yml"
    assert endpoints.create_command("online-deployment", file, NEW, "churn") == (
        f"az ml online-deployment create --file {file} --endpoint-name churn --workspace-name mlw "
        "--resource-group rg-prod --subscription s2"
    )
    assert endpoints.create_command("batch-endpoint", "exports/moved/b.yml", NEW, "b") == (
        "az ml batch-endpoint create --file exports/moved/b.yml --workspace-name mlw --resource-group rg-prod "
        "--subscription s2"
    )
    split = {"traffic": {"blue": 90, "green": 10}, "mirror_traffic": {"green": 5}}
    assert endpoints.split_command("online-endpoint", "churn", split, NEW) == (
        'az ml online-endpoint update --name churn --traffic "blue=90 green=10" --mirror-traffic "green=5" '
        "--workspace-name mlw --resource-group rg-prod --subscription s2"
    )
    assert endpoints.split_command("batch-endpoint", "b", {"defaults": {"deployment_name": "main"}}, NEW) == (
        "az ml batch-endpoint update --name b --set defaults.deployment_name=main --workspace-name mlw "
        "--resource-group rg-prod --subscription s2"
    )
