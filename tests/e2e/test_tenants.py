"""Tenants never mix: two workspaces installed in one bot (the sandbox delivers as either,
over the same channels and people, which is the hardest case: only the workspace tells them
apart). Nothing of one is visible to or usable from the other, each is served with its own
token (the worker's result posts too), and a workspace that removes the app stops."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator

import pytest
import sqlalchemy as sa

from agents.actions.decisions import MISPLACED_BUTTON
from bot.config_file import parse_config
from handlers.approval_blocks import APPROVE_ACTION
from handlers.review_blocks import LABEL_PREFIX
from sandbox import Fault, SlackSandbox
from tests.e2e.approvals_config import approvals_config, load
from tests.e2e.conftest import Bot
from tests.e2e.workspaces import (
    TEAM_A,
    TEAM_B,
    approvals,
    install_two,
    multi_bot,
    say,
    settled,
)

SECRET = "s3cr3t-" + secrets.token_hex(12)


@pytest.fixture
async def two(
    sandbox: SlackSandbox, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[tuple[Bot, str, str]]:
    monkeypatch.setenv("DEPLOY_API_TOKEN", SECRET)
    async with multi_bot(sandbox, database_url, config=load(sandbox.base_url)) as bot:
        token_a, token_b = await install_two(sandbox, bot)
        yield bot, token_a, token_b


async def test_a_note_of_one_workspace_is_not_recalled_in_the_other(
    sandbox: SlackSandbox, two: tuple[Bot, str, str]
) -> None:
    """A note kept in A's #general is recalled there, and not in B's #general (the same
    channel id, the same person)."""
    noted = await say(sandbox, TEAM_A, "memory: remember for everyone that payments is on fire")
    assert noted.args["text"].startswith("Noted")
    here = await say(sandbox, TEAM_A, "memory: what do you remember about payments?")
    there = await say(sandbox, TEAM_B, "memory: what do you remember about payments?")
    assert "payments is on fire" in here.args["text"]
    assert "payments is on fire" not in there.args["text"]
    assert "nothing about payments" in there.args["text"]


async def test_an_approval_click_from_the_other_workspace_counts_for_nothing(
    sandbox: SlackSandbox, two: tuple[Bot, str, str]
) -> None:
    """Bob in B clicks Approve on A's card: refused (with B's token), still pending; Bob in
    A approves: the worker runs it and tells A's thread with A's token."""
    bot, token_a, token_b = two
    card = await say(sandbox, TEAM_A, "deploy api to prod")
    assert card.token == token_a
    before = sandbox.calls.count("chat.postEphemeral")
    with sandbox.as_team(TEAM_B):
        await sandbox.people.click(card.response["ts"], APPROVE_ACTION, user="U0BOB")
    refusal = await sandbox.calls.wait_for("chat.postEphemeral", count=before + 1)
    assert refusal.args["text"] == MISPLACED_BUTTON and refusal.token == token_b
    assert await approvals(bot) == [(TEAM_A, "pending", None)]
    assert sandbox.deploy_api.applied_count() == 0
    with sandbox.as_team(TEAM_A):
        await sandbox.people.click(card.response["ts"], APPROVE_ACTION, user="U0BOB")
    told = await sandbox.calls.wait_for(
        "chat.postMessage",
        where=lambda c: (
            c.args.get("metadata", {}).get("event_payload", {}).get("state") == "succeeded"
        ),
        timeout=10,
    )
    assert told.token == token_a
    assert sandbox.deploy_api.applied_count() == 1
    await bot.idle()
    assert {c.token for c in sandbox.calls.all() if c.token} <= {token_a, token_b}


async def test_one_workspaces_rate_limit_does_not_hold_the_others_replies(
    sandbox: SlackSandbox, two: tuple[Bot, str, str]
) -> None:
    """Slack answers A's reply 429 with a 6-second Retry-After (A's workspace only): B's
    reply, asked for after that, is posted with B's token while A's window still stands
    (before A's reply goes again); A's reply is then posted once, after its window. The
    posts, in the order Slack saw them, say so."""
    bot, token_a, token_b = two
    sandbox.faults.inject("chat.postMessage", Fault.rate_limited(retry_after=6), team_id=TEAM_A)
    with sandbox.as_team(TEAM_A):
        await sandbox.people.say("<@U0BOT> help")
    await sandbox.calls.wait_for("chat.postMessage", where=lambda c: c.status == 429)
    with sandbox.as_team(TEAM_B):
        await sandbox.people.say("<@U0BOT> help")
    await sandbox.calls.wait_for("chat.postMessage", where=lambda c: c.token == token_b)
    gate = bot.runtime.slack_gate
    assert gate is not None and gate.window("chat.postMessage", workspace=TEAM_A) > 0
    assert gate.window("chat.postMessage", workspace=TEAM_B) == 0
    await sandbox.calls.wait_for(
        "chat.postMessage", where=lambda c: c.token == token_a and c.status == 200, timeout=20
    )
    await bot.idle()
    posts = [(c.token, c.status) for c in sandbox.calls.for_method("chat.postMessage")]
    assert posts == [(token_a, 429), (token_b, 200), (token_a, 200)]


async def test_a_feedback_click_with_the_other_workspaces_trace_is_refused(
    sandbox: SlackSandbox, two: tuple[Bot, str, str]
) -> None:
    """A 👎 click in B on an answer given in A (its trace id in the button) stores no vote."""
    bot, _, token_b = two
    answer = await say(sandbox, TEAM_A, "help")
    before = sandbox.calls.count("chat.postEphemeral")
    with sandbox.as_team(TEAM_B):
        await sandbox.people.give_feedback(answer.response["ts"], positive=False, user="U0BOB")
    told = await sandbox.calls.wait_for("chat.postEphemeral", count=before + 1)
    assert told.token == token_b and "👎" not in told.args["text"]
    assert sandbox.calls.count("views.open") == 0
    async with bot.runtime.database.engine.connect() as conn:
        votes = (await conn.execute(sa.text("SELECT count(*) FROM feedback"))).scalar_one()
    assert votes == 0


async def test_uninstalling_stops_that_workspaces_work_only(
    sandbox: SlackSandbox, two: tuple[Bot, str, str]
) -> None:
    """A uninstalls: its installation is deleted, its pending request ends cancelled with an
    audit record saying why, its later messages get nothing; B is served as before."""
    bot, token_a, token_b = two
    await say(sandbox, TEAM_A, "deploy api to prod")
    await say(sandbox, TEAM_B, "deploy web to staging")
    await sandbox.remove_app(TEAM_A)
    await settled(bot, [(TEAM_A, "cancelled", "app_uninstalled"), (TEAM_B, "pending", None)])
    async with bot.runtime.database.engine.connect() as conn:
        teams = (await conn.execute(sa.text("SELECT team_id FROM slack_installations"))).all()
        audit = (
            await conn.execute(
                sa.text("SELECT kind, details_json FROM audit_log ORDER BY id DESC LIMIT 1")
            )
        ).one()
    assert [row[0] for row in teams] == [TEAM_B]
    assert audit[0] == "cancelled" and "app_uninstalled" in str(audit[1])
    posted = sandbox.calls.count("chat.postMessage")
    with sandbox.as_team(TEAM_A):
        await sandbox.people.say("<@U0BOT> help")
    await bot.idle()
    assert sandbox.calls.count("chat.postMessage") == posted
    assert (await say(sandbox, TEAM_B, "help")).token == token_b
    assert token_a not in {c.token for c in sandbox.calls.all()[-3:]}


async def test_a_revoked_bot_token_stops_the_workspace(
    sandbox: SlackSandbox, two: tuple[Bot, str, str]
) -> None:
    """tokens_revoked naming the bot: B's installation goes, its request is cancelled."""
    bot, _, token_b = two
    await say(sandbox, TEAM_B, "deploy web to staging")
    await sandbox.revoke_bot_token(token_b)
    await settled(bot, [(TEAM_B, "cancelled", "tokens_revoked")])
    async with bot.runtime.database.engine.connect() as conn:
        teams = (await conn.execute(sa.text("SELECT team_id FROM slack_installations"))).all()
    assert [row[0] for row in teams] == [TEAM_A]


REVIEW = """
review:
  reviewers: {users: [U0CAROL]}
  window_days: 7
"""


async def test_a_review_item_of_one_workspace_is_not_in_the_others_queue(
    sandbox: SlackSandbox, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A 👎 in A puts A's turn in A's review queue: Carol (a reviewer) sees it in A's App
    Home and not in B's, and cannot label it from B."""
    monkeypatch.setenv("DEPLOY_API_TOKEN", SECRET)
    config = parse_config(approvals_config(sandbox.base_url) + REVIEW)
    async with multi_bot(sandbox, database_url, config=config) as bot:
        _, token_b = await install_two(sandbox, bot)
        answer = await say(sandbox, TEAM_A, "help")
        trace_id = str(answer.args["metadata"]["event_payload"]["trace_id"])
        with sandbox.as_team(TEAM_A):
            await sandbox.people.give_feedback(answer.response["ts"], positive=False, user="U0BOB")
        await sandbox.calls.wait_for("views.open")
        homes = []
        for team in (TEAM_A, TEAM_B):
            with sandbox.as_team(team):
                await sandbox.people.open_home(user="U0CAROL")
            homes.append(await sandbox.calls.wait_for("views.publish", count=len(homes) + 1))
        assert trace_id in str(homes[0].args["view"]) and homes[0].token != token_b
        assert trace_id not in str(homes[1].args["view"]) and homes[1].token == token_b
        with sandbox.as_team(TEAM_A):  # the sandbox keeps one home per person: A's again
            await sandbox.people.open_home(user="U0CAROL")
        home_a = await sandbox.calls.wait_for("views.publish", count=3)
        with sandbox.as_team(TEAM_B):  # A's buttons (A's trace id), clicked from B
            await sandbox.people.click_in_view(
                home_a.response["view"]["id"], LABEL_PREFIX + "bug", user="U0CAROL"
            )
        told = await sandbox.calls.wait_for(  # a click in a view is answered in the DM
            "chat.postMessage", where=lambda c: c.args.get("channel") == "U0CAROL"
        )
        assert told.args["text"] == f"No turn with trace id {trace_id!r}."
        assert (await bot.runtime.database.feedback.case(trace_id)).label is None  # type: ignore[union-attr]
