"""tests/support/mermaid_flowchart.py can fail: each way out of the flowchart subset (broken quotes, raw specials in a
label, unbalanced subgraphs, lines a hostile name could start, undeclared ids, a fence left open) is a problem."""

from __future__ import annotations

import pytest

from tests.support.mermaid_flowchart import check, decoded, inside, mermaid_blocks, problems

GOOD = """flowchart LR
  subgraph n1["Source group rg #35;1"]
    n2["Azure ML workspace mlw"]
    n3["Compute a#34;b#58;#58;c (deleted before the move)"]
  end
  subgraph n4["Destination group rg-prod"]
    n5["Azure ML workspace mlw"]
  end
  n2 -->|"moves"| n5
  n3 -.->|"recreated after the move"| n5
  classDef moves stroke:#1a7f37,stroke-width:2px
  classDef deleted stroke:#cf222e,stroke-dasharray:5 5
  class n2,n5 moves
  class n3 deleted
"""


def test_a_well_formed_picture_passes_and_reads_back() -> None:
    chart = check(GOOD)
    assert chart.problems == []
    assert decoded(chart.nodes["n3"]) == 'Compute a"b::c (deleted before the move)'
    assert chart.edges == [("n2", "n5", "moves"), ("n3", "n5", "recreated after the move")]
    assert inside(chart, "Source group rg #1") == {"Azure ML workspace mlw": "n2", decoded(chart.nodes["n3"]): "n3"}
    assert chart.parents["n5"] == "n4" and chart.parents["n1"] is None


def bad(old: str, new: str) -> str:
    assert old in GOOD
    return GOOD.replace(old, new, 1)


@pytest.mark.parametrize(
    "text, expected",
    [
        (bad("flowchart LR", "graph LR"), "not a `flowchart <direction>` header"),
        (
            bad(
                "  end\n",
                "",
            ),
            "subgraph(s) never ended",
        ),
        (bad("  class n3 deleted\n", "  class n3 deleted\n  end\n"), "`end` without a subgraph"),
        (bad("a#34;b", 'a"b'), "not in the flowchart subset"),  # a raw quote ends the label early
        (bad("rg #35;1", "rg #1"), "not in the flowchart subset"),  # `#` outside an entity code
        (bad("#58;#58;c", "::c"), "not in the flowchart subset"),  # a raw colon (`::` for a runner)
        (bad("Compute a", "Compute `a"), "not in the flowchart subset"),  # a backtick (Markdown string, fence)
        (bad("Compute a", "Compute <b>a"), "not in the flowchart subset"),  # HTML
        (bad("Compute a", "Compute direction LR a"), "holds `direction`"),  # read as a direction statement
        (bad("  n2 -->", "  click n2 call alert()\n  n2 -->"), "not in the flowchart subset"),
        (bad("  n2 -->", "  %%{init: {'securityLevel': 'loose'}}%%\n  n2 -->"), "not in the flowchart subset"),
        (bad("  n2 -->", "  style n2 fill:#f00\n  n2 -->"), "not in the flowchart subset"),
        (bad("n3 -.->", "n9 -.->"), "edge names undeclared n9"),
        (bad("class n3 deleted", "class n3 gone"), "class gone has no classDef"),
        (bad('n5["Azure', 'n3["Azure'), "n3 declared twice"),
        (bad("stroke-width:2px", "stroke-width:2px;"), "not in the flowchart subset"),  # `;`: the entity pre-pass
        (bad("    n2", "\tn2"), "trailing space, tab or CR"),
        (bad("n5\n", "n5 \n"), "trailing space, tab or CR"),
    ],
)
def test_each_way_out_of_the_subset_is_a_problem(text: str, expected: str) -> None:
    assert any(expected in p for p in problems(text)), problems(text)


def test_no_node_is_a_problem() -> None:
    assert "no node" in problems("flowchart LR\n")


def test_mermaid_blocks_finds_each_block_and_an_unclosed_one() -> None:
    markdown = f"# x\n\n```mermaid\n{GOOD}```\n\n```\nnot mermaid\n```\n"
    assert mermaid_blocks(markdown) == ([GOOD], [])
    assert mermaid_blocks(f"```mermaid\n{GOOD}")[1] == ["a ```mermaid block is never closed"]
    # a name that brought its own fence would close the block early: what is left over fails the subset
    broken = GOOD.replace('"Azure ML workspace mlw"]\n  end', '"Azure ML\n```\nworkspace"]\n  end', 1)
    blocks, found = mermaid_blocks(f"```mermaid\n{broken}```\n")
    assert problems(blocks[0]) != [] and found == ["a ``` block is never closed"]
