"""`python -m amlmove_emulator serve --port PORT --state-dir DIR [--scenario FILE]` (a contract: keep names)."""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import threading
from pathlib import Path

from . import scenario as scenarios
from .server import make_server


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m amlmove_emulator", description="A local Azure (ARM + Entra ID) over HTTPS on 127.0.0.1."
    )
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="serve until SIGTERM/SIGINT")
    serve.add_argument("--port", type=int, default=0, help="TCP port on 127.0.0.1 (0 = pick a free one)")
    serve.add_argument("--state-dir", type=Path, required=True, help="where ca.pem and emulator.json are written")
    serve.add_argument("--scenario", type=Path, help="scenario file (JSON or YAML) to load at start")
    serve.add_argument("--capture", type=Path, help="append every ARM/Entra response as JSON Lines (spec checks)")
    args = parser.parse_args(argv)

    try:
        data = scenarios.load_file(args.scenario) if args.scenario else {}
        server, emulator = make_server(args.port, args.state_dir, args.capture)
        scenarios.apply(emulator.store, data)
    except (scenarios.ScenarioError, OSError) as exc:
        print(f"emulator: {' '.join(str(exc).split())}", file=sys.stderr)  # one line, whatever the cause says
        return 2
    principal = scenarios.default_principal(emulator.store)
    info = {
        "url": emulator.base_url,
        "tenantId": principal.tenant_id,
        "clientId": principal.client_id,
        "clientSecret": principal.client_secret,
    }
    tmp = args.state_dir / "emulator.json.tmp"
    tmp.write_text(json.dumps(info, indent=2), encoding="utf-8")
    os.replace(tmp, args.state_dir / "emulator.json")

    def stop(*_: object) -> None:
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    print(f"emulator: serving {emulator.base_url} (state in {args.state_dir})", flush=True)
    server.serve_forever(poll_interval=0.2)
    server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
