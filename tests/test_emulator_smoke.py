"""Smoke test of the shared fixtures: the emulator serves the sample scenario to a real SDK client."""

from amlmove_action.emulator import samples
from amlmove_action.emulator.control import SCENARIOS


def test_sample_scenario_is_served(emulator):
    from azure.identity import ClientSecretCredential
    from azure.mgmt.resource.resources import ResourceManagementClient

    emulator.load_scenario(SCENARIOS / "sample.yaml")
    info = emulator.info
    cred = ClientSecretCredential(
        info["tenantId"],
        info["clientId"],
        info["clientSecret"],
        authority=emulator.url,
        disable_instance_discovery=True,
        connection_verify=str(emulator.ca_file),
    )
    rc = ResourceManagementClient(
        cred,
        samples.SOURCE_SUB,
        base_url=emulator.url,
        connection_verify=str(emulator.ca_file),
        credential_scopes=["https://management.azure.com/.default"],
    )
    names = {r.name for r in rc.resources.list_by_resource_group("rg-ml-test")}
    assert "mlw-churn" in names
