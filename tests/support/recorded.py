"""Real recorded Azure traffic (tests/recordings/*.json): loading, serving the recorded bodies to the product's readers,
and comparing an emulator answer with a recorded one structurally.

Each recording file names its source (repository, path, commit of a public test recording of a real Azure run, secrets
scrubbed there) and says how it was curated; its interactions keep the request line, the status, the LRO headers and
the body as recorded (long signed poll URLs shortened, as `curation` says).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

RECORDINGS = Path(__file__).resolve().parents[1] / "recordings"
LRO_HEADERS = ("Location", "Azure-AsyncOperation")


@dataclass(frozen=True)
class Interaction:
    file: str
    operation: str
    method: str
    path: str
    query: dict[str, str]
    request_body: Any
    status: int
    headers: dict[str, str]
    body: Any

    @property
    def key(self) -> str:
        return f"{self.file}:{self.operation}:{self.status}"


def load(name: str) -> dict[str, Any]:
    return json.loads((RECORDINGS / name).read_text(encoding="utf-8"))


def interactions(name: str | None = None) -> list[Interaction]:
    files = [name] if name else sorted(p.name for p in RECORDINGS.glob("*.json"))
    out = []
    for file in files:
        for item in load(file)["interactions"]:
            request, response = item["request"], item["response"]
            out.append(
                Interaction(
                    file,
                    item["operation"],
                    request["method"],
                    request["path"],
                    request.get("query") or {},
                    request.get("body"),
                    response["status"],
                    response.get("headers") or {},
                    response.get("body"),
                )
            )
    return out


def body_of(name: str, operation: str, status: int | None = None) -> Any:
    return next(i.body for i in interactions(name) if i.operation == operation and status in (None, i.status))


class RecordedArm:
    """Stands in for amlmove_action.azure.Clients' two JSON readers (get_json, list_json), answering from recorded
    bodies by path (case-insensitive, query ignored): the product's own parsing then runs on what Azure sent."""

    def __init__(self, bodies: dict[str, Any]) -> None:
        self.bodies = {_key(path): body for path, body in bodies.items()}
        self.asked: list[str] = []

    def get_json(self, path: str, api_version: str, missing_ok: bool = True, operation: str | None = None) -> Any:
        self.asked.append(path)
        return self.bodies.get(_key(path))

    def list_json(self, path: str, api_version: str, missing_ok: bool = True, operation: str | None = None):
        body = self.get_json(path, api_version, missing_ok, operation)
        return iter((body or {}).get("value") or [])


def _key(path: str) -> str:
    return urlsplit(path).path.rstrip("/").lower()


# ---- structural comparison ----------------------------------------------------------------------------------------


def json_type(value: Any) -> str:
    for python_type, name in ((bool, "boolean"), (int, "number"), (float, "number"), (str, "string")):
        if isinstance(value, python_type):
            return name
    return "array" if isinstance(value, list) else "object" if isinstance(value, dict) else "null"


def shape_differences(real: Interaction, status: int, headers: dict[str, str], body: Any) -> list[str]:
    """How an emulator answer differs in shape from the recorded one: status, which LRO headers are present, the
    top-level and `properties` keys and their JSON types (null on either side matches any type: ARM sends null for
    "not set"). A list answer compares its items' keys (the union over the recorded items against the emulator's)."""
    out = []
    if status != real.status:
        out.append(f"status {status}, recorded {real.status}")
    lower = {k.lower() for k in headers}
    for header in LRO_HEADERS:
        recorded, emulated = header in real.headers, header.lower() in lower
        if recorded != emulated:
            out.append(f"header {header} {'missing' if recorded else 'sent, not recorded'}")
    real_items, emu_items = _items(real.body), _items(body)
    if real_items is None or emu_items is None:
        return out + _compare(_merge([real.body]), _merge([body]), "")
    if not emu_items or not real_items:
        return out + ([] if not real_items else ["the emulator's list is empty: no item shape to compare"])
    return out + _compare(_merge(real_items), _merge(emu_items), "value[]")


def _items(body: Any) -> list[Any] | None:
    if isinstance(body, dict) and isinstance(body.get("value"), list) and set(body) <= {"value", "nextLink"}:
        return body["value"]
    return None


def _merge(objects: list[Any]) -> dict[str, set[str]]:
    """key path ("name", "properties.name") -> JSON types seen, over the objects' top level and `properties`."""
    seen: dict[str, set[str]] = {}
    for obj in objects:
        if not isinstance(obj, dict):
            seen.setdefault("", set()).add(json_type(obj))
            continue
        for key, value in obj.items():
            seen.setdefault(key, set()).add(json_type(value))
            if key == "properties" and isinstance(value, dict):
                for sub, sub_value in value.items():
                    seen.setdefault(f"properties.{sub}", set()).add(json_type(sub_value))
    return seen


def _compare(real: dict[str, set[str]], emulated: dict[str, set[str]], where: str) -> list[str]:
    prefix = f"{where}." if where else ""
    out = []
    for key in sorted(set(real) | set(emulated)):
        if key not in emulated:
            out.append(f"{prefix}{key}: recorded, not sent by the emulator")
        elif key not in real:
            out.append(f"{prefix}{key}: sent by the emulator, not recorded")
        else:
            r, e = real[key] - {"null"}, emulated[key] - {"null"}
            if r and e and not (r & e):
                out.append(f"{prefix}{key}: emulator type {'/'.join(sorted(e))}, recorded {'/'.join(sorted(r))}")
    return out
