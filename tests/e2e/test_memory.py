"""Memory through the real app: notes in scope, Slack edits and deletions reach the stored
copy and its notes, secrets are redacted before storage and logs, a person can be erased."""

from __future__ import annotations

import contextlib
import io
import shutil
import sqlite3
from pathlib import Path

import sqlalchemy as sa
from structlog.testing import capture_logs

from agents.memory.retention import Retention
from bot.cli.memory import forget_user_command
from bot.clock import SystemClock
from bot.wiring import build_erasure
from sandbox import SlackSandbox
from storage import Database
from tests.e2e.conftest import Bot, running_bot, settings_for
from tests.e2e.slack_edits import deleted, edited

TOKEN = "xox" + "b-1234567890-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx"


async def _ask(sandbox: SlackSandbox, text: str, *, channel: str = "C0GENERAL") -> str:
    before = sandbox.calls.count("chat.postMessage")
    await sandbox.people.say(f"<@U0BOT> {text}", channel=channel)
    posted = await sandbox.calls.wait_for("chat.postMessage", count=before + 1)
    return str(posted.args["text"])


async def _stored_texts(bot: Bot) -> list[str]:
    async with bot.runtime.database.engine.connect() as connection:
        rows = await connection.execute(sa.text("SELECT text FROM messages WHERE direction='in'"))
        return [str(row[0]) for row in rows]


async def test_a_channel_note_is_recalled_there_and_not_elsewhere(
    sandbox: SlackSandbox, database_url: str
) -> None:
    """Remembered in #general, recalled in #general, invisible in a DM."""
    async with running_bot(sandbox, database_url) as bot:
        noted = await _ask(sandbox, "memory: remember that payments is owned by <@U0BOB>")
        assert noted.startswith("Noted for this channel")
        here = await _ask(sandbox, "memory: what do you remember about payments?")
        there = await _ask(
            sandbox, "memory: what do you remember about payments?", channel="D0ALICE"
        )
        await bot.idle()
    assert "payments is owned by <@U0BOB>" in here
    assert "nothing about payments" in there


async def test_deleting_the_message_erases_its_copy_and_its_note(
    sandbox: SlackSandbox, database_url: str
) -> None:
    """Slack's message_deleted event removes the stored message and the note made from it."""
    async with running_bot(sandbox, database_url) as bot:
        sent = await sandbox.people.say("<@U0BOT> memory: remember that the vpn code is 4411")
        await sandbox.calls.wait_for("chat.postMessage")
        await bot.idle()
        assert any("vpn code" in text for text in await _stored_texts(bot))
        await sandbox.driver.send_event(deleted(sent))
        stored = await _stored_texts(bot)
        recalled = await _ask(sandbox, "memory: what do you remember about vpn?")
        await bot.idle()
    assert not any("vpn code" in text for text in stored)
    assert "nothing about vpn" in recalled


async def test_an_edit_replaces_the_stored_text(sandbox: SlackSandbox, database_url: str) -> None:
    """Slack's message_changed event replaces the stored copy with the new (redacted) text."""
    async with running_bot(sandbox, database_url) as bot:
        sent = await sandbox.people.say("<@U0BOT> help me please")
        await sandbox.calls.wait_for("chat.postMessage")
        await bot.idle()
        await sandbox.driver.send_event(edited(sent, f"<@U0BOT> help, my token is {TOKEN}"))
        stored = await _stored_texts(bot)
    assert any("[redacted:slack-token]" in text for text in stored)
    assert not any(TOKEN in text for text in stored)


async def test_a_pasted_secret_is_redacted_before_storage_and_logs(
    sandbox: SlackSandbox, database_url: str
) -> None:
    """A token in a message never reaches the database or a log line."""
    with capture_logs() as logs:
        async with running_bot(sandbox, database_url) as bot:
            await _ask(sandbox, f"help, I pasted {TOKEN} by mistake")
            await bot.idle()
            stored = await _stored_texts(bot)
    assert stored and all(TOKEN not in text for text in stored)
    assert any("[redacted:slack-token]" in text for text in stored)
    assert TOKEN not in repr(logs)


async def test_memory_forget_erases_a_persons_messages_and_notes(
    sandbox: SlackSandbox, database_url: str
) -> None:
    """`switchboard memory forget --user U0ALICE` leaves nothing Alice wrote: messages,
    notes, and her 👎 with the words of its form."""
    async with running_bot(sandbox, database_url) as bot:
        await _ask(sandbox, "memory: remember for me that my desk is 4F")
        await _ask(sandbox, "help")
        answer = sandbox.calls.for_method("chat.postMessage")[-1]
        await sandbox.people.give_feedback(answer.response["ts"], positive=False, user="U0ALICE")
        form = await sandbox.calls.wait_for("views.open")
        values = {
            "reason": {"value": {"type": "radio_buttons", "selected_option": {"value": "other"}}},
            "comment": {"value": {"type": "plain_text_input", "value": "my desk is 4F"}},
        }
        await sandbox.people.submit_view(form.response["view"]["id"], values, user="U0ALICE")
        await sandbox.calls.wait_for("chat.postEphemeral")
        await bot.idle()
    settings = settings_for(sandbox, database_url)
    code = await forget_user_command(settings, user_id="U0ALICE", team_id=None)
    async with running_bot(sandbox, database_url) as bot:
        stored = await _stored_texts(bot)
        trace_id = answer.args["metadata"]["event_payload"]["trace_id"]
        votes = await bot.runtime.database.feedback.votes(trace_id)
        recalled = await _ask(sandbox, "memory: recall desk")
        await bot.idle()
    assert code == 0 and stored == [] and votes == []
    assert "nothing about desk" in recalled


async def test_a_fact_pinned_in_a_thread_is_stored_for_that_thread(
    sandbox: SlackSandbox, database_url: str
) -> None:
    """`memory: pin …` answers in the thread and stores the fact under that thread."""
    async with running_bot(sandbox, database_url) as bot:
        sent = await sandbox.people.say("<@U0BOT> memory: pin prod is frozen until Friday")
        posted = await sandbox.calls.wait_for("chat.postMessage")
        await bot.idle()
        from agents.kernel.models import ConversationKey

        memory = await bot.runtime.database.threads.get(
            ConversationKey(sandbox.workspace.directory.team_id, "C0GENERAL", sent.ts)
        )
    assert posted.args["thread_ts"] == sent.ts
    assert "Pinned for this thread" in posted.args["text"]
    assert memory.facts == ("prod is frozen until Friday",)


def _rows(path: Path) -> dict[str, list[tuple[object, ...]]]:
    """Every row of every table of a SQLite file, sorted (the whole stored state)."""
    with contextlib.closing(sqlite3.connect(path)) as connection:
        tables = [
            name
            for (name,) in connection.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
            )
        ]
        return {
            table: sorted(
                connection.execute(f'SELECT * FROM "{table}"').fetchall(),  # noqa: S608 - names from sqlite_master
                key=repr,
            )
            for table in tables
        }


async def test_memory_forget_and_the_erasure_service_erase_the_same(
    sandbox: SlackSandbox, tmp_path: Path
) -> None:
    """The CLI is the erasure service: run on two copies of one database, ``memory forget``
    and ``Erasure.forget_user`` leave the very same rows and report the same counts; the
    other person's messages, notes and votes stay."""
    database_url = f"sqlite+aiosqlite:///{tmp_path / 'seed.db'}"
    async with running_bot(sandbox, database_url) as bot:
        await _ask(sandbox, "memory: remember for me that my desk is 4F")
        await _ask(sandbox, "memory: remember for everyone that standup is at 10")
        await sandbox.people.say("<@U0BOT> help", user="U0BOB")
        answer = await sandbox.calls.wait_for("chat.postMessage", count=3)
        for voter in ("U0ALICE", "U0BOB"):
            await sandbox.people.give_feedback(answer.response["ts"], positive=True, user=voter)
            await sandbox.calls.wait_for(
                "chat.postEphemeral", where=lambda call, v=voter: call.args["user"] == v
            )
        await bot.idle()
    seeded = _rows(tmp_path / "seed.db")
    for copy in ("cli.db", "service.db"):
        shutil.copyfile(tmp_path / "seed.db", tmp_path / copy)
    out = io.StringIO()
    cli_settings = settings_for(sandbox, f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}")
    code = await forget_user_command(cli_settings, user_id="U0ALICE", team_id=None, out=out)
    database = await Database.connect(f"sqlite+aiosqlite:///{tmp_path / 'service.db'}")
    try:
        erasure = build_erasure(database, retention=Retention(), clock=SystemClock())
        erased = await erasure.forget_user(team_id=None, user_id="U0ALICE")
    finally:
        await database.close()
    by_cli, by_service = _rows(tmp_path / "cli.db"), _rows(tmp_path / "service.db")
    assert code == 0
    assert by_cli == by_service
    assert (erased.messages, erased.notes, erased.votes) == (2, 2, 1)
    printed = out.getvalue().splitlines()
    assert printed[0] == "erased what U0ALICE wrote:"
    assert {line.split()[0]: int(line.split()[1]) for line in printed[1:]} == erased.as_dict()
    assert len(by_cli["feedback"]) == len(seeded["feedback"]) - 1 == 1
    assert [row for row in by_cli["messages"] if "U0BOB" in row]
