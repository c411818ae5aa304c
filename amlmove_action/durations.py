"""The one way amlmove writes a duration, in every message, log line and report: hours, minutes and seconds with
the units of the inputs (`max-plan-age: 1h30m`), leading zero units left out: `5s`, `2m05s`, `1h02m05s`, `48h00m00s`.
Below a minute, `precise` keeps a tenth of a second (phase timings: `0.2s`)."""

from __future__ import annotations

from datetime import timedelta


def text(delta: timedelta | float, precise: bool = False) -> str:
    seconds = delta.total_seconds() if isinstance(delta, timedelta) else float(delta)
    sign, seconds = ("-", -seconds) if seconds < 0 else ("", seconds)
    if precise and seconds < 60:
        return f"{sign}{seconds:.1f}s"
    whole = int(seconds)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{sign}{hours}h{minutes:02d}m{secs:02d}s"
    if minutes:
        return f"{sign}{minutes}m{secs:02d}s"
    return f"{sign}{secs}s"
