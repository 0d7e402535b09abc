"""Erasure that erases, through the real app on both engines: a person's words, planted with a
unique marker, are answered and copied as a new user's would be (the bot's replies quote
them, a note, a pinned fact, a knowledge miss, a 👎 form); then Slack's message_deleted or
message_changed arrives (signed, through Bolt), ``switchboard memory forget --user`` runs,
or retention purges. Afterwards no column of any table holds the marker (a SELECT over each,
both engines) and, on SQLite, no byte of the database file, its WAL or its index does,
while the bot still runs (the WAL exists) and after it stopped.
"""

from __future__ import annotations

import io
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.cli.knowledge import index_command
from bot.cli.memory import forget_user_command
from bot.config_file import LoadedConfig, parse_config
from sandbox import ApiCall, SlackSandbox
from sandbox.llm_server import ScriptedLLMServer
from sandbox.llm_steps import delay, reply
from sandbox.people import SentMessage
from tests.e2e.conftest import Bot, MovableClock, running_bot, settings_for
from tests.e2e.llm_config import LLM_KEY, llm_config_text
from tests.e2e.postgres import fresh_postgres
from tests.e2e.slack_edits import deleted, edited
from tests.storage.scan import files_holding, rows_holding

CONFIG = """
version: 1
knowledge:
  base_url: https://docs.example.com
"""
RETAINED = """
review: {window_days: 1}
memory:
  retention_days:
    {messages: 1, notes: 1, summaries: 1, usage: 2, misses: 1, events: 1, traces: 1}
"""
RUNBOOK = "# Payments\n\n## Rollback\n\nRoll back payments with the rollback action.\n"


@dataclass
class Store:
    """The bot's database for one test: its URL and, on SQLite, its file."""

    url: str
    file: Path | None

    async def assert_erased(self, engine: AsyncEngine, marker: str) -> None:
        """No stored value and no byte of the SQLite files holds ``marker``."""
        assert await rows_holding(engine, marker) == []
        if self.file is not None:
            assert files_holding(self.file, marker) == []


@pytest.fixture(params=["sqlite", "postgresql"])
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Store]:
    """A SQLite file, or a fresh migrated PostgreSQL database (dropped afterwards; skipped
    without ``SWITCHBOARD_TEST_POSTGRES_URL``)."""
    if request.param == "sqlite":
        file = tmp_path / "switchboard.db"
        yield Store(f"sqlite+aiosqlite:///{file}", file)
        return
    async with fresh_postgres("sb_erasure") as url:
        yield Store(url, None)


def _marker() -> str:
    return f"ZQX{uuid.uuid4().hex[:10].upper()}"


async def _config(
    sandbox: SlackSandbox, store: Store, tmp_path: Path, extra: str = ""
) -> LoadedConfig:
    """Index one runbook (so an unknown topic is a recorded miss) and return the config."""
    docs = tmp_path / "runbooks"
    docs.mkdir()
    (docs / "payments.md").write_text(RUNBOOK)
    settings = settings_for(sandbox, store.url)
    assert await index_command(settings, [docs], prune=True, out=io.StringIO()) == 0
    return parse_config(CONFIG + extra)


async def _say(
    sandbox: SlackSandbox, text: str, *, user: str = "U0ALICE"
) -> tuple[SentMessage, ApiCall]:
    before = sandbox.calls.count("chat.postMessage")
    sent = await sandbox.people.say(f"<@U0BOT> {text}", user=user)
    posted = await sandbox.calls.wait_for("chat.postMessage", count=before + 1)
    return sent, posted


async def _thumbs_down(sandbox: SlackSandbox, answer: ApiCall, *, user: str, words: str) -> None:
    """``user`` gives the answer a 👎 and writes ``words`` in the form."""
    await sandbox.people.give_feedback(answer.response["ts"], positive=False, user=user)
    form = await sandbox.calls.wait_for("views.open", where=lambda c: c.args.get("view"))
    values = {
        "reason": {"value": {"type": "radio_buttons", "selected_option": {"value": "other"}}},
        "comment": {"value": {"type": "plain_text_input", "value": words}},
    }
    before = sandbox.calls.count("chat.postEphemeral")
    await sandbox.people.submit_view(form.response["view"]["id"], values, user=user)
    await sandbox.calls.wait_for("chat.postEphemeral", count=before + 1)


@dataclass
class Copies:
    """Alice's three messages carrying the marker, and the answer to the first."""

    remembered: SentMessage
    asked: SentMessage
    pinned: SentMessage
    answer: ApiCall


async def _plant(sandbox: SlackSandbox, bot: Bot, marker: str) -> Copies:
    """Alice's words reach every kind of copy: a note and the reply quoting it, Bob's recall
    quoting the note, Bob's 👎 form, a knowledge miss and its reply, a pinned fact."""
    remembered, answer = await _say(sandbox, f"memory: remember that the vpn code is {marker}")
    assert marker in answer.args["text"]
    _, recall = await _say(sandbox, "memory: what do you remember about vpn?", user="U0BOB")
    assert marker in recall.args["text"]
    await _thumbs_down(sandbox, answer, user="U0BOB", words=f"do not store {marker}")
    asked, miss = await _say(sandbox, f"knowledge: how do I rotate {marker} keys?")
    assert marker in str(miss.args["blocks"])
    pinned, _ = await _say(sandbox, f"memory: pin the door code is {marker}")
    await bot.idle()
    return Copies(remembered, asked, pinned, answer)


async def test_deleted_messages_leave_no_copy_in_any_table_or_file(
    sandbox: SlackSandbox, store: Store, tmp_path: Path
) -> None:
    """Alice deletes her three messages in Slack: every copy goes, the bot's replies to them
    and Bob's recall quoting her note included; Bob's recall now finds nothing."""
    marker = _marker()
    config = await _config(sandbox, store, tmp_path)
    async with running_bot(sandbox, store.url, config=config) as bot:
        copies = await _plant(sandbox, bot, marker)
        engine = bot.runtime.database.engine
        # The copies are really there (a reply's items are slices of its text, not copies).
        assert set(await rows_holding(engine, marker)) >= {
            "feedback.comment",
            "knowledge_misses.query",
            "notes.text",
            "thread_memory.facts",
            "messages.text",
        }
        for sent in (copies.remembered, copies.asked, copies.pinned):
            delivered = await sandbox.driver.send_event(deleted(sent))
            assert delivered.status == 200
        await store.assert_erased(engine, marker)
        _, recall = await _say(sandbox, "memory: what do you remember about vpn?", user="U0BOB")
        await bot.idle()
    assert "nothing about vpn" in recall.args["text"]
    if store.file is not None:
        assert files_holding(store.file, marker) == []


async def test_an_edit_leaves_no_copy_of_the_old_words(
    sandbox: SlackSandbox, store: Store, tmp_path: Path
) -> None:
    """Alice edits her messages to say something else: the new words are stored, the old
    ones are gone from every table and file, and the note made from them is dropped."""
    marker = _marker()
    config = await _config(sandbox, store, tmp_path)
    async with running_bot(sandbox, store.url, config=config) as bot:
        copies = await _plant(sandbox, bot, marker)
        for sent, words in (
            (copies.remembered, "memory: remember that the vpn code is in the vault"),
            (copies.asked, "knowledge: how do I rotate keys?"),
            (copies.pinned, "memory: pin the door code is in the vault"),
        ):
            delivered = await sandbox.driver.send_event(edited(sent, f"<@U0BOT> {words}"))
            assert delivered.status == 200
        engine = bot.runtime.database.engine
        await store.assert_erased(engine, marker)
        assert await rows_holding(engine, "door code is in the vault") == ["messages.text"]
        _, recall = await _say(sandbox, "memory: what do you remember about vpn?", user="U0BOB")
        await bot.idle()
    assert "nothing about vpn" in recall.args["text"]


async def test_memory_forget_leaves_no_copy_while_the_bot_runs(
    sandbox: SlackSandbox, store: Store, tmp_path: Path
) -> None:
    """``switchboard memory forget --user U0ALICE`` runs beside the running bot: nothing
    Alice wrote is left in any table, in the database file or in its WAL; the command says
    how many records of each kind went."""
    marker = _marker()
    config = await _config(sandbox, store, tmp_path)
    async with running_bot(sandbox, store.url, config=config) as bot:
        copies = await _plant(sandbox, bot, marker)
        await _thumbs_down(sandbox, copies.answer, user="U0ALICE", words=f"mine: {marker}")
        await bot.idle()
        out = io.StringIO()
        settings = settings_for(sandbox, store.url)
        assert await forget_user_command(settings, user_id="U0ALICE", team_id=None, out=out) == 0
        await store.assert_erased(bot.runtime.database.engine, marker)
    printed = {line.split()[0]: int(line.split()[1]) for line in out.getvalue().splitlines()[1:]}
    assert printed["messages"] == 3 and printed["notes"] == 1 and printed["facts"] == 1
    assert printed["replies"] == 4  # her three turns, and Bob's recall quoting her note
    assert printed["misses"] == 1 and printed["votes"] == 1 and printed["forms"] == 1
    if store.file is not None:
        assert files_holding(store.file, marker) == []


async def test_retention_purge_leaves_no_copy(
    sandbox: SlackSandbox, store: Store, tmp_path: Path
) -> None:
    """Every tier set to a day or two: three days later the worker's purge step leaves nothing of
    what Alice wrote (the notes, the misses, the facts by their own tiers)."""
    marker = _marker()
    config = await _config(sandbox, store, tmp_path, RETAINED)
    clock = MovableClock()
    async with running_bot(sandbox, store.url, config=config, clock=clock) as bot:
        await _plant(sandbox, bot, marker)
        clock.offset = timedelta(days=3)
        assert await bot.runtime.domain.erasure.purge_expired() > 0
        await store.assert_erased(bot.runtime.database.engine, marker)


async def test_a_message_deleted_while_its_turn_runs_leaves_no_copy(
    sandbox: SlackSandbox, store: Store
) -> None:
    """The model is still thinking when Alice deletes her message: the answer still reaches
    Slack (it was on its way), but what the turn stores afterwards is erased with it."""
    marker = _marker()
    async with ScriptedLLMServer(api_key=LLM_KEY) as llm:
        llm.script(delay(1.0, reply(f"About {marker}: nothing to deploy.")))
        text = llm_config_text(sandbox.base_url, primary_url=llm.openai_base_url)
        environ = {"PRIMARY_LLM_KEY": LLM_KEY, "DEPLOY_API_TOKEN": "t0ken"}
        async with running_bot(
            sandbox, store.url, config=parse_config(text), environ=environ
        ) as bot:
            sent = await sandbox.people.say(f"<@U0BOT> deploy: what about {marker}?")
            await llm.wait_for_requests(1)
            assert (await sandbox.driver.send_event(deleted(sent))).status == 200
            posted = await sandbox.calls.wait_for("chat.postMessage", timeout=10)
            await bot.idle()
            await store.assert_erased(bot.runtime.database.engine, marker)
    assert marker in posted.args["text"]
