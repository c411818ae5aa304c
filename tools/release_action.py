"""Release helpers for .github/workflows/release.yml (not shipped in the image).

    python tools/release_action.py check-tag vX.Y.Z      # the tag must name amlmove_action.__version__
    python tools/release_action.py version               # prints __version__
    python tools/release_action.py pin-image --image ghcr.io/OWNER/amlmove --digest sha256:<64 hex> action.yml

`pin-image` rewrites the one `image:` line under `runs:` of action.yml to `docker://<image>@sha256:<digest>`, so the
release commit runs the prebuilt, attested image and a caller's runner never builds. Nothing else in the file
changes (comments and layout stay; checked line by line). Standard library only: the workflow runs it with the
runner's python3, with nothing installed.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DIGEST = re.compile(r"sha256:[0-9a-f]{64}")
# A GHCR repository path: lower-case owner and name (OCI references are lower-case; GitHub owners may not be).
IMAGE = re.compile(r"ghcr\.io/[a-z0-9](?:[a-z0-9._-]*[a-z0-9])?(?:/[a-z0-9](?:[a-z0-9._-]*[a-z0-9])?)+")
PINNED_IMAGE = re.compile(r"docker://" + IMAGE.pattern + "@" + DIGEST.pattern)
_RUNS_IMAGE_LINE = re.compile(r"^(  image:[ \t]*)(\S.*?)[ \t]*$", re.MULTILINE)


class ReleaseError(ValueError):
    """A bad argument or file: one line for the workflow log."""


def version() -> str:
    text = (ROOT / "amlmove_action" / "__init__.py").read_text(encoding="utf-8")
    match = re.search(r'^__version__ = "([^"]+)"$', text, re.MULTILINE)
    if not match:
        raise ReleaseError("amlmove_action/__init__.py has no __version__ line")
    return match.group(1)


def check_tag(tag: str) -> str:
    expected = f"v{version()}"
    if tag != expected:
        raise ReleaseError(f"tag {tag!r} does not match the version in amlmove_action/__init__.py ({expected})")
    return expected


def image_reference(image: str, digest: str) -> str:
    image = image.strip().lower()
    if not IMAGE.fullmatch(image):
        raise ReleaseError(f"image {image!r} is not a ghcr.io/OWNER/NAME repository")
    if not DIGEST.fullmatch(digest.strip()):
        raise ReleaseError(f"digest {digest!r} is not sha256:<64 lower-case hex>")
    return f"docker://{image}@{digest.strip()}"


def pin_image(action_yml: str, reference: str) -> str:
    """action.yml's text with `runs.image` set to `reference` (a docker://…@sha256:… reference)."""
    if not PINNED_IMAGE.fullmatch(reference):
        raise ReleaseError(f"{reference!r} is not docker://ghcr.io/OWNER/NAME@sha256:<64 hex>")
    runs_at = action_yml.find("\nruns:\n")
    if runs_at < 0:
        raise ReleaseError("action.yml has no top-level `runs:` block")
    head, runs = action_yml[: runs_at + 7], action_yml[runs_at + 7 :]
    new_runs, count = _RUNS_IMAGE_LINE.subn(lambda m: m.group(1) + reference, runs, count=1)
    if count != 1:
        raise ReleaseError("action.yml's `runs:` block has no `image:` line")
    result = head + new_runs
    changed = [(a, b) for a, b in zip(action_yml.splitlines(), result.splitlines(), strict=True) if a != b]
    if len(changed) > 1 or (changed and not changed[0][1].endswith("image: " + reference)):
        raise ReleaseError("rewriting runs.image changed more than runs.image")
    return result


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="release_action")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("version")
    tag = sub.add_parser("check-tag")
    tag.add_argument("tag")
    pin = sub.add_parser("pin-image")
    pin.add_argument("--image", required=True)
    pin.add_argument("--digest", required=True)
    pin.add_argument("action_yml", type=Path)
    args = parser.parse_args(argv)
    try:
        if args.command == "version":
            print(version())
        elif args.command == "check-tag":
            print(check_tag(args.tag))
        else:
            reference = image_reference(args.image, args.digest)
            args.action_yml.write_text(pin_image(args.action_yml.read_text(encoding="utf-8"), reference), "utf-8")
            print(reference)
    except (ReleaseError, OSError) as exc:
        print(f"release_action: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
