"""`python -m amlmove_action.emulator ...` runs `python -m amlmove_emulator ...` (deprecated alias, one release)."""

from __future__ import annotations

import runpy
import sys

if __name__ == "__main__":
    print(
        "amlmove_action.emulator is deprecated and will be removed in the next release: "
        "run `python -m amlmove_emulator`",
        file=sys.stderr,
    )
    runpy.run_module("amlmove_emulator", run_name="__main__", alter_sys=True)
