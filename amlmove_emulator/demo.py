"""`make demo`: the whole promotion flow on the embedded emulator — start a local Azure with the sample workspace,
plan (blocked: it has computes and endpoints), plan again with the opt-in removals (ready), ask for
approval, apply, and show the report. Everything runs the real entrypoint against the emulator over HTTPS."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from amlmove_action import render
from amlmove_emulator import samples
from amlmove_emulator.control import SCENARIOS, EmulatorProcess

ROOT = Path(__file__).resolve().parents[1]


def _banner(text: str) -> None:
    print(f"\n\033[1m=== {text} ===\033[0m\n", flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="make demo", description=__doc__)
    parser.add_argument("--yes", action="store_true", help="approve the plan without asking")
    parser.add_argument("--output-dir", type=Path, default=ROOT / "amlmove-output" / "demo")
    args = parser.parse_args(argv)
    scenario = samples.WorkspaceScenario()
    work = Path(tempfile.mkdtemp(prefix="amlmove-demo-"))
    with EmulatorProcess(state_dir=work / "emulator", scenario=SCENARIOS / "sample.yaml") as emu:
        _banner(f"Local Azure emulator at {emu.url} (CA {emu.ca_file})")
        print(f"Sample workspace: {scenario.workspace_id}")
        print("It has a compute cluster, an online endpoint, a private endpoint, 3 datastores and role assignments;")
        print(f"the destination group {samples.group_id(samples.DEST_SUB, scenario.dest_group)} does not exist yet.")
        env = {
            **os.environ,
            "REQUESTS_CA_BUNDLE": str(emu.ca_file),
            "AZURE_CLIENT_SECRET": emu.info["clientSecret"],
            # The repository first; what the caller had on the path stays (the tests' network guard, for one).
            "PYTHONPATH": os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH", "")) if p),
        }
        for key in ("GITHUB_ACTIONS", "TF_BUILD", "ACTIONS_ID_TOKEN_REQUEST_URL", "SYSTEM_OIDCREQUESTURI"):
            env.pop(key, None)
        common = [
            "--source-workspace-id",
            scenario.workspace_id,
            "--destination-resource-group-id",
            samples.group_id(samples.DEST_SUB, scenario.dest_group),
            "--cloud",
            "custom",
            "--arm-endpoint",
            emu.url,
            "--authority-host",
            emu.url,
            "--client-id",
            emu.info["clientId"],
            "--tenant-id",
            emu.info["tenantId"],
        ]

        def tool(*extra: str, output: Path) -> int:
            cmd = [sys.executable, str(ROOT / "entrypoint.py"), *extra, *common, "--output-dir", str(output)]
            return subprocess.run(cmd, env=env, check=False).returncode

        _banner("1. plan (as the platform team's pipeline would run it on every promotion)")
        first = tool("plan", output=args.output_dir / "plan-blocked")
        print(f"\nexit code {first} (1 = blocked). Summary: {args.output_dir / 'plan-blocked' / 'plan.md'}")

        _banner("2. plan again, opting in to delete (after exporting) the computes and endpoints, and recreate them")
        out = args.output_dir
        # Every opt-in is part of the approved plan: apply below passes the same ones (it refuses any other value).
        opt_ins = (
            "--remove-computes",
            "--recreate-computes",
            "--remove-endpoints",
            "--recreate-endpoints",
            "--approve-private-endpoints",
        )
        code = tool("plan", *opt_ins, output=out)
        print(f"\nexit code {code}. Summary for reviewers: {out / 'plan.md'}")
        if code != 0:
            return code
        print(render.plain_text((out / "plan.md").read_text(encoding="utf-8")))

        _banner("3. approval (a protected environment's required reviewers, in CI)")
        if not args.yes:
            if sys.stdin.isatty():
                answer = input("Approve this plan and move the workspace? [y/N] ").strip().lower()
                if answer not in ("y", "yes"):
                    print("Not approved: nothing was changed.")
                    return 1
            else:
                print("No terminal to ask on: approving (pass --yes to skip this prompt explicitly).")

        _banner("4. apply exactly the approved plan")
        code = tool("apply", *opt_ins, "--plan-file", str(out / "plan.json"), output=out)
        print(f"\nexit code {code}.")
        report = out / "report.md"
        if report.exists():
            _banner("5. report")
            print(render.plain_text(report.read_text(encoding="utf-8")))
        _banner("6. status (read-only: what an on-call engineer runs from anywhere with the plan file)")
        tool("status", "--plan-file", str(out / "plan.json"), output=out)
        print(
            f"Files: {out} (plan.json, plan.md, report.json, report.md, status.json, status.md, exports/, snapshots/, "
            "state.json)"
        )
        return code


if __name__ == "__main__":
    sys.exit(main())
