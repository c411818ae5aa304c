"""Mermaid's own parser, when it is installed (opt-in): mermaid 12.4.0 with jsdom under node, pinned in
tests/support/mermaid/package-lock.json, installed with `npm ci --ignore-scripts --prefix tests/support/mermaid`
(about 240 MB from the npm registry; `make test` installs it wherever npm is). `read(texts)` gives, per diagram,
whether it parses and the nodes, subgraphs and edges Mermaid read (tests/support/mermaid/parse.mjs)."""

from __future__ import annotations

import json
import shutil
import subprocess
from typing import Any

from tests.conftest import ROOT

FOLDER = ROOT / "tests" / "support" / "mermaid"
NODE = shutil.which("node")
HOW = "Mermaid's own parser is not installed (needs npm): `npm ci --ignore-scripts --prefix tests/support/mermaid`"


def available() -> bool:
    return NODE is not None and (FOLDER / "node_modules" / "mermaid").is_dir()


def read(texts: list[str]) -> list[dict[str, Any]]:
    """What Mermaid's parser read from each text."""
    done = subprocess.run(
        [str(NODE), "parse.mjs"], input=json.dumps(texts), cwd=FOLDER, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr[-2000:]
    result: list[dict[str, Any]] = json.loads(done.stdout)
    return result
