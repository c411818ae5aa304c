"""amlmove_action.render's text helpers: untrusted text in Markdown and code spans renders inert, the terminal view
undoes exactly the escapes amlmove added, and a summary over GitHub's limit is cut at a line with its folds closed.
(The plan's Markdown as a whole is judged in tests/e2e/test_plan_summary.py and tests/e2e/test_injection.py)."""

from __future__ import annotations

from amlmove_action.render import code, code_block, md, plain_text, truncate
from tests.support.runner_rules import find_formatting_markers, parse_github_commands, parse_vso_commands

HOSTILE = "a|b <img src=x onerror=alert(1)> `x` ::error::y ##vso[task.complete]z\n</details>"


def inert(text: str) -> bool:
    return (
        parse_github_commands(text) == []
        and parse_vso_commands(text) == []
        and list(find_formatting_markers(text)) == []
    )


def test_md_escapes_what_markdown_or_a_runner_would_act_on_and_none_is_empty() -> None:
    shown = md(HOSTILE)
    assert "<img" not in shown and "</details>" not in shown and "|" not in shown.replace("\\|", "")
    assert "\n" not in shown and inert(shown)
    assert md(None) == "" and md(42) == "42"
    assert md("mlw-churn") == "mlw-churn"  # an ordinary name reads as it is


def test_code_is_one_inert_span() -> None:
    span = code(HOSTILE)
    assert span.startswith("`") and span.endswith("`") and "\n" not in span
    assert "`" not in span[1:-1]  # only a backtick could end the span early (HTML inside a span shows as text)
    assert "|" not in span.replace("\\|", "")  # nor split a table cell
    assert inert(span)
    assert code("stchurn01") == "`stchurn01`" and code(None) == "` `"  # never an empty span


def test_code_block_html_escapes_everything() -> None:
    block = code_block('az group delete --name "rg" <x> & y')
    assert block == "<pre>az group delete --name &quot;rg&quot; &lt;x&gt; &amp; y</pre>"


def test_plain_text_undoes_markdowns_escapes_and_headings_and_stays_inert() -> None:
    assert (
        plain_text("## amlmove plan: ✅ Ready\nst\\_1 &lt;x&gt; it&#x27;s\n")
        == "amlmove plan: ✅ Ready\nst_1 <x> it's\n"
    )
    assert plain_text(md("::error::x")) == ": :error: :x"  # unescaped, then defused again for a log
    assert inert(plain_text(md(HOSTILE)))
    assert not plain_text("no newline").endswith("\n")


def test_truncate_keeps_a_short_summary_and_cuts_a_long_one_at_a_line_with_folds_closed() -> None:
    short = "## plan\nok\n"
    assert truncate(short, "plan.json") is short
    long = "## plan\n<details><summary>all</summary>\n\n" + "".join(f"line {i} ✅\n" for i in range(5000))
    cut = truncate(long, "the plan artifact (plan.json)", limit=4096)
    assert len(cut.encode("utf-8")) <= 4096
    assert cut.endswith(
        "> Summary truncated to fit the job summary limit; the full text is in the plan artifact (plan.json).\n"
    )
    body = cut.split("\n\n> Summary truncated", 1)[0]
    assert body.count("<details>") == body.count("</details>") == 1
    kept = [line for line in body.splitlines() if line.startswith("line ")]
    assert kept and all(line.endswith("✅") for line in kept)  # whole lines only, no split character
