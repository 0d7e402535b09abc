"""The agent surface's stores on both engines: stop requests (numbered as stored, read after a
number, kept an hour; two replicas' RunningTurns over one database), what people view, and
the message a streamed reply is written into."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from agents.kernel.models import ConversationKey, Inbound
from handlers.stopping import RunningTurns
from storage import Database
from tests.agents.fakes import FakeClock

THREAD = ConversationKey("T1", "C1", "1700000000.000001")
OTHER = ConversationKey("T1", "C2", "1700000000.000009")
NOW = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)


async def test_requests_are_read_in_order_after_a_number(database: Database) -> None:
    stops = database.stops
    assert await stops.last_seq() == 0
    await stops.request(THREAD, user_id="U1", now=NOW)
    first = await stops.last_seq()
    await stops.request(OTHER, user_id="U2", now=NOW)
    everything = await stops.after(0)
    assert [(r.key, r.user_id) for r in everything] == [(THREAD, "U1"), (OTHER, "U2")]
    newer = await stops.after(first)
    assert [(r.key, r.user_id) for r in newer] == [(OTHER, "U2")]
    assert await stops.after(await stops.last_seq()) == []


async def test_requests_older_than_an_hour_are_dropped_by_the_next_one(
    database: Database,
) -> None:
    stops = database.stops
    await stops.request(THREAD, user_id="U1", now=NOW)
    await stops.request(OTHER, user_id="U2", now=NOW + timedelta(hours=2))
    assert [r.user_id for r in await stops.after(0)] == ["U2"]


def _inbound(channel: str, thread_ts: str) -> Inbound:
    return Inbound(
        "T1", channel, "U1", "hi", "mention", f"E-{channel}", f"tr-{channel}", NOW, "1.5", thread_ts
    )


async def test_a_stop_told_to_one_replica_stops_the_turn_another_runs(
    database: Database,
) -> None:
    """Replica A hears Stop; replica B runs the thread's turn and sees it on its next poll.
    A turn in another thread, and requests stored before B started polling, are untouched."""
    await database.stops.request(THREAD, user_id="U9", now=NOW)  # before B listened
    clock = FakeClock()
    told = RunningTurns(database.stops, clock=clock)
    runs = RunningTurns(database.stops, clock=clock)
    assert await runs.poll() == 0  # B notes where the requests stand
    with (
        runs.running(_inbound("C1", THREAD.thread_ts)) as signal,
        runs.running(_inbound("C2", "1700000000.000003")) as elsewhere,
    ):
        assert signal.requested_by is None
        assert await told.stop(THREAD, by="U2") == 0  # nothing runs on A
        assert signal.requested_by is None
        assert await runs.poll() == 1
        assert signal.requested_by == "U2" and elsewhere.requested_by is None
        assert await runs.poll() == 0  # read once


async def test_what_a_person_views_is_kept_and_an_older_report_never_wins(
    database: Database,
) -> None:
    contexts = database.contexts
    assert await contexts.viewing(team_id="T1", user_id="U1") is None
    await contexts.record(team_id="T1", user_id="U1", channel_id="C1", at=NOW)
    await contexts.record(team_id="T1", user_id="U1", channel_id="C2", at=NOW + timedelta(1))
    await contexts.record(team_id="T1", user_id="U1", channel_id="C3", at=NOW)  # late
    assert await contexts.viewing(team_id="T1", user_id="U1") == "C2"
    await contexts.record(team_id="T1", user_id="U1", channel_id=None, at=NOW + timedelta(2))
    assert await contexts.viewing(team_id="T1", user_id="U1") is None
    assert await contexts.viewing(team_id="T1", user_id="U2") is None


async def test_the_message_a_reply_streams_into_is_noted_on_its_delivery(
    database: Database,
) -> None:
    inbound = _inbound("C1", THREAD.thread_ts)
    assert await database.events.claim(inbound)
    key = {"team_id": inbound.team_id, "event_id": inbound.event_id}
    assert await database.events.reply_ts(**key) is None
    await database.events.note_reply(**key, ts="1700000000.000777")
    assert await database.events.reply_ts(**key) == "1700000000.000777"
    assert await database.events.reply_ts(team_id="T1", event_id="E-other") is None
