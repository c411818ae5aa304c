"""After the move: verify the workspace at its new id, and repair what Azure leaves broken — role assignments that
stayed at the old scopes, datastores that still name the old subscription and group, private endpoint connections
left Pending, computes deleted before the move. Every step is idempotent, so apply can be re-run to finish them, and
a failing follow-up never undoes the move: it is reported, with the exact manual step."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from . import ids
from .api_versions import ML_API, PE_API
from .azure import Clients, arm_error
from .azure_errors import sdk_error
from .ids import moved_id

if TYPE_CHECKING:
    from .applyrun import ApplyRun
    from .plan import Plan
    from .report import Report

APPROVAL_POLL_SECONDS = 1  # when the provider sends no Retry-After
MAX_WORKERS = 16  # concurrent follow-up writes (ARM's write limits are per identity and far higher; 429s back off)

T = TypeVar("T")
R = TypeVar("R")


def in_parallel(function: Callable[[T], R], items: Iterable[T]) -> list[R]:
    """`function` over `items` on a bounded pool, results in the items' order (the report lists them so)."""
    items = list(items)
    if len(items) <= 1:
        return [function(item) for item in items]
    with ThreadPoolExecutor(max_workers=min(MAX_WORKERS, len(items)), thread_name_prefix="amlmove-followup") as pool:
        return list(pool.map(function, items))


class FollowUpStatus(StrEnum):
    """How one follow-up ended (report.json's followUps[].status)."""

    DONE = "done"
    ALREADY_DONE = "already-done"
    FAILED = "failed"
    MANUAL = "manual"  # left for people: report.md gives the command
    SKIPPED = "skipped"


@dataclass
class FollowUp:
    kind: str  # verify | role-assignment | datastore | private-endpoint | compute
    target: str
    status: FollowUpStatus
    detail: str
    command: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "target": self.target,
            "status": self.status,
            "detail": self.detail,
            "command": self.command,
        }


@dataclass
class PostMove:
    clients: Clients
    source_workspace_id: str
    destination_group_id: str
    moved: list[tuple[str, str]]  # (old id, new id) of every moved top-level resource
    mask: Callable[[str], None]
    results: list[FollowUp] = field(default_factory=list)
    # Read once per run and shared by the steps (verify and the repairs need the same datastore list; every
    # datastore on one account needs the same key).
    _datastores: list[dict[str, Any]] | None = field(default=None, init=False, repr=False)

    @property
    def new_workspace_id(self) -> str:
        return moved_id(self.source_workspace_id, self.destination_group_id)

    @property
    def dest_sub(self) -> str:
        return ids.ResourceId.parse(self.destination_group_id).subscription_id

    def _request(self, method: str, path: str, api: str, body: Any = None, query: str = "") -> Any:
        from azure.core.rest import HttpRequest

        url = f"{self.clients.cloud.arm_endpoint}{path}?api-version={api}{query}"
        return self.clients.arm().send_request(HttpRequest(method, url, json=body))

    # ---- verify -------------------------------------------------------------------------------------------------
    def verify(self, expected_datastores: int) -> bool:
        ws = self.clients.get_json(self.new_workspace_id, ML_API)
        if ws is None:
            self.results.append(
                FollowUp("verify", self.new_workspace_id, FollowUpStatus.FAILED, "the workspace is not at its new id")
            )
            return False
        state = (ws.get("properties") or {}).get("provisioningState")
        count = len(self.datastores())
        ok = state == "Succeeded" and count >= expected_datastores
        self.results.append(
            FollowUp(
                "verify",
                self.new_workspace_id,
                FollowUpStatus.DONE if ok else FollowUpStatus.FAILED,
                f"provisioningState {state}; {count} datastore(s) present (expected {expected_datastores})",
            )
        )
        return ok

    def datastores(self) -> list[dict[str, Any]]:
        """The moved workspace's datastores (listed once per run)."""
        if self._datastores is None:
            self._datastores = list(self.clients.list_json(f"{self.new_workspace_id}/datastores", ML_API))
        return self._datastores

    # ---- role assignments ---------------------------------------------------------------------------------------
    def restore_role_assignments(self, snapshot: list[dict[str, Any]]) -> None:
        """Recreate every assignment of the plan's snapshot (child scopes included) at its mapped scope, exactly:
        same principal, type, role, condition, conditionVersion, description. Each moved resource's new id is listed
        first without a filter (at, above and below it: a re-run finds its own earlier work and writes nothing);
        the missing ones are created concurrently. RoleAssignmentExists is done; a principal that no longer exists
        (PrincipalNotFound) is reported as skipped."""
        from azure.core.exceptions import HttpResponseError, ResourceExistsError

        from .ids import mapped_scope, role_guid
        from .restore import assignment_key, restore_body

        renames = {ids.normalise_id(old).lower(): new for old, new in self.moved}
        client = self.clients.authorization(self.dest_sub)

        def granted_within(root: str) -> dict[str, set[tuple[str, str, str]]]:
            """scope (lower case) → grants made there, for every scope at or below `root`; empty when they cannot be
            listed (each PUT then decides)."""
            out: dict[str, set[tuple[str, str, str]]] = {}
            try:
                for x in client.role_assignments.list_for_scope(root):
                    if x.scope and ids.is_within(x.scope, root):
                        key = assignment_key(str(x.principal_id), str(x.role_definition_id), x.condition)
                        out.setdefault(ids.normalise_id(x.scope).lower(), set()).add(key)
            except HttpResponseError:
                pass
            return out

        mapped = [(a, mapped_scope(a["scope"], renames)) for a in snapshot]
        wanted = [(a, new_scope) for a, new_scope in mapped if new_scope is not None]
        present: dict[str, set[tuple[str, str, str]]] = {}
        for found in in_parallel(granted_within, list(dict.fromkeys(renames.values()))):
            for scope, keys in found.items():
                present.setdefault(scope, set()).update(keys)

        def restore(item: tuple[dict[str, Any], str]) -> FollowUp:
            a, new_scope = item
            guid = role_guid(a["roleDefinitionId"])
            key = assignment_key(a["principalId"], a["roleDefinitionId"], a.get("condition"))
            name = str(uuid.uuid5(uuid.NAMESPACE_URL, f"{new_scope.lower()}|{'|'.join(key)}"))
            body = restore_body(a, self.dest_sub, renames)
            kind = a.get("principalType") or "User"
            role_name = f"{a['roleName']} ({guid})" if a.get("roleName") else guid
            target = f"{kind} {a['principalId']} as {role_name} at {new_scope}" + (
                " (with its condition)" if key[2] else ""
            )
            command = (
                f"az role assignment create --assignee-object-id {a['principalId']} --assignee-principal-type "
                f"{kind} --role {guid} --scope {new_scope}"
                + (
                    f" --condition {_quoted(a['condition'])} --condition-version {a.get('conditionVersion') or '2.0'}"
                    if key[2]
                    else ""
                )
                + (f" --description {_quoted(a['description'])}" if a.get("description") else "")
            )
            if key in present.get(ids.normalise_id(new_scope).lower(), set()):
                return FollowUp("role-assignment", target, FollowUpStatus.ALREADY_DONE, "already present")
            try:
                status = client.role_assignments.create(
                    new_scope, name, body, cls=lambda response, _model, _headers: response.http_response.status_code
                )
            except ResourceExistsError:
                return FollowUp(
                    "role-assignment", target, FollowUpStatus.ALREADY_DONE, "RoleAssignmentExists: already present"
                )
            except HttpResponseError as exc:
                said = sdk_error(exc)
                code = said.code or str(said.status)
                if code == "PrincipalNotFound":
                    return FollowUp(
                        "role-assignment",
                        target,
                        FollowUpStatus.SKIPPED,
                        f"the principal no longer exists in the directory (PrincipalNotFound): role {guid} at "
                        f"{new_scope} not restored (assignment {a.get('id') or 'unknown'})",
                    )
                return FollowUp(
                    "role-assignment", target, FollowUpStatus.FAILED, f"{code}: {said.arm_message}", command
                )
            if status == 201:
                return FollowUp("role-assignment", target, FollowUpStatus.DONE, "recreated at the new scope")
            # 200: this very assignment was there already (an earlier run made it)
            return FollowUp("role-assignment", target, FollowUpStatus.ALREADY_DONE, "already present")

        self.results += in_parallel(restore, wanted)

    # ---- datastores ---------------------------------------------------------------------------------------------
    def repair_datastores(self) -> None:
        """Every datastore on a moved storage account that does not name its new subscription and group (stale, or
        null: see restore.py) is re-registered with its own credential, read back with listSecrets (same kind: key,
        SAS, service principal, certificate), or listed for people with the exact command; none is skipped."""
        from .restore import needs_repair

        dest = ids.ResourceId.parse(self.destination_group_id)
        moved_accounts = [
            ids.ResourceId.parse(new).name
            for old, new in self.moved
            if ids.ResourceId.parse(old).type.lower() == "microsoft.storage/storageaccounts"
        ]
        stale = []
        for ds in self.datastores():
            props = ds.get("properties") or {}
            account = props.get("accountName")
            if not account or account.lower() not in {a.lower() for a in moved_accounts}:
                continue
            if needs_repair(props.get("subscriptionId"), props.get("resourceGroup"), account, moved_accounts, dest):
                stale.append(ds)
            else:
                self.results.append(
                    FollowUp(
                        "datastore",
                        ds["name"],
                        FollowUpStatus.ALREADY_DONE,
                        "already names the new subscription and group",
                    )
                )
        self.results += in_parallel(lambda ds: self._repair_datastore(ds, dest), stale)

    def _repair_datastore(self, ds: dict[str, Any], dest: ids.ResourceId) -> FollowUp:
        from .restore import SECRET_FIELDS, datastore_command, datastore_put_body

        props = dict(ds.get("properties") or {})
        name = ds["name"]
        kind = _credentials_kind(ds)
        was = f"{props.get('subscriptionId') or 'null'}/{props.get('resourceGroup') or 'null'}"
        manual = datastore_command(name, kind, ids.ResourceId.parse(self.new_workspace_id).name, dest)
        secrets = None
        if kind != "None":
            if kind not in SECRET_FIELDS:
                return FollowUp(
                    "datastore",
                    name,
                    FollowUpStatus.MANUAL,
                    f"{kind} credentials: re-register the datastore by hand",
                    manual,
                )
            response = self._request("POST", f"{self.new_workspace_id}/datastores/{name}/listSecrets", ML_API)
            if response.status_code != 200:
                return FollowUp(
                    "datastore",
                    name,
                    FollowUpStatus.MANUAL,
                    f"its {kind} secret could not be read back (listSecrets answered {response.status_code}): "
                    "re-enter it",
                    manual,
                )
            secrets = response.json() or {}
            for value in secrets.values():
                if isinstance(value, str) and value and value != secrets.get("secretsType"):
                    self.mask(value)
            if secrets.get("secretsType") != kind or not secrets.get(SECRET_FIELDS[kind][0]):
                return FollowUp(
                    "datastore",
                    name,
                    FollowUpStatus.MANUAL,
                    f"listSecrets returned no {kind} secret: re-enter it",
                    manual,
                )
        body = datastore_put_body(props, secrets, dest)
        response = self._request(
            "PUT", f"{self.new_workspace_id}/datastores/{name}", ML_API, body, query="&skipValidation=true"
        )
        if response.status_code in (200, 201):
            how = (
                "identity-based: updated in place"
                if kind == "None"
                else f"re-registered with its own {kind} credential (listSecrets)"
            )
            return FollowUp("datastore", name, FollowUpStatus.DONE, f"{how}; subscription/group were {was}")
        return FollowUp("datastore", name, FollowUpStatus.FAILED, str(arm_error("PUT datastore", response)), manual)

    # ---- private endpoints --------------------------------------------------------------------------------------
    def private_endpoints(self, approve: bool, planned: list[dict[str, Any]]) -> None:
        """For the moved workspace and every moved storage account, key vault and registry: approve again exactly
        the connections that were Approved before the move (the plan's snapshot, matched by private endpoint id),
        whatever the move left them in (Pending, Disconnected); never one that was not Approved before. Each
        connection's before/after state is reported; an asynchronous approval is waited for."""
        from .restore import approve_again

        before = {(str(c.get("privateEndpointId") or c["name"]).lower()): c.get("statusNow") for c in planned}
        owners = list(dict.fromkeys([self.new_workspace_id, *(c["newResourceId"] for c in planned)]))
        for owner in owners:
            api = PE_API.get(ids.ResourceId.parse(owner).type.lower(), ML_API)
            for conn in self.clients.list_json(f"{owner}/privateEndpointConnections", api):
                props = conn.get("properties") or {}
                endpoint = ((props.get("privateEndpoint") or {}).get("id") or conn["name"]).lower()
                now = (props.get("privateLinkServiceConnectionState") or {}).get("status") or "Unknown"
                was = before.get(endpoint)
                target = f"{conn['name']} on {ids.ResourceId.parse(owner).name}"
                states = f"before the move {was or 'not there'}, now {now}"
                if not approve_again(was, now):
                    status = (
                        FollowUpStatus.ALREADY_DONE if (was or "").lower() == "approved" else FollowUpStatus.SKIPPED
                    )
                    why = (
                        ""
                        if status == FollowUpStatus.ALREADY_DONE
                        else ": not approved (it was not Approved before the move)"
                    )
                    self.results.append(FollowUp("private-endpoint", target, status, states + why))
                    continue
                command = (
                    f"az network private-endpoint-connection approve --id {conn['id']} "
                    "--description 'Approved after workspace move'"
                )
                if not approve:
                    self.results.append(
                        FollowUp(
                            "private-endpoint", target, FollowUpStatus.MANUAL, f"{states}: approve it again", command
                        )
                    )
                    continue
                self.results.append(self._approve(conn, api, states, target, command))

    def _approve(self, conn: dict[str, Any], api: str, states: str, target: str, command: str) -> FollowUp:
        """PUT the connection (the whole object, as the Azure CLI does) with status Approved and wait until the
        provider says so (key vault answers 200 + Azure-AsyncOperation with provisioningState Updating)."""
        from azure.core.exceptions import HttpResponseError
        from azure.core.polling import LROPoller
        from azure.core.rest import HttpRequest
        from azure.mgmt.core.polling.arm_polling import ARMPolling

        body = {k: v for k, v in conn.items() if k in ("properties",)}
        props = dict(body.get("properties") or {})
        props.pop("provisioningState", None)
        props["privateLinkServiceConnectionState"] = {
            **(props.get("privateLinkServiceConnectionState") or {}),
            "status": "Approved",
            "description": "Approved by amlmove after the workspace move",
        }
        body["properties"] = props
        client = self.clients.arm()
        url = f"{self.clients.cloud.arm_endpoint}{conn['id']}?api-version={api}"
        try:
            initial = client._pipeline.run(HttpRequest("PUT", url, json=body))  # as the generated clients do
            if initial.http_response.status_code not in (200, 201, 202):
                return FollowUp(
                    "private-endpoint",
                    target,
                    FollowUpStatus.FAILED,
                    str(arm_error("approve private endpoint", initial.http_response)),
                    command,
                )
            poller = LROPoller(client, initial, lambda r: r.http_response.json(), ARMPolling(APPROVAL_POLL_SECONDS))
            final = poller.result() or {}
        except HttpResponseError as exc:
            return FollowUp(
                "private-endpoint", target, FollowUpStatus.FAILED, f"{exc.status_code}: {exc.message}"[:400], command
            )
        after = ((final.get("properties") or {}).get("privateLinkServiceConnectionState") or {}).get("status")
        if after != "Approved":
            return FollowUp(
                "private-endpoint", target, FollowUpStatus.FAILED, f"{states}; after approval {after}", command
            )
        return FollowUp("private-endpoint", target, FollowUpStatus.DONE, f"{states}; approved again")


def _quoted(text: str) -> str:
    import shlex

    return shlex.quote(text)


def _credentials_kind(ds: dict[str, Any]) -> str:
    creds = (ds.get("properties") or {}).get("credentials") or {"credentialsType": "None"}
    return str(creds.get("credentialsType", "None"))


def follow_ups(run: ApplyRun) -> None:
    """Every follow-up of the approved plan, after the move: independent lanes side by side, then the computes; the
    results and the checklist for people go into the report."""
    from .errors import one_line

    settings, approved, report = run.settings, run.approved, run.report

    def post_move() -> PostMove:
        return PostMove(
            run.clients,
            approved.source.workspace_id,
            approved.destination.resource_group_id,
            report.moved,
            run.platform.mask,
        )

    def step(pm: PostMove, kind: str, target: str, call: Any) -> None:
        """Run one follow-up; if it breaks (Azure still failing after the retries, an unreadable snapshot) record
        it as failed and go on: a follow-up never undoes the move, never hides the others, and a re-run retries."""
        try:
            call()
        except Exception as exc:  # noqa: BLE001 - reported in report.json and in the exit line
            pm.results.append(
                FollowUp(kind, target, FollowUpStatus.FAILED, one_line(f"{type(exc).__name__}: {exc}")[:400])
            )

    def restore(pm: PostMove) -> None:
        # Always the approved plan's snapshot (every scope, child scopes included): a fresh runner restores it all.
        pm.restore_role_assignments(list(approved.role_assignment_snapshot))

    # Independent follow-ups run side by side, each lane on its own PostMove; verify and the datastore repair share
    # one (and its datastore list). The report lists them in this order whatever finishes first.
    def datastores_lane() -> list[FollowUp]:
        pm = post_move()
        expected = approved.inventory.get("datastores") or 0
        step(pm, "verify", pm.new_workspace_id, lambda: pm.verify(expected_datastores=expected))
        if settings.repair_datastores:
            step(pm, "datastore", "datastores of the moved workspace", pm.repair_datastores)
        return pm.results

    def roles_lane() -> list[FollowUp]:
        pm = post_move()
        if settings.restore_role_assignments:
            step(pm, "role-assignment", "role assignments at the moved scopes", lambda: restore(pm))
        return pm.results

    def endpoints_lane() -> list[FollowUp]:
        pm = post_move()
        step(
            pm,
            "private-endpoint",
            "private endpoint connections of the moved workspace",
            lambda: pm.private_endpoints(
                settings.approve_private_endpoints, approved.post_move["privateEndpointConnections"]
            ),
        )
        return pm.results

    order = ("verify", "role-assignment", "datastore", "private-endpoint")
    done = [r for lane in in_parallel(lambda call: call(), [datastores_lane, roles_lane, endpoints_lane]) for r in lane]
    pm = post_move()
    pm.results = sorted(done, key=lambda r: order.index(r.kind) if r.kind in order else len(order))
    if approved.options.recreate_computes and approved.exports:
        pm.results += _recreate_computes(run, pm.new_workspace_id)
    if approved.options.recreate_endpoints and approved.exports:  # after the computes batch deployments run on
        pm.results += _recreate_endpoints(run, pm.new_workspace_id)
    report.follow_ups = [r.to_json() for r in pm.results]
    _scan_references(run)
    report.checklist = _checklist(approved, report)


def _scan_references(run: ApplyRun) -> None:
    """What in the checked-out repository still points at the old workspace (scan-path), for report.md's "Left for
    people": amlmove's own output and the plan artifact (they name the old workspace) are left out."""
    from .referencescan import Target, own_output, scan_for_move

    approved, report = run.approved, run.report
    target = Target.for_move(approved.source.workspace_id, approved.destination.resource_group_id, report.moved)
    result = scan_for_move(run.scan, target, own_output(run.settings.output_dir, run.settings.plan_file))
    if result is None:
        return
    report.reference_scan = result
    run.platform.info(
        f"{len(result.references)} line(s) in {result.root} still point at the old workspace ({result.files_scanned} "
        f"file(s) searched{'; stopped at the bound of ' + result.bound if result.truncated else ''}): see report.md"
    )


def _recreate_computes(run: ApplyRun, workspace_id: str) -> list[FollowUp]:
    """Recreate the deleted (not detached) computes from the plan artifact's exports — found next to the plan file,
    so a re-run on a fresh runner (new output-dir, the downloaded artifact) recreates them too; each verified first.
    A failure is reported, never undoes the move."""
    from .errors import one_line
    from .exports import Export, ExportProblem, recreate_computes, verify
    from .prepare import copy_exports

    plan_dir = run.settings.plan_file.parent
    exports = [Export.from_json(e) for e in run.approved.exports if e["kind"] == "compute"]
    if not exports:
        return []
    try:
        verify(exports, plan_dir)
    except ExportProblem as problem:
        return [FollowUp("compute", "exports", FollowUpStatus.FAILED, f"{problem}: not recreated")]
    copy_exports(exports, plan_dir, run.settings.output_dir)
    run.report.exports = sorted(set(run.report.exports) | {e.file for e in exports})
    try:
        done = recreate_computes(run.clients, workspace_id, exports, plan_dir)
    except Exception as exc:  # noqa: BLE001 - a failed recreate must not undo the move; it is reported
        return [FollowUp("compute", "exports", FollowUpStatus.FAILED, one_line(f"{type(exc).__name__}: {exc}")[:300])]
    # every compute attempted; a failure is listed with the command that finishes it by hand
    return [FollowUp("compute", r.name, FollowUpStatus(r.status), r.detail, r.command) for r in done]


def _recreate_endpoints(run: ApplyRun, workspace_id: str) -> list[FollowUp]:
    """recreate-endpoints (endpoints.py): the online and batch endpoints and deployments from the plan artifact's
    exports, each verified first; the rewritten definitions go into this run's exports/moved/. Serverless endpoints
    are listed for people. A failure is reported, never undoes the move."""
    from .endpoints import DEPLOYMENT_KINDS, ENDPOINT_KINDS, Outcome, Recreation, workspace_args
    from .errors import one_line
    from .exports import Export, ExportProblem, verify
    from .prepare import copy_exports

    plan_dir = run.settings.plan_file.parent
    every = [Export.from_json(e) for e in run.approved.exports]
    exports = [e for e in every if e.kind in ENDPOINT_KINDS or e.kind in DEPLOYMENT_KINDS]
    serverless = [e for e in every if e.kind == "serverless-endpoint"]
    out = [
        FollowUp(
            "endpoint",
            e.name,
            FollowUpStatus.MANUAL,
            "serverless endpoint: not recreated by recreate-endpoints",
            f"az ml serverless-endpoint create --file {e.file} {workspace_args(workspace_id)}",
        )
        for e in serverless
    ]
    if not exports:
        return out
    try:
        verify(exports, plan_dir)
    except ExportProblem as problem:
        return [*out, FollowUp("endpoint", "exports", FollowUpStatus.FAILED, f"{problem}: not recreated")]
    copy_exports(exports, plan_dir, run.settings.output_dir)
    lane = Recreation(
        run.clients,
        run.platform.info,
        run.approved.source.workspace_id,
        workspace_id,
        run.approved.source.location,
        plan_dir,
        run.settings.output_dir,
    )
    try:
        lane.run(exports)
    except Exception as exc:  # noqa: BLE001 - a failed recreate must not undo the move; it is reported
        lane.outcomes.append(Outcome("endpoint", "exports", "failed", one_line(f"{type(exc).__name__}: {exc}")[:300]))
    run.report.exports = sorted(
        set(run.report.exports) | {e.file for e in exports} | {f"exports/moved/{Path(e.file).name}" for e in exports}
    )
    run.report.endpoints = sorted(lane.uris, key=lambda u: (u["kind"], u["name"]))
    order = {"endpoint": 0, "deployment": 1, "traffic": 2}
    done = sorted(lane.outcomes, key=lambda o: (order.get(o.kind, 2), o.target))
    return out + [FollowUp(o.kind, o.target, FollowUpStatus(o.status), o.detail, o.command) for o in done]


def _checklist(approved: Plan, report: Report) -> list[str]:
    """What is left for people after the move, from the approved plan and what moved."""
    # With a scan, its file:line list covers the scanned repository: the sentence is left for everything outside it.
    scanned, where = report.reference_scan, ""
    if scanned and scanned.references:
        where = f"outside {scanned.root} (its lines are listed below) "
    elif scanned and scanned.files_seen and not scanned.truncated:
        where = f"outside {scanned.root} (no file in it does) "
    items = [
        f"Update pipelines, scripts, connections and dashboards {where}that hard-code the old workspace ID "
        f"({approved.source.workspace_id})"
    ]
    post = approved.post_move
    if post["computesToRemove"] and not approved.options.recreate_computes:
        items.append(
            "Recreate the deleted computes from the plan artifact's exports/ (report.md gives each command; use new "
            "names for compute instances: reusing a name after a move fails with an Etag conflict; recreate-computes "
            "names them <name>-m<4 hex>)"
        )
    if post["endpointsToRemove"] and not approved.options.recreate_endpoints:
        items.append(
            "Recreate the deleted endpoints and their deployments from the plan artifact's exports/ (az ml "
            "online-endpoint create --file …, then az ml online-deployment create --file …; batch and serverless "
            "alike); model and compute references name the old workspace: point them at the moved one"
        )
    if any(f["id"] == "managed-network" for f in approved.findings):
        items.append("Re-provision the managed network's private-endpoint outbound rules (their targets' IDs changed)")
    if any("/microsoft.insights/components/" in m[0].lower() for m in report.moved):
        items.append(
            "Application Insights: data sent before the move is queryable only through its Log Analytics workspace"
        )
    return items
