"""Request conformance: is every request amlmove sends one Microsoft's spec documents, sent as the spec says?

The emulator's capture records each request's method, path, query, JSON body and User-Agent. amlmove's clients (the
azure-mgmt clients, the raw ARM pipeline, and azure-ai-ml's MLClient acting for it) prepend `amlmove/<version>` to the
User-Agent (amlmove_action/azure.py USER_AGENT), so the product's requests are told apart from the tests' own. Each is
checked by SpecIndex.check_request against the operation at its api-version: the operation exists there; required query
parameters and body present; no undeclared query parameter; enum values declared; no read-only property in the body;
`$filter` in a form the spec's description documents (FILTER_FORMS). Each product response must also match a spec
operation (checked against its schema by tests/support/spec_conformance.py).

What is allowed, and why, is listed here and nowhere else:
- LRO polls: the URL comes from the service's Location / Azure-AsyncOperation header, not from a spec path; and a
  next page's $skiptoken comes from the service's nextLink;
- a request the emulator received truncated (requestTruncated: the tests SIGKILL runners mid-request);
- UNDOCUMENTED: operations the product calls that no vendored spec documents at that api-version (README "Limits");
- KNOWN_DEVIATIONS: a violation another issue fixes, named so that the entry is removed with the fix.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from tests.support.spec_conformance import SpecIndex

PRODUCT_AGENT = "amlmove/"
# ARM long-running-operation polls: the URL is whatever the service put in Location / Azure-AsyncOperation.
_LRO_POLL = re.compile(
    r"/(operationresults|operationstatuses|asyncoperations|operationsstatus|computeoperationsstatus|"
    r"mfeoperationresults|mfeoperationsstatus)/",
    re.IGNORECASE,
)

# operationId prefix -> the $filter forms its spec documents (regex, and where the spec says so)
FILTER_FORMS: dict[str, list[tuple[str, str]]] = {
    "RoleAssignments_List": [
        (r"atScope\(\)", "authorization-RoleAssignmentsCalls 2022-04-01 FilterParameter: $filter=atScope()"),
        (r"principalId eq '?[0-9a-fA-F-]{36}'?", "same: $filter=principalId eq {id}"),
    ],
}


@dataclass(frozen=True)
class Undocumented:
    """An operation the product calls that the vendored specs do not document at its api-version (README "Limits")."""

    method: str
    pattern: str  # regex on the URL path
    api_version: str
    reason: str


UNDOCUMENTED: tuple[Undocumented, ...] = (
    Undocumented(
        "GET",
        r"(?i)/subscriptions/[^/]+/providers/Microsoft\.Authorization/permissions",
        "2022-04-01",
        "Permissions at subscription scope: ARM and the Azure CLI answer it, but the 2022-04-01 swagger documents only "
        "the resource-group and resource scopes (Azure/azure-rest-api-specs issue 19473); the product falls back to "
        "the resource group's permissions when the call fails",
    ),
)


@dataclass(frozen=True)
class KnownDeviation:
    """A request violation that another issue fixes; the entry goes when that fix is merged."""

    operation_id: str
    contains: str  # a substring of the violation text
    issue: int
    reason: str


KNOWN_DEVIATIONS: tuple[KnownDeviation, ...] = (
    KnownDeviation(
        "Datastores_CreateOrUpdate",
        "#/properties/isDefault: read-only property sent",
        12,
        "apply re-registers a datastore with the body it read, echoing read-only isDefault (mfe.json 2024-10-01 "
        "Datastore.isDefault readOnly); fixed by issue 12",
    ),
)


@dataclass
class RequestReport:
    requests: int = 0  # product requests seen (LRO polls excluded)
    operations: dict[str, int] = field(default_factory=dict)  # "METHOD operationId api-version" -> requests
    unmatched: dict[str, int] = field(default_factory=dict)  # "METHOD path-shape api-version" -> requests
    undocumented: dict[str, int] = field(default_factory=dict)  # UNDOCUMENTED reasons -> requests
    allowed: dict[str, int] = field(default_factory=dict)  # KNOWN_DEVIATIONS reasons -> violations
    problems: list[str] = field(default_factory=list)

    def summary(self) -> str:
        total = len(self.operations) + len(self.unmatched)
        share = 100 if not total else round(100 * len(self.operations) / total)
        text = (
            f"{self.requests} product request(s) over {total} operation(s): {share} % of product operations checked "
            f"against the vendored specs at their api-version, {len(self.problems)} violation(s)"
        )
        if self.allowed:
            text += f", {sum(self.allowed.values())} allowed by a listed deviation"
        if self.undocumented:
            text += f", {sum(self.undocumented.values())} to an undocumented operation (README limits)"
        return text


def product_records(captures: Iterable[Path]) -> Iterable[tuple[str, dict]]:
    for capture in captures:
        for number, line in enumerate(capture.read_text(encoding="utf-8").splitlines(), start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except ValueError:
                continue
            if record.get("requestTruncated"):  # the client was killed mid-request: not what the product sends
                continue
            if PRODUCT_AGENT in (record.get("userAgent") or "") and not _LRO_POLL.search(record.get("path", "")):
                yield f"{capture.name}:{number}", record


def check_product_requests(captures: Iterable[Path], index: SpecIndex) -> RequestReport:
    report = RequestReport()
    for where, record in product_records(captures):
        method, path, query = record["method"], record["path"], record.get("query") or {}
        version = query.get("api-version")
        report.requests += 1
        known = next((u for u in UNDOCUMENTED if u.method == method and re.fullmatch(u.pattern, path)), None)
        if known and version == known.api_version and index.at_version(method, path, version) is None:
            report.undocumented[known.reason] = report.undocumented.get(known.reason, 0) + 1
            continue
        op = index.at_version(method, path, version)
        if op is None:
            shape = f"{method} {_shape(path)} api-version={version}"
            if shape not in report.unmatched:
                report.problems += [f"{where} {p}" for p in index.check_request(method, path, query, None)]
            report.unmatched[shape] = report.unmatched.get(shape, 0) + 1
            continue
        key = f"{method} {op.operation_id} {op.api_version}"
        report.operations[key] = report.operations.get(key, 0) + 1
        found = index.check_request(method, path, query, record.get("requestBody"))
        found += filter_problems(op.operation_id, query.get("$filter"))
        for problem in found:
            deviation = next(
                (d for d in KNOWN_DEVIATIONS if d.operation_id == op.operation_id and d.contains in problem), None
            )
            if deviation:
                report.allowed[deviation.reason] = report.allowed.get(deviation.reason, 0) + 1
            else:
                report.problems.append(f"{where} {method} {path}: {problem}")
    return report


def filter_problems(operation_id: str, value: str | None) -> list[str]:
    """A $filter whose form the operation's spec does not document."""
    if value is None:
        return []
    forms = next((f for prefix, f in FILTER_FORMS.items() if operation_id.startswith(prefix)), None)
    if forms is None:
        return [f"{operation_id}: $filter={value!r} sent, but no documented $filter form is listed for it"]
    if any(re.fullmatch(pattern, value.strip()) for pattern, _ in forms):
        return []
    documented = "; ".join(source for _, source in forms)
    return [f"{operation_id}: $filter={value!r} is not a documented form ({documented})"]


def _shape(path: str) -> str:
    """A path with names replaced, for grouping: /subscriptions/*/resourceGroups/*/providers/X/y/*."""
    parts = path.strip("/").split("/")
    out = []
    for i, part in enumerate(parts):
        after_providers = i > 0 and parts[i - 1].lower() == "providers"
        out.append(part if i % 2 == 0 or after_providers else "*")
    return "/" + "/".join(out)
