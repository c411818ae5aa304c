"""Untrusted text (resource names, tags, ARM error messages, principal names) made safe for each sink.

GitHub's runner executes `::cmd::` at the start of a line (after leading whitespace) and the legacy `##[cmd]`
anywhere in a line, on stdout AND stderr; Azure DevOps executes `##vso[` and `##[` anywhere. Markdown/HTML in the
job summary must stay inert. Every function here is total: any input string gives a safe string, never an error.
"""

from __future__ import annotations

import html
import re
import secrets
from collections.abc import Iterable

_ANSI = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b[@-_]")
ZWSP = "\u200b"  # breaks a command token without changing what a human reads


def _printable(text: str) -> str:
    text = _ANSI.sub("", text)
    return "".join(ch if ch.isprintable() else " " for ch in text)


def defuse(text: str) -> str:
    """Break every `::` and `##` pair so no runner can parse a command out of the text."""
    return text.replace("::", ":" + ZWSP + ":").replace("##", "#" + ZWSP + "#")


def for_log(text: object) -> str:
    """One printable line, no control characters or ANSI escapes, no runnable workflow command anywhere."""
    return defuse(" ".join(_printable(str(text)).split()))


_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]!|~])")


def for_markdown(text: object) -> str:
    """Inline Markdown/HTML made inert (for table cells and paragraphs): HTML escaped, Markdown punctuation
    backslash-escaped, newlines flattened, workflow-command sequences broken."""
    flat = " ".join(_printable(str(text)).split())
    escaped = html.escape(flat, quote=True)
    escaped = _MD_SPECIAL.sub(r"\\\1", escaped)
    return defuse(escaped)


def redact(text: str, secret_values: Iterable[str]) -> str:
    for value in sorted({s for s in secret_values if s}, key=len, reverse=True):
        text = text.replace(value, "***")
    return text


def stop_token() -> str:
    """A random token for GitHub's ::stop-commands:: (unique per use, as the docs require)."""
    return secrets.token_hex(16)


def for_code_span(text: object) -> str:
    """Content for an inline `code span`: nothing inside is interpreted except a closing backtick and, in a table,
    `|`; so backticks are replaced, pipes escaped (GFM honours `\\|` inside code spans in tables)."""
    flat = " ".join(_printable(str(text)).split())
    return defuse(flat.replace("`", "\u02cb").replace("|", "\\|")) or " "
