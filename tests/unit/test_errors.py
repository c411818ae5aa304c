"""amlmove_action.errors: every error is one printable, inert line with its exit code; untrusted values are echoed
shortened and defused, judged by the runners' own parsers (tests/support/runner_rules.py)."""

from __future__ import annotations

import pytest

from amlmove_action.errors import (
    AmlMoveError,
    AzureError,
    Blocked,
    ExitCode,
    InputError,
    PlanRefused,
    RuntimeFailure,
    SignInError,
    clause,
    defuse,
    echo,
    one_line,
)
from tests.support.runner_rules import find_formatting_markers, parse_github_commands, parse_vso_commands

HOSTILE = "x\n::set-output name=status::moved\r\n##vso[task.complete result=Succeeded]\x1b[31m##[error]boom\u2028y"


def inert(line: str) -> bool:
    return (
        "\n" not in line
        and "\r" not in line
        and parse_github_commands(line) == []
        and parse_vso_commands(line) == []
        and list(find_formatting_markers(line)) == []
    )


def test_defuse_splits_every_command_pair_and_keeps_the_text_readable() -> None:
    assert defuse("::error::x") == ": :error: :x"
    assert defuse("##vso[task.x]") == "# #vso[task.x]"
    assert defuse(":::") == ": : :"
    assert defuse("a: b # c") == "a: b # c"  # single characters stay


def test_one_line_flattens_control_characters_and_defuses() -> None:
    flat = one_line(HOSTILE)
    assert flat == one_line(flat)  # idempotent
    assert inert(flat) and "\x1b" not in flat and "\u2028" not in flat
    assert flat.startswith("x : :set-output") and flat.endswith("y")


def test_echo_keeps_the_start_and_the_end_of_a_long_value() -> None:
    value = "/subscriptions/" + "a" * 300 + "/resourceGroups/typo-HERE"
    shown = echo(value)
    assert shown.startswith("'/subscriptions/aaa") and shown.endswith("typo-HERE'")
    assert "…" in shown and len(shown) < 260
    assert echo("ok") == "'ok'"
    assert inert(echo(HOSTILE))  # repr() escapes the line breaks; the pairs are split


@pytest.mark.parametrize(
    ("given", "expected"),
    [("Moving.", "Moving"), ("Moving", "Moving"), ("Wait..", "Wait.."), ("Done.  ", "Done"), ("", "")],
)
def test_clause_drops_one_closing_period(given, expected) -> None:
    assert clause(given) == expected


@pytest.mark.parametrize(
    ("error", "code", "reference", "starts"),
    [
        (
            InputError("max-plan-age", "is not a duration.", "Use 24h.", value="1 day"),
            2,
            "invalid-input",
            "Input max-plan-age (got '1 day'): is not a duration. Use 24h.",
        ),
        (
            PlanRefused("plan.json", "its digest does not match", "Plan again."),
            1,
            "plan-refused",
            "Refusing plan 'plan.json': its digest does not match. Plan again.",
        ),
        (
            Blocked("/ws", ["running-jobs", "computes-present", "running-jobs"]),
            1,
            "move-blocked",
            "Moving workspace /ws is blocked by 3 finding(s): computes-present, running-jobs.",
        ),
        (
            SignInError("client-secret", "AADSTS7000215: invalid secret.", "Check it."),
            3,
            "sign-in-failed",
            "Sign-in with client-secret failed: AADSTS7000215: invalid secret. Check it.",
        ),
        (
            RuntimeFailure("Writing report.json", "disk full", "Free space."),
            3,
            "runtime-failure",
            "Writing report.json failed: disk full. Free space.",
        ),
    ],
)
def test_each_error_has_its_exit_code_reference_and_one_line(error, code, reference, starts) -> None:
    assert isinstance(error, AmlMoveError)
    assert error.exit_code == code and int(error.exit_code) in {e.value for e in ExitCode}
    assert error.reference == reference
    assert str(error).startswith(starts), str(error)
    assert inert(str(error))


def test_input_error_without_a_value_echoes_nothing() -> None:
    assert str(InputError("client-secret", "is empty", "Set it.")) == "Input client-secret: is empty. Set it."


def test_azure_error_keeps_code_status_and_correlation_id_and_caps_arms_message() -> None:
    error = AzureError(
        "validateMoveResources", status=409, code="ResourceMoveFailed", message="m" * 1000 + ".", correlation_id="c-1"
    )
    text = str(error)
    assert text.startswith("validateMoveResources failed: HTTP 409: ResourceMoveFailed: mmm")
    assert "m" * 400 + "…" in text and "m" * 401 not in text
    assert "(correlation id c-1). Check the resource" in text
    assert error.exit_code is ExitCode.FAILURE and error.azure_message.endswith(".")
    assert str(AzureError("list groups")).startswith("list groups failed. ")


def test_a_hostile_message_from_arm_stays_one_inert_line() -> None:
    error = AzureError("moveResources", code="X::y", message=HOSTILE)
    assert inert(str(error)) and error.message == str(error)
