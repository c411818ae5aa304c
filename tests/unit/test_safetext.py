"""safetext: hostile text becomes inert in every sink, ordinary text stays as it was, and nothing ever raises.

"Inert in a log" is judged by tests/support/runner_rules.py, the runners' own parsers reproduced (stricter than the
runners); "inert in Markdown" by the escaping rules of GFM (cmark-gfm's table-cell scanner for `|`)."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from amlmove_action.safetext import (
    REDACTED,
    for_code_span,
    for_log,
    for_markdown,
    for_output,
    guarded_block,
    redact,
    stop_token,
)
from tests.support.hostile_text import HOSTILE, HOSTILE_COMMANDS, nasty_text
from tests.support.runner_rules import find_formatting_markers, parse_github_commands, parse_vso_commands


def runner_commands(text: str) -> list:
    """Everything either runner would act on in this stream, plus any formatting marker."""
    return parse_github_commands(text) + parse_vso_commands(text) + find_formatting_markers(text)


def test_the_hostile_strings_are_commands_as_they_stand() -> None:
    """So the zero counts below can fail: unneutralised, each command string is parsed."""
    for text in HOSTILE_COMMANDS:
        assert runner_commands(text), text


@pytest.mark.parametrize("text", HOSTILE)
def test_for_log_gives_one_inert_line(text: str) -> None:
    line = for_log(text)
    assert "\n" not in line and "\r" not in line
    assert "::" not in line and "##" not in line
    assert line.isprintable() and "\x1b" not in line
    for printed in (line, "   " + line, "\t" + line, f"{line}\n{line}", f"prefix {line} suffix"):
        assert runner_commands(printed) == [], printed


def test_for_log_keeps_ordinary_text() -> None:
    line = "Moving 3 resource(s) to rg-ml-prod … (ARM said: 'Conflict'; 50% done) [ok] #1 a:b"
    assert for_log(line) == line
    assert for_log("  two\nlines\t here ") == "two lines here"
    assert for_log("fe80::1 and C##") == "fe80: :1 and C# #"


@given(st.text())
def test_for_log_is_idempotent(text: str) -> None:
    assert for_log(for_log(text)) == for_log(text)


class Unprintable:
    def __str__(self) -> str:
        raise RuntimeError("no")


@pytest.mark.parametrize("value", [None, 3, b"::error::x", Unprintable(), "\ud800 lone surrogate", "\x00" * 5])
def test_odd_values_never_raise(value: object) -> None:
    for sink in (for_log, for_markdown, for_code_span, for_output):
        result = sink(value)
        assert isinstance(result, str)
        result.encode("utf-8")  # printable and encodable: no lone surrogates left
    assert for_log(Unprintable()) == "<unprintable Unprintable>"


@settings(max_examples=400, deadline=None)
@given(nasty_text)
def test_property_for_log_printed_on_a_line_is_never_a_command(text: str) -> None:
    line = for_log(text)
    assert runner_commands(line) == []
    assert runner_commands("  " + line) == []


@settings(max_examples=200, deadline=None)
@given(nasty_text, nasty_text)
def test_property_two_neutralised_pieces_joined_by_a_space_stay_inert(a: str, b: str) -> None:
    assert runner_commands(f"{for_log(a)} {for_log(b)}") == []


@pytest.mark.parametrize("text", HOSTILE)
def test_for_output_is_inert_and_keeps_inner_spacing(text: str) -> None:
    value = for_output(text)
    assert runner_commands(value) == [] and "\n" not in value and "\r" not in value
    assert for_output("amlmove-output/plan  final.json") == "amlmove-output/plan  final.json"


# --- Markdown --------------------------------------------------------------------------------------------------------

_ESCAPED_PAIR = re.compile(r"\\[!-/:-@\[-`{-~]")  # CommonMark: a backslash before ASCII punctuation
_OUR_ENTITIES = re.compile(r"&(?:amp|lt|gt|quot|#x27);")
_GFM_CELL = re.compile(r"(?:\\[!-/:-@\[-`{-~]|[^|\r\n])+")  # cmark-gfm ext_scanners.re: table_cell


def bare(markdown: str) -> str:
    """What is left after removing the escapes and entities we produce: it must hold no active character."""
    return _OUR_ENTITIES.sub("", _ESCAPED_PAIR.sub("", markdown))


def gfm_cells(row: str) -> list[str]:
    """Split a table row the way cmark-gfm's scanner does (an escaped character never splits a cell)."""
    body = row.strip().removeprefix("|")
    cells, pos = [], 0
    while True:
        match = _GFM_CELL.match(body, pos)
        end = match.end() if match else pos
        cells.append(body[pos:end])
        if end >= len(body):
            break
        pos = end + 1  # past the '|'
    if body.endswith("|") and cells[-1] == "":
        cells.pop()
    return cells


@pytest.mark.parametrize("text", HOSTILE)
def test_for_markdown_leaves_nothing_active(text: str) -> None:
    md = for_markdown(text)
    rest = bare(md)
    assert not set(rest) & set("<>&`|[]*_!~#\\"), (md, rest)
    assert "\n" not in md and "\r" not in md
    assert "://" not in md and "www." not in md.lower()  # no GFM extended autolink
    assert not re.match(r"[-+=]|\d+[.)]", md)  # no list item, setext line or ordered list at a paragraph start
    assert "::" not in md and "##" not in md


@pytest.mark.parametrize("text", HOSTILE)
def test_markdown_and_code_spans_stay_in_their_table_cell(text: str) -> None:
    row = f"| {for_markdown(text)} | `{for_code_span(text)}` |"
    cells = gfm_cells(row)
    assert len(cells) == 2, (row, cells)
    span = cells[1].strip()
    assert span.startswith("`") and span.endswith("`") and "`" not in span[1:-1]


def test_table_cell_splitting_helper_can_fail() -> None:
    assert len(gfm_cells("| a | b \\| c | d\\\\|e |")) == 4
    assert len(gfm_cells(f"| {'a|b'} |")) == 2


def test_for_markdown_keeps_plain_text_readable() -> None:
    assert for_markdown("rg-ml-prod in westeurope (3 items)") == "rg-ml-prod in westeurope (3 items)"
    assert for_markdown("my_workspace") == "my\\_workspace"
    assert for_markdown("<b>") == "&lt;b&gt;"


def test_code_span_content() -> None:
    assert for_code_span("/subscriptions/x/resourceGroups/rg") == "/subscriptions/x/resourceGroups/rg"
    assert for_code_span("") == " "
    assert "`" not in for_code_span("a`b``c")
    assert for_code_span("a|b") == "a\\|b"


# --- Redaction and the guarded block ---------------------------------------------------------------------------------


def test_redact_masks_secrets_and_each_of_their_lines_longest_first() -> None:
    secrets = ["abc", "abcdef", "line1\nline2", "", "   ", 42]
    text = "abcdef abc line1 and line2 together: line1\nline2"
    assert redact(text, secrets) == f"{REDACTED} {REDACTED} {REDACTED} and {REDACTED} together: {REDACTED}"
    assert redact("nothing", []) == "nothing"
    assert redact(None, ["x"]) == ""


def test_guarded_block_wraps_and_neutralises_each_line() -> None:
    text = "first\n  ::set-output name=status::ready\n##vso[task.complete result=Succeeded;]x\n::tok::\n\tindented"
    lines = guarded_block(text, token="tok")
    assert lines[0].startswith("::stop-commands::") and lines[-1] == f"::{lines[0].split('::')[-1]}::"
    token = lines[0].split("::")[-1]
    assert token != "tok", "a token that occurs in the text must be replaced"
    assert lines[2] == "  : :set-output name=status: :ready" and lines[5] == " indented"
    stream = "\n".join(lines)
    assert parse_github_commands(stream) == [("stop-commands", {}, token), (token, {}, "")]
    assert parse_vso_commands(stream) == []


def test_stop_tokens_are_random_hex() -> None:
    tokens = {stop_token() for _ in range(50)}
    assert len(tokens) == 50 and all(re.fullmatch(r"[0-9a-f]{32}", t) for t in tokens)
