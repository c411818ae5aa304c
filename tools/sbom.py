"""An SPDX 2.3 JSON SBOM of the container image, from the files that define it: the base image digest in the
Dockerfile and every package of the hash-locked requirements/runtime.txt (the image installs exactly that lock with
--require-hashes --no-deps, so the lock is the complete list of Python packages). No tool is downloaded to make it.

    python tools/sbom.py --image ghcr.io/OWNER/amlmove --digest sha256:<64 hex> > sbom.spdx.json

Not covered: the Debian packages inside the pinned python base image (their list is the base image's own SBOM).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import uuid
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
_PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s\\;]+)", re.MULTILINE)
_BASE = re.compile(r"^FROM\s+(\S+?)@(sha256:[0-9a-f]{64})", re.MULTILINE)


def locked_packages(lock_text: str) -> list[tuple[str, str]]:
    return sorted({(name.lower(), ver) for name, ver in _PIN.findall(lock_text)})


def _spdx_id(text: str) -> str:
    return "SPDXRef-" + re.sub(r"[^A-Za-z0-9.-]", "-", text)


def sbom(image: str, digest: str, version: str, root: Path = ROOT, now: datetime | None = None) -> dict:
    lock = (root / "requirements" / "runtime.txt").read_text(encoding="utf-8")
    base = _BASE.search((root / "Dockerfile").read_text(encoding="utf-8"))
    if not base:
        raise ValueError("Dockerfile: FROM is not pinned by digest")
    image_id = _spdx_id("image")
    packages = [
        {
            "SPDXID": image_id,
            "name": image,
            "versionInfo": version,
            "downloadLocation": "NOASSERTION",
            "filesAnalyzed": False,
            "externalRefs": [
                {
                    "referenceCategory": "PACKAGE-MANAGER",
                    "referenceType": "purl",
                    "referenceLocator": f"pkg:oci/{image.rsplit('/', 1)[-1]}@{digest.replace(':', '%3A')}"
                    f"?repository_url={image.rsplit('/', 1)[0]}",
                }
            ],
        },
        {
            "SPDXID": _spdx_id("base-image"),
            "name": base.group(1),
            "versionInfo": base.group(2),
            "downloadLocation": "NOASSERTION",
            "filesAnalyzed": False,
        },
    ]
    relationships = [
        {"spdxElementId": "SPDXRef-DOCUMENT", "relationshipType": "DESCRIBES", "relatedSpdxElement": image_id},
        {"spdxElementId": image_id, "relationshipType": "CONTAINS", "relatedSpdxElement": _spdx_id("base-image")},
    ]
    for name, ver in locked_packages(lock):
        ref = _spdx_id(f"pypi-{name}-{ver}")
        packages.append(
            {
                "SPDXID": ref,
                "name": name,
                "versionInfo": ver,
                "downloadLocation": f"https://pypi.org/project/{name}/{ver}/",
                "filesAnalyzed": False,
                "externalRefs": [
                    {
                        "referenceCategory": "PACKAGE-MANAGER",
                        "referenceType": "purl",
                        "referenceLocator": f"pkg:pypi/{name}@{ver}",
                    }
                ],
            }
        )
        relationships.append({"spdxElementId": image_id, "relationshipType": "CONTAINS", "relatedSpdxElement": ref})
    created = (now or datetime.now(UTC)).strftime("%Y-%m-%dT%H:%M:%SZ")
    return {
        "spdxVersion": "SPDX-2.3",
        "dataLicense": "CC0-1.0",
        "SPDXID": "SPDXRef-DOCUMENT",
        "name": f"{image}@{digest}",
        "documentNamespace": f"https://spdx.org/spdxdocs/amlmove-{version}-{uuid.uuid4()}",
        "creationInfo": {"created": created, "creators": ["Tool: amlmove tools/sbom.py"]},
        "packages": packages,
        "relationships": relationships,
    }


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="sbom")
    parser.add_argument("--image", required=True)
    parser.add_argument("--digest", required=True)
    args = parser.parse_args(argv)
    sys.path.insert(0, str(ROOT))
    from tools.release_action import version

    json.dump(sbom(args.image, args.digest, version()), sys.stdout, indent=1)
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
