"""amlmove_action.durations: the one duration format of messages, logs and reports."""

from __future__ import annotations

from datetime import timedelta

import pytest

from amlmove_action.durations import text


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (0, "0s"),
        (5, "5s"),
        (59.9, "59s"),  # whole seconds: never rounded up into "60s"
        (60, "1m00s"),
        (125, "2m05s"),
        (3725, "1h02m05s"),
        (timedelta(hours=48), "48h00m00s"),  # hours do not roll over into days
        (timedelta(minutes=240), "4h00m00s"),  # move-timeout's default
        (-125, "-2m05s"),
    ],
)
def test_text_leaves_out_leading_zero_units(value, expected) -> None:
    assert text(value) == expected


def test_precise_keeps_a_tenth_of_a_second_below_a_minute_only() -> None:
    assert text(0.2, precise=True) == "0.2s"
    assert text(timedelta(seconds=12.34), precise=True) == "12.3s"
    assert text(-0.5, precise=True) == "-0.5s"
    assert text(61.7, precise=True) == "1m01s"  # a minute or more: the ordinary form
    assert text(0.2) == "0s"
