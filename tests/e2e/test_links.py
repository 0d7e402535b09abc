"""Links in what the bot posts, through the real app: only to allowed hosts, never unfurled,
whichever path posts (a card, a thread note, a slash command's answer)."""

from __future__ import annotations

import pytest

from handlers.approval_blocks import REJECT_ACTION
from sandbox import ApiCall, SlackSandbox
from tests.e2e.approvals_config import load
from tests.e2e.conftest import running_bot

REASON = "see https://evil.example/pm?key=abc and <https://grafana.corp.example/d/1|the graph>"


async def _reject_with(sandbox: SlackSandbox, reason: str) -> tuple[ApiCall, ApiCall]:
    """Alice asks for a deploy, Bob rejects it with ``reason``: the card's update and the
    thread's note."""
    await sandbox.people.say("<@U0BOT> deploy api to prod")
    card = await sandbox.calls.wait_for("chat.postMessage")
    await sandbox.people.click(card.response["ts"], REJECT_ACTION, user="U0BOB")
    opened = await sandbox.calls.wait_for("views.open")
    value = {"type": "plain_text_input", "value": reason}
    await sandbox.people.submit_view(
        opened.response["view"]["id"], {"reason": {"reason_input": value}}, user="U0BOB"
    )
    note = await sandbox.calls.wait_for(
        "chat.postMessage", where=lambda c: "rejected" in c.args["text"]
    )
    update = await sandbox.calls.wait_for(
        "chat.update", where=lambda c: "Rejected" in str(c.args["blocks"])
    )
    return update, note


async def test_a_link_in_a_reject_reason_is_plain_text_and_nothing_unfurls(
    sandbox: SlackSandbox, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The card and the thread show the reason with each link to a host not allowed made
    plain text (its path and query gone); every message posted unfurls nothing."""
    monkeypatch.setenv("DEPLOY_API_TOKEN", "t0ken")
    async with running_bot(sandbox, database_url, config=load(sandbox.base_url)) as bot:
        update, note = await _reject_with(sandbox, REASON)
        await bot.idle()
    shown = (
        "see evil[.]example (link removed) and the graph (link to grafana[.]corp[.]example removed)"
    )
    assert note.args["text"] == f"<@U0BOB> rejected `deploy`: {shown}"
    assert shown in str(update.args["blocks"])
    assert all("evil.example" not in str(call.args) for call in sandbox.calls.all())
    posts = sandbox.calls.for_method("chat.postMessage")
    assert len(posts) == 2 and all(
        (p.args["unfurl_links"], p.args["unfurl_media"]) == (False, False) for p in posts
    )


async def test_an_allowlisted_host_stays_a_link(
    sandbox: SlackSandbox, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``SWITCHBOARD_LINK_ALLOWLIST`` names the hosts (and their subdomains) the bot may link
    to: those links pass as they were written."""
    monkeypatch.setenv("DEPLOY_API_TOKEN", "t0ken")
    async with running_bot(
        sandbox,
        database_url,
        config=load(sandbox.base_url),
        settings={"SWITCHBOARD_LINK_ALLOWLIST": "corp.example"},
    ) as bot:
        _, note = await _reject_with(sandbox, REASON)
        await bot.idle()
    assert note.args["text"].endswith(
        "see evil[.]example (link removed) and <https://grafana.corp.example/d/1|the graph>"
    )


async def test_a_slash_command_answer_is_guarded_too(
    sandbox: SlackSandbox, database_url: str
) -> None:
    """An answer sent through the command's response_url passes the same guard."""
    async with running_bot(sandbox, database_url) as bot:
        await sandbox.people.run_command("/ops", "memory: remember that logs are at evil.example/x")
        answer = await sandbox.calls.wait_for("response_url")
        await bot.idle()
    assert (
        answer.args["text"] == "Noted for this channel: logs are at evil[.]example (link removed)"
    )
    assert "evil.example" not in str(answer.args["blocks"])
