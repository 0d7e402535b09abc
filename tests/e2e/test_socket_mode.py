"""Socket Mode: the same turn over a WebSocket instead of HTTP."""

from __future__ import annotations

import secrets

import pytest

from handlers.approval_blocks import APPROVE_ACTION
from sandbox import SlackSandbox
from tests.e2e.approvals_config import load
from tests.e2e.conftest import running_bot
from tests.e2e.workspaces import TEAM_A, TEAM_B, install_two, multi_bot


async def test_mention_over_socket_mode(sandbox: SlackSandbox, database_url: str) -> None:
    """An events_api envelope is acked over the socket and the reply is posted in thread."""
    async with running_bot(sandbox, database_url, socket_mode=True) as bot:
        sent = await sandbox.people.say("<@U0BOT> help", via="socket")
        assert sent.deliveries and all(d.acked for d in sent.deliveries)
        call = await sandbox.calls.wait_for("chat.postMessage")
        assert call.args["thread_ts"] == sent.ts
        await bot.idle()


async def test_slash_command_over_socket_mode(sandbox: SlackSandbox, database_url: str) -> None:
    """/ops help over Socket Mode is acked and answered through response_url."""
    async with running_bot(sandbox, database_url, socket_mode=True) as bot:
        delivery = await sandbox.people.run_command("/ops", "help", via="socket")
        assert delivery.acked
        call = await sandbox.calls.wait_for("response_url")
        assert "help" in call.args["text"]
        await bot.idle()


async def test_socket_mode_answers_each_installed_workspace_with_its_token(
    sandbox: SlackSandbox, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Many workspaces over one Socket Mode connection (one app-level token): A and B are
    installed through the OAuth endpoints; an events_api envelope from each is acked and
    answered with that workspace's bot token, and so is an interactive envelope (Bob's
    approval in A: the card's update and the worker's result)."""
    monkeypatch.setenv("DEPLOY_API_TOKEN", "s3cr3t-" + secrets.token_hex(8))
    config = load(sandbox.base_url)
    async with multi_bot(sandbox, database_url, socket_mode=True, config=config) as bot:
        token_a, token_b = await install_two(sandbox, bot)
        replies = {}
        for team, text in ((TEAM_B, "help"), (TEAM_A, "deploy api to prod")):
            before = sandbox.calls.count("chat.postMessage")
            with sandbox.as_team(team):
                sent = await sandbox.people.say(f"<@U0BOT> {text}", via="socket")
            assert sent.deliveries and all(d.acked for d in sent.deliveries)
            replies[team] = await sandbox.calls.wait_for("chat.postMessage", count=before + 1)
            assert replies[team].args["thread_ts"] == sent.ts
        assert (replies[TEAM_A].token, replies[TEAM_B].token) == (token_a, token_b)
        with sandbox.as_team(TEAM_A):
            click = await sandbox.people.click(
                replies[TEAM_A].response["ts"], APPROVE_ACTION, user="U0BOB", via="socket"
            )
        assert click.acked
        updated = await sandbox.calls.wait_for("chat.update")
        told = await sandbox.calls.wait_for(
            "chat.postMessage",
            where=lambda c: (
                c.args.get("metadata", {}).get("event_payload", {}).get("state") == "succeeded"
            ),
            timeout=10,
        )
        assert updated.token == token_a and told.token == token_a
        await bot.idle()
        web_api = [c for c in sandbox.calls.all() if c.method != "apps.connections.open"]
        assert {c.token for c in web_api if c.token} <= {token_a, token_b}
    (connect,) = sandbox.calls.for_method("apps.connections.open")
    assert connect.token == sandbox.app_token  # the app-level token, for every workspace
