"""The move itself: start `moveResources` (ARM's LRO, polled with azure-core honouring Retry-After), persist the
poller's continuation token the moment ARM accepts, print a heartbeat while it runs, give up cleanly after
move-timeout, resume a move that a dead runner left behind, and find out exactly what moved when ARM finished only
part of the work."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from . import durations, ids
from .azure import Clients, from_http_error, no_verdict
from .azure_errors import sdk_error
from .errors import AzureError, PlanRefused, RuntimeFailure
from .ids import moved_id
from .report import ReportStatus
from .state import MoveState, MoveStatus, save_state

if TYPE_CHECKING:
    from .applyrun import ApplyRun

HEARTBEAT_SECONDS = 15.0  # at most 30 s between progress lines (the bound), with margin
FALLBACK_POLL_SECONDS = 10  # only when ARM sends no Retry-After; azure-core's default would be 30 s


@dataclass(frozen=True)
class Positions:
    """Where each planned resource is now (both groups re-listed)."""

    moved: list[tuple[str, str]]  # (old id, new id)
    stayed: list[str]
    missing: list[str]  # in neither group (deleted meanwhile, or not readable)

    @property
    def all_moved(self) -> bool:
        return not self.stayed and not self.missing

    @property
    def none_moved(self) -> bool:
        return not self.moved

    @property
    def outcome(self) -> str:
        """`all` (every planned resource is at the destination: the plan's move is done, whoever started it),
        `none` (none is: nothing of this plan moved) or `partial` (some are: people finish by hand)."""
        if self.all_moved:
            return "all"
        return "none" if self.none_moved else "partial"


def group_listing(clients: Clients, group_id: str) -> set[str]:
    """The ids (lower case) of every resource in a group, read with one list (GET); empty when the group is gone."""
    from azure.core.exceptions import HttpResponseError, ResourceNotFoundError

    rid = ids.ResourceId.parse(group_id)
    client = clients.resources(rid.subscription_id)
    try:
        return {r.id.lower() for r in client.resources.list_by_resource_group(rid.group) if r.id}
    except ResourceNotFoundError:
        return set()
    except HttpResponseError as exc:
        raise from_http_error(f"list resources in {group_id}", exc) from None


def locate(clients: Clients, resources: list[str], source_group_id: str, target_group_id: str) -> Positions:
    """Re-list both groups and place every planned resource: ARM can finish a move partially."""
    in_source, in_target = group_listing(clients, source_group_id), group_listing(clients, target_group_id)
    moved, stayed, missing = [], [], []
    for rid in resources:
        new = moved_id(rid, target_group_id)
        if new.lower() in in_target:
            moved.append((rid, new))
        elif rid.lower() in in_source:
            stayed.append(rid)
        else:
            missing.append(rid)
    return Positions(moved, stayed, missing)


class MoveFailed(Exception):
    """ARM refused or ended the move with an error, or the poll itself broke (see `lost_track`)."""

    def __init__(
        self,
        code: str | None,
        message: str,
        correlation_id: str | None,
        details: list[dict[str, Any]],
        status: int | None = None,
        lost_track: bool = True,
    ):
        super().__init__(message)
        self.code, self.message, self.correlation_id, self.details = code, message, correlation_id, details
        # True: no verdict of ARM's (see azure.no_verdict, or no answer at all): the move may still be running or
        # done, and only re-reading where the resources are can tell.
        self.status, self.lost_track = status, lost_track


class MoveTimedOut(Exception):
    """move-timeout elapsed while ARM still reported the move as running."""


def start_move(clients: Clients, source_group_id: str, resources: list[str], target_group_id: str) -> Any:
    """POST moveResources; returns the poller once ARM has accepted (202) the move."""
    from azure.core.exceptions import HttpResponseError, ServiceRequestError, ServiceResponseError

    rid = ids.ResourceId.parse(source_group_id)
    client = clients.resources(rid.subscription_id)
    body = {"resources": resources, "targetResourceGroup": target_group_id}
    try:
        return client.resources.begin_move_resources(rid.group, body, polling_interval=FALLBACK_POLL_SECONDS)
    except HttpResponseError as exc:
        raise _failed(exc) from None
    except (ServiceRequestError, ServiceResponseError) as exc:  # no answer: ARM may or may not have accepted
        raise MoveFailed(None, f"{type(exc).__name__}: {exc}"[:300], None, [], None) from None


def resume_move(clients: Clients, source_group_id: str, state: MoveState) -> Any:
    rid = ids.ResourceId.parse(source_group_id)
    client = clients.resources(rid.subscription_id)
    body = {"resources": state.resources, "targetResourceGroup": state.target_resource_group}
    return client.resources.begin_move_resources(
        rid.group, body, continuation_token=state.continuation_token, polling_interval=FALLBACK_POLL_SECONDS
    )


def wait(poller: Any, deadline: datetime, started: datetime, heartbeat: Any) -> None:
    """Wait for the poller, calling heartbeat(elapsed, status) at least every HEARTBEAT_SECONDS."""
    from azure.core.exceptions import HttpResponseError, ServiceRequestError, ServiceResponseError

    while True:
        remaining = (deadline - datetime.now(UTC)).total_seconds()
        if remaining <= 0:
            raise MoveTimedOut()
        try:
            poller.wait(timeout=min(HEARTBEAT_SECONDS, remaining))
        except HttpResponseError as exc:
            raise _failed(exc) from None
        except (ServiceRequestError, ServiceResponseError) as exc:  # the connection broke after the retries
            raise MoveFailed(None, f"{type(exc).__name__}: {exc}"[:300], None, [], None) from None
        if poller.done():
            try:
                poller.result()
            except HttpResponseError as exc:
                raise _failed(exc) from None
            return
        heartbeat(datetime.now(UTC) - started, poller.status())


def _failed(exc: Any) -> MoveFailed:
    said = sdk_error(exc)
    return MoveFailed(
        said.code_or_status,
        said.message,
        said.correlation_id,
        [{"code": d.code, "target": d.target, "message": d.message} for d in said.details],
        said.status,
        no_verdict(exc),
    )


def utc_now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def elapsed_text(delta: timedelta) -> str:
    return durations.text(delta)


class Next(StrEnum):
    """What apply does next, from state.json and where the planned resources are (`decide`)."""

    RESUME = "resume"  # state.json holds a move ARM accepted: poll it again, never start another
    FOLLOW_UPS = "follow-ups"  # every planned resource is at the destination: the plan's move is done, whoever ran it
    MOVE = "move"  # none is: this run may move
    PARTIAL = "partial"  # some are: the move finished partially, people finish by hand


def resumable(state: MoveState | None) -> bool:
    """Whether state.json holds a move ARM accepted, with the token to poll it."""
    return state is not None and state.status is MoveStatus.ACCEPTED and bool(state.continuation_token)


def decide(state: MoveState | None, positions: Positions | None) -> Next:
    """The all/none/partial ladder: resume the move state.json recorded (no positions needed), else go by where the
    planned resources are now."""
    if resumable(state):
        return Next.RESUME
    if positions is None:
        raise ValueError("without a move to resume, apply decides from where the resources are")
    if positions.all_moved:
        return Next.FOLLOW_UPS
    return Next.MOVE if positions.none_moved else Next.PARTIAL


def locate_planned(run: ApplyRun) -> Positions:
    return locate(run.clients, run.resources, run.source_group, run.target_group)


def own_move_done(run: ApplyRun, positions: Positions, cause: str) -> bool:
    """Decide from where the planned resources are now: all at the destination — this plan's move is done, whoever
    ran it (True: record already-moved, go on to the follow-ups); none — False, this run may move; some — the move
    finished partially (RuntimeFailure, the report says which)."""
    next_step = decide(None, positions)
    if next_step is Next.FOLLOW_UPS:
        run.platform.info("Every planned resource is already at the destination: going straight to the follow-ups")
        run.report.record(ReportStatus.ALREADY_MOVED, positions)
        run.report.drift, run.report.error = [], None
        return True
    if next_step is Next.PARTIAL:
        run.report.record(ReportStatus.FAILED, positions)
        raise RuntimeFailure(
            "Apply",
            f"{len(positions.moved)} of {len(run.resources)} planned resources are already at the destination and the "
            f"others are not ({cause} finished partially)",
            "Read report.md, move or roll back the rest by hand (az resource move), then plan again",
        )
    return False


def own_move_done_meanwhile(run: ApplyRun) -> bool:
    """After a failed step: whether every planned resource is at the destination now (see own_move_done); False as
    well when the groups cannot be listed (the step's own error is the one to report)."""
    try:
        positions = locate_planned(run)
    except AzureError:
        return False
    return own_move_done(run, positions, "a move made meanwhile")


class MoveInProgress(PlanRefused):
    """The re-plan found the groups held by a move in progress (ARM's ResourceGroupMoveInProgress)."""


def move_in_progress(validation: dict[str, Any]) -> bool:
    """Whether ARM's answer (code, message) says a move is in progress on the groups."""
    code, message = str(validation.get("code") or ""), str(validation.get("message") or "").lower()
    return code == "ResourceGroupMoveInProgress" or ("move" in message and "in progress" in message)


# While a move that this run did not start holds the groups: look again after these pauses (seconds), then every
# LOCKED_POLL_MAX seconds until move-timeout. Short first pauses: the move may be a few seconds from done.
LOCKED_POLL_START, LOCKED_POLL_MAX = 1.0, 15.0


def wait_out_move_in_progress(run: ApplyRun) -> Positions:
    """Wait, with a heartbeat, until every planned resource is at the destination or ARM no longer reports a move in
    progress on the groups (validateMoveResources answers something else); then where everything is. After
    move-timeout: RuntimeFailure, nothing changed by this run."""
    from .validation import validate_move

    settings, platform, resources = run.settings, run.platform, run.resources
    started = datetime.now(UTC)
    deadline = started + settings.move_timeout
    pause = LOCKED_POLL_START
    platform.info(
        "ARM says a move is in progress on these resource groups and this run has no state.json of its own: "
        "waiting for it to finish (it may be this plan's, started by a run that died) instead of starting another"
    )
    while True:
        positions = locate_planned(run)
        if positions.all_moved:
            return positions
        verdict = validate_move(run.clients, run.source_group, resources, run.target_group)
        if not move_in_progress({"code": verdict.code, "message": verdict.message}):
            return positions
        remaining = (deadline - datetime.now(UTC)).total_seconds()
        if remaining <= 0:
            raise RuntimeFailure(
                "Waiting for the move in progress",
                "ARM still reports a move in progress on the groups after move-timeout "
                f"({durations.text(settings.move_timeout)}); "
                f"{len(positions.moved)} of {len(resources)} planned resource(s) are at the destination",
                "Nothing was changed by this run. Re-run apply with the same plan later: it waits again, or goes "
                "straight to the follow-ups once the resources are at the destination",
            )
        platform.info(
            f"Move in progress (not started by this run): {elapsed_text(datetime.now(UTC) - started)} "
            f"waited, {len(positions.moved)} of {len(resources)} planned resource(s) at the destination"
        )
        time.sleep(min(pause, remaining))
        pause = min(pause * 2, LOCKED_POLL_MAX)


# A move of another plan may hold the groups when this run POSTs: wait it out, then ask ARM again, this many times.
MOVE_ATTEMPTS = 3


def start(run: ApplyRun) -> Any | None:
    """The poller of the move ARM accepted from this run; None when this plan's own move is done without it (another
    run of the plan moved everything: ARM answered 404 because the resources left, or 409 while that move ran)."""
    for attempt in range(1, MOVE_ATTEMPTS + 1):
        run.platform.info(f"Moving {len(run.resources)} resource(s) to {run.target_group} …")
        try:
            return start_move(run.clients, run.source_group, run.resources, run.target_group)
        except MoveFailed as refused:
            if refused.status == 409 and move_in_progress({"code": refused.code, "message": refused.message}):
                positions = wait_out_move_in_progress(run)
                if own_move_done(run, positions, "the move in progress"):
                    return None
                if attempt < MOVE_ATTEMPTS:
                    continue  # another plan's move held the groups and moved none of these: ask ARM again
            elif refused.status is not None:  # ARM answered: maybe because this plan's move already happened
                if own_move_done(run, locate_planned(run), "a move made meanwhile"):
                    return None
            _not_started(run, refused)
    return None  # not reached: _not_started raises


def _not_started(run: ApplyRun, refused: MoveFailed) -> None:
    """ARM did not accept the move (or never answered): say exactly where everything is and what to do."""
    positions = locate_planned(run)
    run.report.record(ReportStatus.FAILED, positions)
    run.report.error = {"code": refused.code, "message": refused.message, "correlationId": refused.correlation_id}
    where = f"{len(positions.moved)} of {len(run.resources)} resource(s) are at the destination"
    if refused.status is None:
        fix = (
            f"ARM never answered the move request, so it may or may not have started it ({where} now). Re-run apply "
            "with the same plan in a few minutes: it first checks where each resource is and never starts a "
            "second move while one runs"
        )
    elif refused.lost_track or refused.code == "ResourceGroupMoveInProgress":
        fix = (
            f"ARM did not start the move ({where}): wait until the other operation or the throttling is over, then "
            "re-run apply with the same plan (it checks where each resource is first and never moves twice)"
        )
    else:
        fix = f"ARM refused to start the move ({where}). Fix what ARM names (report.md), plan again and get it approved"
    raise AzureError(
        "moveResources",
        status=refused.status,
        code=refused.code,
        message=refused.message,
        correlation_id=refused.correlation_id,
        fix=fix,
    )


# When ARM's operation URL misbehaves (404, garbage, errors after the retries) the move itself is still ARM's to
# finish: poll again from the saved continuation token after these pauses, then stop and say so.
LOST_TRACK_PAUSES = (1, 2, 4, 8, 15)


def follow(run: ApplyRun, poller: Any, state: MoveState) -> None:
    """Wait for the move ARM accepted (from this run, or resumed from state.json) until ARM's verdict, move-timeout,
    or losing track of it; state.json and the report say which."""
    settings, platform, report, resources = run.settings, run.platform, run.report, run.resources
    started = state.started()
    # move-timeout is how long THIS run waits: a run resuming an older move waits anew. Counted from the move's start
    # a resume after that window could never poll even once, and every re-run would end 'timed-out' forever.
    deadline = datetime.now(UTC) + settings.move_timeout

    def heartbeat(elapsed: Any, status: str) -> None:
        platform.info(f"Move in progress: {elapsed_text(elapsed)} elapsed, ARM status {status}")

    lost = 0
    while True:
        try:
            wait(poller, deadline, started, heartbeat)
        except MoveTimedOut:
            positions = locate_planned(run)
            if positions.all_moved:  # ARM finished the move; its operation URL just had not said so yet
                break
            report.record(ReportStatus.TIMED_OUT, positions)
            # Only here is the move still ARM's to finish: a re-run (or a person) needs the token to follow it.
            platform.set_output("continuation-token", state.continuation_token or "")
            raise RuntimeFailure(
                "Move",
                f"ARM was still moving after move-timeout ({durations.text(settings.move_timeout)}); "
                f"{len(positions.moved)} of {len(resources)} resource(s) are at the destination so far",
                "ARM keeps trying for up to 4 hours: re-run apply with the same plan and output-dir to "
                "resume waiting (it never starts a second move)",
            ) from None
        except MoveFailed as failed:
            if not failed.lost_track:  # ARM's verdict: the move failed (maybe after moving part of it)
                positions = locate_planned(run)
                if positions.all_moved:  # e.g. ResourceMoveTimedOut after everything moved (the move doc): done
                    platform.info(f"ARM ended the move with {failed.code}, but every planned resource has moved")
                    break
                state.status, state.error = MoveStatus.FAILED, {"code": failed.code, "message": failed.message}
                save_state(run.state_path, state)
                report.record(ReportStatus.FAILED, positions)
                report.error = {
                    "code": failed.code,
                    "message": failed.message,
                    "correlationId": failed.correlation_id,
                    "details": failed.details,
                }
                raise AzureError(
                    "moveResources",
                    code=failed.code,
                    message=failed.message,
                    correlation_id=failed.correlation_id,
                    fix=f"{len(positions.moved)} of {len(resources)} resource(s) moved, "
                    f"{len(positions.stayed)} stayed in the source group: see report.md before "
                    "planning again",
                ) from None
            problem = failed
            positions = locate_planned(run)
            if positions.all_moved:  # it finished meanwhile: that is the verdict
                break
        else:
            positions = locate_planned(run)
            if positions.all_moved or not state.continuation_token:
                break
            # "Succeeded" while the resources have not moved is no verdict of ARM's (a garbage answer, say)
            problem = MoveFailed(
                "UnconfirmedSuccess", "the operation URL said done but the resources have not moved", None, []
            )
        if lost >= len(LOST_TRACK_PAUSES) or not state.continuation_token:
            _lost_track(run, problem, state)
        pause = LOST_TRACK_PAUSES[lost]
        lost += 1
        platform.info(
            f"ARM's operation URL gave no verdict ({problem.code or 'no answer'}); the move it accepted is ARM's "
            f"to finish: polling it again in {pause}s"
        )
        time.sleep(pause)
        poller = resume_move(run.clients, run.source_group, state)
    state.status = MoveStatus.SUCCEEDED
    save_state(run.state_path, state)
    report.record(ReportStatus.MOVED, positions)
    platform.info(f"Move finished: {len(positions.moved)} resource(s) now in {run.target_group}")


def _lost_track(run: ApplyRun, problem: MoveFailed, state: MoveState) -> None:
    """Stop waiting without a verdict: state.json keeps the token (a re-run resumes), the report says what is known."""
    positions = locate_planned(run)
    run.report.record(ReportStatus.TIMED_OUT, positions)  # apply stopped waiting; ARM has not said the move failed
    run.report.error = {
        "code": problem.code or "NoAnswer",
        "message": f"ARM accepted the move at {state.started_at} but its operation URL gave no verdict: "
        f"{problem.message}"[:500],
        "correlationId": problem.correlation_id,
    }
    raise RuntimeFailure(
        "Waiting for the move",
        f"ARM accepted the move but its operation URL keeps failing ({problem.code or 'no answer'}); "
        f"{len(positions.moved)} of {len(run.resources)} resource(s) are at the destination so far",
        "ARM keeps moving for up to 4 hours: re-run apply with the same plan and output-dir to check again "
        "(it resumes from state.json and never starts a second move)",
    )
