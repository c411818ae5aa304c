"""The only place that turns outcomes into an exit status: parse the settings (action inputs or CLI flags), run the
command, and print exactly one clear line on failure (a traceback only in debug mode)."""

from __future__ import annotations

import logging
import sys
from collections.abc import Mapping, Sequence
from typing import TextIO

from . import __version__
from .errors import AmlMoveError, ExitCode, one_line
from .inputs import Command, cli_usage, settings_from_argv, settings_from_env, wants_help
from .platform import Platform, detect_platform


def main(argv: Sequence[str], env: Mapping[str, str], stdout: TextIO = sys.stdout, stderr: TextIO = sys.stderr) -> int:
    if wants_help(argv):
        print(cli_usage(), file=stdout)
        return ExitCode.SUCCESS
    if list(argv) == ["--version"]:
        print(f"amlmove {__version__}", file=stdout)
        return ExitCode.SUCCESS
    platform = detect_platform(env, stdout=stdout, stderr=stderr)
    debug = env.get("RUNNER_DEBUG") == "1" or env.get("SYSTEM_DEBUG", "").lower() == "true" or "--debug" in argv
    _quiet_sdk_logging(platform, debug)
    try:
        settings = settings_from_argv([a for a in argv if a != "--debug"]) if argv else settings_from_env(env)
        if settings.command is Command.PLAN:
            from .commands import plan as command
        else:
            from .commands import apply as command  # type: ignore[no-redef]
        code = command.run(settings, env, platform)
        platform.complete("Succeeded", "amlmove finished")
        return code
    except AmlMoveError as exc:
        _fail(platform, stderr, f"amlmove: {exc} [{exc.reference}]")
        return int(exc.exit_code)
    except KeyboardInterrupt:
        _fail(platform, stderr, "amlmove: interrupted; re-run the same command to resume safely")
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
        )
        return ExitCode.FAILURE


def _fail(platform: Platform, stderr: TextIO, message: str) -> None:
    """The one failure line on stderr; in CI also as an error annotation (the run page shows those, not stderr).
    A terminal shows both streams together, so there it is printed once."""
    line = one_line(message)
    if platform.name != "local":
        platform.annotate("error", line, title="amlmove")
    platform.complete("Failed", line)
    print(line, file=stderr, flush=True)


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
