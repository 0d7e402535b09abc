"""An action's ``result:`` block: loaded into the domain's format, every mistake reported at
its line and field."""

from __future__ import annotations

from agents.actions.presentation import DEFAULT_MAX_CHARS, ResultFormat
from bot.config_file import parse_config
from tests.bot.test_config_file import GOOD_ACTION, config_text, issues_of, line_of


def _with_result(block: str) -> str:
    return config_text(GOOD_ACTION + "    result:\n" + block)


def test_fields_load_in_the_order_written_with_their_cap() -> None:
    """Labels keep their order; the format is marked as written."""
    text = _with_result(
        '      fields: {State: "status.state", Nodes ready: "nodes.ready", First: "nodes.0.name"}\n'
        "      max_chars: 500\n"
    )
    (action,) = parse_config(text).actions
    assert action.result == ResultFormat(
        fields=(
            ("State", "status.state"),
            ("Nodes ready", "nodes.ready"),
            ("First", "nodes.0.name"),
        ),
        max_chars=500,
        given=True,
    )


def test_a_template_loads_and_no_block_means_the_default_rendering() -> None:
    """A template is kept as written; an action without the block gets the default."""
    text = _with_result('      template: "{status.state} ({nodes.ready} nodes ready)"\n')
    (action,) = parse_config(text).actions
    assert action.result.template == "{status.state} ({nodes.ready} nodes ready)"
    (plain,) = parse_config(config_text(GOOD_ACTION)).actions
    assert plain.result == ResultFormat() and plain.result.max_chars == DEFAULT_MAX_CHARS
    assert not plain.result.given


def test_a_template_placeholder_that_is_not_a_path_is_reported_at_its_line() -> None:
    """``{state!r}`` would stay literal: an error at the template, saying why."""
    text = _with_result('      template: "{state!r} now"\n')
    (issue,) = issues_of(text)
    assert (issue.line, issue.field_path) == (
        line_of(text, "template:"),
        "actions[0].result.template",
    )
    assert issue.message == "placeholder {state!r} is not a dotted JSON path such as status.state"


def test_a_template_without_placeholders_is_refused() -> None:
    """A constant template would show nothing of the result."""
    (issue,) = issues_of(_with_result('      template: "all good"\n'))
    assert issue.field_path == "actions[0].result.template"
    assert "no {path} placeholder" in issue.message


def test_a_field_path_must_be_dotted() -> None:
    """``status..state`` and ``$.status`` are not paths; the issue names the label."""
    text = _with_result('      fields: {State: "$.status", Nodes: "nodes..ready"}\n')
    issues = issues_of(text)
    assert [issue.field_path for issue in issues] == [
        "actions[0].result.fields.State",
        "actions[0].result.fields.Nodes",
    ]
    assert {issue.message for issue in issues} == {
        "must be a dotted path such as status or data.state"
    }


def test_fields_and_template_together_an_empty_block_and_a_tiny_cap_are_refused() -> None:
    """Not both shapes; at least one field when fields are given; the cap between 100 and
    3000 characters; unknown keys are typos."""
    both = _with_result('      fields: {State: "s"}\n      template: "{s}"\n')
    (issue,) = issues_of(both)
    assert (issue.field_path, issue.message) == (
        "actions[0].result",
        "give fields or a template, not both",
    )
    (empty,) = issues_of(_with_result("      fields: {}\n"))
    assert empty.field_path == "actions[0].result.fields"
    (tiny,) = issues_of(_with_result("      max_chars: 10\n"))
    assert tiny.field_path == "actions[0].result.max_chars"
    (typo,) = issues_of(_with_result("      feilds: {State: s}\n"))
    assert typo.message == "unknown field (check its spelling)"
