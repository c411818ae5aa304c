"""Spec conformance: does each response the Azure emulator sent match Microsoft's published OpenAPI shape?

`SpecIndex.load` reads every Swagger 2.0 file and example under tests/specs (vendored from Azure/azure-rest-api-specs,
provenance in tests/specs/PROVENANCE.md), turns the Swagger dialect into JSON Schema
and matches a request path to its operation; `check_capture` runs that over the JSON Lines capture of an emulator run.

How the Swagger dialect is read (as Microsoft's validator, oav, reads it, but stricter on null in arrays and maps):
- an optional property may be null unless it says `x-nullable: false` (ARM services send null for "not set"); a
  required property, an array item or an `additionalProperties` value may be null only with `x-nullable: true`;
- a schema with `properties` but no `type` is an object (as AutoRest models it);
- `x-ms-enum.modelAsString: true` allows any string; `format` is not enforced; `readOnly` only constrains requests;
- a `discriminator` base dispatches to the definition whose `x-ms-discriminator-value` (or name) matches;
- `x-ms-pageable`: the success body must carry its item array (`value`), which the SDK pagers iterate.
Where the specs are silent, two stand-ins apply, both marked in the index:
- every `$ref` must resolve: a target the vendored files do not hold makes `SpecIndex.load` fail (UnresolvedRefs).
  A definition an excerpt deliberately left out is present as {"x-amlmove-omitted": "<why>"}: it is permissive and
  counted in `SpecIndex.omitted_refs`; every `default` (error) response must also have the ARM error shape of
  `_ARM_ERROR` below (common-types name it without requiring `code` and `message`);
- where a response's schema is itself omitted (the Databricks excerpt left out WorkspaceListResult), the bodies of the
  examples the swagger names for it stand in: the JSON types they show, nothing required, anything may be null or
  added (`Operation.inferred` lists such statuses). An example no operation claims gives an operation the same way,
  its path read from the ids in its body, its errors held to the ARM error shape.
"""

from __future__ import annotations

import json
import os
import posixpath
import re
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote, urlsplit

from jsonschema import Draft7Validator
from jsonschema.exceptions import ValidationError
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT7

Schema = dict[str, Any]

_BASE_URI = "https://specs.amlmove.invalid/"
_ARM_ERROR_URI = _BASE_URI + "arm-error.json"
# Every ARM error body (common-types ErrorResponse, tests/specs) is {"error": {"code", "message", "details", "target",
# ...}} and the SDK reads error.code and error.message.
_ARM_ERROR: Schema = {
    "definitions": {
        "detail": {
            "type": "object",
            "required": ["code", "message"],
            "properties": {
                "code": {"type": "string"},
                "message": {"type": "string"},
                "target": {"type": ["string", "null"]},
                "details": {"type": ["array", "null"], "items": {"$ref": "#/definitions/detail"}},
                "additionalInfo": {"type": ["array", "null"], "items": {"type": "object"}},
            },
        }
    },
    "type": "object",
    "required": ["error"],
    "properties": {"error": {"$ref": "#/definitions/detail"}},
}
_NULL: Schema = {"type": "null"}
_METHODS = ("get", "put", "post", "patch", "delete", "head", "options")
_JSON_TYPES = ("string", "number", "integer", "boolean", "array", "object")
_KEYWORDS = (
    "enum", "pattern", "minLength", "maxLength", "minimum", "maximum", "multipleOf",
    "minItems", "maxItems", "uniqueItems", "minProperties", "maxProperties",
)  # fmt: skip
_PARAM = re.compile(r"\{([^}/]+)\}")
# Where ARM ids put a parameter rather than a literal, for example paths whose values the example does not name.
_ARM_ID_NAMES = {"subscriptions": "subscriptionId", "resourcegroups": "resourceGroupName"}
OMITTED = "x-amlmove-omitted"  # marks a definition an excerpt left out on purpose (the value says why)
SPECS_ROOT = Path(__file__).resolve().parents[1] / "specs"


# Values an example file gets wrong against the spec's own models, corrected when the index loads (the file stays as
# vendored): example path -> (JSON pointer, value the model requires, why).
_INSIGHTS = "specification/applicationinsights/resource-manager/Microsoft.Insights/stable/2020-02-02"
EXAMPLE_CORRECTIONS: dict[str, list[tuple[str, Any, str]]] = {
    f"{_INSIGHTS}/examples/ComponentsGet.json": [
        ("/responses/200/body/tags", {}, "the example shows tags as '' where the ARM resource model has a string map"),
    ],
}


class UnresolvedRefs(ValueError):
    """A $ref whose target no vendored file holds: vendor the file (or the definition), or mark it omitted."""


@dataclass(frozen=True)
class Operation:
    """One operation whose responses can be checked: from a swagger file, or from an example alone (then `source`)."""

    operation_id: str
    method: str
    path_template: str
    api_version: str
    source: str  # the swagger (or example) file, relative to the specs root
    responses: Mapping[str, Schema | None] = field(repr=False)  # "200" / "default" -> JSON Schema; None: no body
    pattern: re.Pattern[str] = field(repr=False)
    specificity: tuple[int, int] = field(repr=False)  # (literal segments, -segment-spanning parameters)
    example_refs: tuple[str, ...] = field(default=(), repr=False)  # x-ms-examples targets, relative to the root
    inferred: tuple[str, ...] = ()  # statuses whose schema is the shape of example bodies, not the spec's
    omitted: tuple[str, ...] = ()  # statuses whose schema an excerpt left out (checked as any JSON)
    query: Mapping[str, Mapping[str, Any]] = field(default_factory=dict, repr=False)  # declared query parameters
    body: Schema | None = field(default=None, repr=False)  # the body parameter's schema in request form
    body_required: bool = False
    pageable: bool = False  # x-ms-pageable: its next pages are the nextLink the service hands out

    @property
    def checkable(self) -> bool:
        """Whether its success response has a schema (the spec's or the examples'), not one an excerpt left out."""
        success = [status for status in self.responses if status.startswith("2")]
        return any(status not in self.omitted for status in success)


@dataclass(frozen=True)
class ExampleLink:
    """An example file and the operation its responses belong to, with how that was decided."""

    path: str
    operation: Operation | None
    how: str  # "x-ms-examples", "operationId", "x-ms-examples file name", "path in body", "inferred", "unmatched"
    api_version: str | None = None
    bodies: Mapping[str, Any] = field(default_factory=dict, repr=False)  # status -> body (None when absent)


class SpecIndex:
    """Operations, examples and compiled schemas from one specs root."""

    def __init__(
        self,
        operations: list[Operation],
        examples: list[ExampleLink],
        registry: Registry,
        omitted_refs: Counter[str],
        missing_examples: list[str],
        spec_files: list[str],
    ) -> None:
        self.operations = tuple(operations)
        self.examples = tuple(examples)
        self.omitted_refs = omitted_refs  # "file#/pointer" -> references to a definition left out on purpose
        self.missing_examples = tuple(missing_examples)  # x-ms-examples targets absent from the specs root
        self.spec_files = tuple(spec_files)
        self._registry = registry
        self._validators: dict[tuple[str, str, str, str], Draft7Validator] = {}

    @classmethod
    def load(cls, specs_root: Path) -> SpecIndex:
        """Every swagger (*.json with a "swagger" key) and example (*.json under an examples/ folder) below the root."""
        root = specs_root.resolve()
        docs: dict[str, Any] = {}
        for path in sorted(root.rglob("*.json")):
            try:
                docs[path.relative_to(root).as_posix()] = json.loads(path.read_text(encoding="utf-8"))
            except (OSError, ValueError) as exc:
                raise ValueError(f"{path}: not readable as JSON ({exc})") from exc
        for rel, corrections in EXAMPLE_CORRECTIONS.items():
            for pointer, value, _why in corrections if rel in docs else []:
                *parents, last = pointer.strip("/").split("/")
                node = docs[rel]
                for token in parents:
                    node = node[token]
                node[last] = value
        specs = {rel: doc for rel, doc in docs.items() if isinstance(doc, dict) and "swagger" in doc}
        if not specs:
            raise FileNotFoundError(f"no Swagger 2.0 file under {root}")
        examples = {
            rel: doc
            for rel, doc in docs.items()
            if "/examples/" in f"/{rel}" and isinstance(doc, dict) and isinstance(doc.get("responses"), dict)
        }
        loader = _Loader(docs)
        operations = [op for rel, doc in specs.items() for op in loader.operations(rel, doc)]
        links, inferred, missing = _link_examples(operations, examples)
        resources = list(loader.resources(specs))  # translating the definitions counts their references too
        if loader.unresolved:
            listed = "; ".join(f"{count} x {target}" for target, count in sorted(loader.unresolved.items()))
            raise UnresolvedRefs(f"{len(loader.unresolved)} $ref target(s) under {root} not vendored: {listed}")
        registry = Registry().with_resources(
            [(uri, Resource(contents, specification=DRAFT7)) for uri, contents in resources]
            + [(_ARM_ERROR_URI, Resource(_ARM_ERROR, specification=DRAFT7))]
        )
        return cls([*operations, *inferred], links, registry, loader.omitted, missing, list(specs))

    def candidates(self, method: str, path: str) -> list[Operation]:
        """Every operation (any api-version) whose template matches the URL path (no query), case-insensitive, with
        '//' collapsed; the most specific templates first."""
        normalized = re.sub(r"/{2,}", "/", path)
        if len(normalized) > 1:
            normalized = normalized.rstrip("/")
        found = [op for op in self.operations if op.method == method.upper() and op.pattern.fullmatch(normalized)]
        return sorted(found, key=lambda op: op.specificity, reverse=True)

    def match(self, method: str, path: str, api_version: str | None = None) -> Operation | None:
        """The operation to check a response against: the most specific template; among its versions the requested
        one when its schema is there, else one whose schema is (an excerpt may leave a version's models out)."""
        found = self.candidates(method, path)
        top = [op for op in found if op.specificity == found[0].specificity] if found else []
        return max(top, key=lambda op: (op.checkable, op.api_version == api_version), default=None)

    def at_version(self, method: str, path: str, api_version: str | None) -> Operation | None:
        """The most specific operation for the URL documented at exactly this api-version, or None."""
        return next((op for op in self.candidates(method, path) if op.api_version == api_version), None)

    def validate(self, method: str, path: str, query: dict[str, str], status: int, body: Any) -> list[str]:
        """[] when the response conforms or no operation matches; else human-readable errors naming the operation id,
        status and JSON pointer."""
        op = self.match(method, path, query.get("api-version"))
        return [] if op is None else self._check(op, str(status), body, query.get("api-version"))

    def check_request(self, method: str, path: str, query: Mapping[str, str], body: Any) -> list[str]:
        """What is wrong with a request by the spec: no operation at its api-version, a required query parameter or
        body missing, an undeclared query parameter, an enum value outside the declared ones, a body that does not
        match the body parameter's schema (read-only properties sent, required ones missing). [] when it conforms."""
        version = query.get("api-version")
        found = self.candidates(method, path)
        if not found:
            return [f"{method} {path}: no operation in the vendored specs"]
        op = self.at_version(method, path, version)
        if op is None:
            versions = ", ".join(sorted({o.api_version for o in found}))
            return [f"{found[0].operation_id}: not documented at api-version {version} (the specs have {versions})"]
        errors = []
        for name, param in op.query.items():
            if param.get("required") and name not in query:
                errors.append(f"{op.operation_id}: required query parameter {name} missing")
        from_example = not op.query and "/examples/" in op.source  # an example names no optional parameter
        for name, value in query.items():
            param = op.query.get(name)
            next_page = op.pageable and name.lower() in ("$skiptoken", "$skip")  # a nextLink's continuation token
            if name == "api-version" or (param is None and (from_example or next_page)):
                continue
            if param is None:
                errors.append(f"{op.operation_id}: query parameter {name} is not declared by the operation")
            elif "enum" in param and not param.get("x-ms-enum", {}).get("modelAsString") and value not in param["enum"]:
                errors.append(f"{op.operation_id}: query {name}={value!r} is not one of {param['enum']}")
        if body is None and op.body_required:
            errors.append(f"{op.operation_id}: the required request body is missing")
        elif body is not None and op.body is None:
            errors.append(f"{op.operation_id}: the operation takes no request body")
        elif body is not None and op.body is not None:
            key = (op.source, op.method, op.path_template, "request")
            if key not in self._validators:
                self._validators[key] = Draft7Validator(op.body, registry=self._registry)
            found_errors = self._validators[key].iter_errors(body)
            for error in sorted(found_errors, key=lambda e: list(map(str, e.absolute_path))):
                what = "read-only property sent" if _read_only_error(error) else _shorten(error.message)
                errors.append(f"{op.operation_id} request body {_pointer(error)}: {what}")
        return [f"{error} [spec {op.api_version} {op.source}]" for error in errors]

    def check_examples(self) -> dict[str, list[str]]:
        """Example file -> errors of its response bodies against its operation, for the examples that fail."""
        findings: dict[str, list[str]] = {}
        for link in self.examples:
            if link.operation is None:
                continue
            errors = [
                error
                for status, body in link.bodies.items()
                for error in self._check(link.operation, status, body, link.api_version)
            ]
            if errors:
                findings[link.path] = errors
        return findings

    def summary(self) -> str:
        """What was indexed and what could not be: for a CI log or a note."""
        from_examples = [op for op in self.operations if op.source not in self.spec_files]
        stand_ins = [op.operation_id for op in self.operations if op.inferred and op.source in self.spec_files]
        unmatched = [link.path for link in self.examples if link.operation is None]
        lines = [
            f"{len(self.operations) - len(from_examples)} operations from {len(self.spec_files)} swagger files "
            f"({len(stand_ins)} with a response schema taken from examples: {', '.join(stand_ins) or '-'}), "
            f"{len(from_examples)} more from examples alone",
            f"{len(self.examples)} examples, {len(unmatched)} without an operation: {', '.join(unmatched) or '-'}",
            f"{len(self.missing_examples)} x-ms-examples targets missing: {', '.join(self.missing_examples) or '-'}",
            f"{sum(self.omitted_refs.values())} references to {len(self.omitted_refs)} definitions the excerpts left "
            "out, checked as permissive:",
        ]
        lines += [f"  {count:3} x {target}" for target, count in sorted(self.omitted_refs.items())]
        return "\n".join(lines)

    def _check(self, op: Operation, status: str, body: Any, requested_version: str | None) -> list[str]:
        key = status if status in op.responses else "default" if "default" in op.responses else None
        where = f"spec {op.api_version} {op.source}"
        if key in op.inferred:
            where += " (schema inferred from examples)"
        if requested_version and requested_version != op.api_version:
            where += f"; request api-version {requested_version}"
        if key is None:
            listed = ", ".join(op.responses)
            return [f"{op.operation_id} {status}: status not in the spec (it lists {listed}) [{where}]"]
        schema = op.responses[key]
        if schema is None:
            if body is None or body == "":
                return []
            got = _shorten(json.dumps(body))
            return [f"{op.operation_id} {status}: the spec defines no body for {key}, got {got} [{where}]"]
        cache_key = (op.source, op.method, op.path_template, key)
        if cache_key not in self._validators:
            self._validators[cache_key] = Draft7Validator(schema, registry=self._registry)
        errors = self._validators[cache_key].iter_errors(body)
        ordered = sorted(errors, key=lambda e: ([str(part) for part in e.absolute_path], e.message))
        return [f"{op.operation_id} {status}: {_pointer(e)}: {_shorten(e.message)} [{where}]" for e in ordered]


def find_specs_root() -> Path:
    """tests/specs, the vendored specs (nothing outside the repository); AMLMOVE_SPECS_DIR overrides it."""
    override = os.environ.get("AMLMOVE_SPECS_DIR")
    root = Path(override) if override else SPECS_ROOT
    if not root.is_dir():
        raise FileNotFoundError(f"spec directory {root} not found (AMLMOVE_SPECS_DIR names another one)")
    return root


def check_capture(capture_file: Path, index: SpecIndex) -> tuple[int, int, list[str]]:
    """(responses seen, responses checked against a schema, errors) for an emulator capture in JSON Lines."""
    seen = checked = 0
    errors: list[str] = []
    for number, line in enumerate(capture_file.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        seen += 1
        try:
            record = json.loads(line)
            method, path, status = record["method"], record["path"], int(record["status"])
        except (ValueError, KeyError, TypeError) as exc:
            errors.append(f"{capture_file.name}:{number}: not a capture record ({exc!r})")
            continue
        if index.match(method, path) is None:
            continue
        checked += 1
        found = index.validate(method, path, record.get("query") or {}, status, record.get("body"))
        errors += [f"{capture_file.name}:{number} {method} {path}: {error}" for error in found]
    return seen, checked, errors


class _Loader:
    """Reads swagger documents: operations, path patterns, and definitions translated to JSON Schema."""

    def __init__(self, docs: Mapping[str, Any]) -> None:
        self.docs = docs
        self.unresolved: Counter[str] = Counter()  # targets no file holds: SpecIndex.load refuses them
        self.omitted: Counter[str] = Counter()  # definitions an excerpt left out on purpose (OMITTED)
        self._request = False  # translating a request body: read-only properties must not be sent
        # (file, discriminator base) -> [(discriminator value, file, subtype)]
        self.subtypes: dict[tuple[str, str], list[tuple[str, str, str]]] = {}
        for rel, doc in docs.items():
            if isinstance(doc, dict) and "swagger" in doc:
                for name in doc.get("definitions", {}):
                    for base in self._discriminator_ancestors(rel, name, set()):
                        value = doc["definitions"][name].get("x-ms-discriminator-value", name)
                        self.subtypes.setdefault(base, []).append((value, rel, name))
        self.example_bodies = self._example_bodies()

    def operations(self, rel: str, doc: Mapping[str, Any]) -> Iterator[Operation]:
        version = str(doc.get("info", {}).get("version", "?"))
        for template, method, spec, shared_parameters in _swagger_operations(doc):
            declared = [self._deref(p, rel) for p in [*shared_parameters, *spec.get("parameters", [])]]
            path_params = {p["name"]: p for p in declared if p and p.get("in") == "path"}
            pattern, specificity = _compile_template(template, path_params)
            responses: dict[str, Schema | None] = {}
            inferred: list[str] = []
            omitted: list[str] = []
            for status, response in spec.get("responses", {}).items():
                before = sum(self.omitted.values())
                schema, from_examples = self._response_schema(status, response, rel)
                if not from_examples and sum(self.omitted.values()) > before and _is_ref_only(response):
                    omitted.append(status)
                if schema is not None and isinstance(spec.get("x-ms-pageable"), dict):
                    schema = _with_item_array(schema, status, spec["x-ms-pageable"])
                responses[status] = schema
                if from_examples:
                    inferred.append(status)
            query = {p["name"]: p for p in declared if p and p.get("in") == "query"}
            body_param = next((p for p in declared if p and p.get("in") == "body"), None)
            body = self.request_schema(body_param.get("schema"), rel) if body_param else None
            yield Operation(
                operation_id=spec.get("operationId", f"{method.upper()} {template}"),
                method=method.upper(),
                path_template=template,
                api_version=version,
                source=rel,
                responses=responses,
                pattern=pattern,
                specificity=specificity,
                example_refs=_example_refs(rel, spec),
                inferred=tuple(inferred),
                omitted=tuple(omitted),
                query=query,
                body=body,
                body_required=bool(body_param and body_param.get("required")),
                pageable="x-ms-pageable" in spec,
            )

    def request_schema(self, node: Any, rel: str) -> Schema:
        """A body parameter's schema in request form: a read-only property must not be sent (and is not required)."""
        self._request = True
        try:
            return self._schema(node, rel)
        finally:
            self._request = False

    def resources(self, specs: Iterable[str]) -> Iterator[tuple[str, Schema]]:
        """One registry resource per swagger file: its definitions, and the plain form of discriminator bases, each
        in response form and in request form (sections prefixed "request-")."""
        for rel in specs:
            sections: Schema = {}
            for request in (False, True):
                self._request = request
                prefix = "request-" if request else ""
                definitions: Schema = {}
                plain: Schema = {}
                for name, node in self.docs[rel].get("definitions", {}).items():
                    definitions[name] = self._schema(node, rel)
                    if (rel, name) not in self.subtypes:
                        continue
                    plain[name] = definitions[name]
                    prop = node["discriminator"]
                    dispatch: Schema = {"$ref": _uri(rel, prefix + "plain", name)}  # no subtype claims it: the base
                    for value, file, sub in reversed(self.subtypes[(rel, name)]):
                        if (file, sub) != (rel, name):
                            condition = {"properties": {prop: {"const": value}}, "required": [prop]}
                            then = {"$ref": _uri(file, prefix + "definitions", sub)}
                            dispatch = {"if": condition, "then": then, "else": dispatch}
                    definitions[name] = dispatch
                sections[prefix + "definitions"], sections[prefix + "plain"] = definitions, plain
            self._request = False
            yield _BASE_URI + rel, sections

    def _response_schema(self, status: str, response: Any, rel: str) -> tuple[Schema | None, bool]:
        """The status's JSON Schema (None: no body) and whether examples stand in for a missing spec schema."""
        response = self._deref(response, rel)
        if response is None:
            return {}, False
        if "schema" not in response:
            return None, False
        node = response["schema"]
        bodies = []
        if isinstance(node, dict) and "$ref" in node and self._lookup(node["$ref"], rel) is None:
            bodies = self.example_bodies.get((_join(rel, node["$ref"]), status), [])
        schema = self._schema(node, rel)  # also counts the missing target when examples stand in for it
        if bodies:
            schema = _infer_schema(bodies, nullable=False)
        if status == "default":
            schema = {"allOf": [schema, {"$ref": _ARM_ERROR_URI}]}
        return schema, bool(bodies)

    def _example_bodies(self) -> dict[tuple[str, str], list[Any]]:
        """(missing response schema target, status) -> bodies of the examples the swaggers name for such responses."""
        found: dict[tuple[str, str], list[Any]] = {}
        for rel, doc in self.docs.items():
            if not (isinstance(doc, dict) and "swagger" in doc):
                continue
            for _, _, spec, _ in _swagger_operations(doc):
                examples = [self.docs[ref] for ref in _example_refs(rel, spec) if ref in self.docs]
                for status, response in spec.get("responses", {}).items():
                    ref = (response.get("schema") or {}).get("$ref")
                    if ref is None or self._lookup(ref, rel) is not None:
                        continue
                    bodies = [example["responses"].get(status, {}).get("body") for example in examples]
                    found.setdefault((_join(rel, ref), status), []).extend(b for b in bodies if b is not None)
        return found

    def _schema(self, node: Any, rel: str, *, in_all_of: bool = False) -> Schema:
        if not isinstance(node, dict):
            return {}
        if "$ref" in node:
            return self._ref(node["$ref"], rel, in_all_of=in_all_of)
        out: Schema = {key: node[key] for key in _KEYWORDS if key in node}
        if node.get("type") in _JSON_TYPES:
            out["type"] = node["type"]
        elif "type" not in node and ("properties" in node or "additionalProperties" in node):
            out["type"] = "object"  # as AutoRest models it; many definitions leave the type out
        if node.get("x-ms-enum", {}).get("modelAsString"):
            out.pop("enum", None)
        for bound in ("Minimum", "Maximum"):  # Swagger 2.0 keeps draft 4's boolean exclusiveMinimum/Maximum
            if node.get(f"exclusive{bound}") is True and bound.lower() in out:
                out[f"exclusive{bound}"] = out.pop(bound.lower())
        properties = {k: v for k, v in (node.get("properties") or {}).items() if isinstance(v, dict)}  # excerpts leave
        # notes such as "x-research-note": "..." among properties
        read_only = {name for name, sub in properties.items() if self._request and self._read_only(sub, rel)}
        # x-ms-mutability without "read" (secrets): never in a response, so not required there
        write_only = {
            name
            for name, sub in properties.items()
            if not self._request and "read" not in sub.get("x-ms-mutability", ["read"])
        }
        if "required" in node:
            out["required"] = [name for name in node["required"] if name not in read_only | write_only]
        if properties:
            required = set(node.get("required", []))
            out["properties"] = {
                name: _READ_ONLY_SENT if name in read_only else self._nullable(sub, rel, default=name not in required)
                for name, sub in properties.items()
            }
        if isinstance(node.get("additionalProperties"), dict):
            out["additionalProperties"] = self._nullable(node["additionalProperties"], rel, default=False)
        # additionalProperties: false is not kept: AutoRest composes models with allOf, where JSON Schema would refuse
        # every property a sibling part declares (the ML specs write it on each model).
        if isinstance(node.get("items"), dict):
            out["items"] = self._nullable(node["items"], rel, default=False)
        if "allOf" in node:
            out["allOf"] = [self._schema(part, rel, in_all_of=True) for part in node["allOf"]]
        return out

    def _read_only(self, node: Schema, rel: str) -> bool:
        if node.get("readOnly") is True:
            return True
        target = self._lookup(node["$ref"], rel) if "$ref" in node else None
        return bool(target and isinstance(target[2], dict) and target[2].get("readOnly") is True)

    def _nullable(self, node: Schema, rel: str, *, default: bool) -> Schema:
        schema = self._schema(node, rel)
        flag = node.get("x-nullable")
        if flag is None and "$ref" in node:
            target = self._lookup(node["$ref"], rel)
            flag = target[2].get("x-nullable") if target and isinstance(target[2], dict) else None
        if not schema or flag is False or (flag is None and not default):
            return schema
        if isinstance(schema.get("type"), str) and "allOf" not in schema:  # a plain typed schema: widen its type
            widened = {**schema, "type": [schema["type"], "null"]}
            if "enum" in widened:
                widened["enum"] = [*widened["enum"], None]
            return widened
        return {"if": _NULL, "else": schema}  # unlike anyOf, reports each error inside the schema on its own

    def _ref(self, ref: str, rel: str, *, in_all_of: bool = False) -> Schema:
        target = self._lookup(ref, rel)
        if target is None:
            self._missing(ref, rel)
            return {}
        file, tokens, node = target
        if len(tokens) == 2 and tokens[0] == "definitions":
            # A subtype's allOf names its base: point it at the base's plain form, not back at the dispatcher.
            plain = in_all_of and (file, tokens[1]) in self.subtypes
            prefix = "request-" if self._request else ""
            return {"$ref": _uri(file, prefix + ("plain" if plain else "definitions"), tokens[1])}
        return self._schema(node, file)

    def _deref(self, node: Any, rel: str) -> dict[str, Any] | None:
        """A parameter or response object, following its $ref; None (and counted) when the target is missing."""
        if not isinstance(node, dict) or "$ref" not in node:
            return node if isinstance(node, dict) else None
        target = self._lookup(node["$ref"], rel)
        if target is None:
            self._missing(node["$ref"], rel)
            return None
        return target[2] if isinstance(target[2], dict) else None

    def _missing(self, ref: str, rel: str) -> None:
        key = _join(rel, ref)
        counter = self.omitted if self._lookup(ref, rel, omitted_too=True) else self.unresolved
        if not self._request or key not in counter:  # the request form translates the same definitions again
            counter[key] += 1

    def _lookup(self, ref: str, rel: str, *, omitted_too: bool = False) -> tuple[str, list[str], Any] | None:
        """(file, pointer tokens, node) of a $ref's target; None when absent or (unless omitted_too) left out."""
        file, _, pointer = _join(rel, ref).partition("#")
        node = self.docs.get(file)
        tokens = [unquote(t).replace("~1", "/").replace("~0", "~") for t in pointer.split("/")[1:]]
        for token in tokens:
            if not isinstance(node, dict) or token not in node:
                return None
            node = node[token]
        if node is None or (not omitted_too and isinstance(node, dict) and OMITTED in node):
            return None
        return file, tokens, node

    def _discriminator_ancestors(self, rel: str, name: str, seen: set[tuple[str, str]]) -> Iterator[tuple[str, str]]:
        node = self.docs[rel].get("definitions", {}).get(name)
        if not isinstance(node, dict) or (rel, name) in seen:
            return
        seen.add((rel, name))
        if "discriminator" in node:
            yield rel, name
        for part in node.get("allOf", []):
            target = self._lookup(part["$ref"], rel) if isinstance(part, dict) and "$ref" in part else None
            if target and len(target[1]) == 2 and target[1][0] == "definitions":
                yield from self._discriminator_ancestors(target[0], target[1][1], seen)


def _link_examples(
    operations: list[Operation], examples: Mapping[str, Any]
) -> tuple[list[ExampleLink], list[Operation], list[str]]:
    """Find each example's operation: the swagger's x-ms-examples link, else the example's operationId, else an
    x-ms-examples link of the same file name (excerpts moved some), else the resource path its body shows; an example
    whose path matches no operation gets an inferred one."""
    by_ref = {ref: op for op in operations for ref in op.example_refs}
    links: list[ExampleLink] = []
    inferred: list[Operation] = []
    for rel, doc in examples.items():
        version = (doc.get("parameters") or {}).get("api-version") if isinstance(doc.get("parameters"), dict) else None
        nearby = [
            op
            for op in operations
            if op.source.split("/")[:2] == rel.split("/")[:2] and (version is None or op.api_version == version)
        ]
        by_id = [op for op in nearby if op.operation_id == doc.get("operationId")]
        name = posixpath.basename(rel)
        by_name = [op for op in nearby if any(posixpath.basename(ref) == name for ref in op.example_refs)]
        resource_path = _resource_path(doc)
        by_path = [op for op in nearby if op.method == "GET" and resource_path and op.pattern.fullmatch(resource_path)]
        how, op = next(
            (
                (how, max(found, key=lambda o: _shared_prefix(o.source, rel)))
                for how, found in (
                    ("x-ms-examples", [by_ref[rel]] if rel in by_ref else []),
                    ("operationId", by_id),
                    ("x-ms-examples file name", by_name),
                    ("path in body", by_path),
                )
                if found
            ),
            ("unmatched", None),
        )
        if op is None and resource_path:
            op = _inferred_operation(rel, doc, resource_path)
            how = "inferred"
            inferred.append(op)
        parameters = doc.get("parameters", {})
        links.append(
            ExampleLink(
                path=rel,
                operation=op,
                how=how,
                api_version=parameters.get("api-version") if isinstance(parameters, dict) else None,
                bodies={
                    status: response.get("body") if isinstance(response, dict) else None
                    for status, response in doc["responses"].items()
                },
            )
        )
    linked = {link.path for link in links if link.operation is not None}
    missing = sorted(
        ref
        for op in operations
        for ref in op.example_refs
        if ref not in examples and not any(posixpath.basename(path) == posixpath.basename(ref) for path in linked)
    )
    return links, inferred, missing


def _swagger_operations(doc: Mapping[str, Any]) -> Iterator[tuple[str, str, Mapping[str, Any], list[Any]]]:
    """(path template, method, operation object, path-level parameters) for each operation of a swagger document."""
    for template, item in doc.get("paths", {}).items():
        for method, spec in item.items():
            if method in _METHODS:
                yield template, method, spec, item.get("parameters", [])


def _example_refs(rel: str, spec: Mapping[str, Any]) -> tuple[str, ...]:
    return tuple(_join(rel, ref["$ref"]) for ref in spec.get("x-ms-examples", {}).values() if "$ref" in ref)


def _resource_path(example: Mapping[str, Any]) -> str | None:
    """The ARM path a GET example answers, read from its 200 body: nextLink, a listed item's parent, or its own id."""
    body = (example["responses"].get("200") or {}).get("body")
    if not isinstance(body, dict):
        return None
    next_link = body.get("nextLink")
    if isinstance(next_link, str) and next_link.startswith("https://"):
        return urlsplit(next_link).path
    items = body.get("value")
    if isinstance(items, list):
        first = items[0].get("id") if items and isinstance(items[0], dict) else None
        return first.rsplit("/", 1)[0] if isinstance(first, str) and first.startswith("/subscriptions/") else None
    own = body.get("id")
    return own if isinstance(own, str) and own.startswith("/subscriptions/") else None


def _inferred_operation(rel: str, example: Mapping[str, Any], resource_path: str) -> Operation:
    parameters = example.get("parameters", {})
    names = {value: name for name, value in parameters.items() if isinstance(value, str)}
    segments = [s for s in resource_path.split("/") if s]
    template = ""
    for i in range(0, len(segments), 2):  # ARM ids alternate keyword/type and name, except providers/{namespace}
        word = segments[i]
        template += f"/{word}"
        if i + 1 < len(segments):
            value = segments[i + 1]
            default = _ARM_ID_NAMES.get(word.lower(), "name")
            template += f"/{value}" if word.lower() == "providers" else f"/{{{names.get(value, default)}}}"
    body = example["responses"]["200"].get("body")
    success = _infer_schema([body], nullable=False)
    if isinstance(body.get("value"), list):
        success = _with_item_array(success, "200", {})
    pattern, specificity = _compile_template(template, {})
    return Operation(
        operation_id=example.get("operationId") or rel.partition("/examples/")[2].removesuffix(".json"),
        method="GET",
        path_template=template,
        api_version=str(parameters.get("api-version", "?")),
        source=rel,
        responses={"200": success, "default": {"$ref": _ARM_ERROR_URI}},
        pattern=pattern,
        specificity=specificity,
        inferred=("200",),
    )


def _with_item_array(schema: Schema, status: str, pageable: Mapping[str, Any]) -> Schema:
    """x-ms-pageable: a success body must carry the item array the SDK pager iterates."""
    if not status.startswith("2"):
        return schema
    item = pageable.get("itemName", "value")
    return {"allOf": [schema, {"type": "object", "required": [item], "properties": {item: {"type": "array"}}}]}


def _infer_schema(samples: list[Any], *, nullable: bool = True) -> Schema:
    """The JSON types the samples show (any number where an integer is shown); nothing is required and any member may
    be null or absent (an example cannot say otherwise), while an array item may be null only where one is."""
    kinds = {_json_type(sample) for sample in samples} - {"null"}
    if not kinds:
        return {}
    schema: Schema = {"type": sorted(kinds | {"null"}) if nullable else sorted(kinds)}
    objects = [sample for sample in samples if isinstance(sample, dict)]
    if objects:
        keys = dict.fromkeys(key for obj in objects for key in obj)
        schema["properties"] = {key: _infer_schema([obj[key] for obj in objects if key in obj]) for key in keys}
    elements = [element for sample in samples if isinstance(sample, list) for element in sample]
    if elements:
        schema["items"] = _infer_schema(elements, nullable=None in elements)
    return schema


def _json_type(value: Any) -> str:
    for python_type, name in ((bool, "boolean"), (int, "number"), (float, "number"), (str, "string")):
        if isinstance(value, python_type):
            return name
    return "array" if isinstance(value, list) else "object" if isinstance(value, dict) else "null"


def _compile_template(
    template: str, path_params: Mapping[str, Mapping[str, Any]]
) -> tuple[re.Pattern[str], tuple[int, int]]:
    """A case-insensitive pattern for a path template, and its specificity (more literal segments win).

    A parameter spans '/' when declared `x-ms-skip-url-encoding` (e.g. {resourceType}); so does a leading undeclared
    one, as ARM scope parameters are (the authorization excerpts' ScopeParameter lives in a file not held here).
    {parentResourcePath} may be empty: the SDKs send '//' for a top-level resource, which the caller collapses."""
    parts = []
    literal = spanning = 0
    for position, segment in enumerate(template.strip("/").split("/")):
        whole = re.fullmatch(r"\{([^}/]+)\}", segment)
        if whole is None:
            literal += "{" not in segment
            parts.append("/" + "[^/]+".join(re.escape(piece) for piece in _PARAM.split(segment)[::2]))
            continue
        name = whole.group(1)
        declared = path_params.get(name)
        spans = bool(declared.get("x-ms-skip-url-encoding")) if declared else position == 0
        spanning += spans
        if name == "parentResourcePath":
            parts.append("(?:/[^/]+)*")
        else:
            parts.append("(?:/[^/]+)+" if spans else "/[^/]+")
    return re.compile("".join(parts) or "/", re.IGNORECASE), (literal, -spanning)


_READ_ONLY_SENT: Schema = {"not": {}, "x-amlmove-read-only": True}  # a read-only property in a request body


def _read_only_error(error: ValidationError) -> bool:
    return isinstance(error.schema, dict) and error.schema.get("x-amlmove-read-only") is True


def _is_ref_only(response: Any) -> bool:
    return isinstance(response, dict) and "$ref" in (response.get("schema") or {})


def _pointer(error: ValidationError) -> str:
    return "#" + "".join("/" + str(part).replace("~", "~0").replace("/", "~1") for part in error.absolute_path)


def _shorten(text: str) -> str:
    return text if len(text) <= 200 else text[:197] + "..."


def _join(rel: str, ref: str) -> str:
    """A $ref made relative to the specs root: 'file#/pointer'."""
    path, _, pointer = ref.partition("#")
    file = posixpath.normpath(posixpath.join(posixpath.dirname(rel), path)) if path else rel
    return f"{file}#{pointer}" if pointer else file


def _shared_prefix(a: str, b: str) -> int:
    return posixpath.commonpath([a, b]).count("/")


def _uri(rel: str, section: str, name: str) -> str:
    return f"{_BASE_URI}{rel}#/{section}/{quote(name.replace('~', '~0').replace('/', '~1'), safe='')}"
