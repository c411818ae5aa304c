"""movestatus: the state decided from what status read (pure), status.json against its schema, the four-hour window
from state.json, the follow-up decisions, and the renderings' escaping of untrusted text."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import jsonschema
import pytest

from amlmove_action import ids
from amlmove_action.errors import InputError
from amlmove_action.inputs import (
    Command,
    OutputFormat,
    StatusSettings,
    output_format,
    settings_for,
)
from amlmove_action.movestatus import (
    Check,
    GroupReading,
    Place,
    Stage,
    Status,
    datastore_checks,
    move_window,
    object_checks,
    place,
    private_endpoint_checks,
    role_assignment_checks,
    schema,
    stage,
    status_markdown,
    status_terminal,
)
from amlmove_action.plan import Plan
from amlmove_action.platform import GitHubPlatform
from amlmove_action.state import MoveState, MoveStatus
from tests.support.plans import DESTINATION_GROUP, SOURCE_GROUP, WORKSPACE, plan_json
from tests.support.runner_rules import parse_github_commands

NEW_WORKSPACE = WORKSPACE.replace(SOURCE_GROUP, DESTINATION_GROUP)
IDLE = (
    GroupReading(SOURCE_GROUP, "source", True, "Succeeded"),
    GroupReading(DESTINATION_GROUP, "destination", True, "Succeeded"),
)
HELD = (GroupReading(SOURCE_GROUP, "source", True, "MovingResources"), IDLE[1])
DONE = Check("role-assignment", "x", True, "present")
LEFT = Check("private-endpoint", "y", False, "Pending")


@pytest.mark.parametrize(
    ("places", "groups", "checks", "expected"),
    [
        ([Place.SOURCE, Place.SOURCE], IDLE, None, Stage.NOT_STARTED),
        ([Place.SOURCE, Place.SOURCE], HELD, None, Stage.MOVING),
        ([Place.DESTINATION, Place.SOURCE], HELD, None, Stage.MOVING),  # a move holding the groups wins
        ([Place.DESTINATION, Place.DESTINATION], HELD, None, Stage.MOVING),  # ARM's notification phase
        ([Place.DESTINATION, Place.DESTINATION], IDLE, [DONE], Stage.DONE),
        ([Place.DESTINATION, Place.DESTINATION], IDLE, [], Stage.DONE),
        ([Place.DESTINATION, Place.DESTINATION], IDLE, [DONE, LEFT], Stage.FOLLOW_UPS_LEFT),
        ([Place.DESTINATION, Place.SOURCE], IDLE, None, Stage.INCONSISTENT),
        ([Place.DESTINATION, Place.MISSING], IDLE, None, Stage.INCONSISTENT),
        ([Place.BOTH, Place.DESTINATION], IDLE, None, Stage.INCONSISTENT),
        ([Place.MISSING], IDLE, None, Stage.INCONSISTENT),
    ],
)
def test_stage(places, groups, checks, expected) -> None:
    assert stage(places, groups, checks) is expected


def test_place_from_both_listings() -> None:
    new = ids.moved_id(WORKSPACE, DESTINATION_GROUP)
    assert place(WORKSPACE, new, {WORKSPACE.lower()}, set()) is Place.SOURCE
    assert place(WORKSPACE, new, set(), {new.lower()}) is Place.DESTINATION
    assert place(WORKSPACE, new, {WORKSPACE.lower()}, {new.lower()}) is Place.BOTH
    assert place(WORKSPACE, new, set(), set()) is Place.MISSING


def test_a_group_holds_a_move_only_while_arm_says_moving_resources() -> None:
    assert GroupReading("g", "source", True, "movingresources").holds_move
    assert not GroupReading("g", "source", True, "Succeeded").holds_move
    assert not GroupReading("g", "source", False, None).holds_move


def test_move_window_from_state_json_and_unknown_without_it() -> None:
    now = datetime(2026, 3, 1, 13, 30, 5, tzinfo=UTC)
    state = MoveState("d" * 64, MoveStatus.ACCEPTED, "2026-03-01T12:00:00Z", [WORKSPACE], DESTINATION_GROUP, "t")
    window = move_window(state, now, moving=True)
    assert window == {
        "startedAt": "2026-03-01T12:00:00Z",
        "recordedStatus": "accepted",
        "elapsedSeconds": 5405,
        "limitSeconds": 14400,
        "remainingSeconds": 14400 - 5405,
    }
    assert move_window(state, now + timedelta(hours=5), moving=True)["remainingSeconds"] == 0
    assert move_window(state, now, moving=False)["remainingSeconds"] is None
    assert move_window(None, now, moving=True)["startedAt"] is None


def test_role_assignment_checks_match_principal_role_and_condition_at_the_new_scope() -> None:
    role = "/subscriptions/x/providers/Microsoft.Authorization/roleDefinitions/f6c7c914-8db3-469d-8ca1-694a8f32e121"
    entry = {
        "scope": WORKSPACE,
        "newScope": NEW_WORKSPACE,
        "roleDefinitionId": role,
        "roleName": "AzureML Data Scientist",
        "principalId": "P1",
        "principalType": "User",
        "condition": None,
    }
    scope = ids.normalise_id(NEW_WORKSPACE).lower()
    here = {scope: {("p1", "f6c7c914-8db3-469d-8ca1-694a8f32e121", "")}}
    (found,) = role_assignment_checks([entry], here)
    assert found.done and found.command == ""
    (missing,) = role_assignment_checks([entry], {scope: {("p2", "f6c7c914-8db3-469d-8ca1-694a8f32e121", "")}})
    assert not missing.done and "az role assignment create" in missing.command
    (other_condition,) = role_assignment_checks([{**entry, "condition": "@x"}], here)
    assert not other_condition.done


def test_datastore_checks_use_applys_repair_rule_on_moved_accounts_only() -> None:
    dest = ids.ResourceId.parse(DESTINATION_GROUP)
    stores = [
        {"name": "stale", "properties": {"accountName": "stml", "subscriptionId": "old", "resourceGroup": "rg-ml"}},
        {"name": "null", "properties": {"accountName": "stml", "subscriptionId": None, "resourceGroup": None}},
        {
            "name": "fixed",
            "properties": {"accountName": "STML", "subscriptionId": dest.subscription_id, "resourceGroup": "rg-prod"},
        },
        {"name": "elsewhere", "properties": {"accountName": "other", "subscriptionId": "x", "resourceGroup": "y"}},
    ]
    checks = datastore_checks(stores, ["stml"], dest)
    assert [(c.target, c.done) for c in checks] == [("stale", False), ("null", False), ("fixed", True)]


def test_object_checks_accept_any_of_the_candidate_ids() -> None:
    a, b = f"{NEW_WORKSPACE}/computes/ci", f"{NEW_WORKSPACE}/computes/ci-m1234"
    checks = object_checks(
        [("compute", "ci", [a, b], None), ("online-endpoint", "ep", [f"{NEW_WORKSPACE}/x/ep"], None)],
        {b.lower(): {"properties": {"provisioningState": "Succeeded"}}},
    )
    assert [(c.target, c.done) for c in checks] == [("ci", True), ("ep", False)]


def test_a_detached_compute_missing_is_to_attach_again_not_to_recreate() -> None:
    """Apply detaches an attached compute (the AKS cluster or Databricks workspace stays): what remains is to attach
    it again, if still wanted — not to "recreate" it."""
    k8s, cpu = f"{NEW_WORKSPACE}/computes/k8s", f"{NEW_WORKSPACE}/computes/cpu"
    checks = object_checks([("attached-compute", "k8s", [k8s], None), ("compute", "cpu", [cpu], None)], {})
    assert [c.done for c in checks] == [False, False]
    assert "attach it again" in checks[0].detail and "recreate" not in checks[0].detail
    assert "recreate it" in checks[1].detail


def test_an_endpoint_is_back_only_provisioned_and_routing_as_planned() -> None:
    """Present is not back: a deployment still Creating, or an endpoint that routes nothing yet (recreate-endpoints
    restores the split once every deployment is Succeeded), is a follow-up that remains."""
    ep, blue = f"{NEW_WORKSPACE}/onlineEndpoints/ep", f"{NEW_WORKSPACE}/onlineEndpoints/ep/deployments/blue"
    split = {"traffic": {"blue": 90, "green": 10}, "mirror_traffic": {}}

    def endpoint(traffic: dict[str, int]) -> dict:
        return {"properties": {"provisioningState": "Succeeded", "traffic": traffic}}

    def checks(bodies: dict) -> list[tuple[str, bool]]:
        expected = [("online-endpoint", "ep", [ep], split), ("online-deployment", "ep/blue", [blue], None)]
        return [(c.target, c.done) for c in object_checks(expected, {k.lower(): v for k, v in bodies.items()})]

    creating = {"properties": {"provisioningState": "Creating"}}
    succeeded = {"properties": {"provisioningState": "Succeeded"}}
    assert checks({ep: endpoint({}), blue: creating}) == [("ep", False), ("ep/blue", False)]
    assert checks({ep: endpoint({"blue": 100}), blue: succeeded}) == [("ep", False), ("ep/blue", True)]
    assert checks({ep: endpoint({"blue": 90, "green": 10}), blue: succeeded}) == [("ep", True), ("ep/blue", True)]


def test_private_endpoint_checks_leave_out_connections_that_were_not_approved_before() -> None:
    results = [
        SimpleNamespace(status="already-done", target="a", detail="approved", command=""),
        SimpleNamespace(status="manual", target="b", detail="Pending", command="az network ..."),
        SimpleNamespace(status="skipped", target="c", detail="not Approved before", command=""),
    ]
    assert [(c.target, c.done) for c in private_endpoint_checks(results)] == [("a", True), ("b", False)]


def hostile_status(checks: tuple[Check, ...] | None) -> dict:
    plan = Plan.from_json(plan_json())
    new = ids.moved_id(WORKSPACE, DESTINATION_GROUP)
    status = Status(
        plan,
        ((WORKSPACE, new, Place.DESTINATION),),
        IDLE,
        checks,
        None,
        datetime(2026, 3, 1, 12, 0, tzinfo=UTC),
    )
    return status.to_json()


@pytest.mark.parametrize("checks", [None, (), (DONE, LEFT)])
def test_status_json_matches_its_schema(checks) -> None:
    document = hostile_status(checks)
    jsonschema.Draft202012Validator(schema()).validate(document)
    assert document["followUps"] is None if checks is None else len(document["followUps"]) == len(checks)


def test_renderings_escape_untrusted_text() -> None:
    evil = "x\n::error::owned ##vso[task.setvariable variable=a]b <img src=x onerror=alert(1)> | `"
    document = hostile_status((Check("datastore", evil, False, evil, "az x"),))
    markdown = status_markdown(document)
    assert "##vso[" not in markdown and not any(line.lstrip().startswith("::") for line in markdown.splitlines())
    assert "&lt;img" in markdown  # the detail is escaped; the target is an inline code span (shown, not rendered)
    out, err = io.StringIO(), io.StringIO()
    terminal = GitHubPlatform({}, out, err)
    for line in status_terminal(document):
        terminal.info(line)
    assert parse_github_commands(out.getvalue()) == []
    assert document["state"] == "follow-ups-left"


def test_output_format_flag() -> None:
    assert output_format(["plan", "--output", "json", "--cloud", "x"]) == (OutputFormat.JSON, ["plan", "--cloud", "x"])
    assert output_format(["--output=TEXT"]) == (OutputFormat.TEXT, [])
    assert output_format(["status"]) == (OutputFormat.TEXT, ["status"])
    for bad in (["--output"], ["--output", "--cloud"], ["--output", "csv"], ["--output=json", "--output=json"]):
        with pytest.raises(InputError) as refused:
            output_format(bad)
        assert refused.value.input_name == "output"


def test_status_settings_need_only_the_plan_file() -> None:
    settings = settings_for(["status", "--plan-file", "p.json"], {})
    assert isinstance(settings, StatusSettings) and settings.command is Command.STATUS
    assert str(settings.plan_file) == "p.json" and str(settings.output_dir) == "amlmove-output"
    assert settings.source_workspace is None and settings.arm_endpoint == "https://management.azure.com"
    from_action = settings_for([], {"INPUT_COMMAND": "status", "INPUT_PLAN-FILE": "p.json", "INPUT_CLOUD": ""})
    assert from_action == settings
    with pytest.raises(InputError) as refused:
        settings_for(["status"], {})
    assert refused.value.input_name == "plan-file"
    with pytest.raises(InputError):
        settings_for(["status", "--plan-file", "p.json", "--source-workspace-id", "/not/a/workspace"], {})


def test_readme_states_are_the_schemas_and_the_code() -> None:
    import re

    from tests.support.readme_tables import README

    section = README.read_text("utf-8").split("### status: where a move stands", 1)[1].split("\n#", 1)[0]
    documented = re.findall(r"^\| `([a-z-]+)` \|", section, re.M)
    assert documented[1:] == [str(s) for s in Stage]  # after the header row == schema()["properties"]["state"]["enum"]
