"""The config file: the example loads; every problem is reported with its line and field."""

from __future__ import annotations

import io
import json
from datetime import timedelta
from pathlib import Path

import pytest

from agents.actions.spec import validate_params
from agents.kernel.errors import ConfigError
from bot.cli.config import check_command, config_json_schema, schema_command
from bot.config_file import (
    ConfigFileError,
    ConfigIssue,
    HttpExecutorConfig,
    LoadedConfig,
    load_config,
    parse_config,
)

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "switchboard.yaml"

GOOD_ACTION = """\
  - name: restart
    agent: deploy
    description: Restart a service
    risk: write
    params:
      service: {type: enum, choices: [api, web]}
      env: {type: enum, choices: [staging, prod], default: staging}
    formats: ["restart {service} in {env}"]
    approval:
      approvers: {users: [U0BOB], groups: [sre]}
    executor:
      http:
        url: "http://127.0.0.1:3001/restarts"
        headers: {Authorization: "Bearer ${DEPLOY_TOKEN}"}
        body: {service: "{service}"}
"""


def config_text(*actions: str) -> str:
    return "version: 1\nactions:\n" + "".join(actions)


def issues_of(text: str) -> list[ConfigIssue]:
    with pytest.raises(ConfigFileError) as caught:
        parse_config(text, source="switchboard.yaml")
    return list(caught.value.issues)


def line_of(text: str, needle: str) -> int:
    """The 1-based line of the first occurrence of ``needle``."""
    return text[: text.index(needle)].count("\n") + 1


def test_example_file_loads_into_domain_actions() -> None:
    """The shipped example passes: five deploy actions with their risks and policies."""
    config = load_config(EXAMPLE)
    by_name = {action.name: action for action in config.actions}
    assert set(by_name) == {"status", "deploy", "restart", "scale", "rollback"}
    assert all(action.agent == "deploy" for action in config.actions)
    assert not by_name["status"].needs_approval
    rollback = by_name["rollback"]
    assert rollback.risk == "dangerous" and rollback.approval.quorum == 2
    assert not rollback.approval.allow_self_approval
    assert rollback.approval.approvers.groups == frozenset({"sre"})
    assert rollback.executor.target == "127.0.0.1:3001" and not rollback.executor.idempotent
    assert by_name["deploy"].approval.expires_after == timedelta(minutes=30)
    assert isinstance(config.executors["deploy"], HttpExecutorConfig)
    values, missing, errors = validate_params(by_name["deploy"], {"service": "api"})
    assert (values, missing, errors) == ({"service": "api", "env": "staging"}, [], [])


def test_check_command_reports_ok_for_the_example() -> None:
    """`config check` prints the action count and exits 0 on a valid file."""
    out = io.StringIO()
    assert check_command(EXAMPLE, out=out) == 0
    assert out.getvalue() == "ok: 5 actions\n"


def test_three_different_errors_give_three_issues_with_lines_and_paths() -> None:
    """A bad literal, a typo'd field and an invalid default: three issues, each at its line."""
    text = config_text(
        GOOD_ACTION.replace("risk: write", "risk: wrtie")
        .replace("groups: [sre]}", "groups: [sre]}\n      self_aproval: false")
        .replace("default: staging", "default: qa")
    )
    issues = issues_of(text)
    assert [(i.line, i.field_path) for i in issues] == [
        (line_of(text, "wrtie"), "actions[0].risk"),
        (line_of(text, "default: qa"), "actions[0].params.env.default"),
        (line_of(text, "self_aproval"), "actions[0].approval.self_aproval"),
    ]
    assert str(issues[1]) == (
        f"switchboard.yaml:{line_of(text, 'default: qa')}: actions[0].params.env.default: "
        "'qa' is not one of staging, prod"
    )
    assert issues[2].message == "unknown field (check its spelling)"


def test_error_string_lists_every_issue_one_per_line() -> None:
    """str(ConfigFileError) is one 'file:line: path: message' line per issue."""
    text = config_text(GOOD_ACTION.replace("risk: write", "risk: wrtie"))
    with pytest.raises(ConfigError) as caught:
        parse_config(text + "  - 42\n", source="cfg/switchboard.yaml")
    lines = str(caught.value).splitlines()
    assert len(lines) == 2
    assert all(line.startswith("cfg/switchboard.yaml:") for line in lines)
    assert lines[1].startswith(
        f"cfg/switchboard.yaml:{line_of(text + '  - 42', '- 42')}: actions[1]"
    )


def test_missing_field_points_at_the_nearest_existing_parent() -> None:
    """An action without an executor is reported at the action's first line."""
    text = config_text(GOOD_ACTION[: GOOD_ACTION.index("    executor:")])
    (issue,) = issues_of(text)
    assert (issue.line, issue.field_path) == (3, "actions[0].executor")
    assert issue.message == "required field is missing"


def test_yaml_syntax_error_has_its_line() -> None:
    """Broken YAML is one issue at the line where the parser gave up."""
    text = "version: 1\nactions:\n  - name: deploy\n    agent: [deploy\n    risk: read\n"
    (issue,) = issues_of(text)
    assert issue.line == 5 and issue.field_path == ""
    assert issue.message.startswith("YAML syntax error:")


def test_literal_secret_in_a_header_is_refused_without_echoing_it() -> None:
    """A literal bearer token is an error; the message suggests ${VAR} and omits the token."""
    text = config_text(GOOD_ACTION.replace("${DEPLOY_TOKEN}", "abc123def456"))
    (issue,) = issues_of(text)
    assert issue.field_path == "actions[0].executor.http.headers.Authorization"
    assert issue.line == line_of(text, "abc123def456")
    assert "abc123def456" not in str(issue) and "${" in issue.message


@pytest.mark.parametrize(
    "header",
    [
        "{X-Api-Key: plain-literal}",
        "{X-Trace: xoxb-1234-5678-abcdef}",
        "{X-Thing: 0123456789abcdef0123456789abcdef01234567}",
    ],
)
def test_other_literal_secret_shapes_are_refused(header: str) -> None:
    """Credential-named headers, Slack tokens and long opaque strings must be ${VAR}s."""
    text = config_text(GOOD_ACTION.replace('{Authorization: "Bearer ${DEPLOY_TOKEN}"}', header))
    (issue,) = issues_of(text)
    assert ".headers." in issue.field_path


def test_malformed_env_reference_is_refused() -> None:
    """${lower} or an unclosed ${ is not a reference: an error, not a literal."""
    text = config_text(GOOD_ACTION.replace("${DEPLOY_TOKEN}", "${deploy_token}"))
    (issue,) = issues_of(text)
    assert "well-formed" in issue.message


def test_dangerous_action_may_not_allow_self_approval() -> None:
    """risk: dangerous with self_approval: true is an error at self_approval's line."""
    text = config_text(
        GOOD_ACTION.replace("risk: write", "risk: dangerous").replace(
            "groups: [sre]}", "groups: [sre]}\n      self_approval: true"
        )
    )
    (issue,) = issues_of(text)
    assert (issue.line, issue.field_path) == (
        line_of(text, "self_approval"),
        "actions[0].approval.self_approval",
    )


def test_dangerous_and_write_actions_need_approvers() -> None:
    """Without an approval block, write and dangerous actions are refused; read is fine."""
    without = (
        GOOD_ACTION[: GOOD_ACTION.index("    approval:")]
        + GOOD_ACTION[GOOD_ACTION.index("    executor:") :]
    )
    for risk in ("write", "dangerous"):
        (issue,) = issues_of(config_text(without.replace("risk: write", f"risk: {risk}")))
        assert issue.field_path == "actions[0].approval"
    parse_config(config_text(without.replace("risk: write", "risk: read")))


def test_write_action_may_opt_out_of_approval() -> None:
    """approval: {required: false} on a write action means it runs without approval."""
    text = config_text(
        GOOD_ACTION.replace("approvers: {users: [U0BOB], groups: [sre]}", "required: false")
    )
    (action,) = parse_config(text).actions
    assert not action.needs_approval


def test_quorum_cannot_exceed_the_named_approvers() -> None:
    """With users only, quorum 3 of 2 users can never be met."""
    text = config_text(
        GOOD_ACTION.replace("{users: [U0BOB], groups: [sre]}", "{users: [U0BOB, U0CAROL]}").replace(
            "    executor:", "      quorum: 3\n    executor:"
        )
    )
    (issue,) = issues_of(text)
    assert (issue.line, issue.field_path) == (line_of(text, "quorum"), "actions[0].approval.quorum")


def test_format_placeholder_must_be_a_declared_param() -> None:
    """{version} in a format with no such param is reported at that format."""
    text = config_text(
        GOOD_ACTION.replace('["restart {service} in {env}"]', '["restart {version}"]')
    )
    (issue,) = issues_of(text)
    assert issue.field_path == "actions[0].formats[0]"
    assert issue.message == "placeholder {version} is not a declared parameter"


def test_url_and_body_placeholders_must_be_declared() -> None:
    """Executor templates are checked against the params too."""
    text = config_text(
        GOOD_ACTION.replace("/restarts", "/restarts/{svc}").replace('"{service}"}', '"{srv}"}')
    )
    paths = [issue.field_path for issue in issues_of(text)]
    assert paths == ["actions[0].executor.http.url", "actions[0].executor.http.body.service"]


def test_duplicate_names_and_duplicate_keys_are_errors() -> None:
    """Two actions with one name, and a key given twice in a mapping, are both reported."""
    second = GOOD_ACTION.replace("risk: write", "risk: write\n    risk: read")
    issues = issues_of(config_text(GOOD_ACTION, second))
    messages = {(issue.field_path, issue.message.split(" (")[0]) for issue in issues}
    assert messages == {
        ("actions[1].risk", "duplicate key 'risk'"),
        ("actions[1].name", "duplicate action name 'restart'"),
    }


def test_durations_accept_units() -> None:
    """expires_after takes ms, s, m, h and d."""
    for text, expected in [
        ("250ms", timedelta(milliseconds=250)),
        ("90s", timedelta(seconds=90)),
        ("30m", timedelta(minutes=30)),
        ("2h", timedelta(hours=2)),
        ("1d", timedelta(days=1)),
    ]:
        config = parse_config(
            config_text(
                GOOD_ACTION.replace("    executor:", f"      expires_after: {text}\n    executor:")
            )
        )
        assert config.actions[0].approval.expires_after == expected


def test_unreadable_file_is_a_config_error() -> None:
    """A missing file is one issue without a line."""
    with pytest.raises(ConfigFileError) as caught:
        load_config(Path("/nonexistent/switchboard.yaml"))
    (issue,) = caught.value.issues
    assert issue.line is None and "cannot read" in issue.message


def test_check_command_prints_every_issue_and_exits_2(tmp_path: Path) -> None:
    """`config check` on a bad file prints each issue and a count, and returns 2."""
    path = tmp_path / "bad.yaml"
    path.write_text(config_text(GOOD_ACTION.replace("risk: write", "risk: wrtie")))
    out = io.StringIO()
    assert check_command(path, out=out) == 2
    lines = out.getvalue().splitlines()
    assert lines[0].startswith(f"{path}:6: actions[0].risk:")
    assert lines[-1] == f"1 problem in {path}"


def test_json_schema_is_json_and_describes_actions() -> None:
    """The schema serialises as JSON and has the actions list; `config schema` prints it."""
    schema = config_json_schema()
    assert "actions" in schema["properties"]
    assert json.loads(json.dumps(schema)) == schema
    out = io.StringIO()
    assert schema_command(out) == 0
    assert json.loads(out.getvalue())["properties"]["version"]["const"] == 1


def test_loaded_config_is_immutable() -> None:
    """LoadedConfig is frozen and its executor mapping read-only."""
    config: LoadedConfig = parse_config(config_text(GOOD_ACTION))
    with pytest.raises(TypeError):
        config.executors["x"] = config.executors["restart"]  # type: ignore[index]
