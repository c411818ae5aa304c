"""amlmove_action.planfile's checks of a plan that parses (verify_plan, parse_created_at, same_id_within): an edited,
mismatched, blocked, stale or future plan is refused with one line (PlanRefused, exit 1). Reading and schema-checking
the file (load_plan) is driven with real plans in tests/e2e/test_fuzz.py and tests/e2e/test_hostile_paths.py."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from amlmove_action.errors import ExitCode, PlanRefused
from amlmove_action.plan import Plan
from amlmove_action.planfile import parse_created_at, same_id_within, verify_plan
from tests.support.plans import DESTINATION_GROUP as DEST
from tests.support.plans import WORKSPACE as WS
from tests.support.plans import plan_json, typed

MADE = datetime(2026, 3, 1, 12, 0, 0, tzinfo=UTC)
PATH = Path("amlmove-output/plan.json")


def signed(**changes: Any) -> Plan:
    """A complete plan made at MADE for WS -> DEST, `changes` replacing plan.json fields, digest over the result."""
    return typed(plan_json(**changes))


def refused(
    plan: Plan,
    *,
    ws: str = WS,
    dest: str = DEST,
    age: timedelta | None = timedelta(hours=24),
    now: datetime = MADE + timedelta(hours=1),
) -> str:
    with pytest.raises(PlanRefused) as caught:
        verify_plan(plan, PATH, ws, dest, age, now)
    assert caught.value.exit_code is ExitCode.REFUSED and "\n" not in str(caught.value)
    assert str(caught.value).startswith("Refusing plan 'amlmove-output/plan.json': ")
    return str(caught.value)


def test_a_signed_ready_plan_for_these_inputs_passes_whatever_the_case_of_the_ids() -> None:
    verify_plan(signed(), PATH, WS.upper(), DEST.lower(), timedelta(hours=24), MADE + timedelta(hours=23))


def test_an_edit_after_planning_breaks_the_digest() -> None:
    document = plan_json()
    document["resources"].append(WS + "x")
    assert "its digest does not match its content" in refused(typed(document))


def test_a_plan_for_another_workspace_or_destination_is_refused() -> None:
    assert f"it was made for workspace {WS}, not {WS}2" in refused(signed(), ws=WS + "2")
    assert f"it moves to {DEST}, not /subscriptions/s2/resourceGroups/other" in refused(
        signed(), dest="/subscriptions/s2/resourceGroups/other"
    )


def test_a_blocked_plan_is_never_applied() -> None:
    assert "the approved plan is blocked" in refused(signed(status="blocked"))


def test_age_is_counted_from_created_at_and_in_the_one_duration_format() -> None:
    message = refused(signed(), now=MADE + timedelta(hours=24, seconds=1))
    assert "it is 24h00m01s old, older than max-plan-age 24h00m00s" in message
    verify_plan(signed(), PATH, WS, DEST, None, MADE + timedelta(days=400))  # resuming: age not checked
    verify_plan(signed(), PATH, WS, DEST, timedelta(hours=24), MADE - timedelta(minutes=4))  # a little clock skew
    assert "created in the future" in refused(signed(), now=MADE - timedelta(minutes=6))


def test_created_at_reads_only_the_utc_form_plans_write() -> None:
    assert parse_created_at(signed().created_at) == MADE
    for bad in ("2026-03-01T12:00:00", "2026-03-01 12:00:00Z", "2026-13-40T12:00:00Z", "２０26-03-01T12:00:00Z"):
        with pytest.raises(ValueError):
            parse_created_at(bad)


def test_same_id_within_is_strictly_below() -> None:
    assert same_id_within(WS + "/computes/c1", WS)
    assert same_id_within(WS.upper() + "/computes/c1", WS)
    assert not same_id_within(WS, WS)  # the workspace itself is not an export of it
    assert not same_id_within(WS + "2/computes/c1", WS)
