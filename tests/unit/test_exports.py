"""amlmove_action.exports on real recorded Azure ML compute bodies (tests/recordings/ml-computes.json, a real
workspace's cluster and compute instance): each is written as the YAML azure-ai-ml itself loads (what
`az ml compute create --file` reads), without the read-only members a create must not carry, with its SHA-256; verify
refuses a missing, altered or unloadable file; an attached compute azure-ai-ml cannot model is kept in ARM's form."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
import yaml

from amlmove_action.exports import ExportProblem, arm_form, is_attached_body, loader, take_exports, verify
from tests.support.recorded import RecordedArm, body_of

LISTED = body_of("ml-computes.json", "Compute_List")["value"]
WS = LISTED[0]["id"].rsplit("/computes/", 1)[0]
BODIES = {c["name"]: c for c in LISTED}


def exported(tmp_path: Path, *names: str):
    arm = RecordedArm({f"{WS}/computes/{name}": BODIES[name] for name in names})
    return take_exports(arm, WS, tmp_path, list(names), [], [], []), arm


def test_a_recorded_cluster_exports_as_yaml_azure_ai_ml_loads_with_its_settings(tmp_path: Path) -> None:
    recorded = BODIES["batch-cluster"]["properties"]["properties"]
    (item,), arm = exported(tmp_path, "batch-cluster")
    assert arm.asked == [f"{WS}/computes/batch-cluster"]
    assert (item.kind, item.name, item.resource_id) == ("compute", "batch-cluster", BODIES["batch-cluster"]["id"])
    assert item.file == "exports/compute-batch-cluster.yml"
    verify([item], tmp_path)  # present, the bytes plan wrote, loadable
    loaded = loader("compute")(tmp_path / item.file)
    assert (loaded.name, loaded.type, loaded.size) == ("batch-cluster", "amlcompute", recorded["vmSize"])
    assert (loaded.min_instances, loaded.max_instances) == (0, recorded["scaleSettings"]["maxNodeCount"])
    assert loaded.idle_time_before_scale_down == 120  # PT2M as recorded
    text = yaml.safe_load((tmp_path / item.file).read_text("utf-8"))
    assert not {"id", "provisioning_state", "created_on", "state"} & set(text)  # read-only: never sent back


def test_a_recorded_compute_instance_drops_its_identitys_read_only_ids(tmp_path: Path) -> None:
    body = BODIES["jiajicompute1"]
    assert body["identity"]["principalId"]  # as recorded: the service-assigned ids
    (item,), _ = exported(tmp_path, "jiajicompute1")
    verify([item], tmp_path)
    text = yaml.safe_load((tmp_path / item.file).read_text("utf-8"))
    assert text["type"] == "computeinstance" and text["size"] == "STANDARD_DS3_V2"
    assert text["identity"]["type"] == "system_assigned"
    assert not {"principal_id", "tenant_id", "client_id"} & set(text["identity"])
    # azure-ai-ml nests dump-only members too: ssh_settings' admin_username/ssh_port, network_settings' IP addresses
    assert body["properties"]["properties"]["sshSettings"]["adminUserName"]  # as recorded: set by the service
    assert not {"admin_username", "ssh_port"} & set(text.get("ssh_settings") or {})
    assert not {"public_ip_address", "private_ip_address"} & set(text.get("network_settings") or {})
    assert loader("compute")(tmp_path / item.file).size == "STANDARD_DS3_V2"


def test_verify_refuses_a_missing_altered_or_unloadable_export(tmp_path: Path) -> None:
    (item,), _ = exported(tmp_path, "batch-cluster")
    path = tmp_path / item.file
    original = path.read_bytes()
    path.write_bytes(original.replace(b"STANDARD_DS3_V2", b"STANDARD_NC24"))
    with pytest.raises(ExportProblem, match="is not the file plan wrote"):
        verify([item], tmp_path)
    path.unlink()
    with pytest.raises(ExportProblem, match="is missing next to the plan"):
        verify([item], tmp_path)
    garbage = b"type: [not a compute\n"
    path.write_bytes(garbage)

    unloadable = type(item)(item.kind, item.name, item.resource_id, item.file, hashlib.sha256(garbage).hexdigest())
    with pytest.raises(ExportProblem, match="does not load with azure-ai-ml"):
        verify([unloadable], tmp_path)


def test_nothing_to_remove_reads_and_writes_nothing(tmp_path: Path) -> None:
    arm = RecordedArm({})
    assert take_exports(arm, WS, tmp_path / "out", [], [], [], []) == []
    assert arm.asked == [] and not (tmp_path / "out").exists()


def test_an_attached_compute_azure_ai_ml_cannot_model_is_kept_in_arms_form(tmp_path: Path) -> None:
    body = json.loads(json.dumps(BODIES["batch-cluster"]))
    body["name"] = "hdi"
    body["properties"].update(computeType="HDInsight", isAttachedCompute=True, resourceId="/subscriptions/s/x")
    body["properties"]["properties"] = {"address": "hdi.example", "sshPort": 22}
    assert is_attached_body(body)
    arm = RecordedArm({f"{WS}/computes/hdi": body})
    (item,) = take_exports(arm, WS, tmp_path, ["hdi"], [], [], [])
    assert (item.kind, item.file) == ("attached-compute", "exports/attached-compute-hdi.json")
    verify([item], tmp_path)
    written = json.loads((tmp_path / item.file).read_text("utf-8"))
    assert written == arm_form(body)
    assert not {"id", "name", "type"} & set(written)
    assert not {"provisioningState", "createdOn", "modifiedOn", "isAttachedCompute"} & set(written["properties"])
    assert written["properties"]["resourceId"] == "/subscriptions/s/x"  # what a PUT needs to attach it again
