"""Tests of the request-side spec check (tests/support/request_conformance.py): the checker finds a read-only property,
an unknown api-version, a missing required field, an undeclared query parameter and an undocumented $filter; the session
fails on such a product request; the emulator's capture carries what the check needs (body, User-Agent)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from amlmove_action.azure import USER_AGENT
from amlmove_emulator import samples
from tests.conftest import SdkClients, run_pytest_session
from tests.support.request_conformance import KNOWN_DEVIATIONS, check_product_requests, filter_problems
from tests.support.spec_conformance import SpecIndex, find_specs_root

SUB = "/subscriptions/00000000-0000-0000-0000-000000000001"
RG = f"{SUB}/resourceGroups/rg1"
WS = f"{RG}/providers/Microsoft.MachineLearningServices/workspaces/ws1"
ML = "2024-10-01"
DATASTORE = {
    "properties": {
        "datastoreType": "AzureBlob",
        "accountName": "st1",
        "containerName": "c1",
        "credentials": {"credentialsType": "AccountKey", "secrets": {"secretsType": "AccountKey", "key": "k"}},
    }
}
ROLE = "/providers/Microsoft.Authorization/roleDefinitions/acdd72a7-3385-48ef-bd42-f606fba81ae7"
ASSIGNMENT = {"properties": {"roleDefinitionId": f"{SUB}{ROLE}", "principalId": "7b6a5948-3726-4150-8f9e-adbc0e1f2a3c"}}


@pytest.fixture(scope="module")
def index() -> SpecIndex:
    return SpecIndex.load(find_specs_root())


def brief(errors: list[str]) -> list[str]:
    return [error.rsplit(" [spec ", 1)[0] for error in errors]


def test_a_conforming_datastore_put_and_role_assignment_pass(index: SpecIndex) -> None:
    assert index.check_request("PUT", f"{WS}/datastores/d1", {"api-version": ML}, DATASTORE) == []
    assignment = f"{WS}/providers/Microsoft.Authorization/roleAssignments/a1"
    assert index.check_request("PUT", assignment, {"api-version": "2022-04-01"}, ASSIGNMENT) == []


def test_a_read_only_property_in_the_body_is_a_violation(index: SpecIndex) -> None:
    body = {"id": f"{WS}/datastores/d1", "properties": {**DATASTORE["properties"], "isDefault": True}}
    errors = brief(index.check_request("PUT", f"{WS}/datastores/d1", {"api-version": ML}, body))
    assert errors == [
        "Datastores_CreateOrUpdate request body #/id: read-only property sent",
        "Datastores_CreateOrUpdate request body #/properties/isDefault: read-only property sent",
    ]


def test_an_api_version_the_specs_do_not_document_is_a_violation(index: SpecIndex) -> None:
    errors = index.check_request("GET", f"{WS}/datastores", {"api-version": "2099-01-01"}, None)
    assert errors == ["Datastores_List: not documented at api-version 2099-01-01 (the specs have 2024-10-01)"]
    assert index.check_request("GET", f"{WS}/featuresets", {"api-version": ML}, None) == [
        f"GET {WS}/featuresets: no operation in the vendored specs"
    ]


def test_a_missing_required_field_parameter_or_body_is_a_violation(index: SpecIndex) -> None:
    assignment = f"{WS}/providers/Microsoft.Authorization/roleAssignments/a1"
    no_principal = {"properties": {"roleDefinitionId": f"{SUB}{ROLE}"}}
    errors = brief(index.check_request("PUT", assignment, {"api-version": "2022-04-01"}, no_principal))
    assert errors == ["RoleAssignments_Create request body #/properties: 'principalId' is a required property"]
    no_credentials = {"properties": {"datastoreType": "AzureBlob"}}
    errors = brief(index.check_request("PUT", f"{WS}/datastores/d1", {"api-version": ML}, no_credentials))
    assert errors == ["Datastores_CreateOrUpdate request body #/properties: 'credentials' is a required property"]
    assert brief(index.check_request("PUT", f"{WS}/datastores/d1", {"api-version": ML}, None)) == [
        "Datastores_CreateOrUpdate: the required request body is missing"
    ]
    assert brief(index.check_request("GET", f"{WS}/datastores", {}, None)) == [
        "Datastores_List: not documented at api-version None (the specs have 2024-10-01)"
    ]
    compute = f"{WS}/computes/c1"
    assert brief(index.check_request("DELETE", compute, {"api-version": "2023-08-01-preview"}, None)) == [
        "Compute_Delete: required query parameter underlyingResourceAction missing"
    ]


def test_undeclared_query_parameters_and_enum_values(index: SpecIndex) -> None:
    query = {"api-version": ML, "listViewType": "All", "top": "5"}
    assert brief(index.check_request("GET", f"{WS}/jobs", query, None)) == [
        "Jobs_List: query parameter top is not declared by the operation"
    ]
    keys = f"{RG}/providers/Microsoft.Storage/storageAccounts/st1/listKeys"
    assert brief(index.check_request("POST", keys, {"api-version": "2023-05-01", "$expand": "all"}, None)) == [
        "StorageAccounts_ListKeys: query $expand='all' is not one of ['kerb']"
    ]


def test_filter_forms_are_those_the_spec_documents() -> None:
    assert filter_problems("RoleAssignments_ListForResource", "atScope()") == []
    principal = "principalId eq '7b6a5948-3726-4150-8f9e-adbc0e1f2a3c'"
    assert filter_problems("RoleAssignments_ListForScope", principal) == []
    assert "not a documented form" in filter_problems("RoleAssignments_ListForScope", "assignedTo('x')")[0]
    assert "no documented $filter form" in filter_problems("Datastores_List", "name eq 'x'")[0]


def _record(method: str, path: str, query: dict, body=None, agent: str = USER_AGENT) -> str:
    record = {"method": method, "path": path, "query": query, "status": 200, "body": None, "requestBody": body}
    return json.dumps({**record, "userAgent": f"{agent} azsdk-python-amlmove"})


def test_only_product_requests_are_checked_and_deviations_are_listed(index: SpecIndex, tmp_path: Path) -> None:
    capture = tmp_path / "c.jsonl"
    echoed = {"properties": {**DATASTORE["properties"], "isDefault": True}}
    lines = [
        _record("PUT", f"{WS}/datastores/d1", {"api-version": ML}, echoed),  # the listed issue-12 deviation
        _record("GET", f"{WS}/datastores", {"api-version": "2099-01-01"}, agent="azsdk-python-mgmt-resource/26"),
        _record("GET", f"{SUB}/operationresults/abc", {"api-version": "2025-04-01"}),  # an LRO poll
        _record("GET", f"{SUB}/providers/Microsoft.Authorization/permissions", {"api-version": "2022-04-01"}),
    ]
    capture.write_text("\n".join(lines) + "\n")
    report = check_product_requests([capture], index)
    assert report.problems == []
    assert report.requests == 2 and list(report.operations) == [f"PUT Datastores_CreateOrUpdate {ML}"]
    assert list(report.allowed) == [KNOWN_DEVIATIONS[0].reason] and "issue 12" in KNOWN_DEVIATIONS[0].reason
    assert len(report.undocumented) == 1 and "19473" in next(iter(report.undocumented))
    assert report.summary().startswith("2 product request(s) over 1 operation(s): 100 % of product operations")


def test_the_session_fails_on_a_product_request_the_spec_refuses(tmp_path: Path) -> None:
    assignment = f"{WS}/providers/Microsoft.Authorization/roleAssignments/a1"
    records = [
        _record("PUT", f"{WS}/datastores/d1", {"api-version": ML}, {"id": "x", **DATASTORE}),
        _record("GET", f"{WS}/datastores", {"api-version": "2099-01-01"}),
        _record("PUT", assignment, {"api-version": "2022-04-01"}, {"properties": {"principalId": "p"}}),
    ]
    proc = run_pytest_session(
        tmp_path,
        f"""
        from tests.conftest import capture_file

        def test_writes_bad_product_requests():
            capture_file("bad-requests").write_text("\\n".join({records!r}) + "\\n")
        """,
    )
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "1 passed" in proc.stdout
    failed = [line for line in proc.stdout.splitlines() if line.startswith("SESSION CHECK FAILED: ")]
    assert any("#/id: read-only property sent" in line for line in failed)
    assert any("not documented at api-version 2099-01-01" in line for line in failed)
    assert any("'roleDefinitionId' is a required property" in line for line in failed)
    assert "3 product request(s) over 3 operation(s): 67 % of product operations checked" in proc.stdout


def test_the_emulator_captures_the_request_body_and_user_agent(emulator) -> None:
    emulator.load_scenario(samples.sample())
    sdk = SdkClients(emulator, user_agent=USER_AGENT)
    group = f"/subscriptions/{samples.SOURCE_SUB}/resourcegroups/rg-i14-capture"
    response = sdk.send("PUT", group, body={"location": "eastus"}, subscription_id=samples.SOURCE_SUB)
    assert response.status_code in (200, 201)
    records = [json.loads(line) for line in emulator.capture.read_text().splitlines() if line.strip()]
    mine = [r for r in records if r["method"] == "PUT" and r["path"].endswith("rg-i14-capture")]
    assert mine and mine[-1]["requestBody"] == {"location": "eastus"}
    assert mine[-1]["userAgent"].startswith(USER_AGENT)
