"""Settings: one frozen object built once from action inputs (`INPUT_<NAME>`) or CLI flags, validated before any
network call. `INPUT_SPECS` is the single list of inputs; action.yml and the README are checked against it.

Only inputs are read, and only from the mapping passed in: nothing here reads `os.environ`. Every invalid value raises
`InputError` (exit 2) with one line that names the input and the fix; echoed values are shortened and defused (see
errors.echo).
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum
from pathlib import Path
from urllib.parse import urlsplit

from .clouds import NAMED_CLOUDS
from .errors import InputError
from .selection import AssociatedResourceChoice, IncludeMode


class Command(StrEnum):
    PLAN = "plan"
    APPLY = "apply"
    STATUS = "status"  # read-only: where the planned resources are now (needs only plan-file and sign-in)


class OutputFormat(StrEnum):
    """`--output` (command line only): `json` prints the plan / report / status document on stdout."""

    TEXT = "text"
    JSON = "json"


class Cloud(StrEnum):
    AZURE_CLOUD = "AzureCloud"
    AZURE_CHINA_CLOUD = "AzureChinaCloud"
    AZURE_US_GOVERNMENT = "AzureUSGovernment"
    CUSTOM = "custom"


# (ARM endpoint, Entra authority host) per named cloud, from the one cloud table.
CLOUD_ENDPOINTS: Mapping[Cloud, tuple[str, str]] = {
    Cloud(c.name): (c.arm_endpoint, c.authority_host) for c in NAMED_CLOUDS
}

BOTH = (Command.PLAN, Command.APPLY)
APPLY_ONLY = (Command.APPLY,)
PLAN_ONLY = (Command.PLAN,)


@dataclass(frozen=True)
class InputSpec:
    """One input: its name (also the CLI flag and the `INPUT_` variable), its action.yml default, where it applies."""

    name: str
    description: str
    default: str = ""  # as action.yml declares it; "" = no default (an empty input counts as not given)
    commands: tuple[Command, ...] = BOTH
    required: bool = False
    boolean: bool = False  # on the CLI a bare `--name` means true

    @property
    def env_name(self) -> str:
        """The variable the GitHub runner sets: upper-cased, spaces to `_`, hyphens kept."""
        return "INPUT_" + self.name.replace(" ", "_").upper()


INPUT_SPECS: tuple[InputSpec, ...] = (
    InputSpec(
        "command",
        "What to do: `plan` (checks and ARM dry run, writes the plan), `apply` (moves) or `status` (reads where the "
        "planned resources are now, read-only; needs only plan-file and sign-in).",
        "plan",
    ),
    InputSpec(
        "source-workspace-id",
        "Resource ID of the Azure ML workspace to move (`az ml workspace show --query id`).",
        required=True,
    ),
    InputSpec(
        "destination-resource-group-id",
        "Resource ID of the destination group, `/subscriptions/<id>/resourceGroups/<name>`, in the same region "
        "and tenant.",
        required=True,
    ),
    InputSpec(
        "include-associated-resources",
        "Which of the workspace's storage account, key vault, container registry and Application Insights move "
        "with it: `auto` (those in the workspace's group that no other workspace uses), `none`, `all` (all in the "
        "workspace's group), or resource IDs separated by newlines or commas (all in the workspace's group).",
        "auto",
    ),
    InputSpec(
        "create-destination-resource-group",
        "Create the destination group (in the workspace's region) at apply if it does not exist.",
        "true",
        boolean=True,
    ),
    InputSpec(
        "skip-checks",
        "Check IDs, separated by newlines or commas, whose blockers become warnings (the README lists the IDs).",
    ),
    InputSpec("fail-on-blockers", "Fail (exit 1) when any blocker remains.", "true", boolean=True),
    InputSpec("output-dir", "Directory for the plan, summaries and snapshots.", "amlmove-output"),
    InputSpec("client-id", "Client ID of the Entra app or managed identity to sign in as (OIDC)."),
    InputSpec("tenant-id", "Entra tenant ID (or domain) to sign in to."),
    InputSpec(
        "apply-principal-id",
        "Object (principal) ID of the identity that will run apply, when plan signs in as another one (a "
        "read-only planner): plan checks that identity's permissions, from its role assignments.",
        commands=PLAN_ONLY,
    ),
    InputSpec(
        "cloud", "Azure cloud: AzureCloud, AzureChinaCloud, AzureUSGovernment or custom.", Cloud.AZURE_CLOUD.value
    ),
    InputSpec("arm-endpoint", "Resource Manager URL (https). Only with cloud: custom, and then required."),
    InputSpec("authority-host", "Entra authority URL (https). Only with cloud: custom, and then required."),
    InputSpec(
        "auth",
        "How to sign in: `auto` (GitHub OIDC, Azure Pipelines workload identity, AZURE_FEDERATED_TOKEN_FILE, "
        "AZURE_CLIENT_SECRET, then `az login`; never a managed identity) or `managed-identity` (the runner's or "
        "agent's Azure managed identity: client-id names a user-assigned one, empty means system-assigned).",
        "auto",
    ),
    InputSpec(
        "audience",
        "Audience of the GitHub OIDC token exchanged with Entra; must match the federated credential's. Default "
        "per cloud: api://AzureADTokenExchange, api://AzureADTokenExchangeChina (AzureChinaCloud), "
        "api://AzureADTokenExchangeUSGov (AzureUSGovernment).",
    ),
    InputSpec(
        "plan-file",
        "The plan to apply (default: `<output-dir>/plan.json`), or whose move status reads (required there).",
        commands=(Command.APPLY, Command.STATUS),
    ),
    InputSpec(
        "max-plan-age",
        "Refuse a plan older than this (e.g. 90s, 30m, 24h, 2d, 1h30m).",
        "24h",
        commands=APPLY_ONLY,
    ),
    InputSpec(
        "move-timeout",
        "Give up waiting for ARM's move after this long (ARM itself allows up to 4 hours).",
        "240m",
        commands=APPLY_ONLY,
    ),
    InputSpec(
        "restore-role-assignments",
        "Recreate the role assignments saved from the moved resources after the move. Recorded in the plan: set it "
        "on plan and apply alike.",
        "true",
        boolean=True,
    ),
    InputSpec(
        "repair-datastores",
        "Point datastores of moved storage accounts at their new subscription and group after the move. Recorded "
        "in the plan: set it on plan and apply alike.",
        "true",
        boolean=True,
    ),
    InputSpec(
        "approve-private-endpoints",
        "After the move, approve again the private endpoint connections (of the workspace and the moved storage "
        "account, key vault and registry) that were Approved before it; never another one. Recorded in the plan: "
        "set it on plan and apply alike.",
        "false",
        boolean=True,
    ),
    InputSpec(
        "remove-computes",
        "Delete (or detach) the workspace's computes right before the move, after exporting their definitions. "
        "Set it on plan and apply alike: the plan records the intent (its blocker becomes a warning) and apply "
        "refuses unless both agree.",
        "false",
        boolean=True,
    ),
    InputSpec(
        "remove-endpoints",
        "Delete the workspace's online, batch and serverless endpoints right before the move, after exporting "
        "them. Set it on plan and apply alike.",
        "false",
        boolean=True,
    ),
    InputSpec(
        "recreate-computes",
        "Recreate the computes removed by remove-computes after the move, from the exports in the plan artifact. "
        "Requires remove-computes: true. Recorded in the plan: set it on plan and apply alike.",
        "false",
        boolean=True,
    ),
    InputSpec(
        "recreate-endpoints",
        "Recreate the online and batch endpoints and their deployments removed by remove-endpoints after the move, "
        "from the exports in the plan artifact, with their traffic split. Requires remove-endpoints: true. Recorded "
        "in the plan: set it on plan and apply alike.",
        "false",
        boolean=True,
    ),
    InputSpec(
        "register-providers",
        "Register the resource providers the destination subscription lacks, before the move and its last "
        "validation. Recorded in the plan: set it on plan and apply alike.",
        "false",
        boolean=True,
    ),
    InputSpec(
        "scan-path",
        "Folder whose text files are searched for what still points at the old workspace (its ID, or its "
        "subscription and group near its name), listed file:line in plan.md and report.md: `auto` (the checked-out "
        "repository: GITHUB_WORKSPACE, BUILD_SOURCESDIRECTORY; nothing in a terminal), a path, or `none`.",
        "auto",
    ),
)
_SPECS_BY_NAME = {spec.name: spec for spec in INPUT_SPECS}

_TRUE_WORDS = frozenset({"true", "yes", "1"})
_FALSE_WORDS = frozenset({"false", "no", "0"})
_GUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
_GROUP_NAME = re.compile(r"[-\w._()]{1,90}")  # \w is Unicode-aware, as ARM group names are
_WORKSPACE_NAME = re.compile(r"[a-zA-Z0-9][a-zA-Z0-9_-]{2,32}")
_NAMESPACE = re.compile(r"[A-Za-z][A-Za-z0-9]*(\.[A-Za-z][A-Za-z0-9]*)+")
_TYPE_SEGMENT = re.compile(r"[A-Za-z][A-Za-z0-9]*")
_DOMAIN = re.compile(r"[A-Za-z0-9-]{1,63}(\.[A-Za-z0-9-]{1,63})+")
_DURATION = re.compile(
    r"(?:([0-9]{1,5})d)?(?:([0-9]{1,5})h)?(?:([0-9]{1,6})m)?(?:([0-9]{1,7})s)?", re.IGNORECASE | re.ASCII
)
_MAX_DURATION = timedelta(days=365)
_LIST_SEPARATOR = re.compile(r"[,\n]")
_WORKSPACE_ID_SHAPE = (
    "/subscriptions/<subscription-guid>/resourceGroups/<group>/providers/Microsoft.MachineLearningServices/"
    "workspaces/<name>"
)


# --- The settings object ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class WorkspaceRef:
    """The workspace to move, from source-workspace-id."""

    subscription_id: str  # lower-case GUID
    resource_group: str
    name: str

    @property
    def id(self) -> str:
        return f"{self.group_id}/providers/Microsoft.MachineLearningServices/workspaces/{self.name}"

    @property
    def group_id(self) -> str:
        return f"/subscriptions/{self.subscription_id}/resourceGroups/{self.resource_group}"


@dataclass(frozen=True)
class GroupRef:
    """The destination group, from destination-resource-group-id."""

    subscription_id: str  # lower-case GUID
    name: str

    @property
    def id(self) -> str:
        return f"/subscriptions/{self.subscription_id}/resourceGroups/{self.name}"


@dataclass(frozen=True)
class Settings:
    """Every input, parsed and validated, plus the run environment. Apply-only fields are set (to their defaults)
    for plan too, so a typo in them fails early."""

    command: Command
    source_workspace: WorkspaceRef
    destination_group: GroupRef
    include_associated_resources: AssociatedResourceChoice
    create_destination_resource_group: bool
    skip_checks: frozenset[str]
    fail_on_blockers: bool
    output_dir: Path
    client_id: str | None
    tenant_id: str | None
    cloud: Cloud
    arm_endpoint: str  # resolved from cloud unless custom; no trailing slash
    authority_host: str
    plan_file: Path
    max_plan_age: timedelta
    move_timeout: timedelta
    restore_role_assignments: bool
    repair_datastores: bool
    approve_private_endpoints: bool
    remove_computes: bool
    remove_endpoints: bool
    recreate_computes: bool
    recreate_endpoints: bool
    register_providers: bool
    apply_principal_id: str | None = None  # plan only: whose permissions to check (default: the signed-in one)
    auth: str = "auto"  # "auto" (the federated/secret/az chain) or "managed-identity" (only when asked)
    audience: str | None = None  # None: the cloud's token-exchange audience
    scan_path: str = "auto"  # auto | none | a folder (referencescan.scan_root resolves it)


@dataclass(frozen=True)
class StatusSettings:
    """`status`: the plan file, where to write status.json (and read state.json), and how to sign in. It never writes
    to Azure, so none of plan's or apply's choices apply; a source-workspace-id or destination-resource-group-id given
    anyway must name the plan's own (checked once the plan is read)."""

    plan_file: Path
    output_dir: Path
    client_id: str | None
    tenant_id: str | None
    cloud: Cloud
    arm_endpoint: str
    authority_host: str
    auth: str = "auto"
    audience: str | None = None
    source_workspace: WorkspaceRef | None = None
    destination_group: GroupRef | None = None
    command: Command = Command.STATUS


# --- Entry points ----------------------------------------------------------------------------------------------------


def settings_for(argv: Sequence[str], env: Mapping[str, str]) -> Settings | StatusSettings:
    """The run's settings: from the command-line flags when there are any, else from the action's `INPUT_*`."""
    raw = _parse_argv(argv) if argv else {spec.name: _present(env.get(spec.env_name)) for spec in INPUT_SPECS}
    if (raw.get("command") or "").lower() == Command.STATUS:
        return _build_status(raw)
    return _build(raw)


def output_format(argv: Sequence[str]) -> tuple[OutputFormat, list[str]]:
    """`--output text|json` (or `--output=json`), a command-line flag only, and the other arguments. The action has
    no such input: a workflow reads the step outputs and the written files, never a container step's stdout."""
    found: list[str] = []
    rest: list[str] = []
    position = 0
    while position < len(argv):
        token = argv[position]
        position += 1
        name, has_value, inline = token.partition("=")
        if name != "--output":
            rest.append(token)
            continue
        if has_value:
            found.append(inline)
        elif position < len(argv) and not argv[position].startswith("--"):
            found.append(argv[position])
            position += 1
        else:
            raise InputError("output", "needs a value", "Write --output json or --output text.")
    if len(found) > 1:
        raise InputError("output", "given twice", "Pass --output once.")
    if not found:
        return OutputFormat.TEXT, rest
    for known in OutputFormat:
        if found[0].strip().lower() == known.value:
            return known, rest
    raise InputError("output", "is not an output format", "Use --output json or --output text.", value=found[0])


def settings_from_env(env: Mapping[str, str]) -> Settings:
    """Settings from a container action's environment: `INPUT_<NAME>` (hyphens kept), trimmed, empty meaning unset."""
    raw = {spec.name: _present(env.get(spec.env_name)) for spec in INPUT_SPECS}
    return _build(raw)


def settings_from_argv(argv: Sequence[str]) -> Settings:
    """Settings from `[plan|apply] --<input-name> VALUE …` (argv without the program name); the environment is not read.

    `--name=VALUE` works too; a boolean flag alone (`--remove-computes`) means true.
    """
    return _build(_parse_argv(argv))


def wants_help(argv: Sequence[str]) -> bool:
    return any(arg in ("-h", "--help") for arg in argv)


def cli_usage() -> str:
    """Help text for the CLI, generated from INPUT_SPECS."""
    lines = [
        "usage: python entrypoint.py [plan|apply] --source-workspace-id ID --destination-resource-group-id ID [..]",
        "       python entrypoint.py status --plan-file PLAN.json [--output-dir DIR] [sign-in flags]",
        "  --output text|json                           json: print the plan / report / status document on stdout "
        "(the progress lines go to stderr); command line only",
    ]
    for spec in INPUT_SPECS:
        if spec.name == "command":
            continue
        flag = f"--{spec.name}" + (" [true|false]" if spec.boolean else " VALUE")
        notes = ["required"] if spec.required else []
        if spec.commands == APPLY_ONLY:
            notes.append("apply only")
        if spec.commands == PLAN_ONLY:
            notes.append("plan only")
        if spec.commands == (Command.APPLY, Command.STATUS):
            notes.append("apply and status")
        if spec.default:
            notes.append(f"default {spec.default}")
        lines.append(f"  {flag:<44} {spec.description}" + (f" ({'; '.join(notes)})" if notes else ""))
    return "\n".join(lines)


# --- Reading raw values ----------------------------------------------------------------------------------------------


def _present(value: str | None) -> str | None:
    """Trim like actions core.getInput; an empty value counts as not given."""
    if value is None:
        return None
    value = value.strip()
    return value or None


def _parse_argv(argv: Sequence[str]) -> dict[str, str | None]:
    raw: dict[str, str | None] = dict.fromkeys(_SPECS_BY_NAME)
    given: set[str] = set()
    position = 0
    while position < len(argv):
        token = argv[position]
        position += 1
        if not token.startswith("--"):
            if "command" in given:
                raise InputError(
                    "command line",
                    "unexpected extra argument",
                    "Give one command, plan, apply or status, and --flags for everything else.",
                    value=token,
                )
            given.add("command")
            raw["command"] = _present(token)
            continue
        name, has_value, inline = token[2:].partition("=")
        spec = _SPECS_BY_NAME.get(name)
        if spec is None:
            close = difflib.get_close_matches(name, list(_SPECS_BY_NAME), n=1)
            hint = f"Did you mean --{close[0]}? " if close else ""
            raise InputError("command line", "unknown flag", f"{hint}Run with --help for the list.", value=token)
        if name in given:
            raise InputError(name, "given twice", f"Pass --{name} once.")
        given.add(name)
        if has_value:
            value = inline
        elif spec.boolean:
            follows = argv[position] if position < len(argv) else ""
            if follows.strip().lower() in _TRUE_WORDS | _FALSE_WORDS:
                value, position = follows, position + 1
            else:
                value = "true"
        elif position < len(argv) and not argv[position].startswith("--"):
            value, position = argv[position], position + 1
        else:
            raise InputError(name, "needs a value", f"Write --{name} VALUE or --{name}=VALUE.")
        raw[name] = _present(value)
    return raw


# --- Validation ------------------------------------------------------------------------------------------------------


def _build(raw: Mapping[str, str | None]) -> Settings:
    def value(name: str) -> str | None:
        given = raw.get(name)
        return given if given is not None else _SPECS_BY_NAME[name].default or None

    def flag(name: str) -> bool:
        return _boolean(name, value(name))

    workspace = _workspace_ref(_required(raw, "source-workspace-id"))
    destination = _group_ref(_required(raw, "destination-resource-group-id"))
    if destination.id.lower() == workspace.group_id.lower():
        raise InputError(
            "destination-resource-group-id",
            "is the workspace's own group",
            "Give a group in the destination subscription; the source and destination groups must differ.",
            value=destination.id,
        )
    cloud = _cloud(value("cloud") or Cloud.AZURE_CLOUD.value)
    arm_endpoint, authority_host = _endpoints(cloud, raw.get("arm-endpoint"), raw.get("authority-host"))
    auth = _auth(value("auth"))
    client_id, tenant_id = _identity(raw.get("client-id"), raw.get("tenant-id"), managed=auth == "managed-identity")
    output_dir = _path("output-dir", value("output-dir") or "amlmove-output")
    remove_computes = flag("remove-computes")
    recreate_computes = flag("recreate-computes")
    if recreate_computes and not remove_computes:
        raise InputError(
            "recreate-computes",
            "needs remove-computes: true",
            "Apply recreates only the computes it removed (and saved) itself; set remove-computes: true as well, "
            "or recreate-computes: false.",
        )
    remove_endpoints = flag("remove-endpoints")
    recreate_endpoints = flag("recreate-endpoints")
    if recreate_endpoints and not remove_endpoints:
        raise InputError(
            "recreate-endpoints",
            "needs remove-endpoints: true",
            "Apply recreates only the endpoints it removed (and exported) itself; set remove-endpoints: true as well, "
            "or recreate-endpoints: false.",
        )
    plan_file = raw.get("plan-file")
    apply_principal_id = raw.get("apply-principal-id")
    if apply_principal_id is not None and not _GUID.fullmatch(apply_principal_id):
        raise InputError(
            "apply-principal-id",
            "is not a GUID",
            "Use the object (principal) ID of the apply identity: az ad sp show --id <client-id> --query id -o tsv",
            value=apply_principal_id,
        )
    return Settings(
        command=_command(value("command")),
        source_workspace=workspace,
        destination_group=destination,
        include_associated_resources=_associated_choice(value("include-associated-resources"), workspace),
        create_destination_resource_group=flag("create-destination-resource-group"),
        skip_checks=_skip_checks(raw.get("skip-checks")),
        fail_on_blockers=flag("fail-on-blockers"),
        output_dir=output_dir,
        client_id=client_id,
        tenant_id=tenant_id,
        cloud=cloud,
        arm_endpoint=arm_endpoint,
        authority_host=authority_host,
        plan_file=_path("plan-file", plan_file) if plan_file else output_dir / "plan.json",
        max_plan_age=_duration("max-plan-age", value("max-plan-age")),
        move_timeout=_duration("move-timeout", value("move-timeout")),
        restore_role_assignments=flag("restore-role-assignments"),
        repair_datastores=flag("repair-datastores"),
        approve_private_endpoints=flag("approve-private-endpoints"),
        remove_computes=remove_computes,
        remove_endpoints=remove_endpoints,
        recreate_computes=recreate_computes,
        recreate_endpoints=recreate_endpoints,
        register_providers=flag("register-providers"),
        apply_principal_id=apply_principal_id.lower() if apply_principal_id else None,
        auth=auth,
        audience=_audience(raw.get("audience")),
        scan_path=str(_path("scan-path", value("scan-path") or "auto")),
    )


def _build_status(raw: Mapping[str, str | None]) -> StatusSettings:
    """Settings of `status`: plan-file is required (no default: status reads the plan someone approved, from
    wherever it was downloaded); output-dir as for plan and apply."""
    plan_file = raw.get("plan-file")
    if plan_file is None:
        raise InputError(
            "plan-file",
            "is required with command status",
            "Pass the approved plan.json (the plan job's artifact): status --plan-file <path>/plan.json.",
        )
    cloud = _cloud(raw.get("cloud") or Cloud.AZURE_CLOUD.value)
    arm_endpoint, authority_host = _endpoints(cloud, raw.get("arm-endpoint"), raw.get("authority-host"))
    auth = _auth(raw.get("auth"))
    client_id, tenant_id = _identity(raw.get("client-id"), raw.get("tenant-id"), managed=auth == "managed-identity")
    workspace, destination = raw.get("source-workspace-id"), raw.get("destination-resource-group-id")
    return StatusSettings(
        plan_file=_path("plan-file", plan_file),
        output_dir=_path("output-dir", raw.get("output-dir") or _SPECS_BY_NAME["output-dir"].default),
        client_id=client_id,
        tenant_id=tenant_id,
        cloud=cloud,
        arm_endpoint=arm_endpoint,
        authority_host=authority_host,
        auth=auth,
        audience=_audience(raw.get("audience")),
        source_workspace=_workspace_ref(workspace) if workspace else None,
        destination_group=_group_ref(destination) if destination else None,
    )


def _required(raw: Mapping[str, str | None], name: str) -> str:
    given = raw.get(name)
    if given is None:
        example = (
            _WORKSPACE_ID_SHAPE if name == "source-workspace-id" else "/subscriptions/<guid>/resourceGroups/<name>"
        )
        raise InputError(name, "is required", f"Set it to a resource ID like {example}.")
    return given


def _command(text: str | None) -> Command:
    for command in Command:
        if (text or "").lower() == command.value:
            return command
    raise InputError("command", "is not a command", "Use plan, apply or status.", value=text or "")


def _boolean(name: str, text: str | None) -> bool:
    word = (text or "").lower()
    if word in _TRUE_WORDS:
        return True
    if word in _FALSE_WORDS:
        return False
    raise InputError(name, "is not a boolean", "Use true or false (yes/no and 1/0 also work).", value=text or "")


def _is(segment: str, expected: str) -> bool:
    """Case-insensitive, ASCII only: 'ſubscriptions' (long s) must not pass as 'subscriptions'."""
    return segment.isascii() and segment.lower() == expected.lower()


def _subscription(name: str, segment: str) -> str:
    if not _GUID.fullmatch(segment):
        raise InputError(
            name,
            "the subscription is not a GUID",
            "Use the subscription ID (az account list --query [].id), not its name.",
            value=segment,
        )
    return segment.lower()


def _group_name(name: str, segment: str) -> str:
    if not _GROUP_NAME.fullmatch(segment) or segment.endswith("."):
        raise InputError(
            name,
            "the resource group name is invalid",
            "Group names have 1-90 letters, digits, '-', '_', '.', '(' or ')' and do not end with '.'.",
            value=segment,
        )
    return segment


def _workspace_ref(text: str) -> WorkspaceRef:
    name = "source-workspace-id"
    parts = text.split("/")
    fixed: tuple[tuple[int, str], ...] = ((1, "subscriptions"), (3, "resourceGroups"), (5, "providers"))
    fixed += ((6, "Microsoft.MachineLearningServices"), (7, "workspaces"))
    if len(parts) != 9 or parts[0] or not all(_is(parts[index], word) for index, word in fixed):
        raise InputError(
            name,
            "is not an Azure ML workspace resource ID",
            f"Use {_WORKSPACE_ID_SHAPE} (az ml workspace show --name <name> --resource-group <group> --query id).",
            value=text,
        )
    workspace_name = parts[8]
    if not _WORKSPACE_NAME.fullmatch(workspace_name):
        raise InputError(
            name,
            "the workspace name is invalid",
            "Workspace names have 3-33 letters, digits, '-' or '_' and start with a letter or digit.",
            value=workspace_name,
        )
    return WorkspaceRef(_subscription(name, parts[2]), _group_name(name, parts[4]), workspace_name)


def _group_ref(text: str) -> GroupRef:
    name = "destination-resource-group-id"
    parts = text.split("/")
    if len(parts) != 5 or parts[0] or not (_is(parts[1], "subscriptions") and _is(parts[3], "resourceGroups")):
        raise InputError(
            name,
            "is not a resource group ID",
            "Use /subscriptions/<subscription-guid>/resourceGroups/<name> (az group show --name <name> --query id).",
            value=text,
        )
    return GroupRef(_subscription(name, parts[2]), _group_name(name, parts[4]))


def _associated_choice(text: str | None, workspace: WorkspaceRef) -> AssociatedResourceChoice:
    name = "include-associated-resources"
    items = [item.strip() for item in _LIST_SEPARATOR.split(text or "auto") if item.strip()]
    modes = {mode.value: mode for mode in IncludeMode if mode is not IncludeMode.LISTED}
    if len(items) == 1 and items[0].lower() in modes:
        return AssociatedResourceChoice(modes[items[0].lower()])
    if not items:
        return AssociatedResourceChoice(IncludeMode.AUTO)
    listed: list[str] = []
    for item in items:
        _check_listed_id(item, workspace)
        if item.lower() not in {known.lower() for known in listed} and item.lower() != workspace.id.lower():
            listed.append(item)
    if not listed:
        raise InputError(name, "lists only the workspace itself", "Use none to move only the workspace.")
    return AssociatedResourceChoice(IncludeMode.LISTED, tuple(listed))


def _check_listed_id(item: str, workspace: WorkspaceRef) -> None:
    name = "include-associated-resources"
    problem = resource_id_problem(item, workspace.group_id)
    if problem is NOT_A_RESOURCE_ID:
        raise InputError(
            name,
            "is not auto, none, all or a resource ID",
            "Use auto, none, all, or resource IDs like /subscriptions/<guid>/resourceGroups/<group>/providers/"
            "<namespace>/<type>/<name>, separated by newlines or commas.",
            value=item,
        )
    if problem is not None:
        raise InputError(name, problem.problem, problem.fix, value=item)


@dataclass(frozen=True)
class IdProblem:
    problem: str
    fix: str


NOT_A_RESOURCE_ID = IdProblem(
    "is not a resource ID",
    "Use /subscriptions/<guid>/resourceGroups/<group>/providers/<namespace>/<type>/<name> (az resource show --query "
    "id).",
)


def resource_id_problem(text: str, group_id: str) -> IdProblem | None:
    """Why `text` is not the ID of a top-level resource in the resource group `group_id` (None when it is).

    The one check of every resource ID amlmove takes from outside — include-associated-resources, plan.json,
    state.json — since apply builds ARM URLs and request bodies from them: a `?`, `#` or `%` in a name would change
    the URL that is called."""
    parts = text.split("/")
    if not (
        len(parts) >= 9
        and not parts[0]
        and _is(parts[1], "subscriptions")
        and _is(parts[3], "resourceGroups")
        and _is(parts[5], "providers")
    ):
        return NOT_A_RESOURCE_ID
    if not _GUID.fullmatch(parts[2]):
        return IdProblem(
            "the subscription is not a GUID", "Use the subscription ID (az account list --query [].id), not its name."
        )
    if not _GROUP_NAME.fullmatch(parts[4]) or parts[4].endswith("."):
        return IdProblem(
            "the resource group name is invalid",
            "Group names have 1-90 letters, digits, '-', '_', '.', '(' or ')' and do not end with '.'.",
        )
    if len(parts) != 9:
        return IdProblem(
            "is not a top-level resource ID",
            "List the parent resource only; ARM moves child resources with their parent.",
        )
    resource_name = parts[8]
    if not (
        _NAMESPACE.fullmatch(parts[6])
        and _TYPE_SEGMENT.fullmatch(parts[7])
        and resource_name
        and resource_name.isprintable()
        and not any(ch in resource_name for ch in "?#%")
    ):
        return IdProblem("has an invalid provider, type or name", "Copy the ID from az resource show --query id.")
    group = group_id.rstrip("/").split("/")
    if len(group) != 5 or parts[2].lower() != group[2].lower() or parts[4].lower() != group[4].lower():
        return IdProblem(
            f"lists a resource outside the workspace's group {group[-1]}",
            "One move takes resources from one group: list only resources in the workspace's group (others stay "
            "and keep working), or use auto.",
        )
    return None


def _skip_checks(text: str | None) -> frozenset[str]:
    name = "skip-checks"
    requested = {item.strip().lower() for item in _LIST_SEPARATOR.split(text or "") if item.strip()}
    if not requested:
        return frozenset()
    from .checks import CHECK_IDS, SKIPPABLE_CHECK_IDS  # only when checks are named: the registry is costly to load

    for check_id in sorted(requested):
        if check_id not in CHECK_IDS:
            raise InputError(name, "names an unknown check", f"Valid IDs: {', '.join(CHECK_IDS)}.", value=check_id)
        if check_id not in SKIPPABLE_CHECK_IDS:
            raise InputError(
                name,
                f"{check_id} cannot be skipped",
                "ARM repeats this validation when it moves, so skipping it would only hide why the move fails.",
            )
    return frozenset(requested)


def _duration(name: str, text: str | None) -> timedelta:
    match = _DURATION.fullmatch(text or "")
    if not text or match is None:
        raise InputError(
            name,
            "is not a duration",
            "Use a number with a unit: 90s, 30m, 24h, 2d, or combined like 1h30m.",
            value=text or "",
        )
    days, hours, minutes, seconds = (int(group) if group else 0 for group in match.groups())
    length = timedelta(days=days, hours=hours, minutes=minutes, seconds=seconds)
    if not timedelta(0) < length <= _MAX_DURATION:
        raise InputError(name, "is out of range", "Use a duration above zero and at most 365d.", value=text)
    return length


def _path(name: str, text: str) -> Path:
    if not text.isprintable():
        raise InputError(name, "contains control characters", "Use a plain relative or absolute path.", value=text)
    return Path(text)


def _cloud(text: str) -> Cloud:
    for cloud in Cloud:
        if text.lower() == cloud.value.lower():
            return cloud
    raise InputError("cloud", "is not a known cloud", f"Use one of {', '.join(Cloud)}.", value=text)


def _endpoints(cloud: Cloud, arm_endpoint: str | None, authority_host: str | None) -> tuple[str, str]:
    if cloud is not Cloud.CUSTOM:
        for name, given in (("arm-endpoint", arm_endpoint), ("authority-host", authority_host)):
            if given is not None:
                raise InputError(
                    name, f"is only used with cloud: custom (cloud is {cloud})", f"Remove {name} or set cloud: custom."
                )
        return CLOUD_ENDPOINTS[cloud]
    if arm_endpoint is None or authority_host is None:
        name = "arm-endpoint" if arm_endpoint is None else "authority-host"
        raise InputError(name, "is required with cloud: custom", f"Set {name} to the cloud's https URL.")
    return _https_url("arm-endpoint", arm_endpoint), _https_url("authority-host", authority_host)


def _https_url(name: str, text: str) -> str:
    """An https URL without credentials, query or fragment; returned without a trailing slash.

    Only the scheme is ever echoed: a URL may carry credentials.
    """
    fix = f"Set {name} to an https URL such as https://management.example.com."
    if not text.isprintable() or any(ch.isspace() for ch in text):
        raise InputError(name, "contains spaces or control characters", fix)
    try:
        parts = urlsplit(text)
        host, _ = parts.hostname, parts.port  # .port raises ValueError for a bad port
    except ValueError:
        raise InputError(name, "is not a URL", fix) from None
    if parts.scheme.lower() != "https":
        raise InputError(name, "must use https", fix, value=parts.scheme + ":")
    if not host:
        raise InputError(name, "has no host", fix)
    if parts.username is not None or parts.password is not None:
        raise InputError(name, "must not contain credentials", "Remove the user:password@ part; sign-in is separate.")
    if parts.query or parts.fragment:
        raise InputError(name, "must not have a query or fragment", fix)
    return text.rstrip("/")


_AUTH_METHODS = ("auto", "managed-identity")
_AUDIENCE = re.compile(r"[!-~]{1,600}")  # printable ASCII without spaces; Entra allows up to 600 characters


def _auth(text: str | None) -> str:
    chosen = (text or "auto").strip().lower()
    if chosen not in _AUTH_METHODS:
        raise InputError("auth", "is not a sign-in method", f"Use one of {', '.join(_AUTH_METHODS)}.", value=text)
    return chosen


def _audience(text: str | None) -> str | None:
    if text is None:
        return None
    if not _AUDIENCE.fullmatch(text):
        raise InputError(
            "audience",
            "is not a token audience",
            "Give the audience of the federated credential, e.g. api://AzureADTokenExchange (no spaces).",
            value=text,
        )
    return text


def _identity(client_id: str | None, tenant_id: str | None, managed: bool = False) -> tuple[str | None, str | None]:
    # Neither value is echoed: a secret pasted into the wrong input must not reach the log.
    if client_id is not None and not _GUID.fullmatch(client_id):
        raise InputError("client-id", "is not a GUID", "Use the application (client) ID of the app or identity.")
    if tenant_id is not None and not (_GUID.fullmatch(tenant_id) or _DOMAIN.fullmatch(tenant_id)):
        raise InputError("tenant-id", "is not a GUID or domain", "Use the directory (tenant) ID.")
    if client_id is not None and tenant_id is None and not managed:
        raise InputError("tenant-id", "is required with client-id", "Set tenant-id to the directory (tenant) ID.")
    return (client_id.lower() if client_id else None), tenant_id
