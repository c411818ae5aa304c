"""The reproduced runner parsers agree with the runners' own unit tests (actions/runner ActionCommandL0 and
SetOutputFileCommandL0, azure-pipelines-agent LoggingCommandL0) and with the runner code paths they cite."""

from __future__ import annotations

import pytest

from tests.support.runner_rules import (
    GITHUB_COMMANDS,
    Command,
    FileCommandError,
    find_formatting_markers,
    parse_github_commands,
    parse_github_file_commands,
    parse_github_file_pairs,
    parse_github_line,
    parse_vso_commands,
    parse_vso_line,
    runner_lines,
)

DO = frozenset({"do-something"})


# --- GitHub: legacy `##[cmd k=v;]data` (ActionCommandL0.CommandParserTest) ---------------------------------------


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("##[do-something k1=v1;]msg", Command("do-something", {"k1": "v1"}, "msg")),
        ("##[do-something]", Command("do-something", {}, "")),
        (
            "##[do-something k1=%3B=%0D=%0A=%5D;]%3B-%0D-%0A-%5D",
            Command("do-something", {"k1": ";=\r=\n=]"}, ";-\r-\n-]"),
        ),
        (
            "##[do-something k1=%253B=%250D=%250A=%255D;]%253B-%250D-%250A-%255D",
            Command("do-something", {"k1": "%3B=%0D=%0A=%5D"}, "%3B-%0D-%0A-%5D"),
        ),
        ("##[do-something k1=;k2=;]", Command("do-something", {}, "")),
        (">>>   ##[do-something k1=v1;]msg", Command("do-something", {"k1": "v1"}, "msg")),
    ],
)
def test_legacy_parser_matches_runner_unit_tests(line: str, expected: Command) -> None:
    assert parse_github_line(line, DO) == expected


# --- GitHub: `::cmd k=v,::data` (ActionCommandL0.CommandParserV2Test) --------------------------------------------


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("::do-something k1=v1,::msg", Command("do-something", {"k1": "v1"}, "msg")),
        ("::do-something::", Command("do-something", {}, "")),
        (
            "::do-something k1=;=%2C=%0D=%0A=]=%3A,::;-%0D-%0A-]-:-,",
            Command("do-something", {"k1": ";=,=\r=\n=]=:"}, ";-\r-\n-]-:-,"),
        ),
        (
            "::do-something k1=;=%252C=%250D=%250A=]=%253A,::;-%250D-%250A-]-:-,",
            Command("do-something", {"k1": ";=%2C=%0D=%0A=]=%3A"}, ";-%0D-%0A-]-:-,"),
        ),
        ("::do-something k1=,k2=,::", Command("do-something", {}, "")),
        ("::do-something k1=v1::", Command("do-something", {"k1": "v1"}, "")),
        ("   ::do-something k1=v1,::msg", Command("do-something", {"k1": "v1"}, "msg")),
    ],
)
def test_v2_parser_matches_runner_unit_tests(line: str, expected: Command) -> None:
    assert parse_github_line(line, DO) == expected


def test_v2_needs_the_line_start_and_a_registered_name() -> None:
    assert parse_github_line("   >>>   ::do-something k1=v1,::msg", DO) is None
    assert parse_github_line("::other::msg", DO) is None
    assert parse_github_line("::SET-OUTPUT name=a::b", GITHUB_COMMANDS) == Command("SET-OUTPUT", {"name": "a"}, "b")
    assert parse_github_line("::::", None) is None  # an empty name is never a command
    assert parse_github_line("::anything::x") == Command("anything", {}, "x")  # the strict default: any name


def test_a_line_is_tried_as_v2_then_as_legacy() -> None:
    assert parse_github_line("::unknown:: then ##[error]x", GITHUB_COMMANDS) == Command("error", {}, "x")


def test_property_pairs_follow_dotnet_split_with_remove_empty_entries() -> None:
    assert parse_github_line("::x a==b::")[1] == {"a": "=b"}
    assert parse_github_line("::x =a=b::")[1] == {"a": "b"}
    assert parse_github_line("::x a=,==c,d::")[1] == {}


def test_lines_end_at_cr_lf_and_crlf_as_streamreader_reads_them() -> None:
    assert runner_lines("a\rb\nc\r\nd\n") == ["a", "b", "c", "d"]
    assert runner_lines("a\n\n") == ["a", ""]
    assert runner_lines("") == []
    assert [c.name for c in parse_github_commands("ok\r::error::x\rfine ##[warning]y")] == ["error", "warning"]


def test_weightless_characters_are_skipped_as_an_icu_search_skips_them() -> None:
    # .NET's culture-sensitive StartsWith/IndexOf ignore weightless characters under ICU (dotnet/runtime#46569).
    assert parse_github_line(":\u200b:error::x") == Command("error", {}, "x")
    assert parse_github_line("#\x00#[error]x") == Command("error", {}, "x")
    assert parse_github_line("\ufeff::warning::x") == Command("warning", {}, "x")
    assert parse_vso_line("#\u00ad#vso[task.complete]x") == Command("task.complete", {}, "x")
    assert parse_github_line(": :error: :x") is None and parse_github_line("# #[error]x") is None


# --- GitHub: stop-commands (ActionCommandManager.TryProcessCommand, ValidateStopToken) -----------------------------


def test_stop_commands_pause_both_parsers_until_the_token() -> None:
    stream = "\n".join(
        [
            "::stop-commands::tok3n",
            "::set-output name=a::b",
            "x ##[error]y",
            "::TOK3N::",
            "::warning::after",
        ]
    )
    assert parse_github_commands(stream, GITHUB_COMMANDS) == [
        Command("stop-commands", {}, "tok3n"),
        Command("TOK3N", {}, ""),
        Command("warning", {}, "after"),
    ]
    legacy_resume = "::stop-commands::tok3n\n::error::no\nsay ##[tok3n]\n::error::yes"
    assert [c.data for c in parse_github_commands(legacy_resume) if c.name == "error"] == ["yes"]


@pytest.mark.parametrize("token", ["", "error", "PAUSE-LOGGING"])
def test_stop_commands_refuses_unsafe_tokens(token: str) -> None:
    assert [c.name for c in parse_github_commands(f"::stop-commands::{token}\n::error::x")] == [
        "stop-commands",
        "error",
    ]


def test_stop_commands_do_not_stop_azure_devops() -> None:
    stream = "::stop-commands::tok3n\n##vso[task.setvariable variable=a]b\n::tok3n::"
    assert len(parse_github_commands(stream)) == 2
    assert parse_vso_commands(stream) == [Command("task.setvariable", {"variable": "a"}, "b")]


# --- GitHub: environment files (SetOutputFileCommandL0, EnvFileKeyValuePairs) ---------------------------------------


def test_file_commands_simple_and_heredoc_as_the_runner_tests_expect() -> None:
    text = "\n".join(
        [
            "",
            "MY_OUTPUT==abc",
            "MY_OUTPUT_2=def=ghi",
            "MY_OUTPUT_3=jkl=",
            "H1<<=EOF",
            "hello",
            "one",
            "=EOF",
            "H2<<<EOF",
            "hello",
            "two",
            "<EOF",
            "H3<<EOF",
            "hello",
            "",
            "three",
            "",
            "EOF",
            "H4<<EOF",
            "hello=four",
            "EOF",
            "H5<<EOF",
            " EOF",
            "EOF",
            "EMPTY<<EOF",
            "EOF",
        ]
    )
    assert parse_github_file_commands("\ufeff" + text) == {
        "MY_OUTPUT": "=abc",
        "MY_OUTPUT_2": "def=ghi",
        "MY_OUTPUT_3": "jkl=",
        "H1": "hello\none",
        "H2": "hello\ntwo",
        "H3": "hello\n\nthree\n",
        "H4": "hello=four",
        "H5": " EOF",
        "EMPTY": "",
    }


def test_file_commands_fail_where_the_runner_fails() -> None:
    with pytest.raises(FileCommandError, match="Matching delimiter not found"):
        parse_github_file_pairs("MY_OUTPUT<<EOF line one line two EOF")
    with pytest.raises(FileCommandError, match="EOF marker missing new line"):
        parse_github_file_pairs("MY_OUTPUT<<EOF\nline one\nline two EOF")
    with pytest.raises(FileCommandError, match="Invalid format"):
        parse_github_file_pairs("no separator")
    with pytest.raises(FileCommandError, match="Name must not be empty"):
        parse_github_file_pairs("<<EOF\nx\nEOF\n")


def test_a_cr_before_the_delimiter_does_not_close_a_heredoc_on_linux() -> None:
    assert parse_github_file_commands("A<<D\nx\nD\r\nB=y\nD\n") == {"A": "x\nD\r\nB=y"}


def test_a_value_with_the_delimiter_on_its_own_line_injects_outputs() -> None:
    """Why the delimiter must be random and refused in values: this is the injection the helpers must reveal."""
    value = "ready\nEOF\nstatus<<EOF\nmoved"
    assert parse_github_file_pairs(f"status<<EOF\n{value}\nEOF\n") == [("status", "ready"), ("status", "moved")]
    assert parse_github_file_commands(f"status<<EOF\n{value}\nEOF\n") == {"status": "moved"}


# --- Azure DevOps (LoggingCommandL0.CommandParserTest) -------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "decode", "expected"),
    [
        ("##vso[area.event k1=v1;]msg", True, Command("area.event", {"k1": "v1"}, "msg")),
        ("##vso[area.event]", True, Command("area.event", {}, "")),
        (
            "##vso[area.event k1=%3B=%0D=%0A=%5D%AZP25;]%3B-%0D-%0A-%5D%AZP253B",
            False,
            Command("area.event", {"k1": ";=\r=\n=]%AZP25"}, ";-\r-\n-]%AZP253B"),
        ),
        (
            "##vso[area.event k1=%3B=%0D=%0A=%5D%AZP25;]%3B-%0D-%0A-%5D%AZP253B",
            True,
            Command("area.event", {"k1": ";=\r=\n=]%"}, ";-\r-\n-]%3B"),
        ),
        ("##vso[area.event k1=;k2=;]", True, Command("area.event", {}, "")),
        (">>>   ##vso[area.event k1=v1;]msg", True, Command("area.event", {"k1": "v1"}, "msg")),
    ],
)
def test_vso_parser_matches_agent_unit_tests(line: str, decode: bool, expected: Command) -> None:
    assert parse_vso_line(line, decode) == expected


def test_vso_needs_area_dot_event_and_only_the_first_prefix_counts() -> None:
    assert parse_vso_line("##vso[nodot]x") is None
    assert parse_vso_line("##vso[a.b.c]x") is None
    assert parse_vso_line("##vso[task..complete]x") == Command("task.complete", {}, "x")
    assert parse_vso_line("##vso[bad] ##vso[task.complete]x") is None
    assert parse_vso_line("##vso[task.complete") is None


def test_formatting_markers_are_found_anywhere() -> None:
    assert find_formatting_markers("##[debug]a\nx ##[error]b\nplain") == [(0, "debug"), (1, "error")]
