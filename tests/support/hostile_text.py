"""Hostile text shared by the tests of the sinks (tests/unit/test_safetext.py, tests/unit/test_platform.py,
tests/unit/test_diagram.py): strings that are, or through an encoding or a zero-width trick become, runner commands,
active Markdown or Mermaid syntax, and a hypothesis
strategy that reaches runner syntax, line breaks, zero-width and control characters often."""

from __future__ import annotations

from hypothesis import strategies as st

# Every one of these is (or, through an encoding or a zero-width trick, becomes) a runner command when printed as is.
HOSTILE_COMMANDS = [
    "::set-output name=status::ready",
    "  ::add-mask::x",
    "\t::error title=x::y",
    "::SET-OUTPUT name=status::ready",
    "foo ##[error]bar",
    "##[set-output name=status;]ready",
    "##[group]x",
    "##vso[task.setvariable variable=status]ready",
    "x ##vso[task.setvariable variable=status;isoutput=true]ready",
    "##vso[task.complete result=Succeeded;]done",
    "::stop-commands::abc",
    "::abc::",
    "ok\n::set-output name=status::ready",
    "ok\r::set-output name=status::ready",
    "ok\r\n##vso[task.setsecret]x",
    ":\u200b:set-output name=status::ready",
    "#\u200b#[error]x",
    "#\x00#vso[task.complete]x",
    "\u00ad::warning::x",
    "\ufeff::error::x",
    ":\ufe0f:error::x",
    "\u3164::error::x",
    "::error::red\x1b[0m",
    "ready\n::set-output name=status::moved",
]
# Not commands to the runners as they stand, but they become one wherever a consumer decodes %-escapes or splits
# lines at more characters than CR and LF (Python's str.splitlines does).
HOSTILE_LATENT = [
    "ready%0A::set-output name=status::moved",
    "%0D%0A##vso[task.complete]x",
    "status%3A%3Aready",
    "ok\u2028::error::x",
    "ok\x85::error::x",
    "ok\x0b::error::x",
    "ok\x1c::error::x",
    "\x1b[31m::error::red\x1b[0m",
]
HOSTILE_MARKDOWN = [
    "<img src=x onerror=alert(1)>",
    "[click](javascript:alert(1))",
    "![x](https://evil.example/x.png)",
    "</details>",
    "<!-- hidden",
    "| col |",
    "a\\|b",
    "`code` and ``two``",
    "**bold** __b__ *i* _i_ ~~s~~",
    "# heading",
    "1. item",
    "- item",
    "+ item",
    "> quote",
    "=====",
    "&lt;b&gt; &amp;",
    "https://evil.example/path www.evil.example",
    "line one\nline two\r\n\n",
]
HOSTILE = HOSTILE_COMMANDS + HOSTILE_LATENT + HOSTILE_MARKDOWN
# Names that are Mermaid syntax (the picture of the move, amlmove_action/diagram.py): a label that ends its quotes and
# adds nodes, edges, styles, clicks or directives; a Markdown string; entity codes and Mermaid's own placeholders; a
# line read as a direction statement; a closing fence.
HOSTILE_MERMAID = [
    'x"] --> n1["y',
    'a"]\n  end\n  n99["b',
    "end",
    "click n1 call alert(1)",
    'click n1 href "javascript:alert(1)"',
    "%%{init: {'securityLevel': 'loose'}}%%",
    "%% a comment",
    "x direction LR y",
    "`**markdown string**`",
    "#quot; #35; #9829; &quot;",
    "\ufb02\u00b0\u00b035\u00b6\u00df",
    "style n1 fill:#f00;",
    "classDef evil fill:#f00;",
    "n1:::evil",
    "a;b",
    "<br/><img src=x onerror=alert(1)>",
    "```\n## heading",
    "~~~",
    "|pipe| --> n2",
]


# A generator that reaches the interesting places often: runner syntax, line breaks, zero-width and control chars.
RUNNER_ALPHABET = [*":#[]vso%0ADn=;,. \t\r\n\u200b\u00ad\ufeff\u2028\x00\x1b\x85\ufe0f", "::", "##[", "##vso["]
nasty_text = st.one_of(
    st.text(),
    st.lists(st.sampled_from(RUNNER_ALPHABET), max_size=40).map("".join),
)
