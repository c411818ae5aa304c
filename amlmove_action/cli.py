"""The only place that turns outcomes into an exit status: parse the settings (action inputs or CLI flags), run the
command, and print exactly one clear line on failure (a traceback only in debug mode).

`--output json` (command line only): stdout holds exactly one JSON document — on exit 0 the written plan.json,
report.json or status.json, byte for byte; on any other exit `{"error": {"code", "message", "exitCode"}}` — and every
human line (progress, outputs, the failure line) goes to stderr. An invalid `--output` itself is one line on stderr,
exit 2, nothing on stdout."""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TextIO

from . import __version__
from .errors import AmlMoveError, ExitCode, one_line
from .inputs import Command, OutputFormat, StatusSettings, cli_usage, output_format, settings_for, wants_help
from .platform import Platform, detect_platform


def main(argv: Sequence[str], env: Mapping[str, str], stdout: TextIO = sys.stdout, stderr: TextIO = sys.stderr) -> int:
    if wants_help(argv):
        print(cli_usage(), file=stdout)
        return ExitCode.SUCCESS
    if list(argv) == ["--version"]:
        print(f"amlmove {__version__}", file=stdout)
        return ExitCode.SUCCESS
    try:
        output, argv = output_format(argv)
    except AmlMoveError as exc:
        _fail(detect_platform(env, stdout=stdout, stderr=stderr), stderr, f"amlmove: {exc} [{exc.reference}]")
        return int(exc.exit_code)
    as_json = output is OutputFormat.JSON
    json_out = stdout if as_json else None  # where a failure's JSON object goes
    platform = detect_platform(env, stdout=stderr if as_json else stdout, stderr=stderr)
    debug = env.get("RUNNER_DEBUG") == "1" or env.get("SYSTEM_DEBUG", "").lower() == "true" or "--debug" in argv
    _quiet_sdk_logging(platform, debug)
    try:
        settings = settings_for([a for a in argv if a != "--debug"], env)
        if isinstance(settings, StatusSettings):
            from .commands import status

            code = status.run(settings, env, platform)
        elif settings.command is Command.PLAN:
            from .commands import plan

            code = plan.run(settings, env, platform)
        else:
            from .commands import apply

            code = apply.run(settings, env, platform)
        platform.complete("Succeeded", "amlmove finished")
        if as_json:
            _print_document(stdout, settings.output_dir / DOCUMENTS[settings.command])
        return code
    except AmlMoveError as exc:
        _fail(
            platform,
            stderr,
            f"amlmove: {exc} [{exc.reference}]",
            json_out,
            exc.reference,
            exc.exit_code,
        )
        return int(exc.exit_code)
    except KeyboardInterrupt:
        _fail(
            platform,
            stderr,
            "amlmove: interrupted; re-run the same command to resume safely",
            json_out,
            "interrupted",
            130,
        )
        return 130
    except Exception as exc:  # noqa: BLE001 - the last line of defence: one line, never a traceback by default
        if debug:
            import traceback

            for line in traceback.format_exc().splitlines():
                platform.debug(line)
        _fail(
            platform,
            stderr,
            f"amlmove: internal error ({type(exc).__name__}: {one_line(str(exc))[:300]}). "
            "Re-run with RUNNER_DEBUG=1 (or --debug) for details and report it [internal-error]",
            json_out,
            "internal-error",
            ExitCode.FAILURE,
        )
        return ExitCode.FAILURE


# The document each command writes into output-dir, printed on stdout by `--output json`.
DOCUMENTS = {Command.PLAN: "plan.json", Command.APPLY: "report.json", Command.STATUS: "status.json"}


def _print_document(stdout: TextIO, path: Path) -> None:
    """The written document itself, byte for byte (what a script would read from the file)."""
    stdout.write(path.read_text(encoding="utf-8"))
    stdout.flush()


def _fail(
    platform: Platform,
    stderr: TextIO,
    message: str,
    json_out: TextIO | None = None,
    reference: str = "",
    exit_code: int = ExitCode.FAILURE,
) -> None:
    """The one failure line on stderr; in CI also as an error annotation (the run page shows those, not stderr).
    A terminal shows both streams together, so there it is printed once. With `--output json` (json_out), stdout
    gets the same failure as one JSON object."""
    line = one_line(message)
    if platform.name != "local":
        platform.annotate("error", line, title="amlmove")
    platform.complete("Failed", line)
    print(line, file=stderr, flush=True)
    if json_out is not None:
        error = {"code": reference, "message": line, "exitCode": int(exit_code)}
        json_out.write(json.dumps({"error": error}, ensure_ascii=False) + "\n")
        json_out.flush()


class _PlatformLogHandler(logging.Handler):
    def __init__(self, platform: Platform) -> None:
        super().__init__(logging.DEBUG)
        self.platform = platform

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self.platform.debug(one_line(f"{record.name}: {record.getMessage()}")[:2000])
        except Exception:  # noqa: BLE001, S110 - logging must never break the run
            pass


def _quiet_sdk_logging(platform: Platform, debug: bool) -> None:
    """SDK log records never reach stderr unescaped: only the platform's debug channel, and only in debug mode."""
    root = logging.getLogger()
    for handler in list(root.handlers):
        root.removeHandler(handler)
    root.addHandler(_PlatformLogHandler(platform) if debug else logging.NullHandler())
    root.setLevel(logging.DEBUG if debug else logging.CRITICAL)
