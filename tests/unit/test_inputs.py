"""Unit tests for amlmove_action.inputs (and the message rules in errors): one Settings from env or argv, every
InputError path, and a property test that hostile input only ever produces a safe, one-line InputError."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from amlmove_action.checks import CHECK_IDS, AssociatedResourceChoice, IncludeMode
from amlmove_action.errors import (
    AmlMoveError,
    AzureError,
    Blocked,
    ExitCode,
    InputError,
    PlanRefused,
    RuntimeFailure,
    SignInError,
)
from amlmove_action.inputs import (
    INPUT_SPECS,
    Cloud,
    Command,
    Settings,
    cli_usage,
    settings_from_argv,
    settings_from_env,
    wants_help,
)

SRC_SUB = "11111111-1111-1111-1111-111111111111"
DST_SUB = "22222222-2222-2222-2222-222222222222"
WS_ID = f"/subscriptions/{SRC_SUB}/resourceGroups/rg-ml/providers/Microsoft.MachineLearningServices/workspaces/ws1"
DST_GROUP = f"/subscriptions/{DST_SUB}/resourceGroups/rg-target"
STORAGE_ID = f"/subscriptions/{SRC_SUB}/resourceGroups/rg-ml/providers/Microsoft.Storage/storageAccounts/stws1"
KEY_VAULT_ID = f"/subscriptions/{SRC_SUB}/resourceGroups/rg-ml/providers/Microsoft.KeyVault/vaults/kv-ws1"
CLIENT_ID = "55555555-5555-5555-5555-555555555555"
TENANT_ID = "66666666-6666-6666-6666-666666666666"
REQUIRED = {"source-workspace-id": WS_ID, "destination-resource-group-id": DST_GROUP}
PLAIN_ENV = {"GITHUB_ACTIONS": "true", "ACTIONS_ID_TOKEN_REQUEST_TOKEN": "oidc-request-token-value"}
FUZZ_EXAMPLES = int(os.environ.get("AMLMOVE_FUZZ_EXAMPLES", "60"))


def action_env(inputs: dict[str, str], plain: dict[str, str] | None = None) -> dict[str, str]:
    """The environment a GitHub container action sees: INPUT_<NAME> with hyphens kept."""
    env = {f"INPUT_{name.upper()}": value for name, value in inputs.items()}
    return {**(PLAIN_ENV if plain is None else plain), **env}


def from_env(**inputs: str) -> Settings:
    return settings_from_env(action_env({**REQUIRED, **{k.replace("_", "-"): v for k, v in inputs.items()}}))


def input_error(inputs: dict[str, str]) -> InputError:
    with pytest.raises(InputError) as caught:
        settings_from_env(action_env({**REQUIRED, **inputs}))
    return caught.value


def assert_safe_line(message: str) -> None:
    assert "\n" not in message and "\r" not in message
    assert message.isprintable()
    assert not message.lstrip().startswith("::")
    assert "::" not in message
    assert "##[" not in message and "##vso[" not in message


# --- The list of inputs ----------------------------------------------------------------------------------------------


def test_input_specs_are_exactly_the_agreed_inputs() -> None:
    assert [spec.name for spec in INPUT_SPECS] == [
        "command",
        "source-workspace-id",
        "destination-resource-group-id",
        "include-associated-resources",
        "create-destination-resource-group",
        "skip-checks",
        "fail-on-blockers",
        "output-dir",
        "client-id",
        "tenant-id",
        "apply-principal-id",
        "cloud",
        "arm-endpoint",
        "authority-host",
        "auth",
        "audience",
        "plan-file",
        "max-plan-age",
        "move-timeout",
        "restore-role-assignments",
        "repair-datastores",
        "approve-private-endpoints",
        "remove-computes",
        "remove-endpoints",
        "recreate-computes",
        "recreate-endpoints",
        "register-providers",
        "scan-path",
    ]
    apply_only = {spec.name for spec in INPUT_SPECS if spec.commands == (Command.APPLY,)}
    # the eight opt-ins are recorded in the plan (issue 11): they are inputs of both commands
    assert apply_only == {"max-plan-age", "move-timeout"}
    assert [spec.name for spec in INPUT_SPECS if Command.STATUS in spec.commands] == ["plan-file"]  # issue 18
    assert {spec.name for spec in INPUT_SPECS if spec.required} == set(REQUIRED)
    assert all(spec.description.strip() for spec in INPUT_SPECS)


def test_input_defaults() -> None:
    defaults = {spec.name: spec.default for spec in INPUT_SPECS if spec.default}
    assert defaults == {
        "command": "plan",
        "auth": "auto",
        "include-associated-resources": "auto",
        "create-destination-resource-group": "true",
        "fail-on-blockers": "true",
        "output-dir": "amlmove-output",
        "cloud": "AzureCloud",
        "max-plan-age": "24h",
        "move-timeout": "240m",
        "restore-role-assignments": "true",
        "repair-datastores": "true",
        "approve-private-endpoints": "false",
        "remove-computes": "false",
        "remove-endpoints": "false",
        "recreate-computes": "false",
        "recreate-endpoints": "false",
        "register-providers": "false",
        "scan-path": "auto",
    }
    for spec in INPUT_SPECS:
        if spec.boolean:
            assert spec.default in ("true", "false")


def test_env_name_keeps_hyphens() -> None:
    assert next(s for s in INPUT_SPECS if s.name == "source-workspace-id").env_name == "INPUT_SOURCE-WORKSPACE-ID"


# --- Building settings -----------------------------------------------------------------------------------------------


def test_minimal_env_gives_documented_defaults() -> None:
    result = settings_from_env(action_env(REQUIRED))
    assert result.command is Command.PLAN
    assert result.source_workspace.id == WS_ID and result.source_workspace.name == "ws1"
    assert result.destination_group.id == DST_GROUP
    assert result.include_associated_resources == AssociatedResourceChoice(IncludeMode.AUTO)
    assert result.create_destination_resource_group and result.fail_on_blockers
    assert result.output_dir == Path("amlmove-output") and result.plan_file == Path("amlmove-output/plan.json")
    assert (result.cloud, result.arm_endpoint) == (Cloud.AZURE_CLOUD, "https://management.azure.com")
    assert result.authority_host == "https://login.microsoftonline.com"
    assert result.max_plan_age == timedelta(hours=24) and result.move_timeout == timedelta(hours=4)
    assert result.restore_role_assignments and result.repair_datastores
    assert not any((result.approve_private_endpoints, result.remove_computes, result.remove_endpoints))
    assert not (result.recreate_computes or result.register_providers)
    assert result.skip_checks == frozenset() and result.client_id is None and result.tenant_id is None
    assert result.scan_path == "auto"


def test_env_values_are_trimmed_and_empty_means_default() -> None:
    result = from_env(source_workspace_id=f"  {WS_ID}\n", max_plan_age="", output_dir="   ", command=" apply ")
    assert result.source_workspace.id == WS_ID
    assert result.max_plan_age == timedelta(hours=24)
    assert result.output_dir == Path("amlmove-output")
    assert result.command is Command.APPLY


def test_id_segments_are_case_insensitive_and_canonicalised() -> None:
    shouted = WS_ID.replace("resourceGroups", "RESOURCEGROUPS").replace(
        "Microsoft.MachineLearningServices", "microsoft.machinelearningservices"
    )
    result = from_env(source_workspace_id=shouted.replace(SRC_SUB, SRC_SUB.upper()))
    assert result.source_workspace.id == WS_ID


ALL_INPUTS = {
    **REQUIRED,
    "include-associated-resources": f"{STORAGE_ID},\n{KEY_VAULT_ID}",
    "create-destination-resource-group": "no",
    "skip-checks": "computes-present\nmanaged-network",
    "fail-on-blockers": "FALSE",
    "output-dir": "out dir",
    "client-id": CLIENT_ID,
    "tenant-id": TENANT_ID,
    "cloud": "custom",
    "arm-endpoint": "https://localhost:8443/",
    "authority-host": "https://localhost:8443/login",
    "plan-file": "saved/plan.json",
    "max-plan-age": "1h30m",
    "move-timeout": "2d",
    "restore-role-assignments": "0",
    "repair-datastores": "no",
    "approve-private-endpoints": "yes",
    "remove-computes": "True",
    "remove-endpoints": "1",
    "recreate-computes": "true",
    "recreate-endpoints": "yes",
    "register-providers": "true",
}


def test_argv_and_env_produce_equal_settings() -> None:
    env_result = settings_from_env(action_env({"command": "apply", **ALL_INPUTS}))
    argv = ["apply"]
    for name, value in ALL_INPUTS.items():
        argv += [f"--{name}", value]
    argv_result = settings_from_argv(argv)
    assert argv_result == env_result
    assert env_result.command is Command.APPLY
    assert env_result.include_associated_resources == AssociatedResourceChoice(
        IncludeMode.LISTED, (STORAGE_ID, KEY_VAULT_ID)
    )
    assert env_result.skip_checks == {"computes-present", "managed-network"}
    assert env_result.arm_endpoint == "https://localhost:8443" and env_result.cloud is Cloud.CUSTOM
    assert env_result.max_plan_age == timedelta(minutes=90) and env_result.move_timeout == timedelta(days=2)
    assert env_result.plan_file == Path("saved/plan.json") and env_result.output_dir == Path("out dir")
    assert (env_result.client_id, env_result.tenant_id) == (CLIENT_ID, TENANT_ID)
    assert not env_result.fail_on_blockers and env_result.recreate_computes and env_result.approve_private_endpoints


def test_argv_flag_forms() -> None:
    argv = [
        f"--source-workspace-id={WS_ID}",
        "--remove-computes",
        "--destination-resource-group-id",
        DST_GROUP,
        "--fail-on-blockers",
        "no",
        "apply",
    ]
    result = settings_from_argv(argv)
    assert result.command is Command.APPLY and result.remove_computes and not result.fail_on_blockers
    assert (
        settings_from_argv(["--source-workspace-id", WS_ID, "--destination-resource-group-id", DST_GROUP]).command
        is Command.PLAN
    )


def test_help_and_usage() -> None:
    assert wants_help(["plan", "--help"]) and wants_help(["-h"]) and not wants_help(["plan"])
    usage = cli_usage()
    for spec in INPUT_SPECS:
        if spec.name != "command":
            assert f"--{spec.name}" in usage


@pytest.mark.parametrize(
    ("cloud", "arm"),
    [
        ("azurechinacloud", "https://management.chinacloudapi.cn"),
        ("AzureUSGovernment", "https://management.usgovcloudapi.net"),
    ],
)
def test_named_clouds_resolve_their_endpoints(cloud: str, arm: str) -> None:
    assert from_env(cloud=cloud).arm_endpoint == arm


def test_recreate_endpoints_is_allowed_with_remove_endpoints() -> None:
    result = from_env(recreate_endpoints="true", remove_endpoints="true")
    assert result.recreate_endpoints and result.remove_endpoints
    assert not from_env(remove_endpoints="true").recreate_endpoints


def test_recreate_computes_is_allowed_with_remove_computes() -> None:
    result = from_env(recreate_computes="true", remove_computes="true")
    assert result.recreate_computes and result.remove_computes


def test_settings_keep_no_plain_environment_variable() -> None:
    plain = {
        "AZURE_CLIENT_SECRET": "client-secret-value",
        "ACTIONS_ID_TOKEN_REQUEST_TOKEN": "oidc-request-token-value",
        "REQUESTS_CA_BUNDLE": "/ca.pem",
    }
    shown = repr(settings_from_env(action_env(REQUIRED, plain)))
    assert not any(value in shown for value in plain.values())


# --- Every InputError path -------------------------------------------------------------------------------------------

INVALID = [
    # (input that is named in the message, the inputs to set)
    ("command", {"command": "destroy"}),
    ("source-workspace-id", {"source-workspace-id": ""}),
    ("destination-resource-group-id", {"destination-resource-group-id": " "}),
    ("source-workspace-id", {"source-workspace-id": "ws1"}),
    ("source-workspace-id", {"source-workspace-id": WS_ID + "/"}),
    ("source-workspace-id", {"source-workspace-id": WS_ID.replace("/workspaces/", "/registries/")}),
    ("source-workspace-id", {"source-workspace-id": WS_ID.replace("subscriptions", "ſubscriptions")}),
    # KELVIN SIGN lower-cases to an ASCII "k": segment names must be ASCII, not just equal after lower()
    ("source-workspace-id", {"source-workspace-id": WS_ID.replace("workspaces", "wor\u212aspaces")}),
    ("source-workspace-id", {"source-workspace-id": WS_ID.replace(SRC_SUB, "my-subscription")}),
    ("source-workspace-id", {"source-workspace-id": WS_ID.replace("rg-ml", "rg.")}),
    ("source-workspace-id", {"source-workspace-id": WS_ID.replace("rg-ml", "r" * 91)}),
    ("source-workspace-id", {"source-workspace-id": WS_ID.replace("rg-ml", "rg ml")}),
    ("source-workspace-id", {"source-workspace-id": WS_ID.replace("ws1", "w1")}),
    ("source-workspace-id", {"source-workspace-id": WS_ID.replace("ws1", "w" * 34)}),
    ("source-workspace-id", {"source-workspace-id": WS_ID.replace("ws1", "-ws")}),
    ("destination-resource-group-id", {"destination-resource-group-id": DST_GROUP + "/providers/x"}),
    ("destination-resource-group-id", {"destination-resource-group-id": DST_GROUP.replace(DST_SUB, "x")}),
    ("destination-resource-group-id", {"destination-resource-group-id": DST_GROUP.replace("rg-target", "")}),
    (
        "destination-resource-group-id",
        {"destination-resource-group-id": f"/subscriptions/{SRC_SUB}/resourcegroups/RG-ML"},
    ),
    ("include-associated-resources", {"include-associated-resources": "some"}),
    ("include-associated-resources", {"include-associated-resources": f"auto,{STORAGE_ID}"}),
    ("include-associated-resources", {"include-associated-resources": STORAGE_ID.replace("rg-ml", "rg-other")}),
    ("include-associated-resources", {"include-associated-resources": STORAGE_ID.replace(SRC_SUB, DST_SUB)}),
    ("include-associated-resources", {"include-associated-resources": STORAGE_ID + "/blobServices/default"}),
    (
        "include-associated-resources",
        {"include-associated-resources": STORAGE_ID.replace("Microsoft.Storage", "Storage")},
    ),
    ("include-associated-resources", {"include-associated-resources": WS_ID}),
    ("create-destination-resource-group", {"create-destination-resource-group": "maybe"}),
    ("fail-on-blockers", {"fail-on-blockers": "on"}),
    ("skip-checks", {"skip-checks": "computes-present,no-such-check"}),
    ("skip-checks", {"skip-checks": "validation-failed"}),
    ("output-dir", {"output-dir": "out\x00dir"}),
    ("plan-file", {"plan-file": "plan\x1b.json"}),
    ("scan-path", {"scan-path": "repo\n::error::x"}),
    ("client-id", {"client-id": "not-a-guid", "tenant-id": TENANT_ID}),
    ("tenant-id", {"tenant-id": "not a tenant"}),
    ("tenant-id", {"client-id": CLIENT_ID}),
    ("cloud", {"cloud": "AzureGermanCloud"}),
    ("arm-endpoint", {"cloud": "custom", "authority-host": "https://login"}),
    ("authority-host", {"cloud": "custom", "arm-endpoint": "https://arm"}),
    ("arm-endpoint", {"cloud": "custom", "arm-endpoint": "http://arm", "authority-host": "https://login"}),
    ("authority-host", {"cloud": "custom", "arm-endpoint": "https://arm", "authority-host": "https://[::1"}),
    ("arm-endpoint", {"cloud": "custom", "arm-endpoint": "https://arm:99999", "authority-host": "https://l"}),
    ("arm-endpoint", {"cloud": "custom", "arm-endpoint": "https://arm/?x=1", "authority-host": "https://l"}),
    ("arm-endpoint", {"cloud": "custom", "arm-endpoint": "https:///path", "authority-host": "https://l"}),
    ("arm-endpoint", {"arm-endpoint": "https://arm"}),
    ("max-plan-age", {"max-plan-age": "24"}),
    ("max-plan-age", {"max-plan-age": "1w"}),
    ("max-plan-age", {"max-plan-age": "0s"}),
    ("max-plan-age", {"max-plan-age": "366d"}),
    ("max-plan-age", {"max-plan-age": "5\u017f"}),  # LONG S matches "s" in a Unicode case-insensitive regex
    ("move-timeout", {"move-timeout": "30m1h"}),
    ("move-timeout", {"move-timeout": "99999999999999d"}),
    ("recreate-computes", {"recreate-computes": "true"}),
    ("recreate-endpoints", {"recreate-endpoints": "true"}),  # recreate needs the endpoints removed by this plan
]


@pytest.mark.parametrize(("named", "inputs"), INVALID, ids=[f"{n}-{i}" for i, (n, _) in enumerate(INVALID)])
def test_invalid_inputs_raise_one_line_input_error(named: str, inputs: dict[str, str]) -> None:
    error = input_error(inputs)
    assert error.exit_code == ExitCode.INVALID_INPUT == 2
    assert error.reference == "invalid-input"
    assert error.input_name == named
    assert str(error).startswith(f"Input {named}")
    assert_safe_line(str(error))


def test_unknown_skip_check_lists_the_valid_ids() -> None:
    message = str(input_error({"skip-checks": "computes"}))
    assert all(check_id in message for check_id in CHECK_IDS)


def test_boolean_error_lists_the_choices() -> None:
    assert "true or false" in str(input_error({"remove-computes": "sure"}))


@pytest.mark.parametrize(
    "argv",
    [
        ["plan", "apply"],
        ["--no-such-flag", "x"],
        ["--skip-check", "computes-present"],
        ["--output-dir"],
        ["--output-dir", "--fail-on-blockers"],
        ["--output-dir", "a", "--output-dir", "b"],
        ["plan", "--command", "apply"],
        ["-v"],
    ],
)
def test_bad_command_lines_raise_input_error(argv: list[str]) -> None:
    with pytest.raises(InputError) as caught:
        settings_from_argv([*argv, "--source-workspace-id", WS_ID, "--destination-resource-group-id", DST_GROUP])
    assert caught.value.exit_code == 2
    assert_safe_line(str(caught.value))


def test_unknown_flag_suggests_the_closest() -> None:
    with pytest.raises(InputError, match="Did you mean --skip-checks"):
        settings_from_argv(["--skip-check", "x"])


def test_hostile_values_are_shortened_and_defused() -> None:
    hostile = "x\n::error::pwned\r##[error]x ##vso[task.setvariable variable=a]b" + "y" * 400 + "END"
    message = str(input_error({"max-plan-age": hostile}))
    assert_safe_line(message)
    assert (
        "y" * 300 not in message
        and message.endswith("is not a duration. Use a number with a unit: 90s, 30m, 24h, 2d, or combined like 1h30m.")
        and "yEND" in message
    )  # cut in the middle: the end stays visible


@pytest.mark.parametrize(
    "inputs",
    [
        {"client-id": "s3cr3t-pasted-here", "tenant-id": TENANT_ID},
        {"tenant-id": "s3cr3t pasted here"},
        {"cloud": "custom", "arm-endpoint": "http://user:s3cr3t@arm", "authority-host": "https://l"},
        {"cloud": "custom", "arm-endpoint": "https://user:s3cr3t@arm", "authority-host": "https://l"},
        {"cloud": "custom", "arm-endpoint": "https://arm/?sig=s3cr3t", "authority-host": "https://l"},
    ],
)
def test_values_that_may_be_secret_are_never_echoed(inputs: dict[str, str]) -> None:
    assert "s3cr3t" not in str(input_error(inputs))


# --- The other errors ------------------------------------------------------------------------------------------------


def test_error_classes_carry_exit_codes_and_references() -> None:
    errors: list[AmlMoveError] = [
        PlanRefused("out/plan.json", "the plan is 30h old (max-plan-age 24h)", "Run plan again."),
        Blocked(WS_ID, ["running-jobs", "computes-present", "running-jobs"]),
        AzureError(
            "GET workspace", status=403, code="AuthorizationFailed", message="no\n::\x1b[31maccess", correlation_id="c1"
        ),
        SignInError("GitHub OIDC", "AADSTS700213: no matching federated identity", "Add a federated credential."),
        RuntimeFailure("Writing the plan", "disk full", "Free space in output-dir."),
    ]
    assert [e.exit_code for e in errors] == [1, 1, 3, 3, 3]
    references = [e.reference for e in errors]
    assert references == ["plan-refused", "move-blocked", "azure-request-failed", "sign-in-failed", "runtime-failure"]
    assert len({*references, InputError.reference, AmlMoveError.reference}) == 7
    for error in errors:
        assert_safe_line(str(error))
    assert "computes-present, running-jobs" in str(errors[1]) and "3 finding(s)" in str(errors[1])
    assert "HTTP 403" in str(errors[2]) and "correlation id c1" in str(errors[2])


# --- Property tests --------------------------------------------------------------------------------------------------

hostile_text = st.one_of(
    st.text(),
    st.text(alphabet=st.characters(codec="utf-8")),
    st.builds(
        lambda prefix, body: prefix + body,
        st.sampled_from(["::", "  ::error::", "##[", "##vso[", "\n", "\r\n::", "/subscriptions/", "true\n"]),
        st.text(),
    ),
    st.sampled_from([WS_ID, DST_GROUP, STORAGE_ID, "auto", "all", "none", "1h30m", "custom", "https://x"]),
)


@pytest.mark.fuzz
@settings(max_examples=FUZZ_EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(name=st.sampled_from([spec.name for spec in INPUT_SPECS]), text=hostile_text)
def test_any_input_value_gives_settings_or_a_safe_input_error(name: str, text: str) -> None:
    env = action_env({**REQUIRED, name: text})
    try:
        settings_from_env(env)
    except InputError as error:
        assert error.exit_code == 2
        assert_safe_line(str(error))


@pytest.mark.fuzz
@settings(max_examples=FUZZ_EXAMPLES, deadline=None)
@given(argv=st.lists(st.one_of(hostile_text, st.sampled_from([f"--{s.name}" for s in INPUT_SPECS])), max_size=8))
def test_any_command_line_gives_settings_or_a_safe_input_error(argv: list[str]) -> None:
    try:
        settings_from_argv(argv)
    except InputError as error:
        assert_safe_line(str(error))


@pytest.mark.fuzz
@settings(max_examples=FUZZ_EXAMPLES, deadline=None)
@given(plain=st.dictionaries(st.sampled_from([*sorted(PLAIN_ENV), "TF_BUILD", "RUNNER_DEBUG"]), st.text()))
def test_plain_environment_values_never_fail(plain: dict[str, str]) -> None:
    settings_from_env(action_env(REQUIRED, plain))


# --- Sign-in method and token audience (issue 16) --------------------------------------------------------------------


def test_auth_defaults_to_auto_and_managed_identity_needs_no_tenant() -> None:
    assert from_env().auth == "auto"
    managed = from_env(auth="Managed-Identity", client_id=CLIENT_ID)
    assert managed.auth == "managed-identity" and managed.client_id == CLIENT_ID and managed.tenant_id is None
    with pytest.raises(InputError):
        from_env(client_id=CLIENT_ID)  # the federated sign-in still needs the tenant


@pytest.mark.parametrize("value", ["msi", "managed identity", "imds", "::error::x"])
def test_auth_refuses_unknown_methods_in_one_safe_line(value: str) -> None:
    error = input_error({"auth": value})
    assert error.input_name == "auth"
    assert_safe_line(str(error))


def test_audience_is_optional_and_refuses_spaces() -> None:
    assert from_env().audience is None
    assert from_env(audience="api://AzureADTokenExchangeUSGov").audience == "api://AzureADTokenExchangeUSGov"
    assert_safe_line(str(input_error({"audience": "api://x y"})))


@pytest.mark.parametrize(
    ("cloud", "expected"),
    [
        ("AzureCloud", "api://AzureADTokenExchange"),
        ("azurechinacloud", "api://AzureADTokenExchangeChina"),
        ("AzureUSGovernment", "api://AzureADTokenExchangeUSGov"),
    ],
)
def test_token_exchange_audience_per_cloud(cloud: str, expected: str) -> None:
    from amlmove_action.azure import federation_audience
    from amlmove_action.session import cloud_of

    named = cloud_of(from_env(cloud=cloud))
    assert federation_audience(named) == expected
    assert federation_audience(named, "api://Mine") == "api://Mine"


def test_a_custom_cloud_gets_the_public_token_exchange_audience() -> None:
    from amlmove_action.azure import federation_audience
    from amlmove_action.session import cloud_of

    custom = cloud_of(
        from_env(cloud="custom", arm_endpoint="https://management.example", authority_host="https://login.example/")
    )
    assert custom.custom and federation_audience(custom) == "api://AzureADTokenExchange"


def test_every_named_cloud_of_the_input_is_in_the_cloud_table() -> None:
    from amlmove_action.clouds import NAMED_CLOUDS

    assert {c.name for c in NAMED_CLOUDS} == {c.value for c in Cloud if c is not Cloud.CUSTOM}
