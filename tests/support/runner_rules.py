"""The CI runners' parsers, reproduced for tests: what a GitHub runner or an Azure DevOps agent would execute from our
stdout/stderr, and what the GitHub runner reads back from a GITHUB_OUTPUT file.

Sources (read 2026-08):
- actions/runner src/Runner.Common/ActionCommand.cs (TryParseV2, TryParse and their escape tables),
  src/Runner.Worker/ActionCommandManager.cs (TryProcessCommand: V2 first, then legacy; stop-commands and resume;
  ValidateStopToken), src/Runner.Worker/FileCommandManager.cs (EnvFileKeyValuePairs, ReadLine on LF for Linux),
  src/Runner.Sdk/ProcessInvoker.cs (lines come from StreamReader.ReadLine: CR, LF and CRLF each end a line).
- microsoft/azure-pipelines-agent src/Microsoft.VisualStudio.Services.Agent/Command.cs (TryParse),
  src/Agent.Sdk/CommandStringConvertor.cs (unescape; `%AZP25` → `%` behind the DecodePercents knob, default true).

Deliberately stricter than the runners in two ways, so a test that finds no command is not fooled:
- both runners search with culture-sensitive `StartsWith`/`IndexOf`, which under ICU (.NET 6+ on Linux) skip
  weightless characters such as NUL or U+200B. We model that by dropping every control, format, unassigned,
  private-use and default-ignorable character before looking (an over-approximation of ICU's weightless set;
  the exact ICU tables were not consulted);
- by default any command name counts (the runner only executes registered ones, case-insensitively; pass
  `registered=GITHUB_COMMANDS` for the exact behaviour).
Property names are returned lower-cased (the runners compare them case-insensitively).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from typing import NamedTuple


class Command(NamedTuple):
    """One command as the runner sees it: name, properties (lower-cased names), data — all unescaped."""

    name: str
    properties: dict[str, str]
    data: str


class FileCommandError(ValueError):
    """The runner would fail the step with this message while reading an environment file."""


# Registered by actions/runner's ActionCommandManager (stop-commands plus its command extensions).
GITHUB_COMMANDS = frozenset(
    {
        "stop-commands",
        "set-env",
        "set-output",
        "save-state",
        "add-mask",
        "add-path",
        "add-matcher",
        "remove-matcher",
        "debug",
        "warning",
        "error",
        "notice",
        "group",
        "endgroup",
        "echo",
    }
)

# Escape tables, applied in this order when unescaping (as the .NET code iterates its mapping arrays).
_V2_DATA = (("%0D", "\r"), ("%0A", "\n"), ("%25", "%"))
_V2_PROPERTY = (("%0D", "\r"), ("%0A", "\n"), ("%3A", ":"), ("%2C", ","), ("%25", "%"))
_LEGACY = (("%3B", ";"), ("%0D", "\r"), ("%0A", "\n"), ("%5D", "]"), ("%25", "%"))
_VSO = (("%3B", ";"), ("%0D", "\r"), ("%0A", "\n"), ("%5D", "]"))

_LINE_BREAK = re.compile(r"\r\n|\r|\n")
# Characters with no visible form that Python still calls printable and ICU gives no weight to.
_INVISIBLE_PRINTABLE = set("\u034f\u115f\u1160\u17b4\u17b5\u180b\u180c\u180d\u180f\u3164\uffa0") | {
    chr(c) for c in [*range(0xFE00, 0xFE10), *range(0xE0100, 0xE01F0)]
}


def _weightless(ch: str) -> bool:
    if ch in "\t\n\v\f\r":
        return False
    return unicodedata.category(ch) in {"Cc", "Cf", "Cn", "Co", "Cs"} or ch in _INVISIBLE_PRINTABLE


def _probe(line: str) -> str:
    """The line as an ICU-backed culture-sensitive search effectively sees it."""
    return "".join(ch for ch in line if not _weightless(ch))


def runner_lines(stream_text: str) -> list[str]:
    """Split a stream the way StreamReader.ReadLine does: CR, LF or CRLF end a line; no empty line after the last."""
    if not stream_text:
        return []
    lines = _LINE_BREAK.split(stream_text)
    if lines[-1] == "":
        lines.pop()
    return lines


def _unescape(text: str, table: Iterable[tuple[str, str]]) -> str:
    for escaped, plain in table:
        text = text.replace(escaped, plain)
    return text


def _pair(prop: str) -> tuple[str, str] | None:
    """.NET `Split('=', 2, RemoveEmptyEntries)` keeping only results of length 2: leading '=' are dropped."""
    key, sep, value = prop.lstrip("=").partition("=")
    if not key or not sep or not value:
        return None
    return key, value


def _properties(text: str, separator: str, table: Iterable[tuple[str, str]]) -> dict[str, str]:
    """`k=v` pairs split at `separator` (empty entries and pairs without a value dropped), values unescaped."""
    properties: dict[str, str] = {}
    for prop in text.split(separator):
        pair = _pair(prop) if prop else None
        if pair:
            properties[pair[0].lower()] = _unescape(pair[1], table)
    return properties


def _bracketed(line: str, prefix: str) -> tuple[str, str, str] | None:
    """For `PREFIX name props]data` anywhere in the line: (name, props, data) — the legacy GitHub and the Azure
    DevOps form; the first prefix decides, and the first `]` after it closes the command info."""
    start = line.find(prefix)
    if start < 0:
        return None
    close = line.find("]", start)
    if close < 0:
        return None
    name, _, props = line[start + len(prefix) : close].partition(" ")
    return name, props, line[close + 1 :]


def _known(name: str, registered: frozenset[str] | None, extra: str | None) -> bool:
    if not name:
        return False
    if extra is not None and name.lower() == extra.lower():
        return True
    return registered is None or name.lower() in {r.lower() for r in registered}


def _github_v2(line: str, registered: frozenset[str] | None, extra: str | None) -> Command | None:
    message = line.lstrip()  # Python's whitespace set contains .NET's TrimStart set
    if not message.startswith("::"):
        return None
    end = message.find("::", 2)
    if end < 0:
        return None
    info = message[2:end]
    space = info.find(" ")
    name = info if space < 0 else info[:space]
    if not _known(name, registered, extra):
        return None
    props = info[space + 1 :].strip() if space > 0 else ""
    return Command(name, _properties(props, ",", _V2_PROPERTY), _unescape(message[end + 2 :], _V2_DATA))


def _github_legacy(line: str, registered: frozenset[str] | None, extra: str | None) -> Command | None:
    found = _bracketed(line, "##[")
    if found is None or not _known(found[0], registered, extra):
        return None
    name, props, data = found
    return Command(name, _properties(props, ";", _LEGACY), _unescape(data, _LEGACY))


def parse_github_line(line: str, registered: frozenset[str] | None = None, extra: str | None = None) -> Command | None:
    """One line through TryParseV2, then the legacy TryParse (as TryProcessCommand does); no stop-commands state."""
    probe = _probe(line)
    return _github_v2(probe, registered, extra) or _github_legacy(probe, registered, extra)


def parse_github_commands(stream_text: str, registered: frozenset[str] | None = None) -> list[Command]:
    """Every command the GitHub runner would process from one output stream, honouring `::stop-commands::`.

    While stopped only the resume command (named after the token, `::TOKEN::` or `##[TOKEN]`) is processed; both the
    stop and the resume command are in the result. A stop with an empty token, a registered command name or
    `pause-logging` is refused by the runner (ValidateStopToken) and does not stop anything."""
    commands: list[Command] = []
    token: str | None = None
    for line in runner_lines(stream_text):
        command = parse_github_line(line, registered, token)
        if command is None:
            continue
        if token is not None:
            if command.name.lower() == token.lower():
                commands.append(command)
                token = None
            continue
        commands.append(command)
        if command.name.lower() == "stop-commands":
            candidate = command.data
            if candidate and candidate.lower() not in GITHUB_COMMANDS and candidate.lower() != "pause-logging":
                token = candidate
    return commands


def parse_github_file_pairs(file_text: str) -> list[tuple[str, str]]:
    """GITHUB_OUTPUT / GITHUB_ENV / GITHUB_STATE content as the runner reads it (EnvFileKeyValuePairs, Linux).

    `NAME=VALUE` (split at the first `=`) when `=` comes before any `<<`; otherwise `NAME<<DELIM` followed by lines
    up to one that equals DELIM exactly (LF-separated; a CR stays part of the line). Raises FileCommandError with
    the runner's message where the runner would fail the step."""
    text = file_text.removeprefix("\ufeff")  # File.ReadAllText drops a UTF-8 byte-order mark
    pairs: list[tuple[str, str]] = []
    index = 0

    def read_line() -> tuple[str | None, str | None]:
        nonlocal index
        if index >= len(text):
            return None, None
        start = index
        lf = text.find("\n", index)
        if lf < 0:
            index = len(text)
            return text[start:], None
        index = lf + 1
        return text[start:lf], "\n"

    line, _ = read_line()
    while line is not None:
        if line:
            equals, heredoc = line.find("="), line.find("<<")
            if equals >= 0 and (heredoc < 0 or equals < heredoc):
                key, value = line.split("=", 1)
            elif heredoc >= 0 and (equals < 0 or heredoc < equals):
                key, delimiter = line.split("<<", 1)
                if not key or not delimiter:
                    raise FileCommandError(
                        f"Invalid format '{line}'. Name must not be empty and delimiter must not be empty"
                    )
                start = end = index
                current, newline = read_line()
                while current != delimiter:
                    if current is None:
                        raise FileCommandError(f"Invalid value. Matching delimiter not found '{delimiter}'")
                    if newline is None:
                        raise FileCommandError("Invalid value. EOF marker missing new line.")
                    end = index - len(newline)
                    current, newline = read_line()
                value = text[start:end] if end > start else ""
            else:
                raise FileCommandError(f"Invalid format '{line}'")
            pairs.append((key, value))
        line, _ = read_line()
    return pairs


def parse_github_file_commands(file_text: str) -> dict[str, str]:
    """The outputs a GITHUB_OUTPUT file sets (a later pair with the same name wins, as SetOutput overwrites)."""
    return dict(parse_github_file_pairs(file_text))


def parse_vso_line(line: str, decode_percents: bool = True) -> Command | None:
    """One line through the Azure Pipelines agent's Command.TryParse: the first `##vso[` anywhere, `]` closes the
    command info, the name must be `area.event`, properties are `;`-separated."""
    found = _bracketed(_probe(line), "##vso[")
    if found is None:
        return None
    name, props, data = found
    area_event = [part for part in name.split(".") if part]
    if len(area_event) != 2:
        return None
    table = (*_VSO, ("%AZP25", "%")) if decode_percents else _VSO
    return Command(".".join(area_event), _properties(props, ";", table), _unescape(data, table))


def parse_vso_commands(stream_text: str, decode_percents: bool = True) -> list[Command]:
    """Every logging command the Azure Pipelines agent would process from one output stream."""
    found = (parse_vso_line(line, decode_percents) for line in runner_lines(stream_text))
    return [command for command in found if command is not None]


def find_formatting_markers(stream_text: str) -> list[tuple[int, str]]:
    """`##[name]` markers anywhere in a line (Azure Pipelines formatting such as `##[error]`, `##[group]`; GitHub's own
    log markers), as (line number, name). Stricter than either log viewer, which only honours them at a line start."""
    found = []
    for number, line in enumerate(runner_lines(stream_text)):
        probe = _probe(line)
        for match in re.finditer(r"##\[([^\]\s]*)", probe):
            found.append((number, match.group(1)))
    return found
