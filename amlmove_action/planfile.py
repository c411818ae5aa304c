"""Reading back an approved plan: the file must parse, match the schema and its own digest, be young enough, and be
for the same workspace and destination as this run's inputs. Unreadable files are input errors (exit 2); a plan that
reads fine but must not be applied is refused (exit 1)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from . import durations
from .errors import InputError, PlanRefused, echo
from .ids import same_id
from .inputs import resource_id_problem
from .localfiles import NotRegularFile, TooLarge, read_regular_file
from .plan import Plan, PlanStatus, schema

if TYPE_CHECKING:
    from .inputs import Settings

MAX_PLAN_BYTES = 16 * 1024 * 1024


def load_plan(path: Path) -> Plan:
    """Parse and schema-check plan.json; every failure is one line naming the input `plan-file`."""
    import jsonschema

    try:
        raw = read_regular_file(path, MAX_PLAN_BYTES)
    except FileNotFoundError:
        raise InputError(
            "plan-file",
            f"{echo(str(path), 120)} does not exist",
            "Download the plan job's artifact and pass its plan.json",
        ) from None
    except NotRegularFile as exc:
        raise InputError(
            "plan-file", f"{echo(str(path), 120)} {exc}, not a regular file", "Pass the plan.json file itself"
        ) from None
    except TooLarge:
        raise InputError(
            "plan-file",
            f"is larger than any plan amlmove writes ({MAX_PLAN_BYTES} bytes)",
            "Pass the plan.json written by the plan job",
        ) from None
    except OSError as exc:
        raise InputError(
            "plan-file",
            f"{echo(str(path), 120)} cannot be read ({exc.strerror})",
            "Pass a readable plan.json from the plan job",
        ) from None
    try:
        document = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise InputError("plan-file", "is not valid UTF-8 JSON", "Pass the plan.json written by the plan job") from None
    try:
        error = jsonschema.exceptions.best_match(jsonschema.Draft202012Validator(schema()).iter_errors(document))
    except RecursionError:
        raise InputError(
            "plan-file", "is nested too deeply to be a plan", "Pass the plan.json written by the plan job"
        ) from None
    if error is not None:
        where = "/".join(str(p) for p in error.absolute_path) or "(top level)"
        raise InputError(
            "plan-file",
            f"does not match the plan schema at {echo(where, 80)}: {echo(error.message, 120)}",
            "Pass an unmodified plan.json from an amlmove plan job of the same version",
        )
    plan = Plan.from_json(document)  # every field it reads is required by the schema
    try:  # the schema only checks the shape (and its \d takes any Unicode digit): 2024-13-40 must not crash later
        parse_created_at(plan.created_at)
    except ValueError:
        raise InputError(
            "plan-file",
            f"createdAt {echo(plan.created_at, 40)} is not a UTC date and time",
            "Pass the plan.json written by the plan job",
        ) from None
    source_group = plan.source.resource_group_id
    for rid in plan.resources:  # the schema's pattern is loose; apply builds ARM URLs from these ids
        if resource_id_problem(rid, source_group) is not None:
            raise InputError(
                "plan-file",
                f"lists {echo(rid, 120)}, which is not a top-level resource ID in the source group",
                "Pass the plan.json written by the plan job",
            )
    workspace = plan.source.workspace_id
    for item in plan.exports:  # apply deletes what these name and reads the files they point at
        if not item["resourceId"].isprintable() or not same_id_within(item["resourceId"], workspace):
            raise InputError(
                "plan-file",
                f"lists an export of {echo(item['resourceId'], 120)}, which is not in the source workspace",
                "Pass the plan.json written by the plan job",
            )
    return plan


def same_id_within(resource_id: str, scope: str) -> bool:
    from .ids import is_within

    return is_within(resource_id, scope) and resource_id.lower() != scope.lower()


def parse_created_at(text: str) -> datetime:
    if not text.isascii():
        raise ValueError("not ASCII")
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)


def verify_plan(
    plan: Plan,
    path: Path,
    workspace_id: str,
    destination_group_id: str,
    max_age: timedelta | None,
    now: datetime | None = None,
) -> None:
    """Refuse an edited, mismatched or stale plan (PlanRefused, exit 1). `max_age=None` skips the age check
    (used when resuming a move that already started under this plan)."""
    if plan.content_digest() != plan.digest:
        raise PlanRefused(
            str(path),
            "its digest does not match its content (the file was edited after planning)",
            "Run the plan job again and have the new plan approved",
        )
    if not same_id(plan.source.workspace_id, workspace_id):
        raise PlanRefused(
            str(path),
            f"it was made for workspace {plan.source.workspace_id}, not {workspace_id}",
            "Pass the plan made for this workspace, or fix source-workspace-id",
        )
    if not same_id(plan.destination.resource_group_id, destination_group_id):
        raise PlanRefused(
            str(path),
            f"it moves to {plan.destination.resource_group_id}, not {destination_group_id}",
            "Pass the plan made for this destination, or fix destination-resource-group-id",
        )
    if plan.status is not PlanStatus.READY:
        raise PlanRefused(
            str(path), "the approved plan is blocked", "Fix the blockers, plan again and get the new plan approved"
        )
    if max_age is not None:
        created = parse_created_at(plan.created_at)
        age = (now or datetime.now(UTC)) - created
        if age > max_age:
            raise PlanRefused(
                str(path),
                f"it is {durations.text(age)} old, older than max-plan-age {durations.text(max_age)}",
                "Run the plan job again and have the fresh plan approved",
            )
        if age < timedelta(minutes=-5):
            raise PlanRefused(
                str(path), "it was created in the future (clock skew or an edited file)", "Run the plan job again"
            )


def check_opt_ins(settings: Settings, plan: Plan, path: Path) -> None:
    """Every opt-in is part of the approved plan: an apply whose inputs say otherwise is refused (exit 1) before any
    request, naming every disagreement in one line."""
    from .plan import OPT_INS

    differ = [(field, name) for field, _, name in OPT_INS if getattr(settings, field) != getattr(plan.options, field)]
    if differ:
        raise PlanRefused(
            str(path),
            "; ".join(
                f"{name} is {str(getattr(settings, field)).lower()} here but the approved plan says "
                f"{str(getattr(plan.options, field)).lower()}"
                for field, name in differ
            ),
            f"Set {', '.join(name for _, name in differ)} as the approved plan did, or plan again with the new "
            "value(s) and get that plan approved",
        )
