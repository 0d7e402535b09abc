"""The agent's DM through the real app and the sandbox: suggested prompts scoped to the person
when the DM or a thread opens, what they view recorded for their turns, a title per thread."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest

from bot.config_file import parse_config
from handlers.agent_dm import PROMPTS_TITLE
from sandbox import SlackSandbox
from tests.e2e.approvals_config import approvals_config
from tests.e2e.conftest import Bot, running_bot

AGENTS = """
agents:
  - name: deploy
    keywords: [deploy, rollback]
    examples: ["deploy api to staging", "rollback web", "status of api"]
  - name: oncall
    keywords: [on call, pager]
    examples: ["who is on call?"]
"""


@pytest.fixture
async def dm_bot(sandbox: SlackSandbox, database_url: str) -> AsyncIterator[Bot]:
    """Only Bob may request deploys and rollbacks; anyone may ask for a status."""
    text = approvals_config(sandbox.base_url)
    only_bob = "    requesters: {users: [U0BOB]}\n"
    text = text.replace(
        "    description: Deploy a service\n", "    description: Deploy a service\n" + only_bob
    )
    text = text.replace(
        "    description: Roll a service back\n",
        "    description: Roll a service back\n" + only_bob,
    )
    config = parse_config(text + AGENTS)
    async with running_bot(sandbox, database_url, config=config, live_status=True) as bot:
        yield bot


async def _prompts(sandbox: SlackSandbox, user: str) -> list[str]:
    await sandbox.people.open_agent_dm(user=user)
    call = await sandbox.calls.wait_for(
        "assistant.threads.setSuggestedPrompts",
        where=lambda c: c.args["channel_id"] == sandbox.workspace.directory.add_im(user).id,
        timeout=10,
    )
    assert call.response["ok"] and call.args["title"] == PROMPTS_TITLE
    assert "thread_ts" not in call.args  # the top of the DM
    return [p["message"] for p in call.args["prompts"]]


async def test_prompts_differ_for_people_with_and_without_deploy_rights(
    sandbox: SlackSandbox, dm_bot: Bot
) -> None:
    """Bob (who may deploy) is offered the deploy and rollback commands; Alice is offered
    only what she may use: the status read, the on-call question and help."""
    bob = await _prompts(sandbox, "U0BOB")
    alice = await _prompts(sandbox, "U0ALICE")
    assert bob == ["deploy api to staging", "rollback web", "status of api", "help"]
    assert alice[0] == "status of api" and alice[-1] == "help" and len(alice) == 4
    assert not {"deploy api to staging", "rollback web"} & set(alice)


async def test_a_new_thread_gets_prompts_and_its_title_from_the_first_message(
    sandbox: SlackSandbox, dm_bot: Bot
) -> None:
    """A thread started in the split view gets the person's prompts; its first message
    names the thread's agent session."""
    root = await sandbox.people.start_assistant_thread(user="U0BOB", context_channel="C0GENERAL")
    call = await sandbox.calls.wait_for(
        "assistant.threads.setSuggestedPrompts",
        where=lambda c: c.args.get("thread_ts") == root.ts,
        timeout=10,
    )
    assert call.args["prompts"][0]["message"] == "deploy api to staging"
    assert sandbox.assistant.thread(root.channel, root.ts).prompts
    await sandbox.people.say(
        "status of api please", user="U0BOB", channel=root.channel, thread_ts=root.ts
    )
    await sandbox.calls.wait_for(
        "chat.postMessage", where=lambda c: c.args.get("thread_ts") == root.ts, timeout=10
    )
    await dm_bot.idle()
    session = sandbox.assistant.session(root.channel, root.ts)
    assert session is not None and session.title == "status of api please"


async def test_what_the_person_views_is_recorded_for_their_turns(
    sandbox: SlackSandbox, dm_bot: Bot
) -> None:
    """Opening the DM from a channel, moving to another, and to none: each report is kept
    (the latest wins)."""
    contexts = dm_bot.runtime.database.contexts
    team = str(sandbox.workspace.directory.team_id)
    recorded: asyncio.Queue[str | None] = asyncio.Queue()
    store = contexts.record

    async def record(**report: Any) -> None:
        """The real store, telling the test when the listener (run after the ack) wrote."""
        await store(**report)
        await recorded.put(report["channel_id"])

    contexts.record = record  # type: ignore[method-assign]
    await sandbox.people.open_agent_dm(user="U0ALICE", context_channel="C0GENERAL")
    assert await asyncio.wait_for(recorded.get(), 5) == "C0GENERAL"
    assert await contexts.viewing(team_id=team, user_id="U0ALICE") == "C0GENERAL"
    await sandbox.people.change_app_context("C0RANDOM", user="U0ALICE")
    assert await asyncio.wait_for(recorded.get(), 5) == "C0RANDOM"
    assert await contexts.viewing(team_id=team, user_id="U0ALICE") == "C0RANDOM"
    await sandbox.people.change_app_context(None, user="U0ALICE")
    assert await asyncio.wait_for(recorded.get(), 5) is None
    assert await contexts.viewing(team_id=team, user_id="U0ALICE") is None
