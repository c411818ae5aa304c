"""Smoke test of the shared fixtures: the emulator serves the sample scenario to a real SDK client."""

from amlmove_emulator import samples
from amlmove_emulator.control import SCENARIOS
from tests.conftest import SdkClients


def test_sample_scenario_is_served(emulator):
    emulator.load_scenario(SCENARIOS / "sample.yaml")
    rc = SdkClients(emulator).resources(samples.SOURCE_SUB)
    names = {r.name for r in rc.resources.list_by_resource_group("rg-ml-test")}
    assert "mlw-churn" in names
