"""Unit tests of plan.py's typed plan and options: what plan.json (and its `options`) holds, to and from JSON."""

from __future__ import annotations

import jsonschema

from amlmove_action.plan import OPT_INS, Plan, PlanOptions, PlanStatus, digest_of, schema
from amlmove_action.selection import AssociatedResourceChoice, IncludeMode
from tests.support.plans import finding, plan_json

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


def test_a_plan_json_comes_back_from_the_typed_plan_unchanged_and_so_does_its_digest() -> None:
    document = plan_json(findings=[finding("running-jobs", "blocker")], status="blocked")
    jsonschema.Draft202012Validator(schema()).validate(document)  # the builder is a complete plan.json
    plan = Plan.from_json(document)
    assert plan.status is PlanStatus.BLOCKED and [f["id"] for f in plan.blockers()] == ["running-jobs"]
    assert plan.to_json() == document and list(plan.to_json()) == list(document)  # keys and their order too
    assert plan.content_digest() == digest_of(document) == plan.digest
    assert plan.sealed() == plan
