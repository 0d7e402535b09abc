"""A run's output in its thread: fields as section fields, a template as a line, a body as
code, the summary in small print, and nothing from the target able to ping or link."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from slack_sdk.models.blocks import Block

from agents.actions.presentation import RunOutput
from handlers.result_blocks import output_blocks, output_text
from tests.handlers.test_wording import REQUEST

READ = replace(
    REQUEST,
    action="health",
    params={"env": "prod"},
    state="succeeded",
    result="HTTP 200 from 127.0.0.1:3001 (attempt 1)",
)


def _valid(blocks: list[dict[str, Any]]) -> None:
    """Each block parses back into slack_sdk's model and validates (Slack's limits)."""
    for block in blocks:
        parsed = Block.parse(block)
        assert parsed is not None
        parsed.validate_json()


def test_fields_are_a_section_of_fields_under_the_heading_then_the_summary() -> None:
    """The heading names who asked and what; each field is bold label over value; the
    executor's summary is only a context line."""
    output = RunOutput("State: green\nNodes: 5", "fields", (("State", "green"), ("Nodes", "5")))
    blocks = output_blocks(READ, output)
    _valid(blocks)
    section, context = blocks
    assert section["text"]["text"] == "<@U_ALICE> `health` env=prod"
    assert [f["text"] for f in section["fields"]] == ["*State*\ngreen", "*Nodes*\n5"]
    assert context == {
        "type": "context",
        "elements": [
            {"type": "mrkdwn", "text": "succeeded: HTTP 200 from 127.0.0.1:3001 (attempt 1)"}
        ],
    }
    assert output_text(READ, output) == "<@U_ALICE> `health` env=prod: State: green\nNodes: 5"


def test_more_than_ten_fields_take_several_sections() -> None:
    """Slack allows ten fields per section: the rest follow in another."""
    pairs = tuple((f"F{n}", str(n)) for n in range(13))
    blocks = output_blocks(READ, RunOutput("…", "fields", pairs))
    _valid(blocks)
    assert [len(b.get("fields", [])) for b in blocks] == [10, 3, 0]
    assert "text" not in blocks[1]


def test_a_template_is_a_line_and_a_body_is_code_with_its_cut_and_note_said() -> None:
    """Template output reads as text; a JSON or text body is a code block; a cut output and
    a format that could not apply say so in the context line."""
    line = output_blocks(READ, RunOutput("green (5 nodes ready)", "template"))
    assert line[0]["text"]["text"] == "<@U_ALICE> `health` env=prod\ngreen (5 nodes ready)"
    body = output_blocks(
        READ,
        RunOutput('{"a": "```"}', "json", truncated=True, note="the response is not JSON"),
    )
    _valid(body)
    assert body[0]["text"]["text"].endswith('\n```{"a": "` ` `"}```')
    assert body[1]["elements"][0]["text"].endswith(
        " · output cut to fit · the response is not JSON"
    )


def test_output_can_ping_or_link_nobody() -> None:
    """``<!channel>``, a user mention and a link from the target are escaped everywhere."""
    hostile = "<!channel> <@U0BOSS> <https://evil.example|click> & more"
    outputs = [
        RunOutput(hostile, "template"),
        RunOutput(hostile, "text"),
        RunOutput(hostile, "fields", (("<b>", hostile),)),
    ]
    for output in outputs:
        shown = str(output_blocks(READ, output)) + output_text(READ, output)
        assert "<!channel>" not in shown and "<@U0BOSS>" not in shown
        assert "<https://evil" not in shown
        assert "&lt;!channel&gt;" in shown and "&amp; more" in shown


def test_a_long_output_fits_slack_limits() -> None:
    """A 3000-character output with a heading stays within a section's 3000 characters."""
    blocks = output_blocks(READ, RunOutput("x" * 3000, "text"))
    _valid(blocks)
    assert len(blocks[0]["text"]["text"]) == 3000
    assert len(output_text(READ, RunOutput("y" * 5000, "text"))) == 3900
