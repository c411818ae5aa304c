"""The way back: the exact `plan` inputs that move a moved workspace back where it came from (a reverse plan: source
and destination swapped, the same opt-ins, exactly the resources that moved), in the three forms people paste — a
GitHub Actions `with:` block, a command line, the Azure DevOps template's parameters — and what no plan brings back.

The reverse plan is an ordinary plan: made, checked, reviewed and approved like any other. Nothing here assumes a move
is reversible where Azure does not reverse it (`cannot_come_back`). Every value is untrusted text (resource names):
shell-quoted for the command line, an escaped double-quoted scalar in the YAML blocks, and a value a runner
would expand as an expression is not pasted into a YAML block at all."""

from __future__ import annotations

import shlex
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .ids import same_id
from .plan import OPT_INS, Plan
from .render import code, code_block, md

COMMAND = "python entrypoint.py plan"
ADO_TEMPLATE = "azure-pipelines/move-workspace.yml"
# Inputs the Azure DevOps template has no parameter for (it supports the named clouds only).
_NOT_IN_ADO_TEMPLATE = frozenset({"arm-endpoint", "authority-host"})
# What each runner expands inside a value before amlmove sees it: GitHub evaluates `${{ }}` in `with:`; Azure
# Pipelines evaluates template expressions and, at run time, `$(macro)` and `$[ ]` in the step's env.
_EXPANDED = {"github": ("${{",), "azure-devops": ("${{", "$(", "$[")}


@dataclass(frozen=True)
class WayBack:
    """The reverse plan's inputs (input name → value, as `plan` reads them) and what it cannot bring back."""

    inputs: dict[str, str]
    cannot_come_back: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "inputs": dict(self.inputs),
            "command": command_line(self.inputs),
            "cannotComeBack": list(self.cannot_come_back),
        }


def way_back(approved: Plan, moved: Sequence[tuple[str, str]], connection: Mapping[str, str]) -> WayBack | None:
    """The way back once the workspace has moved (it is among `moved`, the report's (from, to) pairs); None before.

    `connection` holds the cloud inputs of this run that say where the workspace lives (cloud, and the custom
    cloud's endpoints); sign-in inputs are the caller's and are left out."""
    workspace = next((to for old, to in moved if same_id(old, approved.source.workspace_id)), None)
    if workspace is None:
        return None
    others = [to for old, to in moved if not same_id(old, approved.source.workspace_id)]
    options = approved.options
    inputs = {
        "source-workspace-id": workspace,
        "destination-resource-group-id": approved.source.resource_group_id,
        # Exactly what moved comes back: the moved associated resources by ID (they are in the moved workspace's
        # group now), or none.
        "include-associated-resources": ",".join(others) if others else "none",
        # The original group normally still exists; if it was deleted meanwhile, the way back creates it again.
        "create-destination-resource-group": "true",
    }
    if options.skip_checks:
        inputs["skip-checks"] = ",".join(sorted(options.skip_checks))
    if options.apply_principal_id:
        inputs["apply-principal-id"] = options.apply_principal_id
    for field, _, name in OPT_INS:
        inputs[name] = "true" if getattr(options, field) else "false"
    inputs.update(connection)
    return WayBack(inputs, cannot_come_back(approved))


def connection_inputs(cloud: str, arm_endpoint: str, authority_host: str) -> dict[str, str]:
    """The cloud inputs the reverse plan needs: none in the public cloud (the default), else the cloud and, for a
    custom one, its endpoints."""
    if cloud == "AzureCloud":
        return {}
    if cloud != "custom":
        return {"cloud": cloud}
    return {"cloud": cloud, "arm-endpoint": arm_endpoint, "authority-host": authority_host}


def cannot_come_back(approved: Plan) -> tuple[str, ...]:
    """What moving back does not restore, as far as the approved plan knows (each a sentence for people)."""
    post = approved.post_move
    out: list[str] = []
    computes = [_name(c) for c in post["computesToRemove"]]
    if computes:
        out.append(
            f"Computes deleted before the move ({', '.join(computes)}): their nodes, local disks and the files on "
            "compute instances' local disks are gone for good. A compute recreated after the move is a new one, "
            "and the way back deletes it again before it moves (remove-computes)."
        )
    endpoints = [_name(e) for e in post["endpointsToRemove"]]
    if endpoints:
        out.append(
            f"Endpoints deleted before the move ({', '.join(endpoints)}): their deployments and keys are gone, and a "
            "recreated endpoint gets new keys and the scoring URI Azure gives it then (endpoint names are unique per "
            "region: the old URI only under the same name, if still free). Tell the callers after each move."
        )
    out.append(
        "Role assignments: ARM moves none. The reverse plan saves those at the moved resources when it is made "
        "(including any created after this move) and apply recreates them at the original scopes only with "
        "restore-role-assignments: true. Assignments made at the destination group or subscription (inherited, "
        "not on the resources) do not follow the workspace back."
    )
    if post["privateEndpointConnections"]:
        out.append(
            "Private endpoint connections: private endpoints do not move; each move disconnects them and leaves new "
            "connections to approve (approve-private-endpoints approves only those Approved before that move)."
        )
    out.append(
        "The workspace's managed identity: Microsoft's managed-identity FAQ covers only a subscription moved to "
        "another directory (identities must then be re-created); for a move within one tenant it documents no "
        "change of a system-assigned identity's principal, and amlmove assumes none either way. After the way back, "
        "compare identity.principalId (az ml workspace show) with the one before and grant again what was granted "
        "to it."
    )
    return tuple(out)


def command_line(inputs: Mapping[str, str]) -> str:
    """The reverse plan as one shell command line; each value shell-quoted (shlex.split gives the inputs back)."""
    return " ".join([COMMAND, *(f"--{name} {shlex.quote(value)}" for name, value in inputs.items())])


def github_with(inputs: Mapping[str, str]) -> tuple[str, list[str]]:
    """(the action step's `with:` block, the inputs left out because GitHub would evaluate them as expressions)."""
    values = {"command": "plan", **inputs}
    kept, left_out = _pasteable(values, "github")
    return "\n".join(["with:", *(f"  {name}: {_scalar(value)}" for name, value in kept.items())]), left_out


def azure_devops_parameters(inputs: Mapping[str, str]) -> tuple[str, list[str]]:
    """(the stages template's `parameters:` for the reverse plan, the inputs left out: a value Azure Pipelines would
    expand, or an input the template has no parameter for)."""
    dropped = _NOT_IN_ADO_TEMPLATE | ({"cloud"} if inputs.get("cloud") == "custom" else set())
    kept, left_out = _pasteable({n: v for n, v in inputs.items() if n not in dropped}, "azure-devops")
    left_out += [name for name in inputs if name in dropped]
    lines = [f"- template: {ADO_TEMPLATE}", "  parameters:"]
    lines += [f"    {_camel(name)}: {_ado_value(value)}" for name, value in kept.items()]
    return "\n".join(lines), left_out


def markdown(data: Mapping[str, Any] | None) -> list[str]:
    """report.md's section for report.json's `wayBack` (nothing when there is none)."""
    if not data:
        return []
    inputs = data["inputs"]
    with_block, github_left = github_with(inputs)
    ado_block, ado_left = azure_devops_parameters(inputs)
    lines = [
        "### The way back",
        "",
        f"To move the workspace back to {code(inputs['destination-resource-group-id'])}, make a new plan with "
        "exactly these inputs (report.json `wayBack.inputs`); it is checked, reviewed and approved like any plan, "
        "and apply then moves exactly what moved here.",
        "",
        "<details><summary>Inputs for the way back</summary>",
        "",
        "GitHub Actions (the amlmove step):",
        "",
        code_block(with_block),
        "",
        *_left_out(github_left, "GitHub would evaluate it as an expression"),
        "Command line (sign-in and output inputs are yours to add):",
        "",
        code_block(data["command"]),
        "",
        f"Azure DevOps ({code(ADO_TEMPLATE)}; add serviceConnection, environment, image):",
        "",
        code_block(ado_block),
        "",
        *_left_out(ado_left, "Azure Pipelines would expand it, or the template has no such parameter"),
        "</details>",
        "",
    ]
    if data["cannotComeBack"]:
        lines += ["What moving back does not bring back:", ""]
        lines += [f"- {md(item)}" for item in data["cannotComeBack"]]
        lines.append("")
    return lines


def _left_out(names: list[str], why: str) -> list[str]:
    if not names:
        return []
    return [f"Left out ({md(why)}; take it from report.json): {', '.join(code(n) for n in names)}", ""]


def _pasteable(values: Mapping[str, str], runner: str) -> tuple[dict[str, str], list[str]]:
    kept = {name: value for name, value in values.items() if not any(m in value for m in _EXPANDED[runner])}
    return kept, [name for name in values if name not in kept]


def _scalar(value: str) -> str:
    """A YAML double-quoted scalar in printable ASCII: every other character escaped the way YAML 1.1 and 1.2 both
    read (\\xXX, \\uXXXX, \\UXXXXXXXX), so no character can end the line, start another key or hide in the block."""
    out = []
    for char in value:
        point = ord(char)
        if char in '"\\':
            out.append("\\" + char)
        elif 0x20 <= point < 0x7F:
            out.append(char)
        elif point <= 0xFF:
            out.append(f"\\x{point:02x}")
        elif point <= 0xFFFF:
            out.append(f"\\u{point:04x}")
        else:
            out.append(f"\\U{point:08x}")
    return '"' + "".join(out) + '"'


def _ado_value(value: str) -> str:
    """Booleans bare (the template declares them boolean), everything else a double-quoted scalar."""
    return value if value in ("true", "false") else _scalar(value)


def _camel(name: str) -> str:
    """The template's parameter for an input: the input's name in camelCase (restore-role-assignments →
    restoreRoleAssignments), as every parameter of the template is named."""
    head, *rest = name.split("-")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def _name(resource_id: str) -> str:
    return resource_id.rstrip("/").rsplit("/", 1)[-1]
