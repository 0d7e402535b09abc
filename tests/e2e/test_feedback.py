"""Feedback, review and the App Home, through the real app, sandbox and database."""

from __future__ import annotations

import io
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from bot.cli.eval import eval_command
from bot.cli.review import export_command
from bot.config_file import parse_config
from handlers.approval_blocks import REJECT_ACTION
from handlers.review_blocks import (
    FEEDBACK_ACTION,
    FEEDBACK_DOWN,
    FEEDBACK_UP,
    LABEL_PREFIX,
    PROMOTE_ACTION,
)
from sandbox import ApiCall, SlackSandbox
from tests.e2e.approvals_config import approvals_config
from tests.e2e.conftest import Bot, running_bot

REVIEW = """
review:
  reviewers: {users: [U0CAROL], groups: [leads]}
  window_days: 7
"""


@pytest.fixture
async def review_bot(
    sandbox: SlackSandbox, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[Bot]:
    monkeypatch.setenv("DEPLOY_API_TOKEN", "token-for-tests")
    sandbox.workspace.directory.add_usergroup("S0SRE", "sre", ["U0BOB"])
    sandbox.workspace.directory.add_usergroup("S0LEADS", "leads", ["U0DAN"])
    sandbox.workspace.directory.add_user("U0DAN", "dan")
    config = parse_config(approvals_config(sandbox.base_url) + REVIEW)
    async with running_bot(sandbox, database_url, config=config) as bot:
        yield bot


async def _answer(sandbox: SlackSandbox, text: str, *, user: str = "U0ALICE") -> ApiCall:
    """A person asks at top level; returns the bot's answer in the thread it starts (not
    another post that happens to come first, such as a note about an earlier request)."""
    sent = await sandbox.people.say(f"<@U0BOT> {text}", user=user)
    return await sandbox.calls.wait_for(
        "chat.postMessage", where=lambda c: c.args.get("thread_ts") == sent.ts, timeout=10
    )


def _trace_of(answer: ApiCall) -> str:
    return str(answer.args["metadata"]["event_payload"]["trace_id"])


async def _votes(bot: Bot, trace_id: str) -> list[tuple[str, str, str | None, str, str]]:
    votes = await bot.runtime.database.feedback.votes(trace_id)
    return [(v.user_id, v.vote, v.reason, v.comment, v.expected) for v in votes]


def _form_values(reason: str | None, comment: str = "", expected: str = "") -> dict[str, Any]:
    values: dict[str, Any] = {
        "comment": {"value": {"type": "plain_text_input", "value": comment}},
        "expected": {"value": {"type": "plain_text_input", "value": expected}},
    }
    if reason is not None:
        values["reason"] = {
            "value": {"type": "radio_buttons", "selected_option": {"value": reason}}
        }
    return values


async def _ephemeral(sandbox: SlackSandbox, user: str, *, count: int = 1) -> ApiCall:
    return await sandbox.calls.wait_for(
        "chat.postEphemeral", where=lambda c: c.args["user"] == user, count=count
    )


async def test_every_answer_carries_feedback_buttons_and_votes_are_stored(
    sandbox: SlackSandbox, review_bot: Bot
) -> None:
    """👍 stores an up vote against the turn's trace id and thanks the person ephemerally;
    👎 replaces it (one vote per person per answer) and opens the form; the submitted form
    adds the reason, the free text and the expected answer to the same vote."""
    answer = await _answer(sandbox, "help")
    trace_id = _trace_of(answer)
    (feedback,) = [b for b in answer.args["blocks"] if b["type"] == "context_actions"]
    (buttons,) = feedback["elements"]
    assert (buttons["type"], buttons["action_id"]) == ("feedback_buttons", FEEDBACK_ACTION)
    assert buttons["positive_button"]["value"] == f"up:{trace_id}"
    assert buttons["negative_button"]["value"] == f"down:{trace_id}"

    await sandbox.people.give_feedback(answer.response["ts"], positive=True, user="U0BOB")
    thanks = await _ephemeral(sandbox, "U0BOB")
    assert "👍" in thanks.args["text"]
    assert await _votes(review_bot, trace_id) == [("U0BOB", "up", None, "", "")]

    await sandbox.people.give_feedback(answer.response["ts"], positive=False, user="U0BOB")
    opened = await sandbox.calls.wait_for("views.open")
    view_id = opened.response["view"]["id"]
    assert opened.args["view"]["callback_id"] == "feedback_modal"
    options = opened.args["view"]["blocks"][0]["element"]["options"]
    assert [o["value"] for o in options] == [
        "wrong_agent",
        "wrong_answer",
        "wrong_action",
        "too_slow",
        "other",
    ]
    assert await _votes(review_bot, trace_id) == [("U0BOB", "down", None, "", "")]

    await sandbox.people.submit_view(
        view_id,
        _form_values("wrong_answer", "it listed nothing useful", "the deploy commands"),
        user="U0BOB",
    )
    await _ephemeral(sandbox, "U0BOB", count=2)
    assert await _votes(review_bot, trace_id) == [
        ("U0BOB", "down", "wrong_answer", "it listed nothing useful", "the deploy commands")
    ]

    await sandbox.people.give_feedback(answer.response["ts"], positive=True, user="U0ALICE")
    await _ephemeral(sandbox, "U0ALICE")
    assert sorted(await _votes(review_bot, trace_id)) == [
        ("U0ALICE", "up", None, "", ""),
        ("U0BOB", "down", "wrong_answer", "it listed nothing useful", "the deploy commands"),
    ]


async def test_a_form_without_a_reason_is_refused_and_secrets_are_redacted(
    sandbox: SlackSandbox, review_bot: Bot
) -> None:
    """The form asks again when no reason is picked; free text is redacted before it is
    stored."""
    answer = await _answer(sandbox, "help")
    trace_id = _trace_of(answer)
    await sandbox.people.give_feedback(answer.response["ts"], positive=False, user="U0BOB")
    view_id = (await sandbox.calls.wait_for("views.open")).response["view"]["id"]

    refused = await sandbox.people.submit_view(view_id, _form_values(None, "x"), user="U0BOB")
    assert json.loads(refused.body)["response_action"] == "errors"
    token = "xoxb-" + "1234567890-" * 2 + "abcdefghijklmnopqrstuvwx"
    await sandbox.people.submit_view(view_id, _form_values("other", f"token {token}"), user="U0BOB")
    await _ephemeral(sandbox, "U0BOB")
    ((_, vote, reason, comment, _),) = await _votes(review_bot, trace_id)
    assert (vote, reason) == ("down", "other")
    assert token not in comment and "token" in comment


async def test_a_vote_on_an_unknown_answer_is_refused(
    sandbox: SlackSandbox, review_bot: Bot
) -> None:
    """A forged or stale trace id in the button stores nothing and says why, to the clicker."""
    answer = await _answer(sandbox, "help")
    await sandbox.people.give_feedback(
        answer.response["ts"], positive=True, user="U0BOB", value="up:forged-trace"
    )
    refusal = await _ephemeral(sandbox, "U0BOB")
    assert "no longer on record" in refusal.args["text"]
    assert await _votes(review_bot, "forged-trace") == []
    assert await _votes(review_bot, _trace_of(answer)) == []


async def test_a_native_feedback_value_that_is_not_ours_stores_nothing(
    sandbox: SlackSandbox, review_bot: Bot
) -> None:
    """A feedback button whose value names no vote (a foreign or tampered payload): nothing
    is stored and nobody is thanked."""
    answer = await _answer(sandbox, "help")
    await sandbox.people.give_feedback(
        answer.response["ts"], positive=True, user="U0BOB", value="positive_feedback"
    )
    await sandbox.people.give_feedback(answer.response["ts"], positive=True, user="U0ALICE")
    await _ephemeral(sandbox, "U0ALICE")  # the real click after it was handled
    assert await _votes(review_bot, _trace_of(answer)) == [("U0ALICE", "up", None, "", "")]
    told = [c.args["user"] for c in sandbox.calls.for_method("chat.postEphemeral")]
    assert "U0BOB" not in told


async def test_the_plain_buttons_of_answers_posted_before_still_count(
    sandbox: SlackSandbox, review_bot: Bot
) -> None:
    """An answer posted before the native buttons carries 👍 / 👎 as plain buttons whose
    value is the trace id: a click on them is still stored against the turn."""
    answer = await _answer(sandbox, "help")
    trace_id = _trace_of(answer)
    legacy = [
        {
            "type": "actions",
            "block_id": "feedback",
            "elements": [
                {"type": "button", "action_id": action, "text": _plain(text), "value": trace_id}
                for action, text in ((FEEDBACK_UP, "👍"), (FEEDBACK_DOWN, "👎"))
            ],
        }
    ]
    client = review_bot.runtime.app.client
    await client.chat_update(
        channel="C0GENERAL", ts=answer.response["ts"], text="help", blocks=legacy
    )
    await sandbox.people.click(answer.response["ts"], FEEDBACK_DOWN, user="U0BOB")
    await sandbox.calls.wait_for("views.open")
    assert await _votes(review_bot, trace_id) == [("U0BOB", "down", None, "", "")]


def _plain(text: str) -> dict[str, Any]:
    return {"type": "plain_text", "text": text}


async def _home(sandbox: SlackSandbox, user: str, *, count: int = 1) -> dict[str, Any]:
    await sandbox.people.open_home(user=user)
    call = await sandbox.calls.wait_for(
        "views.publish", where=lambda c: c.args["user_id"] == user, count=count
    )
    return dict(call.response["view"])


def _texts(view: dict[str, Any]) -> str:
    return json.dumps(view["blocks"], ensure_ascii=False)


async def test_app_home_for_a_reviewer_shows_kpis_and_the_queue(
    sandbox: SlackSandbox, review_bot: Bot
) -> None:
    """A reviewer's App Home: KPIs per agent for the window and the queue of 👎s and
    rejections, each with a link to its thread and label/promote buttons."""
    answer = await _answer(sandbox, "help")
    trace_id = _trace_of(answer)
    await sandbox.people.give_feedback(answer.response["ts"], positive=False, user="U0BOB")
    await sandbox.calls.wait_for("views.open")
    card = await _answer(sandbox, "deploy api to prod")
    await sandbox.people.click(card.response["ts"], REJECT_ACTION, user="U0BOB")
    reject_form = await sandbox.calls.wait_for("views.open", count=2)
    await sandbox.people.submit_view(
        reject_form.response["view"]["id"],
        {"reason": {"reason_input": {"type": "plain_text_input", "value": "code freeze"}}},
        user="U0BOB",
    )
    await sandbox.calls.wait_for("chat.update", where=lambda c: "Rejected" in str(c.args["blocks"]))

    view = await _home(sandbox, "U0CAROL")
    text = _texts(view)
    assert view["type"] == "home"
    assert "Agents — last 7 days" in text and "Review queue" in text
    assert "*help*" in text and "*deploy*" in text
    assert "Rejected `deploy`" in text and "code freeze" in text
    assert "👎 help" in text and "<@U0BOB>" in text
    assert "Open the thread" in text and "sandbox.slack.com/archives" in text
    actions = [b for b in view["blocks"] if b["type"] == "actions"]
    assert {e["value"] for b in actions for e in b["elements"]} == {
        trace_id,
        _trace_of(card),
    }
    assert {e["action_id"] for e in actions[0]["elements"]} == {
        f"{LABEL_PREFIX}bug",
        f"{LABEL_PREFIX}docs_gap",
        f"{LABEL_PREFIX}routing",
        f"{LABEL_PREFIX}expected",
        PROMOTE_ACTION,
    }
    # A member of a reviewers' user group is a reviewer too.
    assert "Review queue" in _texts(await _home(sandbox, "U0DAN"))


async def test_app_home_for_a_non_reviewer_shows_their_approvals_and_actions(
    sandbox: SlackSandbox, review_bot: Bot
) -> None:
    """Anyone else sees the requests waiting on them or made by them and what they may run,
    never KPIs or the queue."""
    await _answer(sandbox, "deploy web to staging")
    text = _texts(await _home(sandbox, "U0ALICE"))
    assert "Pending approvals" in text and "*deploy* service=web env=staging" in text
    assert "What you can run" in text and "*status* (read)" in text
    assert "Review queue" not in text and "Agents" not in text


async def test_label_and_promote_from_the_app_home(sandbox: SlackSandbox, review_bot: Bot) -> None:
    """A reviewer labels and promotes from the App Home: stored, and the Home re-rendered;
    a non-reviewer's click on the same buttons changes nothing and is told why."""
    answer = await _answer(sandbox, "help")
    trace_id = _trace_of(answer)
    await sandbox.people.give_feedback(answer.response["ts"], positive=False, user="U0BOB")
    await sandbox.calls.wait_for("views.open")
    view = await _home(sandbox, "U0CAROL")

    await sandbox.people.click_in_view(view["id"], f"{LABEL_PREFIX}docs_gap", user="U0CAROL")
    relabelled = await sandbox.calls.wait_for(
        "views.publish", where=lambda c: c.args["user_id"] == "U0CAROL", count=2
    )
    assert "labelled *Docs gap*" in _texts(relabelled.response["view"])
    await sandbox.people.click_in_view(view["id"], PROMOTE_ACTION, user="U0CAROL")
    promoted = await sandbox.calls.wait_for(
        "views.publish", where=lambda c: c.args["user_id"] == "U0CAROL", count=3
    )
    assert "in the evaluation set" in _texts(promoted.response["view"])
    (case,) = await review_bot.runtime.database.feedback.promoted()
    assert (case.trace.trace_id, case.label, case.question) == (trace_id, "docs_gap", "help")

    await sandbox.people.click_in_view(view["id"], f"{LABEL_PREFIX}bug", user="U0ALICE")
    refusal = await sandbox.calls.wait_for(
        "chat.postMessage", where=lambda c: c.args["channel"] == "U0ALICE"
    )
    assert "Only reviewers" in refusal.args["text"]
    (item,) = await review_bot.runtime.database.feedback.queue(
        team_id=None, since=case.trace.started_at, limit=5
    )
    assert item.label == "docs_gap"


async def test_reviewed_turns_export_and_replay_in_eval(
    sandbox: SlackSandbox, review_bot: Bot, tmp_path: Path
) -> None:
    """Export → eval round trip: a rejected deploy and a 👎'd answer, promoted from the App
    Home, export as cases that `switchboard eval` replays green with the same config; the
    same cases fail once prod is dropped from the deploy's environments (a regression
    caught)."""
    card = await _answer(sandbox, "deploy api to prod")
    await sandbox.people.click(card.response["ts"], REJECT_ACTION, user="U0BOB")
    reject_form = await sandbox.calls.wait_for("views.open")
    await sandbox.people.submit_view(
        reject_form.response["view"]["id"],
        {"reason": {"reason_input": {"type": "plain_text_input", "value": "not now"}}},
        user="U0BOB",
    )
    await sandbox.calls.wait_for("chat.update", where=lambda c: "Rejected" in str(c.args["blocks"]))
    answer = await _answer(sandbox, "help")
    await sandbox.people.give_feedback(answer.response["ts"], positive=False, user="U0BOB")
    form = await sandbox.calls.wait_for("views.open", count=2)
    await sandbox.people.submit_view(
        form.response["view"]["id"],
        _form_values("wrong_answer", "", "deploy"),
        user="U0BOB",
    )
    await _ephemeral(sandbox, "U0BOB")
    view = await _home(sandbox, "U0CAROL")
    for block in (b for b in view["blocks"] if b["type"] == "actions"):
        (promote,) = (e for e in block["elements"] if e["action_id"] == PROMOTE_ACTION)
        await sandbox.people.click_in_view(
            view["id"], PROMOTE_ACTION, user="U0CAROL", value=promote["value"]
        )
    await sandbox.calls.wait_for(
        "views.publish", where=lambda c: c.args["user_id"] == "U0CAROL", count=3
    )

    settings = review_bot.runtime.settings
    cases = tmp_path / "cases.jsonl"
    assert await export_command(settings, fmt="jsonl", output=cases) == 0
    records = [json.loads(line) for line in cases.read_text().splitlines()]
    assert {r["expected"].get("action") for r in records} == {"deploy", None}
    config = tmp_path / "switchboard.yaml"
    config.write_text(approvals_config(sandbox.base_url) + REVIEW)
    out = io.StringIO()
    code = await eval_command(settings, cases, k=2, config_path=config, json_output=True, out=out)
    report = json.loads(out.getvalue())
    assert code == 0, report
    assert report["scores"]["pass_k"] == 1.0
    baseline = tmp_path / "baseline.json"
    baseline.write_text(json.dumps(report["scores"]))  # the green run becomes the floor

    config.write_text(
        (approvals_config(sandbox.base_url) + REVIEW).replace(
            "env: {type: enum, choices: [staging, prod]}", "env: {type: enum, choices: [staging]}"
        )
    )
    out = io.StringIO()
    code = await eval_command(settings, cases, k=2, baseline=baseline, config_path=config, out=out)
    assert code == 1
    assert "deploy-" in out.getvalue() and "action: expected 'deploy', got none" in out.getvalue()
