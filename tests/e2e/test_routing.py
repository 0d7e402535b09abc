"""Routing through the real app: ask-back buttons when unsure, and the progress reaction."""

from __future__ import annotations

from handlers.blocks import ROUTE_CHOICE_PREFIX
from sandbox import SlackSandbox, humans
from tests.e2e.conftest import running_bot


def _buttons(blocks: list[dict[str, object]]) -> list[str]:
    return [
        str(element["action_id"])
        for block in blocks
        for element in block.get("elements", [])  # type: ignore[attr-defined]
        if str(element.get("action_id", "")).startswith(ROUTE_CHOICE_PREFIX)
    ]


async def test_unsure_router_asks_and_the_askers_click_reroutes(
    sandbox: SlackSandbox, database_url: str
) -> None:
    """`deploy` and `incident` tie: buttons for both; another person's click is refused;
    the asker's click updates the question and the chosen agent answers in the thread."""
    async with running_bot(sandbox, database_url) as bot:
        sent = await sandbox.people.say("<@U0BOT> should we deploy during the incident?")
        question = await sandbox.calls.wait_for("chat.postMessage")
        assert _buttons(question.args["blocks"]) == [
            f"{ROUTE_CHOICE_PREFIX}deploy",
            f"{ROUTE_CHOICE_PREFIX}incident",
        ]
        ts = question.response["ts"]
        await sandbox.people.click(ts, f"{ROUTE_CHOICE_PREFIX}deploy", user="U0BOB")
        refusal = await sandbox.calls.wait_for("chat.postEphemeral")
        assert refusal.args["user"] == "U0BOB" and "<@U0ALICE>" in refusal.args["text"]
        await sandbox.people.click(ts, f"{ROUTE_CHOICE_PREFIX}deploy", user="U0ALICE")
        updated = await sandbox.calls.wait_for("chat.update")
        assert updated.args["ts"] == ts and _buttons(updated.args["blocks"]) == []
        answer = await sandbox.calls.wait_for("chat.postMessage", count=2)
        await bot.idle()
    assert answer.args["thread_ts"] == sent.ts
    assert answer.args["metadata"]["event_payload"]["agent"] == "deploy"


async def test_a_double_click_runs_the_chosen_turn_once(
    sandbox: SlackSandbox, database_url: str
) -> None:
    """Two clicks on the same question: one re-routed answer."""
    async with running_bot(sandbox, database_url) as bot:
        await sandbox.people.say("<@U0BOT> should we deploy during the incident?")
        question = await sandbox.calls.wait_for("chat.postMessage")
        ts = question.response["ts"]
        click = humans.click(
            sandbox.workspace,
            message_ts=ts,
            action_id=f"{ROUTE_CHOICE_PREFIX}incident",
            user="U0ALICE",
            channel="C0GENERAL",
        )
        await sandbox.driver.send_interaction(click)
        # the same click again (a retry or double click)
        await sandbox.driver.send_interaction(click)
        await sandbox.calls.wait_for("chat.postMessage", count=2)
        await bot.idle()
    assert sandbox.calls.count("chat.postMessage") == 2


async def test_a_quick_turn_gets_no_progress_reaction(
    sandbox: SlackSandbox, database_url: str
) -> None:
    """A turn answered within the progress delay leaves the person's message alone."""
    async with running_bot(sandbox, database_url, progress_after=1.0) as bot:
        await sandbox.people.say("<@U0BOT> help")
        await sandbox.calls.wait_for("chat.postMessage")
        await bot.idle()
    assert sandbox.calls.for_method("reactions.add") == []
