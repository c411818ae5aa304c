"""Unit tests of plan.py's typed options: what plan.json's `options` holds, to and from JSON."""

from __future__ import annotations

from amlmove_action.plan import OPT_INS, PlanOptions
from amlmove_action.selection import AssociatedResourceChoice, IncludeMode

KV = "/subscriptions/s/resourceGroups/a/providers/Microsoft.KeyVault/vaults/kv"


def test_options_keep_plan_json_s_keys_and_come_back_equal() -> None:
    options = PlanOptions(
        create_destination_resource_group=True,
        remove_computes=True,
        remove_endpoints=False,
        skip_checks=("b-check", "a-check"),
        include_associated_resources=AssociatedResourceChoice(IncludeMode.LISTED, (KV,)),
        apply_principal_id="00000000-0000-4000-8000-000000000001",
        register_providers=True,
    )
    data = options.to_json()
    assert data["includeAssociatedResources"] == KV
    assert data["skipChecks"] == ["a-check", "b-check"]
    assert set(data) == {
        "createDestinationResourceGroup",
        "skipChecks",
        "includeAssociatedResources",
        "applyPrincipalId",
        *(key for _, key, _ in OPT_INS),
    }
    back = PlanOptions.from_json(data)
    assert back.to_json() == data
    assert back.include_associated_resources == options.include_associated_resources
