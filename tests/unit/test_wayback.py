"""amlmove_action.wayback: the reverse plan's inputs from an approved plan and where everything went, and their three
renderings. Untrusted names (tests/support/hostile_text.py) must come back unchanged from each rendering — through
shlex.split for the command line, a YAML parser for the with: block and the Azure DevOps parameters — and render
inert in report.md; a value the runner would expand is never pasted into a YAML block."""

from __future__ import annotations

import html
import re
import shlex
from typing import Any

import pytest
import yaml
from hypothesis import given

from amlmove_action import wayback
from amlmove_action.plan import OPT_INS
from amlmove_action.report import report_markdown
from tests.support.hostile_text import HOSTILE, nasty_text
from tests.support.plans import DESTINATION_GROUP, SOURCE_GROUP, WORKSPACE, plan_json, typed
from tests.support.runner_rules import parse_github_commands, parse_vso_commands

MOVED_WORKSPACE = WORKSPACE.replace(SOURCE_GROUP, DESTINATION_GROUP)
STORAGE = f"{SOURCE_GROUP}/providers/Microsoft.Storage/storageAccounts/stml"
MOVED = [(WORKSPACE, MOVED_WORKSPACE), (STORAGE, STORAGE.replace(SOURCE_GROUP, DESTINATION_GROUP))]


def options(**changes: Any) -> dict[str, Any]:
    return {**plan_json()["options"], **changes}


def test_the_way_back_swaps_source_and_destination_names_what_moved_and_keeps_every_opt_in() -> None:
    opted = {key: index % 2 == 0 for index, (_, key, _) in enumerate(OPT_INS)}
    plan = typed(plan_json(options=options(skipChecks=["computes-present"], **opted)))
    back = wayback.way_back(plan, MOVED, {})
    assert back is not None
    assert back.inputs["source-workspace-id"] == MOVED_WORKSPACE
    assert back.inputs["destination-resource-group-id"] == SOURCE_GROUP
    assert back.inputs["include-associated-resources"] == MOVED[1][1]
    assert back.inputs["skip-checks"] == "computes-present"
    assert {name: back.inputs[name] for _, _, name in OPT_INS} == {
        name: "true" if opted[key] else "false" for _, key, name in OPT_INS
    }
    assert "cloud" not in back.inputs  # the public cloud is the default


def test_only_the_workspace_moved_comes_back_with_none_and_nothing_moved_has_no_way_back() -> None:
    plan = typed(plan_json())
    back = wayback.way_back(plan, MOVED[:1], {})
    assert back is not None and back.inputs["include-associated-resources"] == "none"
    assert wayback.way_back(plan, [], {}) is None
    assert wayback.way_back(plan, MOVED[1:], {}) is None  # the workspace stayed: no plan can start from it


def test_the_cloud_inputs_say_where_the_workspace_lives() -> None:
    assert wayback.connection_inputs("AzureCloud", "https://management.azure.com", "x") == {}
    assert wayback.connection_inputs("AzureChinaCloud", "a", "b") == {"cloud": "AzureChinaCloud"}
    assert wayback.connection_inputs("custom", "https://arm", "https://login") == {
        "cloud": "custom",
        "arm-endpoint": "https://arm",
        "authority-host": "https://login",
    }


def test_what_cannot_come_back_names_the_deleted_computes_and_endpoints() -> None:
    document = plan_json()
    document["postMove"]["computesToRemove"] = [f"{WORKSPACE}/computes/gpu-cluster"]
    document["postMove"]["endpointsToRemove"] = [f"{WORKSPACE}/onlineEndpoints/churn-scorer"]
    said = " ".join(wayback.cannot_come_back(typed(document)))
    assert "gpu-cluster" in said and "local disks" in said
    assert "churn-scorer" in said and "scoring URI" in said
    assert "Role assignments" in said and "principalId" in said
    assert "Private endpoint" not in said  # none in this plan
    assert "gpu-cluster" not in " ".join(wayback.cannot_come_back(typed(plan_json())))


def inputs_with(value: str) -> dict[str, str]:
    return {
        "source-workspace-id": MOVED_WORKSPACE,
        "destination-resource-group-id": SOURCE_GROUP,
        "include-associated-resources": value,
        "remove-computes": "false",
    }


@pytest.mark.parametrize("value", HOSTILE)
def test_the_command_line_splits_back_into_the_same_inputs(value: str) -> None:
    given_inputs = inputs_with(value)
    words = shlex.split(wayback.command_line(given_inputs))
    assert words[:3] == ["python", "entrypoint.py", "plan"]
    pairs = words[3:]
    assert dict(zip([w.removeprefix("--") for w in pairs[::2]], pairs[1::2], strict=True)) == given_inputs


@given(nasty_text)
def test_the_yaml_blocks_parse_back_to_the_same_values_or_leave_the_value_out(value: str) -> None:
    given_inputs = inputs_with(value)
    block, left_out = wayback.github_with(given_inputs)
    assert yaml.safe_load(block)["with"] == {"command": "plan", **{k: given_inputs[k] for k in given_inputs}} or (
        left_out == ["include-associated-resources"] and "${{" in value
    )
    for line in block.splitlines()[1:]:
        assert line.startswith("  ") and line.isascii()  # one line per input: no value ends a line or adds a key
    ado, ado_left = wayback.azure_devops_parameters(given_inputs)
    parameters = yaml.safe_load(ado)[0]["parameters"]
    if ado_left:
        assert ado_left == ["include-associated-resources"] and any(m in value for m in ("${{", "$(", "$["))
    else:
        assert parameters["includeAssociatedResources"] == value
    assert parameters["removeComputes"] is False and parameters["sourceWorkspaceId"] == MOVED_WORKSPACE


def test_a_value_a_runner_would_expand_is_not_pasted() -> None:
    expands = "/subscriptions/x/resourceGroups/rg/providers/Microsoft.Insights/components/a$(System.AccessToken)"
    _, github_left = wayback.github_with(inputs_with(expands))
    assert github_left == []  # GitHub does not expand $( ) in with:
    block, ado_left = wayback.azure_devops_parameters(inputs_with(expands))
    assert ado_left == ["include-associated-resources"] and "AccessToken" not in block
    block, github_left = wayback.github_with(inputs_with("a${{ secrets.GITHUB_TOKEN }}"))
    assert github_left == ["include-associated-resources"] and "secrets" not in block


def test_custom_cloud_inputs_are_left_out_of_the_azure_devops_template() -> None:
    block, left_out = wayback.azure_devops_parameters(
        {**inputs_with("none"), "cloud": "custom", "arm-endpoint": "https://a", "authority-host": "https://b"}
    )
    assert sorted(left_out) == ["arm-endpoint", "authority-host", "cloud"]
    assert "https://a" not in block


def report_with(way_back: dict[str, Any] | None) -> dict[str, Any]:
    return {
        "status": "moved",
        "followUps": [],
        "moved": [],
        "stayed": [],
        "missing": [],
        "checklist": [],
        "phases": [],
        "exports": [],
        "writes": [],
        "sourceWorkspaceId": WORKSPACE,
        "destinationWorkspaceId": MOVED_WORKSPACE,
        "planDigest": "0" * 64,
        "tool": {"version": "0"},
        "wayBack": way_back,
    }


@pytest.mark.parametrize("value", HOSTILE)
def test_report_md_shows_the_way_back_inert_for_a_hostile_name(value: str) -> None:
    back = wayback.WayBack(inputs_with(value), (f"Computes deleted before the move ({value})",)).to_json()
    text = report_markdown(report_with(back))
    section = text[text.index("### The way back") :]
    assert set(re.findall(r"</?([a-zA-Z]+)", section)) <= {"details", "summary", "pre"}
    assert section.count("<pre>") == section.count("</pre>") == 3
    # Outside the verbatim blocks (kept exact, so they paste back: a summary file is no runner's command sink) the
    # text is inert too.
    prose = re.sub(r"<pre>.*?</pre>", "", section, flags=re.S)
    assert parse_github_commands(prose) == [] and parse_vso_commands(prose) == []
    blocks = [html.unescape(b) for b in re.findall(r"<pre>(.*?)</pre>", section, flags=re.S)]
    assert shlex.split(blocks[1]) == shlex.split(back["command"])
    if "${{" not in value:
        assert yaml.safe_load(blocks[0])["with"]["include-associated-resources"] == value


def test_report_md_has_no_way_back_section_without_one() -> None:
    assert "The way back" not in report_markdown(report_with(None))


def test_every_azure_devops_parameter_of_the_way_back_is_one_the_template_declares() -> None:
    from tests.conftest import ROOT

    template = yaml.safe_load((ROOT / wayback.ADO_TEMPLATE).read_text(encoding="utf-8"))
    declared = {p["name"] for p in template["parameters"]}
    document = plan_json(
        options=options(skipChecks=["computes-present"], applyPrincipalId="0" * 8 + "-0000-0000-0000-" + "0" * 12)
    )
    back = wayback.way_back(typed(document), MOVED, wayback.connection_inputs("AzureChinaCloud", "", ""))
    assert back is not None
    block, left_out = wayback.azure_devops_parameters(back.inputs)
    assert left_out == []
    assert set(yaml.safe_load(block)[0]["parameters"]) <= declared
