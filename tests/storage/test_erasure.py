"""Transcript contract on SQLite and PostgreSQL: a deleted or edited message, a person, and
the messages tier of retention leave no stored copy of the erased words; the records that
give the conversation its shape stay; a turn running when its message went is caught up."""

from __future__ import annotations

import contextlib
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import event, select, text
from structlog.testing import capture_logs

from agents.feedback.ports import Promotion
from agents.feedback.values import Feedback
from agents.incidents.records import FollowUp, Incident, TimelineEntry
from agents.kernel.models import ConversationKey, Inbound, Reply
from agents.memory.copies import TOMBSTONE
from agents.memory.knowledge import Miss
from agents.memory.notes import Note
from agents.memory.ports import Erased
from storage import Database
from storage.conversations.replies import decode_reply
from storage.erasure import VACUUMED
from storage.tables import messages
from tests.storage.builders import T0, at, inbound, outbound, trace
from tests.storage.scan import files_holding, rows_holding

MARK = "ZQX7-VPN-4411"  # what Alice wrote, planted in every kind of copy
THREAD = "1700000000.000001"
KEY = ConversationKey("T1", "C1", THREAD)
EVERY_COPY = Erased(
    messages=1,
    replies=2,  # Alice's turn, and Bob's recall quoting her note
    notes=1,
    facts=1,
    summaries=1,
    forms=1,
    misses=1,
    traces=1,
    cases=1,
    timeline=1,
)
"""What erasing Alice's message 1 of :func:`_seed` reaches: one of each kind of copy."""


def _alice(n: int, words: str, **changes: object) -> Inbound:
    return inbound(n, text=words, **changes)


async def _turn(db: Database, said: Inbound, answer: str, *, error: str | None = None) -> None:
    n = said.event_id.removeprefix("Ev")
    reply = outbound(int(n), reply=Reply(text=answer, asked=said.text))
    await db.ledger.record_turn(
        said,
        reply,
        trace(
            said.trace_id,
            user_id=said.user_id,
            event_id=said.event_id,
            error=error,
            started_at=said.received_at,
        ),
    )


@dataclass
class Seeded:
    """What :func:`_seed` stored: Alice's message 1 and every copy of it; Bob's turn 2."""

    alice: Inbound
    bob: Inbound


async def _seed(db: Database) -> Seeded:
    """Alice asks to remember the code (message 1); the bot's reply, its trace's error, a
    note, a pinned fact, a knowledge miss, an incident note, Bob's 👎 form, the evaluation
    set and a summary all carry her words; Bob's recall (turn 2) quotes her note."""
    alice = _alice(1, f"memory: remember that the vpn code is {MARK}")
    await db.events.claim(alice)
    await _turn(db, alice, f"Noted for this channel: the vpn code is {MARK}", error=f"E {MARK}")
    await db.ledger.complete_turn(alice, ts="1700000000.900001", now=at(2))
    await db.notes.add(
        Note(
            "note-1", "T1", "channel", "C1", f"the vpn code is {MARK}", "U1", at(1), "C1", alice.ts
        )
    )
    await db.threads.pin(KEY, f"vpn code is {MARK}", now=at(1))
    await db.threads.pin(KEY, "prod is frozen", now=at(1))
    await db.threads.save_summary(KEY, summary=f"<@U1>: vpn {MARK}", covered=3, now=at(1))
    await db.knowledge.record_miss(Miss("T1", "C1", "U1", f"vpn code is {MARK}", at(1.5)))
    await db.incidents.create(
        Incident(
            "inc-1", "T1", "C1", "inc-vpn", "C0", "vpn down", "sev2", "investigating", "U9", T0
        )
    )
    await db.incidents.add_entry("inc-1", TimelineEntry(at(1.5), "U1", "note", f"code is {MARK}"))
    bob = _alice(2, "memory: what do you remember about vpn?", user_id="U2")
    await _turn(db, bob, f"Here is what I remember:\n• the vpn code is {MARK} (<@U1>, channel)")
    await db.feedback.vote(
        Feedback(alice.trace_id, "T1", "U2", "down", at(3), "wrong_answer", MARK, MARK)
    )
    await db.feedback.label(alice.trace_id, "bug", by="U9", at=at(4))
    await db.feedback.promote(
        Promotion(alice.trace_id, by="U9", at=at(4), expected={"answer": MARK})
    )
    return Seeded(alice, bob)


async def _reply(db: Database, trace_id: str) -> tuple[str, object]:
    async with db.engine.connect() as connection:
        row = (
            await connection.execute(
                select(messages.c.text, messages.c.reply_json).where(
                    messages.c.trace_id == trace_id, messages.c.direction == "out"
                )
            )
        ).one()
    return row.text, row.reply_json


async def test_a_deleted_message_leaves_no_copy_anywhere(database: Database) -> None:
    """Every column of every table is free of the deleted words; the reply and the trace
    stay as tombstones, the vote and the label stay, another thread's fact stays."""
    seeded = await _seed(database)
    erased = await database.transcript.erase_message(
        team_id="T1", channel_id="C1", ts=seeded.alice.ts, text=None, now=at(10)
    )
    assert erased == EVERY_COPY
    assert await rows_holding(database.engine, MARK) == []
    reply_text, reply_json = await _reply(database, seeded.alice.trace_id)
    assert reply_text == TOMBSTONE and isinstance(reply_json, dict)
    stored = decode_reply(reply_json, text=reply_text, trace_id=seeded.alice.trace_id)
    assert stored.text == TOMBSTONE and stored.asked == "" and not stored.items
    assert (await database.threads.get(KEY)).facts == ("prod is frozen",)
    (vote,) = await database.feedback.votes(seeded.alice.trace_id)
    assert (vote.vote, vote.reason, vote.comment, vote.expected) == ("down", "wrong_answer", "", "")
    case = await database.feedback.case(seeded.alice.trace_id)
    assert case is not None and case.label == "bug" and not case.promoted
    assert case.question == "" and case.answer == TOMBSTONE
    kept = await database.conversations.messages(KEY, limit=10)
    assert [m.text for m in kept if m.direction == "in"] == [seeded.bob.text]
    again = await database.transcript.erase_message(
        team_id="T1", channel_id="C1", ts=seeded.alice.ts, text=None, now=at(11)
    )
    assert again == Erased()


async def test_an_edit_erases_the_old_words_and_keeps_what_the_new_ones_say(
    database: Database,
) -> None:
    """The new words replace the old; what was taken from the old words goes unless the new
    ones still say it; the reply to the old words is tombstoned."""
    alice = _alice(1, f"memory: pin vpn code is {MARK} and prod is frozen")
    await _turn(database, alice, f"Pinned: vpn code is {MARK} and prod is frozen")
    await database.threads.pin(KEY, f"vpn code is {MARK}", now=at(1))
    await database.threads.pin(KEY, "prod is frozen", now=at(1))
    await database.knowledge.record_miss(Miss("T1", "C1", "U1", f"code is {MARK}", at(1.5)))
    new = "memory: pin prod is frozen (code removed)"
    erased = await database.transcript.erase_message(
        team_id="T1", channel_id="C1", ts=alice.ts, text=new, now=at(10)
    )
    assert erased == Erased(messages=1, replies=1, facts=1, misses=1)
    assert await rows_holding(database.engine, MARK) == []
    assert (await database.threads.get(KEY)).facts == ("prod is frozen",)
    stored = await database.conversations.messages(KEY, limit=10)
    assert [m.text for m in stored if m.direction == "in"] == [new]


async def test_an_edit_that_changed_no_words_changes_nothing(database: Database) -> None:
    """Slack sends message_changed when a link unfurls: the same words (mention, case and
    spacing aside) erase nothing, not even the reply."""
    alice = _alice(1, "deploy api to prod")
    await _turn(database, alice, "Deploying api to prod")
    erased = await database.transcript.erase_message(
        team_id="T1", channel_id="C1", ts=alice.ts, text="deploy  api to prod", now=at(10)
    )
    assert erased == Erased()
    assert (await _reply(database, alice.trace_id))[0] == "Deploying api to prod"


async def test_another_channel_or_team_is_untouched(database: Database) -> None:
    """The same ts in another channel is another message."""
    seeded = await _seed(database)
    for team, channel in (("T1", "C2"), ("T2", "C1")):
        erased = await database.transcript.erase_message(
            team_id=team, channel_id=channel, ts=seeded.alice.ts, text=None, now=at(10)
        )
        assert erased == Erased()
    assert len(await rows_holding(database.engine, MARK)) > 5


async def test_a_deletion_while_the_turn_runs_reaches_what_it_stores_afterwards(
    database: Database,
) -> None:
    """Deleted after the delivery was claimed, before the turn stored anything: the delivery
    is finished at once (no replay after a crash) and holds no text; what the turn stores
    afterwards is erased in the same transaction, its note included."""
    alice = _alice(1, f"memory: remember that the vpn code is {MARK}")
    assert await database.events.claim(alice, owner="p1", lease_until=at(60))
    erased = await database.transcript.erase_message(
        team_id="T1", channel_id="C1", ts=alice.ts, text=None, now=at(1.5)
    )
    assert erased == Erased(deliveries=1)
    assert await database.events.unfinished(claimed_before=at(100), limit=10) == []
    await database.notes.add(
        Note(
            "note-1", "T1", "channel", "C1", f"the vpn code is {MARK}", "U1", at(1), "C1", alice.ts
        )
    )
    await _turn(database, alice, f"Noted: the vpn code is {MARK}", error=f"boom {MARK}")
    await database.ledger.complete_turn(alice, ts="1700000000.900001", now=at(2))
    assert await rows_holding(database.engine, MARK) == []
    assert (await _reply(database, alice.trace_id))[0] == TOMBSTONE
    assert await database.events.claim(alice) is False  # Slack's retry is still a duplicate


async def test_an_edit_while_the_turn_runs_stores_the_new_words(database: Database) -> None:
    """Edited after the claim: a replay would see the new words, and the turn that saw the
    old ones stores the new words instead and its reply as a tombstone."""
    alice = _alice(1, f"help with {MARK}")
    await database.events.claim(alice)
    erased = await database.transcript.erase_message(
        team_id="T1", channel_id="C1", ts=alice.ts, text="help with the vpn", now=at(1.5)
    )
    assert erased == Erased(deliveries=1)
    (replayed,) = await database.events.unfinished(claimed_before=at(100), limit=10)
    assert replayed.text == "help with the vpn"
    await _turn(database, alice, f"About {MARK}: see the runbook")
    assert await rows_holding(database.engine, MARK) == []
    stored = await database.conversations.messages(KEY, limit=10)
    assert [(m.direction, m.text) for m in stored] == [
        ("in", "help with the vpn"),
        ("out", TOMBSTONE),
    ]


async def test_forgetting_a_person_leaves_nothing_they_wrote(database: Database) -> None:
    """Everything Alice wrote and every copy goes; Bob's own words and vote stay."""
    seeded = await _seed(database)
    await database.events.claim(_alice(5, f"still running {MARK}", event_id="Ev5"))
    erased = await database.transcript.erase_user(team_id=None, user_id="U1", now=at(10))
    assert erased == EVERY_COPY + Erased(deliveries=1)
    assert await rows_holding(database.engine, MARK) == []
    kept = await database.conversations.messages(KEY, limit=10)
    assert [(m.user_id, m.text) for m in kept if m.direction == "in"] == [("U2", seeded.bob.text)]
    assert [v.user_id for v in await database.feedback.votes(seeded.alice.trace_id)] == ["U2"]


async def test_forgetting_a_person_erases_their_own_votes_and_notes_about_them(
    database: Database,
) -> None:
    """Their votes go with their forms' words; a note about them by someone else goes."""
    bob = _alice(2, "help", user_id="U2")
    await _turn(database, bob, "Here is help")
    await database.feedback.vote(Feedback(bob.trace_id, "T1", "U1", "down", at(3), None, MARK))
    await database.notes.add(
        Note("note-9", "T1", "user", "U1", f"likes {MARK}", "U2", at(1), "C1", bob.ts)
    )
    erased = await database.transcript.erase_user(team_id="T1", user_id="U1", now=at(10))
    assert (erased.votes, erased.notes, erased.forms) == (1, 1, 0)
    assert await rows_holding(database.engine, MARK) == []
    assert (await _reply(database, bob.trace_id))[0] == "Here is help"


async def test_forgetting_a_person_in_another_team_leaves_them_here(database: Database) -> None:
    """``--team`` narrows the erasure to one workspace."""
    await _seed(database)
    erased = await database.transcript.erase_user(team_id="T9", user_id="U1", now=at(10))
    assert erased == Erased()
    assert "messages.text" in await rows_holding(database.engine, MARK)


async def test_the_messages_tier_takes_the_copies_that_would_outlive_the_messages(
    database: Database,
) -> None:
    """Old messages go, with the words of old 👎 forms and the summaries of the threads that
    lost messages; a newer thread's summary and the votes stay."""
    seeded = await _seed(database)
    other = ConversationKey("T1", "C1", "1700000000.000777")
    late = _alice(7, "later", thread_ts=other.thread_ts, ts=other.thread_ts, received_at=at(500))
    await _turn(database, late, "later reply")
    await database.threads.save_summary(other, summary="newer", covered=1, now=at(500))
    purged = await database.transcript.purge(before=at(100))
    assert purged == 4 + 1 + 1  # four messages, a form, a summary
    assert (await database.threads.get(other)).summary == "newer"
    assert [v.vote for v in await database.feedback.votes(seeded.alice.trace_id)] == ["down"]
    left = {where for where in await rows_holding(database.engine, MARK)}
    assert left == {
        "notes.text",  # the notes tier
        "thread_memory.facts",  # the summaries tier (a fact pinned on purpose)
        "knowledge_misses.query",  # the misses tier
        "incident_timeline.text",  # the incident record
        "traces.error",  # the traces tier
        "reviews.expected_json",  # a reviewer's correction
    }


async def test_scrub_leaves_no_erased_words_in_the_files_or_vacuums(database: Database) -> None:
    """SQLite: after an erasure and a scrub, no byte of the database file or its WAL holds
    the words (secure_delete zeroed them, the WAL was truncated to nothing). PostgreSQL: a
    quick scrub does nothing, a deep one VACUUMs the tables that held them."""
    await _seed(database)
    await database.transcript.erase_user(team_id=None, user_id="U1", now=at(10))
    if database.dialect == "sqlite":
        path = Path(str(database.engine.url.database))
        await database.transcript.scrub(deep=False)
        assert path.with_name(path.name + "-wal").stat().st_size == 0
        assert files_holding(path, MARK) == []
        return
    statements: list[str] = []
    event.listen(
        database.engine.sync_engine,
        "before_cursor_execute",
        lambda _c, _cursor, statement, *_: statements.append(statement),
    )
    with capture_logs() as logs:
        await database.transcript.scrub(deep=False)
        assert statements == []
        await database.transcript.scrub(deep=True)
    assert statements == [f"VACUUM {', '.join(VACUUMED)}"]
    assert not [entry for entry in logs if entry["log_level"] == "warning"]


async def test_a_scrub_that_cannot_finish_is_logged_not_raised(database: Database) -> None:
    """The words are already gone from every query: a reader holding the SQLite WAL, or a
    VACUUM that fails, is a warning in the log, not a failed erasure."""
    await _seed(database)
    await database.transcript.erase_user(team_id=None, user_id="U1", now=at(10))
    with capture_logs() as logs:
        if database.dialect == "sqlite":
            path = Path(str(database.engine.url.database))
            with contextlib.closing(sqlite3.connect(path, isolation_level=None)) as reader:
                reader.execute("BEGIN")
                reader.execute("SELECT count(*) FROM messages").fetchall()  # holds a snapshot
                await database.transcript.scrub(deep=True)
                reader.execute("COMMIT")
            expected = "sqlite_wal_truncate_busy"
        else:
            async with database.engine.begin() as connection:
                await connection.execute(text("DROP TABLE incident_timeline"))
            await database.transcript.scrub(deep=True)
            expected = "postgres_vacuum_failed"
    assert [entry["event"] for entry in logs if entry["log_level"] == "warning"] == [expected]


async def test_forgetting_a_person_tombstones_what_they_pinned_or_captured_in_incidents(
    database: Database,
) -> None:
    """Their pinned messages and follow-ups lose their words; Bob's stay; the entries
    themselves stay (the timeline keeps that something was said then)."""
    incident = Incident(
        "inc-1", "T1", "CINC", "inc-x", "C1", "Down", "sev1", "investigating", "U2", T0
    )
    await database.incidents.create(incident)
    for user, ts in (("U1", "1.1"), ("U2", "1.2")):
        pin = TimelineEntry(at(1), user, "pinned", f"{user} said {MARK}", source_ts=ts)
        await database.incidents.add_once("inc-1", pin)
        await database.incidents.add_followup(
            FollowUp(f"fu-{user}", "inc-1", at(2), user, f"{user} todo {MARK}")
        )
    erased = await database.transcript.erase_user(team_id="T1", user_id="U1", now=at(10))
    stored = await database.incidents.get("inc-1")
    assert erased.timeline == 2 and stored is not None
    assert [e.text for e in stored.timeline] == [TOMBSTONE, f"U2 said {MARK}"]
    assert [f.text for f in stored.followups] == [TOMBSTONE, f"U2 todo {MARK}"]
