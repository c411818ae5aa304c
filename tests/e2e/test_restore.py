"""Issue 12 acceptance: everything the move breaks comes back exactly as it was — never broader, never someone else's.
Plan and apply run as a CI runner runs them (tests/support/harness.py) against the emulator; the end state is read back
through /_emulator/state and the request log. The pure decisions (restore.py) are checked directly at the end.

1. a conditioned assignment on the storage account and one on a blob container come back with identical condition,
   conditionVersion and description;
2. apply killed after ARM accepted the move, re-run with a fresh output directory: every snapshot assignment restored;
3. a stranger's Pending connection stays Pending; the workspace's, storage account's and key vault's own previously
   Approved ones (left Pending or Disconnected) are Approved again, the key vault's asynchronously;
4. datastores with null subscription/group, SAS and service-principal credentials: repaired with their own credential
   kind (listSecrets, skipValidation), or listed for people with the exact command; the plan's count is apply's;
5. a deleted principal: apply exits 0 and the report lists it as skipped;
6. compute instances recreated under new names with their assigned user; one failing compute does not stop the others;
7. register-providers with an existing destination group: plan ready, apply registers then moves.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from amlmove_action import ids, restore
from amlmove_action.ids import moved_id
from amlmove_emulator import catalog, samples
from tests.support.harness import Runner, inputs, kill_once_accepted, load

CONDITION = samples.CONTAINER_CONDITION.format(container="training")
GONE = "0badc0de-0000-4000-8000-00000000dead"  # a principal deleted from the directory


def state_of(emulator: Any) -> dict[str, dict[str, Any]]:
    return {r["id"].lower(): r["body"] for r in emulator.state()["resources"]}


def assignments_at(state: dict[str, dict[str, Any]], scope: str) -> list[dict[str, Any]]:
    prefix = scope.lower() + "/providers/microsoft.authorization/roleassignments/"
    return [b["properties"] for k, b in state.items() if k.startswith(prefix) and "/" not in k[len(prefix) :]]


def exact(a: dict[str, Any]) -> tuple[Any, ...]:
    """What a restore must reproduce (the role by its GUID: the subscription part of its id changes)."""
    return (
        a["principalId"],
        a.get("principalType"),
        a["roleDefinitionId"].rsplit("/", 1)[-1],
        a.get("condition"),
        a.get("conditionVersion"),
        a.get("description"),
    )


def with_restricted_access() -> samples.WorkspaceScenario:
    """The clean scenario plus a conditioned group assignment on the storage account and one on a blob container."""
    s = samples.WorkspaceScenario()
    s.assign(
        s.associated("storage"),
        catalog.STORAGE_BLOB_DATA_READER,
        samples.ML_READERS["objectId"],
        "Group",
        "c0000000-0000-4000-8000-000000000104",
        condition=CONDITION,
        description="ml-readers read the training container only",
    )
    s.assign(
        s.container_scope("training"),
        catalog.STORAGE_BLOB_DATA_READER,
        samples.DATA_SCIENTIST["objectId"],
        "User",
        "c0000000-0000-4000-8000-000000000105",
        condition=CONDITION,
        description="Dana reads training blobs",
    )
    return s


def plan_ready(runner: Runner, s: samples.WorkspaceScenario, name: str, **more: str) -> dict[str, Any]:
    run = runner.run("plan", inputs(s, **more), name=name)
    assert run.code == 0, run.explain()
    assert run.plan["status"] == "ready", run.plan["findings"]
    return run.plan


def assert_every_assignment_restored(emulator: Any, s: samples.WorkspaceScenario, before: dict, plan: dict) -> int:
    """Every assignment that was at or below a moved resource before the move exists, identical, at the mapped scope
    now (read from the emulator, not from the plan); returns how many."""
    state = state_of(emulator)
    count = 0
    for key, body in before.items():
        if "/providers/microsoft.authorization/roleassignments/" not in key:
            continue
        scope = key.split("/providers/microsoft.authorization/roleassignments/")[0]
        root = next((r for r in plan["resources"] if ids.is_within(scope, r)), None)
        if root is None:
            continue
        new_scope = moved_id(root, s.dest_rg) + scope[len(root) :]
        assert exact(body["properties"]) in {exact(a) for a in assignments_at(state, new_scope)}, scope
        count += 1
    return count


# --- 1. conditions and child scopes come back exactly ----------------------------------------------------------------


def test_conditioned_and_container_scope_assignments_come_back_identical(emulator, runner) -> None:
    s = with_restricted_access()
    load(emulator, s)
    before = state_of(emulator)
    plan = plan_ready(runner, s, "job")
    run = runner.run("apply", inputs(s), name="job")
    assert run.code == 0, run.explain()
    state = state_of(emulator)
    new_storage = moved_id(s.associated("storage"), s.dest_rg)
    new_container = new_storage + "/blobServices/default/containers/training"
    on_storage = {exact(a) for a in assignments_at(state, new_storage)}
    assert (
        samples.ML_READERS["objectId"],
        "Group",
        catalog.STORAGE_BLOB_DATA_READER,
        CONDITION,
        "2.0",
        "ml-readers read the training container only",
    ) in on_storage
    assert {exact(a) for a in assignments_at(state, new_container)} == {
        (
            samples.DATA_SCIENTIST["objectId"],
            "User",
            catalog.STORAGE_BLOB_DATA_READER,
            CONDITION,
            "2.0",
            "Dana reads training blobs",
        )
    }
    assert assert_every_assignment_restored(emulator, s, before, plan) == 5

    # the plan carried them (covered by its digest), and its count is what apply restored
    container = s.container_scope("training")
    snap = {(a["scope"].lower(), a["principalId"]): a for a in plan["roleAssignmentSnapshot"]}
    assert (container.lower(), samples.DATA_SCIENTIST["objectId"]) in snap, "the container scope is in the plan"
    assert snap[(s.associated("storage").lower(), samples.ML_READERS["objectId"])]["condition"] == CONDITION
    restored = [f for f in run.report["followUps"] if f["kind"] == "role-assignment" and f["status"] == "done"]
    assert len(restored) == plan["postMove"]["restore"]["roleAssignments"] == len(plan["roleAssignmentSnapshot"])


# --- 2. a fresh runner restores the whole snapshot -------------------------------------------------------------------


def test_apply_killed_after_the_move_was_accepted_then_a_fresh_runner_restores_every_scope(emulator, runner) -> None:
    s = with_restricted_access()
    load(emulator, s)
    before = state_of(emulator)
    plan = plan_ready(runner, s, "plan-job")
    emulator.shape_lro(durationSeconds=3)
    kill_once_accepted(
        runner,
        inputs(s, **{"plan-file": str(runner.tmp / "plan-job" / "workspace" / "amlmove-output" / "plan.json")}),
        "dies",
    )

    fresh = runner.run(  # another runner: a fresh output directory, only the approved plan artifact
        "apply",
        inputs(s, **{"plan-file": str(runner.tmp / "plan-job" / "workspace" / "amlmove-output" / "plan.json")}),
        name="fresh",
    )
    assert fresh.code == 0, fresh.explain()
    assert not (fresh.out_dir / "state.json").exists() or json.loads((fresh.out_dir / "state.json").read_text())
    assert assert_every_assignment_restored(emulator, s, before, plan) == 5
    assert len([o for o in emulator.state()["operations"] if o["kind"] == "move"]) == 1


# --- 3. private endpoints: only what was Approved before ------------------------------------------------------------


def test_only_previously_approved_connections_are_approved_again(emulator, runner) -> None:
    s = samples.WorkspaceScenario()
    stranger = samples.group_id(samples.STRANGER_SUB, "rg-elsewhere")
    own_ws = s.private_endpoint("pe-own-ws")
    own_st = s.private_endpoint("pe-own-st", target="storage")
    own_kv = s.private_endpoint("pe-own-kv", target="keyVault")
    theirs_ws = s.private_endpoint("pe-theirs-ws", status="Pending", endpoint_group=stranger)
    theirs_st = s.private_endpoint("pe-theirs-st", target="storage", status="Pending", endpoint_group=stranger)
    load(emulator, s)
    plan = plan_ready(runner, s, "job", **{"approve-private-endpoints": "true"})
    run = runner.run("apply", inputs(s, **{"approve-private-endpoints": "true"}), name="job")
    assert run.code == 0, run.explain()
    state = state_of(emulator)

    def status(conn: str) -> tuple[str, str]:
        parent = conn.split("/privateEndpointConnections/")[0]
        body = state[(moved_id(parent, s.dest_rg) + conn[len(parent) :]).lower()]["properties"]
        return body["privateLinkServiceConnectionState"]["status"], body.get("provisioningState", "Succeeded")

    assert status(own_ws) == ("Approved", "Succeeded")
    assert status(own_st) == ("Approved", "Succeeded")
    assert status(own_kv) == ("Approved", "Succeeded"), "the key vault's approval is asynchronous: waited for"
    assert status(theirs_ws)[0] == "Pending", "a stranger's Pending connection is never approved"
    assert status(theirs_st)[0] == "Pending"
    log = emulator.requests()
    assert [r for r in log if "/asyncoperations/" in r["path"]], "apply polled the key vault's operation"
    approvals = [r for r in log if r["method"] == "PUT" and "/privateendpointconnections/" in r["path"].lower()]
    assert len(approvals) == 3 and not [r for r in approvals if "theirs" in r["path"]]
    pe = {f["target"]: f for f in run.report["followUps"] if f["kind"] == "private-endpoint"}
    assert {t.split(" on ")[0] for t, f in pe.items() if f["status"] == "done"} == {
        "pe-own-ws.conn-0001",
        "pe-own-st.conn-0001",
        "pe-own-kv.conn-0001",
    }
    theirs = [f for t, f in pe.items() if t.startswith("pe-theirs")]
    assert len(theirs) == 2 and all(f["status"] == "skipped" for f in theirs)
    assert all("before the move Pending, now Pending" in f["detail"] for f in theirs)
    assert plan["postMove"]["restore"]["privateEndpointConnectionsToApprove"] == 3
    assert plan["postMove"]["restore"]["privateEndpointConnectionsLeftAsTheyAre"] == 2
    assert (
        "before the move Approved, now Disconnected" in pe[f"pe-own-st.conn-0001 on {own_st.split('/')[8]}"]["detail"]
    )


# --- 4. datastores ---------------------------------------------------------------------------------------------------


def test_datastores_are_repaired_with_their_own_credential_or_listed_for_people(emulator, runner) -> None:
    s = samples.WorkspaceScenario()
    s.datastore("sas-store", "AzureBlob", "Sas", container="shared")
    s.datastore("sp-store", "AzureBlob", "ServicePrincipal", container="curated")
    s.datastore("sp-locked", "AzureBlob", "ServicePrincipal", container="locked")
    load(emulator, s)
    before = state_of(emulator)
    for name in ("sas-store", "sp-store", "workspacefilestore", "training-data"):
        props = before[f"{s.workspace_id}/datastores/{name}".lower()]["properties"]
        assert props["subscriptionId"] is None and props["resourceGroup"] is None, "as real Azure ML records them"
    plan = plan_ready(runner, s, "job")
    emulator.fault(
        method="POST", pathRegex="/datastores/sp-locked/listSecrets$", status=403, errorCode="AuthorizationFailed"
    )
    run = runner.run("apply", inputs(s), name="job")
    assert run.code == 0, run.explain()

    state = state_of(emulator)
    new_ws = moved_id(s.workspace_id, s.dest_rg)
    for name, kind in (("sas-store", "Sas"), ("sp-store", "ServicePrincipal"), ("workspacefilestore", "AccountKey")):
        props = state[f"{new_ws}/datastores/{name}".lower()]["properties"]
        assert (props["subscriptionId"], props["resourceGroup"]) == (samples.DEST_SUB, s.dest_group), name
        assert props["credentials"]["credentialsType"] == kind, name
    assert state[f"{new_ws}/datastores/sp-store".lower()]["properties"]["credentials"]["clientId"] == (
        "5b1f0e2a-7c3d-4e8f-9a1b-2c3d4e5f6a7b"
    )
    locked = state[f"{new_ws}/datastores/sp-locked".lower()]["properties"]
    assert locked["subscriptionId"] is None, "not written without its secret"

    log = emulator.requests()
    puts = [r for r in log if r["method"] == "PUT" and "/datastores/" in r["path"]]
    assert puts and all(r["query"].get("skipValidation") == "true" for r in puts)
    listed = {r["path"].rsplit("/", 2)[-2] for r in log if r["path"].endswith("/listSecrets")}
    assert {"sas-store", "sp-store", "workspacefilestore", "workspaceblobstore", "sp-locked"} <= listed
    assert not [r for r in log if r["path"].lower().endswith("/listkeys")], "never the account key in its place"

    repair = {d["name"]: d["repair"] for d in plan["postMove"]["datastores"]}
    assert repair == {
        "workspaceblobstore": "recreate-with-secret",
        "workspacefilestore": "recreate-with-secret",
        "training-data": "update-in-place",
        "sas-store": "recreate-with-secret",
        "sp-store": "recreate-with-secret",
        "sp-locked": "recreate-with-secret",
    }
    ds = {f["target"]: f for f in run.report["followUps"] if f["kind"] == "datastore"}
    assert ds["sas-store"]["status"] == "done" and "own Sas credential" in ds["sas-store"]["detail"]
    assert ds["sp-locked"]["status"] == "manual"
    assert "credentials.client_secret=" in ds["sp-locked"]["command"]
    assert "--name sp-locked" in ds["sp-locked"]["command"] and s.dest_group in ds["sp-locked"]["command"]
    assert set(ds) == set(repair), "every datastore repaired or listed for people: none skipped"
    done = sum(f["status"] == "done" for f in ds.values())
    assert done == plan["postMove"]["restore"]["datastoresRepaired"] - 1  # the one whose listSecrets was refused


# --- 5. a deleted principal ------------------------------------------------------------------------------------------


def test_a_deleted_principal_is_reported_as_skipped_and_apply_exits_0(emulator, runner) -> None:
    s = samples.WorkspaceScenario()
    s.assign(s.workspace_id, catalog.READER, GONE, "User", "c0000000-0000-4000-8000-0000000000ff")
    load(emulator, s)
    plan_ready(runner, s, "job")
    run = runner.run("apply", inputs(s), name="job")
    assert run.code == 0, run.explain()
    skipped = [f for f in run.report["followUps"] if f["status"] == "skipped" and f["kind"] == "role-assignment"]
    assert len(skipped) == 1
    assert GONE in skipped[0]["target"] and catalog.READER in skipped[0]["target"]
    assert "PrincipalNotFound" in skipped[0]["detail"] and moved_id(s.workspace_id, s.dest_rg) in skipped[0]["detail"]
    assert "c0000000-0000-4000-8000-0000000000ff" in skipped[0]["detail"]
    assert "Skipped" in (run.out_dir / "report.md").read_text(encoding="utf-8")


# --- 6. recreate-computes --------------------------------------------------------------------------------------------


def test_instances_get_new_names_and_their_user_and_one_failure_stops_nothing(emulator, runner) -> None:
    s = samples.WorkspaceScenario()
    s.compute("cpu-cluster")
    s.compute("ci-dana", "ComputeInstance", assigned_to=samples.DATA_SCIENTIST["objectId"])
    s.compute("gpu-cluster")
    load(emulator, s)
    plan_ready(runner, s, "job", **{"remove-computes": "true", "recreate-computes": "true"})
    new_ws = moved_id(s.workspace_id, s.dest_rg)
    emulator.fault(method="PUT", pathRegex="/computes/cpu-cluster$", status=400, errorCode="QuotaExceeded")
    run = runner.run("apply", inputs(s, **{"remove-computes": "true", "recreate-computes": "true"}), name="job")
    assert run.code == 3, run.explain()  # the move succeeded; one follow-up failed
    assert run.report["status"] == "moved"
    state = state_of(emulator)
    renamed = restore.new_instance_name("ci-dana")
    assert f"{new_ws}/computes/ci-dana".lower() not in state, "an instance never reuses its name (Etag conflict)"
    instance = state[f"{new_ws}/computes/{renamed}".lower()]["properties"]
    assert instance["computeType"] == "ComputeInstance"
    user = instance["properties"]["personalComputeInstanceSettings"]["assignedUser"]
    assert user["objectId"] == samples.DATA_SCIENTIST["objectId"]
    assert f"{new_ws}/computes/gpu-cluster".lower() in state, "attempted after the failing one"
    computes = {f["target"]: f for f in run.report["followUps"] if f["kind"] == "compute"}
    assert computes["cpu-cluster"]["status"] == "failed"
    assert computes["cpu-cluster"]["command"].startswith("az ml compute create --file exports/compute-cpu-cluster.yml")
    assert computes["gpu-cluster"]["status"] == "done" and computes["ci-dana"]["status"] == "done"
    assert renamed in computes["ci-dana"]["detail"]


# --- 7. register-providers with an existing destination group -------------------------------------------------------


def test_register_providers_unblocks_the_plan_and_apply_registers_then_moves(emulator, runner) -> None:
    missing = ("Microsoft.Insights", "Microsoft.Notebooks")
    s = samples.WorkspaceScenario(dest_providers=[p for p in samples.PROVIDERS if p not in missing])
    load(emulator, s)
    blocked = runner.run("plan", inputs(s), name="without")
    assert blocked.plan["status"] == "blocked"
    assert {"provider-not-registered", "validation-failed"} <= blocked.ids("blocker")
    assert blocked.plan["validation"]["code"] == "MissingRegistrationsForTypes"

    plan = plan_ready(runner, s, "job", **{"register-providers": "true"})
    assert {"provider-not-registered", "validation-failed"} <= {
        f["id"] for f in plan["findings"] if f["severity"] == "warning"
    }
    mark = len(emulator.requests())
    run = runner.run("apply", inputs(s, **{"register-providers": "true"}), name="job")
    assert run.code == 0, run.explain()
    log = emulator.requests()[mark:]
    registered = [i for i, r in enumerate(log) if r["method"] == "POST" and r["path"].endswith("/register")]
    moves = [i for i, r in enumerate(log) if r["method"] == "POST" and r["path"].lower().endswith("/moveresources")]
    assert {log[i]["path"].split("/")[-2] for i in registered} == set(missing)
    assert moves and max(registered) < moves[0], "registered before the move (and before its validation)"
    assert run.report["status"] == "moved"


# --- the pure decisions ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("before", "now", "approve"),
    [
        ("Approved", "Pending", True),
        ("Approved", "Disconnected", True),
        ("Approved", "Approved", False),
        ("Pending", "Pending", False),
        (None, "Pending", False),
        ("Rejected", "Disconnected", False),
    ],
)
def test_only_a_previously_approved_connection_is_approved(before, now, approve) -> None:
    assert restore.approve_again(before, now) is approve


@pytest.mark.parametrize("name", ["ci-dana", "a", "9lives", "x" * 24, "my_instance.01", "ci--"])
def test_new_instance_names_follow_azure_mls_rule(name) -> None:
    new = restore.new_instance_name(name)
    assert restore.NAME_RULE.fullmatch(new), new
    assert new != name and new == restore.new_instance_name(name)


def test_the_datastore_put_sends_no_read_only_field_and_its_own_secret() -> None:
    dest = ids.ResourceId.parse(samples.group_id(samples.DEST_SUB, "rg-new"))
    props = {
        "datastoreType": "AzureBlob",
        "isDefault": True,
        "provisioningState": "Succeeded",
        "subscriptionId": None,
        "resourceGroup": None,
        "credentials": {"credentialsType": "Sas"},
    }
    body = restore.datastore_put_body(props, {"secretsType": "Sas", "sasToken": "sv=1"}, dest)["properties"]
    assert "isDefault" not in body and "provisioningState" not in body
    assert body["credentials"] == {"credentialsType": "Sas", "secrets": {"secretsType": "Sas", "sasToken": "sv=1"}}
    assert (body["subscriptionId"], body["resourceGroup"]) == (samples.DEST_SUB, "rg-new")
    assert restore.repair_kind("Sas", may_list_secrets=False) == "manual"
    assert restore.repair_kind("None", may_list_secrets=False) == "update-in-place"


def test_the_restore_body_keeps_condition_description_and_type() -> None:
    entry = {
        "roleDefinitionId": f"/subscriptions/{samples.SOURCE_SUB}/providers/Microsoft.Authorization/roleDefinitions/"
        + catalog.READER,
        "principalId": samples.ML_READERS["objectId"],
        "principalType": "Group",
        "condition": CONDITION,
        "conditionVersion": "2.0",
        "description": "kept",
        "delegatedManagedIdentityResourceId": None,
    }
    props = restore.restore_body(entry, samples.DEST_SUB, {})["properties"]
    assert props == {
        "roleDefinitionId": f"/subscriptions/{samples.DEST_SUB}/providers/Microsoft.Authorization/roleDefinitions/"
        + catalog.READER,
        "principalId": samples.ML_READERS["objectId"],
        "principalType": "Group",
        "condition": CONDITION,
        "conditionVersion": "2.0",
        "description": "kept",
    }
