"""The session's tallies (tests/support/tallies.py): counts added up by tests in any order, reported once after the last
test, and a tally's check failing the session (the fuzz total, the injection count) — no test has to run last."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import run_pytest_session


def test_a_tally_reports_its_line_and_its_problems_only_once_it_counted(monkeypatch) -> None:
    monkeypatch.setattr("tests.support.tallies.TALLIES", {})
    from tests.support import tallies

    counts = tallies.tally("demo", lambda c: f"demo: {c['runs']} runs", lambda c: ["too few"] if c["runs"] < 2 else [])
    assert tallies.session_report() == ([], [])  # nothing counted: nothing said, nothing checked
    counts["runs"] += 1
    assert tallies.session_report() == (["demo: 1 runs"], ["demo: too few (demo: 1 runs)"])
    counts["runs"] += 1
    assert tallies.session_report() == (["demo: 2 runs"], [])
    assert tallies.tally("demo", lambda c: "other") is counts  # registered once


def test_a_failing_tally_fails_the_session_after_every_test_whatever_the_order(tmp_path: Path) -> None:
    proc = run_pytest_session(
        tmp_path,
        """
        from tests.support.tallies import tally

        COUNTS = tally("inner", lambda c: f"inner: {c['seen']} seen, {c['bad']} bad", lambda c: ["bad"][: c["bad"]])

        def test_b_counts_a_bad_one():
            COUNTS["seen"] += 1
            COUNTS["bad"] += 1

        def test_a_counts_a_good_one():
            COUNTS["seen"] += 1
        """,
    )
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "2 passed" in proc.stdout
    assert "inner: 2 seen, 1 bad" in proc.stdout  # both tests counted before the report, whichever ran first
    assert "SESSION CHECK FAILED: inner: bad (inner: 2 seen, 1 bad)" in proc.stdout
