"""Untrusted text (resource names, tags, ARM error messages, principal names) made safe for each sink.

Logs: the GitHub runner executes `::cmd::` at the start of a line (after leading whitespace) and the legacy `##[cmd]`
anywhere in a line, on stdout and stderr; the Azure DevOps agent executes `##vso[` anywhere. Both read lines with
.NET's StreamReader (CR, LF and CRLF end a line) and look for those prefixes with culture-sensitive
`StartsWith`/`IndexOf`, which under ICU skip weightless characters: `:\u200b:` still matches `::` there. So every
break we insert is a visible space, and every invisible or control character in the input becomes a space too.
Markdown: the job summary is rendered as GitHub-flavoured Markdown with HTML, so untrusted text is made inert inline.
Every function here is total: any input gives a safe string, never an exception.
"""

from __future__ import annotations

import html
import re
import secrets as _secrets
from collections.abc import Iterable
from typing import Any

REDACTED = "***"

# ANSI/VT escape sequences: CSI (ESC [ or the C1 byte), OSC (ESC ] … BEL or ESC \), and two-byte ESC sequences.
_ANSI = re.compile(r"(?:\x1b\[|\x9b)[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|\x1b[@-Z\\-_]")
# Unicode Default_Ignorable_Code_Point: invisible, and weightless in ICU collation, so a runner's culture-sensitive
# search looks straight through them. Python calls some of them printable (e.g. U+115F, U+3164, U+FE0F).
_IGNORABLE = re.compile(
    "[\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180b-\u180f\u200b-\u200f\u202a-\u202e\u2060-\u206f\u3164"
    "\ufe00-\ufe0f\ufeff\uffa0\ufff0-\ufff8\U0001bca0-\U0001bca3\U0001d173-\U0001d17a\U000e0000-\U000e0fff]"
)
_DOUBLED = re.compile(r"([:#])(?=\1)")
ZWSP = "\u200b"  # only used inside Markdown (never in a log line): it breaks autolinks without showing


def _text(value: object) -> str:
    """str(value) that cannot raise: a broken __str__ gives a placeholder instead of a traceback."""
    if isinstance(value, str):
        return value
    if value is None:
        return ""
    try:
        return str(value)
    except Exception:  # noqa: BLE001 - any __str__ may fail; the placeholder is the documented result
        return f"<unprintable {type(value).__name__}>"


def printable(value: object) -> str:
    """ANSI escapes removed; control, format, invisible and line/paragraph-separator characters each become a space.

    Line structure is not kept (CR and LF become spaces too); indentation and runs of spaces are."""
    text = _IGNORABLE.sub(" ", _ANSI.sub("", _text(value)))
    return "".join(ch if ch.isprintable() else " " for ch in text)


def one_line(value: object) -> str:
    """Printable, on one line, with runs of whitespace collapsed to one space and the ends trimmed."""
    return " ".join(printable(value).split())


def defuse(text: str) -> str:
    """Split every `::` and `##` with a visible space, so neither `::cmd::`, `##[cmd]` nor `##vso[` can be formed.

    A visible space (not a zero-width one) because the runners' culture-sensitive search ignores zero-width characters.
    Expects printable text (see `printable`); on its own it does not remove what the runners would skip."""
    return _DOUBLED.sub(r"\1 ", text)


def for_log(value: object) -> str:
    """One printable line that no CI runner can read a command from, wherever on the line it is printed.

    Guarantee (tested against tests/support/runner_rules.py): the result has no CR/LF or other line break, no control or
    invisible characters, no ANSI escapes, and contains neither `::` nor `##`."""
    return defuse(one_line(value))


def for_output(value: object) -> str:
    """A step-output value: one line, printable, defused (a later step may echo it into its log), but otherwise
    kept as given: inner spaces are not collapsed, so a path or an id round-trips unchanged."""
    return defuse(printable(value))


def for_block_line(value: object) -> str:
    """One line of a verbatim block (see `guarded_block`): indentation kept, otherwise as safe as `for_log`."""
    return defuse(printable(value).rstrip())


# Inline Markdown: backslash-escape every ASCII punctuation character that starts or ends an inline construct
# (emphasis, code, links, images, strikethrough, table cells, headings) and the escape character itself.
_MD_ESCAPE = re.compile(r"[\\`*_\[\]!|~#]")
# Constructs that only matter at the start of a line (the text may open a paragraph): lists, breaks, setext lines.
_MD_LEADING = re.compile(r"^(?:[-+=]|\d+(?=[.)]))")
_AUTOLINK = re.compile(r"(?i)\b(?:https?|ftp):(?=//)|\bwww(?=\.)")  # GFM's extended autolinks (not e-mail)


def _escape_leading(match: re.Match[str]) -> str:
    token = match.group(0)
    return "\\" + token if not token.isdigit() else token + "\\"


def for_markdown(value: object) -> str:
    """Inline Markdown/HTML made inert, for paragraphs, list items and table cells.

    One line; `<`, `>`, `&` and quotes as HTML entities (no tag, comment or entity survives, so `</details>` cannot
    close our folds); Markdown punctuation backslash-escaped (no link, image, emphasis, code span or extra table cell);
    a leading list/heading marker escaped; `http://`, `https://` and `www.` broken with a zero-width space so GFM does
    not autolink them; `::`/`##` defused like log text."""
    text = _MD_ESCAPE.sub(lambda m: "\\" + m.group(0), one_line(value))
    text = _MD_LEADING.sub(_escape_leading, text, count=1)
    text = _AUTOLINK.sub(lambda m: m.group(0) + ZWSP, text)
    return defuse(html.escape(text, quote=True))


def for_code_span(value: object) -> str:
    """Content for an inline `code span` (render wraps it in single backticks), also inside a GFM table cell.

    Inside a code span only a backtick ends it and only `|` splits a table cell, so: backticks become `ˋ` (U+02CB),
    pipes become `\\|` (GFM drops that backslash in a table cell; elsewhere it shows), a backslash before a pipe is
    kept apart from it so the pair cannot escape our escape, and the result is never empty."""
    text = defuse(one_line(value)).replace("`", "\u02cb")
    text = re.sub(r"\\(?=\|)", lambda m: "\\" + ZWSP, text).replace("|", "\\|")
    return text or " "


def redact(value: object, secret_values: Iterable[str]) -> str:
    """Every registered secret, and every non-blank line of a multi-line one (as the runners mask), replaced by ***.

    Longest first, so a secret that contains another is not half-masked."""
    text = _text(value)
    parts: set[str] = set()
    for secret in secret_values:
        if not isinstance(secret, str) or not secret.strip():
            continue
        parts.add(secret)
        parts.update(line for line in re.split(r"\r\n|\r|\n", secret) if line.strip())
    for part in sorted(parts, key=len, reverse=True):
        text = text.replace(part, REDACTED)
    return text


def stop_token() -> str:
    """A random token for GitHub's `::stop-commands::` (unique per use, as the docs require; 32 hex characters)."""
    return _secrets.token_hex(16)


def guarded_block(value: object, token: str | None = None) -> list[str]:
    """Lines to print for multi-line untrusted text that must stay readable as it was (indentation, line breaks).

    GitHub: wrapped in `::stop-commands::TOKEN` … `::TOKEN::`, which pauses both of the runner's parsers. The Azure
    DevOps agent has no such pause and would still read `##vso[` inside, and a line equal to `::TOKEN::` would resume
    GitHub early, so every inner line is also made safe with `for_block_line` — the wrapper is the second belt."""
    inner = [for_block_line(line) for line in re.split(r"\r\n|\r|\n", _text(value))]
    token = token or stop_token()
    while any(token.lower() in line.lower() for line in inner):  # cannot happen with a fresh random token
        token = stop_token()
    return [f"::stop-commands::{token}", *inner, f"::{token}::"]


def redact_json(value: Any, secrets: Iterable[str]) -> Any:
    """`value` (JSON-like) with every registered secret in its strings replaced by *** (see redact)."""
    if not secrets:
        return value
    if isinstance(value, str):
        return redact(value, secrets)
    if isinstance(value, list):
        return [redact_json(v, secrets) for v in value]
    if isinstance(value, dict):
        return {k: redact_json(v, secrets) for k, v in value.items()}
    return value
