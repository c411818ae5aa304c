"""Planning, shared by both commands: build the plan from what Azure says now (`make_plan`: discovery, checks, ARM's
dry run) and the early validation that runs beside the checks. `plan` writes what it returns for review; `apply`
re-plans with it and refuses on drift.

Start-up order: this module imports only what signing in needs. The planning modules (inventory, checks, discovery,
plan, render: ~0.1 s of CPU) are loaded by the session's prepare thread while the token request is in flight
(`PRELOAD`), and imported here inside the functions that use them."""

from __future__ import annotations

import re
import threading
from concurrent.futures import Future
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from .errors import AzureError
from .session import Session

if TYPE_CHECKING:
    from . import checks
    from . import inventory as inv
    from .inputs import Settings
    from .plan import Plan, PlanOptions

REMOVABLE = {
    "computes-present": "remove_computes",
    "online-endpoints-present": "remove_endpoints",
    "batch-endpoints-present": "remove_endpoints",
    "serverless-endpoints-present": "remove_endpoints",
}


def options_of(settings: Settings) -> PlanOptions:
    from .plan import PlanOptions

    return PlanOptions(
        create_destination_resource_group=settings.create_destination_resource_group,
        remove_computes=settings.remove_computes,
        remove_endpoints=settings.remove_endpoints,
        skip_checks=tuple(sorted(settings.skip_checks)),
        include_associated_resources=settings.include_associated_resources,
        apply_principal_id=settings.apply_principal_id,
        restore_role_assignments=settings.restore_role_assignments,
        repair_datastores=settings.repair_datastores,
        approve_private_endpoints=settings.approve_private_endpoints,
        recreate_computes=settings.recreate_computes,
        recreate_endpoints=settings.recreate_endpoints,
        register_providers=settings.register_providers,
    )


def make_plan(
    settings: Settings, session: Session, platform: Any, for_review: bool = True
) -> tuple[Plan, inv.Inventory]:
    """Discovery → selection → ARM validation → checks → plan document (no files written). `for_review=False`
    (apply's re-plan, compared with the approved plan and never shown) leaves out what only the reviewer reads: the
    other resources in the destination group that the move's write lock holds."""
    from . import checks
    from . import inventory as inv
    from .discovery import Discovery
    from .plan import build_plan
    from .validation import validate_move

    platform.info(f"Reading workspace {settings.source_workspace.id} and its surroundings …")
    foreign_tenant = None
    early = EarlyValidation(session, settings)
    discovery = Discovery(session.clients, settings.source_workspace.id, settings.destination_group.id)
    try:
        inventory = discovery.run(
            session.principal_id,
            on_move_set_known=early.start,
            apply_principal_id=settings.apply_principal_id,
            list_destination=for_review,
        )
    except AzureError as err:
        foreign_tenant, refused = _foreign_tenant(session, settings, err), err
        if foreign_tenant is None:
            raise
        platform.info(
            f"The destination subscription {settings.destination_group.subscription_id} belongs to tenant "
            f"{foreign_tenant}, which this sign-in cannot read: planning from the source side only"
        )
        inventory = _source_only_inventory(session, settings, foreign_tenant)
    selection = checks.select_associated_resources(
        inventory,
        settings.include_associated_resources,
        create_destination_group=settings.create_destination_resource_group,
    )
    if foreign_tenant is not None:
        validation = inv.ValidationResult(
            inv.ValidationStatus.SKIPPED,
            message=f"the destination subscription is in tenant {foreign_tenant} and ARM never moves resources "
            "between tenants",
        )
    elif inventory.destination_group.exists:
        platform.info(f"ARM validates moving {len(selection.moved_ids)} resource(s) (validateMoveResources) …")
        validation = deferred_if_not_allowed(
            early.result_for(selection)
            or validate_move(
                session.clients, inventory.source_group_id, list(selection.moved_ids), inventory.destination_group.id
            ),
            inventory,
        )
    else:
        validation = inv.ValidationResult(
            inv.ValidationStatus.DEFERRED,
            message="the destination group does not exist yet, so ARM cannot validate the move now; apply creates "
            "the group, then the move identity validates before moving",
        )
    inventory = replace(
        inventory,
        validation=validation,
        moved_scope_role_assignments=discovery.role_assignments_at_scopes(inventory, selection.moved_ids),
    )
    findings = checks.run_checks(inventory, selection, settings.skip_checks)
    if foreign_tenant is not None:
        findings = _source_side_findings(findings, inventory, refused)
    findings = apply_removal_intent(findings, settings, inventory)
    findings = apply_registration_intent(findings, settings, inventory)
    return build_plan(inventory, selection, findings, options_of(settings)), inventory


def deferred_if_not_allowed(result: inv.ValidationResult, inventory: inv.Inventory) -> inv.ValidationResult:
    """A read-only planner (apply-principal-id names another identity) may not run ARM's validation: ARM answers
    AuthorizationFailed for the planner, which says nothing about the move. That verdict becomes "deferred": apply
    signs in as the move identity and validates before it writes anything. The same answer for the identity that
    will apply stays a failure (it could not move either)."""
    from . import inventory as inv
    from .validation import DEFERRED_LINE

    if (
        result.status is inv.ValidationStatus.FAILED
        and (result.code or "").lower() == "authorizationfailed"
        and inventory.apply_principal_id
    ):
        return inv.ValidationResult(
            inv.ValidationStatus.DEFERRED,
            message=f"the plan identity may not run ARM's validation ({result.code}); {DEFERRED_LINE}",
            correlation_id=result.correlation_id,
        )
    return result


class EarlyValidation:
    """ARM's validation of the move set, started while discovery still pages through the long lists (jobs,
    datastores): the move set depends only on reads that finish early. Its verdict is used only when the selection
    made from the full inventory moves exactly the same resources to the same group; otherwise the plan validates
    again."""

    def __init__(self, session: Session, settings: Settings) -> None:
        self.session, self.settings = session, settings
        self.selection: checks.Selection | None = None
        self.future: Future[inv.ValidationResult] | None = None

    def start(self, partial: inv.Inventory) -> None:
        from . import checks
        from .validation import validate_move

        if not partial.destination_group.exists:
            return
        self.selection = checks.select_associated_resources(
            partial,
            self.settings.include_associated_resources,
            create_destination_group=self.settings.create_destination_resource_group,
        )
        self.future = Future()
        args = (
            self.session.clients,
            partial.source_group_id,
            list(self.selection.moved_ids),
            partial.destination_group.id,
        )
        # A daemon: when discovery fails, the run ends with that error instead of waiting for a verdict it drops.
        threading.Thread(
            target=_run_into, args=(self.future, validate_move, args), name="amlmove-validate", daemon=True
        ).start()

    def result_for(self, selection: checks.Selection) -> inv.ValidationResult | None:
        """The early verdict when it was for `selection`'s move (waiting for it), else None."""
        if self.future is None or self.selection is None:
            return None
        same = self.selection.destination_group_id.lower() == selection.destination_group_id.lower() and [
            r.lower() for r in self.selection.moved_ids
        ] == [r.lower() for r in selection.moved_ids]
        return self.future.result() if same else None


def _run_into(future: Future[Any], function: Any, args: tuple[Any, ...]) -> None:
    try:
        future.set_result(function(*args))
    except BaseException as exc:  # noqa: BLE001 - handed to whoever waits on the future
        future.set_exception(exc)


def apply_removal_intent(
    findings: list[checks.Finding], settings: Settings, inventory: inv.Inventory
) -> list[checks.Finding]:
    """With remove-computes / remove-endpoints, the plan promises apply deletes them (after export) right before the
    move: their blockers become warnings, and so does an ARM verdict that only names those resources."""
    from . import checks
    from .validation import addressed_by_removals, removed_types

    types = removed_types(settings.remove_computes, settings.remove_endpoints)
    removed: list[str] = []
    if settings.remove_computes:
        removed += [c.id for c in inventory.computes]
    if settings.remove_endpoints:
        removed += [e.id for e in inventory.online_endpoints]
        removed += [e.id for e in inventory.batch_endpoints]
        removed += [e.id for e in inventory.serverless_endpoints]
    out = []
    for f in findings:
        opted = REMOVABLE.get(f.id)
        if f.is_blocker and opted and getattr(settings, opted):
            f = replace(
                f,
                severity=checks.Severity.WARNING,
                downgraded_from=checks.Severity.BLOCKER,
                detail=f"{f.detail} Apply deletes these right before the move"
                + (
                    " (attached computes are detached: the resource they wrap stays)"
                    if opted == "remove_computes"
                    else ""
                )
                + ", once ARM validated; plan exported their definitions into the plan artifact's exports/ (they are "
                "not moved).",
            )
        elif (
            f.is_blocker and f.id == "validation-failed" and addressed_by_removals(inventory.validation, removed, types)
        ):
            f = replace(
                f,
                severity=checks.Severity.WARNING,
                downgraded_from=checks.Severity.BLOCKER,
                detail=f"{f.detail} Every problem ARM named is about computes or endpoints that apply removes "
                "first; apply asks ARM to validate again before removing anything and after, and stops if ARM "
                "refuses for any other reason.",
            )
        out.append(f)
    return sorted(out, key=lambda f: ("blocker", "warning", "info").index(str(f.severity)))


# --- register-providers: kept apart from the removals above ----------------------------------------------------
REGISTRATION_CODES = frozenset({"missingregistrationsfortypes", "missingsubscriptionregistration"})


def apply_registration_intent(
    findings: list[checks.Finding], settings: Settings, inventory: inv.Inventory
) -> list[checks.Finding]:
    """With register-providers, apply registers every namespace the provider-not-registered check requires
    (`checks.required_namespaces`) before it asks ARM to validate again and moves: that check, and an ARM verdict
    that only names missing registrations, become warnings the reviewer approves."""
    from . import checks

    if not settings.register_providers:
        return findings
    out = []
    for f in findings:
        if f.is_blocker and (
            f.id == "provider-not-registered"
            or (f.id == "validation-failed" and _only_registrations(inventory.validation))
        ):
            f = replace(
                f,
                severity=checks.Severity.WARNING,
                downgraded_from=checks.Severity.BLOCKER,
                detail=f"{f.detail} With register-providers, apply registers the missing resource providers in the "
                "destination subscription first, then asks ARM to validate again and stops if it still refuses.",
            )
        out.append(f)
    return sorted(out, key=lambda f: ("blocker", "warning", "info").index(str(f.severity)))


def _only_registrations(validation: inv.ValidationResult) -> bool:
    """True when every code in ARM's verdict (top level, or each leaf detail) is a missing provider registration."""
    leaves = [d for top in validation.details for d in (top, *top.flatten()) if not d.details]
    codes: list[str | None] = [d.code for d in leaves] or [validation.code]
    return all(str(c or "").lower() in REGISTRATION_CODES for c in codes)


# ARM's 401 when a token of one tenant reads a subscription of another names the subscription's tenant:
# "InvalidAuthenticationTokenTenant: The access token is from the wrong issuer '…'. It must match the tenant
# 'https://sts.windows.net/{tenant}/' associated with this subscription. …"
_SUBSCRIPTION_TENANT = re.compile(
    r"tenant '(?:https?://[^'/]+/)?([0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12})/?' "
    r"associated with this subscription"
)


def _foreign_tenant(session: Session, settings: Settings, err: AzureError) -> str | None:
    """The destination subscription's tenant when it is not the signed-in one, else None.

    A move never crosses tenants, and a token of the source's tenant cannot read anything of a subscription in
    another: every destination read fails with InvalidAuthenticationTokenTenant, so the tenant-mismatch check could
    never run. ARM's refusal names the tenant; asking for the destination subscription once more confirms that it
    is the destination (not the source) that is foreign."""
    from .api_versions import SUBSCRIPTIONS_API

    if err.code != "InvalidAuthenticationTokenTenant":
        return None
    destination = settings.destination_group.subscription_id
    if destination.lower() == settings.source_workspace.subscription_id.lower():
        return None
    try:
        session.clients.get_json(f"/subscriptions/{destination}", SUBSCRIPTIONS_API, missing_ok=False)
    except AzureError as probe:
        found = _SUBSCRIPTION_TENANT.search(probe.azure_message or "")
        if probe.code == "InvalidAuthenticationTokenTenant" and found:
            return found.group(1).lower()
    return None


def _source_only_inventory(session: Session, settings: Settings, tenant: str) -> inv.Inventory:
    """Discovery when the destination subscription is in another tenant: nothing of it can be read with this token,
    so its tenant is what ARM said, and its group, providers, locks, Databricks workspaces and the caller's
    permissions there are unknown (never guessed: the findings built from them are dropped, see
    `_source_side_findings`)."""
    from . import inventory as inv
    from .discovery import Discovery

    destination = settings.destination_group.subscription_id.lower()

    def foreign(subscription_id: str) -> bool:
        return subscription_id.lower() == destination

    class SourceOnly(Discovery):
        def _subscription_body(self, subscription_id: str) -> dict[str, Any]:
            if foreign(subscription_id):
                return {"subscriptionId": subscription_id, "tenantId": tenant, "state": "Unknown"}
            return super()._subscription_body(subscription_id)

        def _registered_providers(self, subscription_id: str) -> list[str]:
            return [] if foreign(subscription_id) else super()._registered_providers(subscription_id)

        def _locks_in(self, sub: str) -> tuple[inv.Lock, ...]:
            return () if foreign(sub) else super()._locks_in(sub)

        def _databricks_in(self, sub: str) -> tuple[inv.DatabricksWorkspace, ...]:
            return () if foreign(sub) else super()._databricks_in(sub)

        def destination_group(self) -> inv.DestinationGroup:
            return inv.DestinationGroup(self.destination_group_id, exists=False)

        def permissions(self, scope: str) -> inv.ScopePermissions:
            parts = scope.split("/")
            if len(parts) > 2 and foreign(parts[2]):
                return inv.ScopePermissions(scope, known=False)
            return super().permissions(scope)

    discovery = SourceOnly(session.clients, settings.source_workspace.id, settings.destination_group.id)
    return discovery.run(session.principal_id)


def _source_side_findings(
    findings: list[checks.Finding], inventory: inv.Inventory, refused: AzureError
) -> list[checks.Finding]:
    """With the destination in another tenant, keep tenant-mismatch and every finding about the source side; drop
    those that only name the unreadable destination subscription (its providers, state, group, permissions)."""
    prefix = f"/subscriptions/{inventory.destination_subscription.subscription_id}".lower()

    def destination_only(f: checks.Finding) -> bool:
        ids = [r.lower() for r in f.resource_ids]
        return bool(ids) and all(r == prefix or r.startswith(prefix + "/") for r in ids)

    if not any(f.id == "tenant-mismatch" for f in findings):  # ARM named a tenant the checks do not see as foreign
        raise refused
    return [f for f in findings if f.id == "tenant-mismatch" or not destination_only(f)]


# Loaded while the token request is in flight, in the order the run needs them.
PRELOAD = (
    "amlmove_action.discovery",
    "amlmove_action.checks",
    "amlmove_action.validation",
    "amlmove_action.plan",
    "amlmove_action.render",
)


def planned_settings(settings: Settings, plan: Plan) -> Settings:
    """Apply plans and acts with the approved plan's options, not with whatever the apply job's inputs say
    (Terraform); check_opt_ins has already refused inputs that disagree."""
    from .plan import OPT_INS

    options = plan.options
    return replace(
        settings,
        include_associated_resources=options.include_associated_resources,
        skip_checks=frozenset(options.skip_checks),
        create_destination_resource_group=options.create_destination_resource_group,
        **{field: getattr(options, field) for field, _, _ in OPT_INS},
    )
