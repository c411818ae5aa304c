"""The fault hook as the real SDK meets it: throttling with Retry-After retried to success, connection resets surfaced
once retries run out, latency, faults aimed at one page (queryRegex) or past the first N calls (skip), custom ARM
errors and garbage bodies; the request log shows what happened on the wire."""

from __future__ import annotations

import itertools
import json
import urllib.error

import pytest
from azure.core.exceptions import (
    HttpResponseError,
    ResourceExistsError,
    ServiceRequestError,
    ServiceResponseError,
)

from amlmove_emulator import samples
from tests.conftest import SdkClients

SUB = samples.SOURCE_SUB
GROUP_PATH = rf"/subscriptions/{SUB}/resourcegroups/rg-ml-test$"


@pytest.fixture
def emu(emulator):
    emulator.load_scenario(samples.clean())  # also clears faults and LRO shapes of earlier tests
    return emulator


def calls(emu, path_end: str) -> list[dict]:
    return [r for r in emu.requests() if r["path"].lower().endswith(path_end.lower())]


def test_429_with_retry_after_is_retried_after_the_given_delay_and_succeeds(emu) -> None:
    emu.fault(method="GET", pathRegex=GROUP_PATH, status=429, retryAfter=0.5, count=2)
    group = SdkClients(emu).resources(SUB).resource_groups.get("rg-ml-test")
    assert group.name == "rg-ml-test"
    log = calls(emu, "/resourcegroups/rg-ml-test")
    assert [r["status"] for r in log] == [429, 429, 200]
    gaps = [b["startedAt"] - a["startedAt"] for a, b in itertools.pairwise(log)]
    assert all(0.45 <= gap < 1.5 for gap in gaps), gaps  # Retry-After honoured (azure-core's own backoff differs)


def test_throttling_longer_than_the_retries_surfaces_the_429(emu) -> None:
    emu.fault(method="GET", pathRegex=GROUP_PATH, status=429, retryAfter=0.1, count=5)
    with pytest.raises(HttpResponseError) as throttled:
        SdkClients(emu, retry_total=1).resources(SUB).resource_groups.get("rg-ml-test")
    assert throttled.value.status_code == 429 and throttled.value.error.code == "TooManyRequests"
    assert [r["status"] for r in calls(emu, "/resourcegroups/rg-ml-test")] == [429, 429]


def test_reset_connection_without_retries_raises_a_service_error(emu) -> None:
    emu.fault(method="GET", pathRegex=GROUP_PATH, resetConnection=True, count=1)
    with pytest.raises((ServiceRequestError, ServiceResponseError)):
        SdkClients(emu, retry_total=0).resources(SUB).resource_groups.get("rg-ml-test")
    assert [r["status"] for r in calls(emu, "/resourcegroups/rg-ml-test")] == [0]


def test_resets_beyond_the_retries_surface_and_fewer_are_absorbed(emu) -> None:
    emu.fault(method="GET", pathRegex=GROUP_PATH, resetConnection=True, count=4)
    clients = SdkClients(emu, retry_total=2, retry_backoff_factor=0.01)
    with pytest.raises((ServiceRequestError, ServiceResponseError)):
        clients.resources(SUB).resource_groups.get("rg-ml-test")
    assert [r["status"] for r in calls(emu, "/resourcegroups/rg-ml-test")] == [0, 0, 0]
    assert clients.resources(SUB).resource_groups.get("rg-ml-test").name == "rg-ml-test"  # one reset left: retried
    assert [r["status"] for r in calls(emu, "/resourcegroups/rg-ml-test")] == [0, 0, 0, 0, 200]


def test_latency_beyond_the_read_timeout_is_a_service_response_error(emu) -> None:
    emu.fault(method="GET", pathRegex=GROUP_PATH, latencyMs=800, count=1)
    with pytest.raises(ServiceResponseError):
        SdkClients(emu, retry_total=0, read_timeout=0.2).resources(SUB).resource_groups.get("rg-ml-test")


def test_query_regex_aims_at_the_second_page_only(emu) -> None:
    s = samples.WorkspaceScenario()
    s.settings = {"defaultPageSize": 4}
    emu.load_scenario(s.build())
    emu.fault(method="GET", pathRegex="/resources$", queryRegex=r"\$skiptoken", status=503, retryAfter=0.1, count=1)
    names = [r.name for r in SdkClients(emu).resources(SUB).resources.list_by_resource_group("rg-ml-test")]
    assert len(names) == 6
    pages = calls(emu, "/resourcegroups/rg-ml-test/resources")
    assert [(r["status"], "$skiptoken" in r["query"]) for r in pages] == [(200, False), (503, True), (200, True)]


def test_skip_lets_the_first_calls_through_and_custom_errors_reach_the_sdk(emu) -> None:
    details = [{"code": "Inner", "message": "the inner reason", "target": "rg-ml-test"}]
    emu.fault(
        method="GET",
        pathRegex=GROUP_PATH,
        status=409,
        skip=1,
        count=1,
        errorCode="Conflict",
        errorMessage="Another operation is in progress.",
        errorDetails=details,
    )
    rc = SdkClients(emu).resources(SUB)
    assert rc.resource_groups.get("rg-ml-test").name == "rg-ml-test"
    with pytest.raises(ResourceExistsError) as conflict:
        rc.resource_groups.get("rg-ml-test")
    assert conflict.value.error.code == "Conflict"
    assert conflict.value.error.message == "Another operation is in progress."
    assert conflict.value.error.details[0].code == "Inner"
    assert rc.resource_groups.get("rg-ml-test").name == "rg-ml-test"


def test_a_garbage_body_is_an_http_error_and_is_not_captured(emu) -> None:
    emu.fault(method="GET", pathRegex=GROUP_PATH, status=502, body="<html>Bad Gateway</html>", count=1)
    with pytest.raises(HttpResponseError) as bad:
        SdkClients(emu, retry_total=0).resources(SUB).resource_groups.get("rg-ml-test")
    assert bad.value.status_code == 502 and "Bad Gateway" in bad.value.response.text()
    captured = [json.loads(line) for line in emu.capture.read_text().splitlines()]
    assert not [c for c in captured if c["status"] == 502]


def test_the_fault_hook_refuses_an_empty_fault_and_delete_clears_them(emu) -> None:
    with pytest.raises(urllib.error.HTTPError) as refused:
        emu.fault(method="GET")
    assert refused.value.code == 400 and json.loads(refused.value.read())["error"]["code"] == "InvalidFault"
    emu.fault(method="GET", pathRegex=GROUP_PATH, status=500)
    assert emu.call("DELETE", "faults") == {"faults": 0}
    assert SdkClients(emu, retry_total=0).resources(SUB).resource_groups.get("rg-ml-test").name == "rg-ml-test"
