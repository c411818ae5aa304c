"""Issue 3 acceptance, run the way a CI runner runs the action: `entrypoint.py plan` as a subprocess
(tests/support/harness.py) against the emulator, outputs and command streams parsed with the runners' own rules
(tests/support/runner_rules.py). Each run is checked by the harness for tracebacks and by `foreign_commands()` for any
command amlmove did not mean to issue.

1. a clean workspace → ready, validation passed, outputs and summary written, exit 0 (GitHub, Azure DevOps, local);
2. every unsupported scenario of the seed document → blocked with its check ID and remediation, exit 1;
3. provider registration, permission, ReadOnly lock, associated resource elsewhere / shared → their findings, and
   the `auto` selection explained in plan.json and plan.md; the permission finding from a narrow grant too (Reader
   on the source group only; a custom role that can do everything but moveResources/action), ReadOnly and
   CanNotDelete locks on a moved resource rather than the group, the selection explained for `none`, `all` and a list;
4. a hostile workspace leaves GITHUB_OUTPUT and the parsed command streams untouched, the summary inert.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest

from amlmove_emulator import catalog, samples
from tests.support.harness import OUTPUT_NAMES, Run, camel, inputs, load
from tests.support.runner_rules import parse_github_commands, parse_vso_commands

ML = "Microsoft.MachineLearningServices"
OTHER_TENANT = "9f8e7d6c-5b4a-4392-8170-6e5d4c3b2a19"
PLAN_OUTPUTS = {"status", "blockers", "warnings", "plan-file", "plan-digest"}


def workspace_body(s: samples.WorkspaceScenario) -> dict[str, Any]:
    return next(r for r in s.resources if r["id"] == s.workspace_id)["body"]


def assert_blocked_by(run: Run, check_id: str, remediation: str = "") -> dict[str, Any]:
    """Exit 1, status blocked, the check a blocker with a remediation (containing `remediation`), named in the one
    failure line, in the summary's Blockers section with its fix and in an error annotation; no foreign command."""
    assert run.code == 1, run.explain()
    assert run.outputs["status"] == "blocked" and run.plan["status"] == "blocked"
    finding = run.finding(check_id)
    assert finding["severity"] == "blocker", finding
    assert finding["remediation"].strip() and remediation in finding["remediation"], finding["remediation"]
    assert int(run.outputs["blockers"]) == len(run.ids("blocker")) >= 1
    # the one failure line names the check; the reviewer's summary shows it under Blockers with its fix
    assert len(run.stderr.strip().splitlines()) == 1 and check_id in run.last_line, run.stderr
    blockers_section = run.summary.split("### Blockers", 1)[1].split("### What moves", 1)[0]
    assert f"`{check_id}`" in blockers_section and "**Fix:**" in blockers_section
    assert any(c.name == "error" and c.properties.get("title") == f"amlmove {check_id}" for c in run.stdout_commands), (
        run.stdout_commands
    )
    assert run.foreign_commands() == []
    return finding


# --- 1. clean → ready ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("mode", ["github", "azure-devops", "local"])
def test_clean_workspace_is_ready_with_outputs_and_summary(emulator, runner, mode) -> None:
    s = samples.WorkspaceScenario()
    load(emulator, s)
    run = runner.run("plan", inputs(s), mode=mode)
    assert run.code == 0, run.explain()
    plan = run.plan
    assert plan["status"] == "ready" and plan["validation"]["status"] == "passed"
    assert run.ids("blocker") == set()
    associated = [s.associated(k) for k in ("storage", "keyVault", "containerRegistry", "applicationInsights")]
    assert sorted(plan["resources"]) == sorted([s.workspace_id, *associated])
    names = {n: camel(n) if mode == "azure-devops" else n for n in PLAN_OUTPUTS}
    assert set(run.outputs) == set(names.values())
    got = {n: run.outputs[names[n]] for n in PLAN_OUTPUTS}
    assert got["status"] == "ready" and got["blockers"] == "0"
    assert got["warnings"] == str(len(run.ids("warning")))
    assert got["plan-digest"] == plan["digest"]
    assert (run.workspace / got["plan-file"]).resolve() == (run.out_dir / "plan.json").resolve()
    assert got["plan-file"] == "amlmove-output/plan.json"  # relative to the workspace, as the next step reads it
    assert (run.out_dir / "plan.md").exists()
    if mode == "local":
        assert run.commands == [] and parse_github_commands(run.stdout) == [] and parse_vso_commands(run.stdout) == []
    else:  # the job summary is plan.md, verdict first
        assert run.summary == run.plan_md
        assert run.summary.startswith("## amlmove plan: ✅ Ready — validated by ARM")
        assert run.foreign_commands() == []
    if mode == "azure-devops":  # the summary is uploaded and the task completes as Succeeded, once
        completes = [c for c in run.stdout_commands if c.name.lower() == "task.complete"]
        assert [c.properties.get("result") for c in completes] == ["Succeeded"]


# --- 2. each unsupported scenario of the seed document → blocked ------------------------------------------------


def _computes(s: samples.WorkspaceScenario) -> None:
    s.compute("cpu-cluster")
    s.compute("ci-new", "ComputeInstance", state="Creating")


def _online_endpoint(s: samples.WorkspaceScenario) -> None:
    s.online_endpoint("churn-ep")


def _customer_managed_key(s: samples.WorkspaceScenario) -> None:
    workspace_body(s)["properties"]["encryption"] = {
        "status": "Enabled",
        "keyVaultProperties": {
            "keyVaultArmId": s.associated("keyVault"),
            "keyIdentifier": "https://kv-mlw-churn.vault.azure.net/keys/cmk/0123456789abcdef",
        },
    }


def _labeling(s: samples.WorkspaceScenario) -> None:
    s.add(f"{s.workspace_id}/labelingJobs/label-churn", {"properties": {"jobType": "Labeling", "status": "Running"}})


def _databricks(s: samples.WorkspaceScenario) -> None:
    s.add(
        f"{s.source_rg}/providers/Microsoft.Databricks/workspaces/dbw-churn",
        {
            "location": s.location,
            "sku": {"name": "premium"},
            "properties": {
                "managedResourceGroupId": samples.group_id(samples.SOURCE_SUB, "dbw-churn-managed"),
                "parameters": {"amlWorkspaceId": {"type": "String", "value": s.workspace_id}},
            },
        },
    )


def _running_job(s: samples.WorkspaceScenario) -> None:
    s.job("train-now", "Running")


SEED_BLOCKERS = {
    # name: (scenario arguments, mutation, check id, a fragment the remediation must contain)
    "computes incl. one being created": ({}, _computes, "computes-present", "az ml compute delete --name ci-new"),
    "online endpoint": ({}, _online_endpoint, "online-endpoints-present", "az ml online-endpoint delete --name"),
    "customer-managed key": ({}, _customer_managed_key, "customer-managed-key", "az ml workspace create"),
    "running labeling project": ({}, _labeling, "labeling-jobs-running", "label-churn → Pause"),
    "Databricks link": ({}, _databricks, "databricks-linked", "az databricks workspace show --ids"),
    "cross-region destination": (
        {"dest_location": "westeurope"},
        None,
        "region-mismatch",
        "az group create --name <new-group> --location eastus",
    ),
    "cross-tenant destination": ({"dest_tenant": OTHER_TENANT}, None, "tenant-mismatch", "Change directory"),
    "running job": ({}, _running_job, "running-jobs", "az ml job cancel --name train-now"),
}


@pytest.mark.parametrize("case", list(SEED_BLOCKERS), ids=list(SEED_BLOCKERS))
def test_each_unsupported_scenario_is_blocked_with_its_check(emulator, runner, case) -> None:
    kwargs, mutate, check_id, remediation = SEED_BLOCKERS[case]
    s = samples.WorkspaceScenario(**kwargs)
    if mutate:
        mutate(s)
    load(emulator, s, "Microsoft.Databricks")
    run = runner.run("plan", inputs(s))
    finding = assert_blocked_by(run, check_id, remediation)
    if check_id == "computes-present":
        assert "ci-new (ComputeInstance)" in finding["detail"] and "cpu-cluster" in finding["detail"]
    if check_id == "tenant-mismatch":
        # a move never crosses tenants: the plan says which tenant each subscription is in; nothing was validated
        assert OTHER_TENANT in finding["detail"] and samples.TENANT in finding["detail"]
        assert run.plan["destination"]["tenantId"] == OTHER_TENANT
        assert run.plan["validation"]["status"] == "skipped"


# --- 3. their own findings; `auto` explained -------------------------------------------------------------------------


def test_missing_destination_provider_registration(emulator, runner) -> None:
    s = samples.WorkspaceScenario(dest_providers=[p for p in samples.PROVIDERS if p != "Microsoft.KeyVault"])
    load(emulator, s)
    finding = assert_blocked_by(
        runner.run("plan", inputs(s)), "provider-not-registered", "az provider register --namespace Microsoft.KeyVault"
    )
    assert f"/subscriptions/{samples.DEST_SUB}" in finding["resourceIds"]


def _reader_only(s: samples.WorkspaceScenario) -> None:
    for r in s.resources:  # the pipeline's identity is Reader, not Owner, on both subscriptions
        if "/roleAssignments/b0000000-" in r["id"]:
            props = r["body"]["properties"]
            props["roleDefinitionId"] = props["roleDefinitionId"].replace(catalog.OWNER, catalog.READER)


def test_missing_permission_with_only_reader(emulator, runner) -> None:
    s = samples.WorkspaceScenario()
    _reader_only(s)
    load(emulator, s)
    run = runner.run("plan", inputs(s))
    finding = assert_blocked_by(run, "missing-permission", "az role assignment create --assignee")
    assert "Microsoft.Resources/subscriptions/resourceGroups/moveResources/action" in finding["detail"]
    assert samples.SP["objectId"] in finding["remediation"]
    assert run.plan["validation"]["status"] == "failed"  # ARM agrees: AuthorizationFailed
    assert run.plan["validation"]["code"] == "AuthorizationFailed"


def test_read_only_lock(emulator, runner) -> None:
    s = samples.WorkspaceScenario()
    lock = s.lock(s.source_rg, "change-freeze", "ReadOnly")
    load(emulator, s)
    finding = assert_blocked_by(runner.run("plan", inputs(s)), "resource-lock", f"az lock delete --ids {lock}")
    assert "ReadOnly" in finding["detail"] and lock in finding["resourceIds"]


def test_associated_resources_elsewhere_and_shared_and_auto_explained(emulator, runner) -> None:
    s = samples.WorkspaceScenario()
    shared_rg = s.add(samples.group_id(samples.SOURCE_SUB, "rg-shared-monitoring"), {"location": s.location})
    appi = s.add(
        f"{shared_rg}/providers/Microsoft.Insights/components/appi-shared",
        {"location": s.location, "kind": "web", "properties": {"Application_Type": "web"}},
    )
    workspace_body(s)["properties"]["applicationInsights"] = appi
    sibling = copy.deepcopy(workspace_body(s))  # a second workspace in the group uses the same storage and vault
    sibling["properties"].update(friendlyName="mlw-sibling", containerRegistry=None, applicationInsights=None)
    s.add(f"{s.source_rg}/providers/{ML}/workspaces/mlw-sibling", sibling)
    load(emulator, s)
    run = runner.run("plan", inputs(s))
    assert run.code == 0, run.explain()  # warnings, not blockers: the shared and remote ones simply stay
    elsewhere, shared = run.finding("associated-resource-elsewhere"), run.finding("associated-resource-shared")
    assert elsewhere["severity"] == shared["severity"] == "warning"
    assert appi in elsewhere["resourceIds"] and "rg-shared-monitoring" in elsewhere["detail"]
    assert set(shared["resourceIds"]) == {s.associated("storage"), s.associated("keyVault")}
    assert "mlw-sibling" in shared["detail"]
    decisions = {a["id"]: a for a in run.plan["associatedResources"]}
    assert run.plan["options"]["includeAssociatedResources"] == "auto"
    assert decisions[appi]["decision"] == "stay" and "rg-shared-monitoring" in decisions[appi]["reason"]
    for kind in ("storage", "keyVault"):
        d = decisions[s.associated(kind)]
        assert d["decision"] == "stay"
        assert d["reason"] == "shared with mlw-sibling: moving it would change the ID they use"
    d = decisions[s.associated("containerRegistry")]
    assert d["decision"] == "move" and d["reason"] == "in the workspace's group and used by no other workspace"
    assert sorted(run.plan["resources"]) == sorted([s.workspace_id, s.associated("containerRegistry")])
    # plan.md explains each decision, moving or staying, under the selection mode
    moves = run.plan_md.split("### What moves", 1)[1].split("### What stays", 1)[0]
    stays = run.plan_md.split("### What stays", 1)[1].split("###", 1)[0]
    assert "include-associated-resources: auto" in moves
    assert "crchurn01" in moves and "used by no other workspace" in moves
    assert "stchurn01" in stays and "kv-mlw-churn" in stays and stays.count("shared with mlw-sibling") == 2
    assert "appi-shared" in stays and "rg-shared-monitoring" in stays


# --- 4. a hostile workspace -----------------------------------------------------------------------------------------

HOSTILE_LINES = [
    "::set-output name=status::ready",
    "::add-mask::x",
    "##vso[task.setvariable variable=status]ready",
    "##[error]x",
    "<img src=x onerror=alert(1)>",
    "</details>",
]
HOSTILE = "HOSTILE " + " ".join(HOSTILE_LINES)  # one line: for names and tag values
HOSTILE_BLOCK = "HOSTILE\n" + "\n".join(HOSTILE_LINES)  # one payload per line: each at a line start


def hostile_scenario() -> samples.WorkspaceScenario:
    s = samples.WorkspaceScenario()
    for r in s.resources:
        if r["id"].startswith(s.source_rg) and "/providers/Microsoft.Authorization/" not in r["id"]:
            r["body"].setdefault("tags", {})["owner"] = HOSTILE[:256]
    props = workspace_body(s)["properties"]
    props["description"], props["friendlyName"] = HOSTILE_BLOCK, HOSTILE
    for principal in s.principals[1:]:
        principal["displayName"] = HOSTILE
    s.datastore("hostile_ds", "AzureBlob", "None", container="c")
    s.resources[-1]["body"]["properties"]["description"] = HOSTILE_BLOCK
    s.job("train-now", "Running")  # a finding that quotes the job: its display name is hostile
    s.resources[-1]["body"]["properties"]["displayName"] = HOSTILE
    s.job("job::set-output name=status::ready", "Queued")
    s.compute("cpu-cluster")
    s.resources[-1]["body"]["properties"]["description"] = HOSTILE_BLOCK
    return s


def assert_inert_command(command: Any) -> None:
    for text in (command.data, *command.properties.values()):
        assert "HOSTILE" not in text or "::" not in text, command
        for token in ("::", "##[", "##vso[", "\n", "\r"):
            assert token not in text, (token, command)
    if command.name.lower() in ("add-mask", "task.setsecret"):  # only the secrets amlmove holds (a token here)
        assert len(command.data) >= 32 and "HOSTILE" not in command.data and command.data != "x", command


@pytest.mark.parametrize("mode", ["github", "azure-devops", "local"])
def test_hostile_workspace_injects_nothing(emulator, runner, mode) -> None:
    s = hostile_scenario()
    load(emulator, s)
    emulator.fault(
        method="POST",
        pathRegex=r"/validateMoveResources$",
        status=409,
        count=1,
        errorCode="ResourceMoveProviderValidationFailed",
        errorMessage=HOSTILE_BLOCK,
        errorDetails=[{"code": "HOSTILE::set-output name=status::ready", "target": s.workspace_id, "message": HOSTILE}],
    )
    run = runner.run("plan", inputs(s), mode=mode)
    assert run.code == 1, run.explain()
    assert run.plan["validation"]["message"] == HOSTILE_BLOCK  # ARM's words kept verbatim in the artifact
    assert {"running-jobs", "computes-present", "validation-failed"} <= run.ids("blocker")
    expected = {"status": "blocked", "blockers": str(len(run.ids("blocker"))), "plan-digest": run.plan["digest"]}
    names = {n: camel(n) if mode == "azure-devops" else n for n in PLAN_OUTPUTS}
    assert set(run.outputs) == set(names.values())
    assert {n: run.outputs[names[n]] for n in expected} == expected
    if mode == "github":  # the file holds exactly our five outputs, nothing of the payload
        assert "HOSTILE" not in run.output_file and "::" not in run.output_file and "##" not in run.output_file
    if mode == "local":  # a terminal: no runner would parse anything, and still nothing parses
        for stream in (run.stdout, run.stderr):
            assert parse_github_commands(stream) == [] and parse_vso_commands(stream) == []
    assert run.foreign_commands() == []
    for command in run.commands:
        assert_inert_command(command)
    for command in parse_vso_commands(run.stdout + run.stderr) if mode == "github" else []:
        raise AssertionError(f"an Azure DevOps command in a GitHub log: {command}")
    # the payload did reach the log and the summary (defused), so the test is not vacuous
    assert "HOSTILE" in run.stdout
    if mode != "local":
        assert "HOSTILE" in run.summary
    for summary in (run.summary, run.plan_md):
        assert "<img" not in summary
        assert summary.count("<details>") == summary.count("</details>")
        for line in summary.splitlines():
            if "HOSTILE" in line:
                assert "</details>" not in line and "<img" not in line and "::" not in line, line
    outputs_seen = set(run.outputs) | {c.properties.get("variable") for c in run.commands}
    assert outputs_seen - {None} <= {camel(n) for n in OUTPUT_NAMES} | set(OUTPUT_NAMES)


# --- bounded annotations; fail-on-blockers ----------------------------------------------------------------------------


def test_more_than_ten_blockers_give_ten_error_annotations_and_all_of_them_in_the_summary(emulator, runner) -> None:
    s = samples.WorkspaceScenario(
        dest_location="westeurope", dest_providers=[p for p in samples.PROVIDERS if p != "Microsoft.KeyVault"]
    )
    seed = (_computes, _online_endpoint, _customer_managed_key, _labeling, _databricks, _running_job, _reader_only)
    for mutate in seed:
        mutate(s)
    s.lock(s.source_rg, "change-freeze", "ReadOnly")
    load(emulator, s, "Microsoft.Databricks")
    run = runner.run("plan", inputs(s))
    assert run.code == 1, run.explain()
    blockers = run.ids("blocker")
    assert len(blockers) > 10, blockers
    errors = [c for c in run.commands if c.name == "error"]
    warnings = [c for c in run.commands if c.name == "warning"]
    assert len(errors) == 10 and len(warnings) <= 10  # GitHub shows at most 10 of each per step
    assert run.outputs["blockers"] == str(len(blockers))
    for check_id in blockers:  # the rest are in the summary
        assert f"`{check_id}`" in run.summary.split("### What moves", 1)[0]


def test_fail_on_blockers_false_writes_the_blocked_plan_and_exits_0(emulator, runner) -> None:
    s = samples.WorkspaceScenario()
    _running_job(s)
    load(emulator, s)
    run = runner.run("plan", inputs(s, **{"fail-on-blockers": "false"}))
    assert run.code == 0, run.explain()
    assert run.outputs["status"] == "blocked" and run.plan["status"] == "blocked"
    assert "running-jobs" in run.ids("blocker") and run.stderr.strip() == ""
    assert any(c.name == "error" and c.properties.get("title") == "amlmove running-jobs" for c in run.commands)


def test_both_subscriptions_in_another_tenant_is_the_sign_in_problem_not_a_tenant_mismatch(emulator, runner) -> None:
    """Signed in to the wrong tenant (tenant-id names neither subscription's): no plan can be made; exit 3 with ARM's
    words, and no tenant-mismatch guessed from the destination alone."""
    s = samples.WorkspaceScenario()
    built = s.build()
    for sub in built["subscriptions"]:
        sub["tenantId"] = OTHER_TENANT
    built["settings"] = {"retryAfterSeconds": 0.2}
    emulator.load_scenario(built)
    run = runner.run("plan", inputs(s))
    assert run.code == 3, run.explain()
    assert len(run.stderr.strip().splitlines()) == 1 and "InvalidAuthenticationTokenTenant" in run.last_line
    assert OTHER_TENANT in run.last_line and "tenant-mismatch" not in run.stdout + run.stderr
    assert not (run.out_dir / "plan.json").exists() and "status" not in run.outputs


MOVE_ACTION = "Microsoft.Resources/subscriptions/resourceGroups/moveResources/action"
SOURCE_OWNER = "b0000000-0000-4000-8000-000000000001"  # the pipeline's Owner assignment on the source subscription
NO_MOVE_ROLE = "5e1f0c3a-7b2d-4c9e-8a61-0d3f2b4c6e88"


def drop_source_owner(s: samples.WorkspaceScenario) -> None:
    s.resources[:] = [r for r in s.resources if not r["id"].endswith(f"/roleAssignments/{SOURCE_OWNER}")]


# --- missing permission from a narrow grant ---------------------------------------------------------------------------


def _reader_on_the_source_group(s: samples.WorkspaceScenario) -> None:
    drop_source_owner(s)
    s.assign(
        s.source_rg, catalog.READER, samples.SP["objectId"], "ServicePrincipal", "b1000000-0000-4000-8000-0000000000a1"
    )


def _custom_role_without_move(s: samples.WorkspaceScenario) -> None:
    drop_source_owner(s)
    s.add(
        f"/subscriptions/{samples.SOURCE_SUB}/providers/Microsoft.Authorization/roleDefinitions/{NO_MOVE_ROLE}",
        {
            "properties": {
                "roleName": "ML operator (no moves)",
                "description": "Everything but moving resources",
                "type": "CustomRole",
                "permissions": [{"actions": ["*"], "notActions": [MOVE_ACTION], "dataActions": []}],
                "assignableScopes": [f"/subscriptions/{samples.SOURCE_SUB}"],
            }
        },
    )
    s.assign(
        f"/subscriptions/{samples.SOURCE_SUB}",
        NO_MOVE_ROLE,
        samples.SP["objectId"],
        "ServicePrincipal",
        "b1000000-0000-4000-8000-0000000000a2",
    )


@pytest.mark.parametrize(
    "grant", [_reader_on_the_source_group, _custom_role_without_move], ids=["reader-on-group", "custom-role"]
)
def test_a_grant_without_move_permission_is_a_blocker(emulator, runner, grant) -> None:
    s = samples.WorkspaceScenario()
    grant(s)
    load(emulator, s)
    run = runner.run("plan", inputs(s))
    finding = assert_blocked_by(run, "missing-permission")
    assert MOVE_ACTION in finding["detail"] and s.source_rg in finding["resourceIds"]
    assert f"az role assignment create --assignee {samples.SP['objectId']}" in finding["remediation"]
    assert f"--scope {s.source_rg}" in finding["remediation"]
    if grant is _reader_on_the_source_group:  # ARM agrees, and the plan keeps its verdict verbatim
        validation = run.plan["validation"]
        assert validation["status"] == "failed" and validation["code"] == "AuthorizationFailed"
        assert (
            samples.SP["objectId"] in validation["message"] and "does not have authorization" in validation["message"]
        )
        assert "ARM validateMoveResources said" in run.summary and "AuthorizationFailed" in run.summary
    # (the custom role may validate — validateMoveResources/action is not denied — yet cannot move: only the
    # check catches that, before anyone approves a plan that would fail at apply)


def test_least_privilege_owner_of_both_groups_only_plans_ready(emulator, runner) -> None:
    """No role on either subscription: subscription-wide lists answer 403 and discovery reads the two groups
    instead (locks, workspaces, Databricks); nothing is missing for the move itself."""
    s = samples.WorkspaceScenario()
    s.resources[:] = [r for r in s.resources if "/roleAssignments/b0000000-" not in r["id"]]
    for i, group in enumerate((s.source_rg, s.dest_rg)):
        s.assign(
            group, catalog.OWNER, samples.SP["objectId"], "ServicePrincipal", f"b1000000-0000-4000-8000-0000000000b{i}"
        )
    s.lock(s.associated("keyVault"), "kv-freeze", "ReadOnly")  # still found, through the group's lock list
    load(emulator, s)
    run = runner.run("plan", inputs(s))
    assert_blocked_by(run, "resource-lock")
    assert "missing-permission" not in run.ids()
    assert len(run.plan["resources"]) == 5


# --- locks on a moved resource ----------------------------------------------------------------------------------------


def test_a_read_only_lock_on_a_moved_resource_blocks_and_can_not_delete_warns(emulator, runner) -> None:
    s = samples.WorkspaceScenario()
    read_only = s.lock(s.associated("keyVault"), "kv-freeze", "ReadOnly")
    no_delete = s.lock(s.associated("storage"), "st-keep", "CanNotDelete")
    load(emulator, s)
    run = runner.run("plan", inputs(s))
    assert_blocked_by(run, "resource-lock")
    locks = [f for f in run.plan["findings"] if f["id"] == "resource-lock"]
    by_severity = {f["severity"]: f for f in locks}
    assert by_severity["blocker"]["resourceIds"] == [read_only]
    assert "kv-freeze" in by_severity["blocker"]["detail"]
    assert f"az lock delete --ids {read_only}" in by_severity["blocker"]["remediation"]
    assert by_severity["warning"]["resourceIds"] == [no_delete]
    assert run.plan["validation"]["status"] == "failed"  # ARM refuses a locked resource too (ScopeLocked)


# --- associated resources: each mode shown and explained ------------------------------------------------------------


KINDS = ("storage", "keyVault", "containerRegistry", "applicationInsights")


@pytest.mark.parametrize(
    ("choice", "moving", "reason_moving", "reason_staying"),
    [
        ("none", (), None, "include-associated-resources is none"),
        ("all", KINDS, "include-associated-resources is all", None),
        ("list", ("storage", "keyVault"), "listed in include-associated-resources", "not listed in"),
    ],
)
def test_the_associated_selection_is_shown_and_explained(
    emulator, runner, choice, moving, reason_moving, reason_staying
) -> None:
    s = samples.WorkspaceScenario()
    load(emulator, s)
    value = "\n".join(s.associated(k) for k in moving) if choice == "list" else choice
    run = runner.run("plan", inputs(s, **{"include-associated-resources": value}))
    assert run.code == 0, run.explain()
    plan = run.plan
    assert sorted(plan["resources"]) == sorted([s.workspace_id, *(s.associated(k) for k in moving)])
    decisions = {a["id"]: a for a in plan["associatedResources"]}
    assert set(decisions) == {s.associated(k) for k in KINDS}
    moves_md = run.plan_md.split("### What moves", 1)[1].split("###", 1)[0]
    stays_md = run.plan_md.split("### What stays", 1)[1].split("###", 1)[0] if "### What stays" in run.plan_md else ""
    for kind in KINDS:
        rid, name = s.associated(kind), s.associated(kind).rsplit("/", 1)[-1]
        d = decisions[rid]
        if kind in moving:
            assert d["decision"] == "move" and reason_moving in d["reason"], d
            assert name in moves_md and name not in stays_md
        else:
            assert d["decision"] == "stay" and reason_staying in d["reason"], d
            assert name in stays_md and reason_staying in stays_md
    assert run.summary == run.plan_md


def test_a_listed_resource_outside_the_workspace_group_is_an_input_error(emulator, runner) -> None:
    s = samples.WorkspaceScenario()
    load(emulator, s)
    remote = f"{samples.group_id(samples.SOURCE_SUB, 'rg-elsewhere')}/providers/Microsoft.Storage/storageAccounts/st2"
    before = len(emulator.requests())
    run = runner.run("plan", inputs(s, **{"include-associated-resources": f"{s.associated('storage')}\n{remote}"}))
    assert run.code == 2, run.explain()
    assert len(run.stderr.strip().splitlines()) == 1 and "include-associated-resources" in run.last_line
    assert "outside the workspace's group" in run.last_line
    assert len(emulator.requests()) == before  # found before any request to Azure
    assert run.foreign_commands() == []


def test_listed_resources_move_and_a_missing_one_is_rejected_with_its_reason(emulator, runner) -> None:
    s = samples.WorkspaceScenario()
    load(emulator, s)
    logs = f"{s.source_rg}/providers/Microsoft.OperationalInsights/workspaces/log-{s.workspace}"  # not associated
    ghost = f"{s.source_rg}/providers/Microsoft.Storage/storageAccounts/stghost01"
    listed = "\n".join([s.associated("storage"), logs, ghost])
    run = runner.run("plan", inputs(s, **{"include-associated-resources": listed}))
    decisions = {a["id"]: a for a in run.plan["associatedResources"]}
    assert (
        decisions[logs]["decision"] == "move" and decisions[logs]["reason"] == "listed in include-associated-resources"
    )
    assert (
        decisions[ghost]["decision"] == "rejected"
        and "not found in the workspace's group" in decisions[ghost]["reason"]
    )
    assert logs in run.plan["resources"] and ghost not in run.plan["resources"]
    assert "stghost01" in run.summary and "not found in the workspace" in run.summary
    assert run.foreign_commands() == []
    finding = assert_blocked_by(run, "listed-resource-rejected")  # a listed ID that is not there: fix the list first
    assert ghost in finding["resourceIds"]
