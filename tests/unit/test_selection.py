"""Unit tests of selection.py: the include-associated-resources choice, as plan.json records it."""

from __future__ import annotations

import pytest

from amlmove_action.selection import AssociatedResourceChoice, IncludeMode

KV = "/subscriptions/s/resourceGroups/a/providers/Microsoft.KeyVault/vaults/kv"
SA = "/subscriptions/s/resourceGroups/a/providers/Microsoft.Storage/storageAccounts/sa"


@pytest.mark.parametrize(
    "choice, text",
    [
        (AssociatedResourceChoice(), "auto"),
        (AssociatedResourceChoice(IncludeMode.NONE), "none"),
        (AssociatedResourceChoice(IncludeMode.ALL), "all"),
        (AssociatedResourceChoice(IncludeMode.LISTED, (KV, SA)), f"{KV}\n{SA}"),
    ],
)
def test_the_choice_is_recorded_as_plan_json_always_has_and_read_back_unchanged(choice, text) -> None:
    assert choice.to_text() == text
    assert AssociatedResourceChoice.from_text(text) == choice


def test_one_listed_id_is_read_back_as_a_list_not_as_a_mode() -> None:
    assert AssociatedResourceChoice.from_text(KV) == AssociatedResourceChoice(IncludeMode.LISTED, (KV,))
