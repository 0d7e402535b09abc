"""Actions: typed parameters, validation of a whole request, and command formats."""

from __future__ import annotations

import pytest

from agents.actions.spec import (
    ActionSpec,
    ApprovalPolicy,
    Audience,
    ExecutorInfo,
    ParamSpec,
    ParamValue,
    Risk,
    match_formats,
    validate_params,
)

_HTTP = ExecutorInfo("http", "deploy-api")


def _action(
    name: str = "deploy",
    *,
    risk: Risk = "write",
    params: tuple[ParamSpec, ...] = (),
    formats: tuple[str, ...] = (),
    required: bool = True,
) -> ActionSpec:
    return ActionSpec(
        name=name,
        agent="deploy",
        description=f"{name} something",
        risk=risk,
        executor=_HTTP,
        params=params,
        formats=formats,
        approval=ApprovalPolicy(required=required, approvers=Audience(users=frozenset({"U1"}))),
    )


# -- ParamSpec.coerce: str -------------------------------------------------------------------


def test_str_value_is_stripped() -> None:
    """A string value loses surrounding whitespace."""
    assert ParamSpec("service").coerce("  api  ") == "api"


def test_str_value_must_match_the_whole_pattern() -> None:
    """A pattern must match the entire value, not just a prefix."""
    spec = ParamSpec("service", pattern=r"[a-z][a-z0-9-]*")
    assert spec.coerce("api-2") == "api-2"
    with pytest.raises(ValueError, match="does not match"):
        spec.coerce("api 2")
    with pytest.raises(ValueError, match="does not match"):
        spec.coerce("API")


def test_str_value_must_not_be_empty() -> None:
    """A blank string is refused."""
    with pytest.raises(ValueError, match="must not be empty"):
        ParamSpec("service").coerce("   ")


def test_non_string_raw_value_becomes_text_for_a_str_param() -> None:
    """A number given for a str parameter becomes its text."""
    assert ParamSpec("ticket").coerce(42) == "42"


# -- ParamSpec.coerce: int -------------------------------------------------------------------


@pytest.mark.parametrize(("raw", "expected"), [("3", 3), (" 7 ", 7), (5, 5), ("-0", 0)])
def test_int_accepts_whole_numbers_as_text_or_int(raw: ParamValue, expected: int) -> None:
    """An int parameter takes an int or its decimal text (whitespace allowed)."""
    assert ParamSpec("replicas", kind="int").coerce(raw) == expected


def test_int_bounds_are_inclusive() -> None:
    """Minimum and maximum are allowed; one past either is refused."""
    spec = ParamSpec("replicas", kind="int", minimum=1, maximum=10)
    assert spec.coerce("1") == 1
    assert spec.coerce("10") == 10
    with pytest.raises(ValueError, match="at least 1"):
        spec.coerce("0")
    with pytest.raises(ValueError, match="at most 10"):
        spec.coerce(11)


@pytest.mark.parametrize("raw", ["three", "1.5", "", "1e3", "0x10", "5 pods"])
def test_int_refuses_what_is_not_a_whole_number(raw: str) -> None:
    """Words, decimals, exponents and hex are not whole numbers."""
    with pytest.raises(ValueError, match="must be a whole number"):
        ParamSpec("replicas", kind="int").coerce(raw)


@pytest.mark.parametrize("raw", [True, False])
def test_int_refuses_booleans(raw: bool) -> None:
    """A bool is not taken for 1 or 0, although Python says it is an int."""
    with pytest.raises(ValueError, match="must be a whole number"):
        ParamSpec("replicas", kind="int").coerce(raw)


# -- ParamSpec.coerce: enum and bool ---------------------------------------------------------


def test_enum_accepts_only_its_choices() -> None:
    """An enum value must be one of the choices (after stripping), exactly."""
    spec = ParamSpec("env", kind="enum", choices=("staging", "prod"))
    assert spec.coerce(" prod ") == "prod"
    with pytest.raises(ValueError, match="must be one of staging, prod"):
        spec.coerce("production")
    with pytest.raises(ValueError, match="must be one of"):
        spec.coerce("")


def test_enum_choices_are_case_sensitive() -> None:
    """``Prod`` is not the choice ``prod``."""
    with pytest.raises(ValueError, match="must be one of"):
        ParamSpec("env", kind="enum", choices=("prod",)).coerce("Prod")


@pytest.mark.parametrize("raw", ["true", "YES", "y", "On", "1", " yes ", True])
def test_bool_true_words(raw: ParamValue) -> None:
    """true/yes/y/on/1 in any case mean True."""
    assert ParamSpec("force", kind="bool").coerce(raw) is True


@pytest.mark.parametrize("raw", ["false", "No", "n", "OFF", "0", False])
def test_bool_false_words(raw: ParamValue) -> None:
    """false/no/n/off/0 in any case mean False."""
    assert ParamSpec("force", kind="bool").coerce(raw) is False


@pytest.mark.parametrize("raw", ["maybe", "", "2", 2, "yess"])
def test_bool_refuses_other_words(raw: ParamValue) -> None:
    """Anything else is refused, naming the parameter."""
    with pytest.raises(ValueError, match="force must be yes or no"):
        ParamSpec("force", kind="bool").coerce(raw)


# -- validate_params -------------------------------------------------------------------------

_DEPLOY_PARAMS = (
    ParamSpec("service", pattern=r"[a-z]+"),
    ParamSpec("env", kind="enum", choices=("staging", "prod"), default="staging"),
    ParamSpec("replicas", kind="int", minimum=1, maximum=5, required=False),
    ParamSpec("force", kind="bool", default=False),
)


def test_validate_fills_defaults_and_coerces() -> None:
    """Given values are coerced; absent ones with a default get it; optional ones stay absent."""
    values, missing, errors = validate_params(
        _action(params=_DEPLOY_PARAMS), {"service": "api", "replicas": "3"}
    )
    assert values == {"service": "api", "env": "staging", "replicas": 3, "force": False}
    assert (missing, errors) == ([], [])


def test_validate_blank_value_counts_as_absent() -> None:
    """A blank value takes the default, or is missing when required."""
    values, missing, errors = validate_params(
        _action(params=_DEPLOY_PARAMS), {"service": "  ", "env": ""}
    )
    assert values == {"env": "staging", "force": False}
    assert missing == ["service"]
    assert errors == []


def test_validate_lists_every_missing_required_param_in_declaration_order() -> None:
    """All required parameters without a value or default are listed, in order."""
    action = _action(params=(ParamSpec("a"), ParamSpec("b", required=False), ParamSpec("c")))
    assert validate_params(action, {}) == ({}, ["a", "c"], [])


def test_validate_reports_unknown_params() -> None:
    """A value for an undeclared parameter is an error naming it."""
    _values, _missing, errors = validate_params(
        _action(params=_DEPLOY_PARAMS), {"service": "api", "colour": "blue"}
    )
    assert errors == ["unknown parameter 'colour'"]


def test_validate_collects_all_errors_not_just_the_first() -> None:
    """Every invalid and unknown value is reported in one go; valid ones are kept."""
    values, missing, errors = validate_params(
        _action(params=_DEPLOY_PARAMS),
        {"service": "API", "env": "qa", "replicas": "9", "force": "sure", "x": "1"},
    )
    assert values == {}
    assert missing == []
    assert len(errors) == 5
    assert errors[0] == "unknown parameter 'x'"
    assert any("service" in e for e in errors)
    assert any("env must be one of" in e for e in errors)
    assert any("replicas must be at most 5" in e for e in errors)
    assert any("force must be yes or no" in e for e in errors)


def test_validate_reports_errors_and_missing_together() -> None:
    """An invalid value does not hide a missing one."""
    _values, missing, errors = validate_params(_action(params=_DEPLOY_PARAMS), {"env": "qa"})
    assert missing == ["service"]
    assert len(errors) == 1


# -- ActionSpec ------------------------------------------------------------------------------


def test_needs_approval_follows_policy_except_for_dangerous() -> None:
    """read/write need approval only when the policy says so; dangerous always does."""
    assert _action(risk="write", required=True).needs_approval
    assert not _action(risk="write", required=False).needs_approval
    assert not _action(risk="read", required=False).needs_approval
    assert _action(risk="dangerous", required=False).needs_approval


def test_param_finds_a_declared_parameter_by_name() -> None:
    """``param`` returns the spec with that name, or None."""
    action = _action(params=_DEPLOY_PARAMS)
    assert action.param("env") is _DEPLOY_PARAMS[1]
    assert action.param("nope") is None


# -- match_formats ---------------------------------------------------------------------------

_DEPLOY = _action("deploy", formats=("deploy {service}",))
_DEPLOY_TO = _action("deploy_to", formats=("deploy {service} to {env}",))
_RESTART = _action("restart", formats=("restart {service}", "bounce {service}"))
_ALL = (_DEPLOY, _DEPLOY_TO, _RESTART)


def test_the_more_specific_format_wins() -> None:
    """``deploy api to prod`` picks ``deploy {service} to {env}`` over ``deploy {service}``."""
    found = match_formats("deploy api to prod", _ALL)
    assert found is not None
    assert found.action is _DEPLOY_TO
    assert dict(found.values) == {"service": "api", "env": "prod"}


def test_specificity_does_not_depend_on_declaration_order() -> None:
    """The more specific format wins whichever action is declared first."""
    found = match_formats("deploy api to prod", (_DEPLOY_TO, _DEPLOY, _RESTART))
    assert found is not None and found.action is _DEPLOY_TO
    found = match_formats("deploy api to prod", tuple(reversed(_ALL)))
    assert found is not None and found.action is _DEPLOY_TO


def test_the_shorter_format_still_matches_its_own_text() -> None:
    """``deploy api`` matches ``deploy {service}``."""
    found = match_formats("deploy api", _ALL)
    assert found is not None
    assert found.action is _DEPLOY
    assert dict(found.values) == {"service": "api"}


def test_literal_words_match_case_insensitively_and_values_keep_their_case() -> None:
    """``DePloy Api TO Prod`` matches; the captured values are as typed."""
    found = match_formats("DePloy Api TO Prod", _ALL)
    assert found is not None and found.action is _DEPLOY_TO
    assert dict(found.values) == {"service": "Api", "env": "Prod"}


def test_extra_spaces_between_and_around_words_are_allowed() -> None:
    """Runs of spaces (and tabs) between words and at the ends do not matter."""
    found = match_formats("   deploy   api \t to    prod  ", _ALL)
    assert found is not None and found.action is _DEPLOY_TO
    assert dict(found.values) == {"service": "api", "env": "prod"}


def test_words_must_be_separated() -> None:
    """``deployapi`` is not ``deploy api``."""
    assert match_formats("deployapi", _ALL) is None


@pytest.mark.parametrize(
    "text",
    [
        "deploy api to prod now",
        "please deploy api",
        "deploy",
        "deploy api to",
        "deploy api from prod",
        "redeploy api",
        "",
    ],
)
def test_no_partial_matches(text: str) -> None:
    """The whole text must match a format: nothing before, after or missing."""
    assert match_formats(text, _ALL) is None


def test_a_placeholder_captures_exactly_one_word() -> None:
    """``restart api web`` does not match ``restart {service}``."""
    assert match_formats("restart api web", _ALL) is None
    found = match_formats("restart api-web.v2", _ALL)
    assert found is not None and dict(found.values) == {"service": "api-web.v2"}


def test_any_of_an_actions_formats_matches() -> None:
    """An action with several formats matches on each of them."""
    found = match_formats("bounce web", _ALL)
    assert found is not None and found.action is _RESTART
    assert dict(found.values) == {"service": "web"}


def test_literal_punctuation_is_matched_literally() -> None:
    """Regex characters in a format are plain text, not patterns."""
    scale = _action("scale", formats=("scale {service} x{count}?",))
    found = match_formats("scale api x3?", (scale,))
    assert found is not None and dict(found.values) == {"service": "api", "count": "3"}
    assert match_formats("scale api xx3", (scale,)) is None


def test_specificity_counts_literal_characters() -> None:
    """A match reports how many literal (non-space) characters its format has."""
    found = match_formats("deploy api to prod", _ALL)
    assert found is not None and found.specificity == len("deployto")


def test_nothing_matches_when_no_action_has_formats() -> None:
    """Actions without formats are never matched by text."""
    assert match_formats("deploy api", (_action("bare"),)) is None
