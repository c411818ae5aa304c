"""The README is a contract: its generated tables match action.yml and the check registry, its two commands exist,
and .ci/run runs the README's test command."""

import re

from tests.support.readme_tables import README, ROOT, render


def test_generated_tables_are_up_to_date():
    text = README.read_text(encoding="utf-8")
    assert render(text) == text, "README tables are stale: run `.venv/bin/python -m tests.support.readme_tables`"


def test_every_check_and_input_is_documented():
    from amlmove_action.checks import CHECK_IDS
    from amlmove_action.inputs import INPUT_SPECS

    text = README.read_text(encoding="utf-8")
    for check_id in CHECK_IDS:
        assert f"| `{check_id}` |" in text
    for spec in INPUT_SPECS:
        assert f"| `{spec.name}` |" in text


def test_two_commands_and_ci_entrypoint():
    text = README.read_text(encoding="utf-8")
    block = re.search(r"## Two commands\n+```sh\n(.*?)```", text, re.S).group(1)
    commands = [line.split("#")[0].strip() for line in block.splitlines() if line.strip()]
    assert commands == ["make demo", "make test"]
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert re.search(r"^demo:", makefile, re.M) and re.search(r"^test:", makefile, re.M)
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "make test" in ci
