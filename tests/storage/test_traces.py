"""TraceStore contract: save (upsert), get, mark_delivered, timezone-aware round trips."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from storage import Database
from tests.storage.builders import T0, at, trace


async def test_saved_trace_round_trips(database: Database) -> None:
    """A saved trace is read back equal, its datetimes aware and in UTC."""
    await database.traces.save(trace())
    found = await database.traces.get("trace-1")
    assert found == trace()
    assert found is not None
    assert found.started_at.utcoffset() == timedelta(0)


async def test_get_of_an_unknown_trace_is_none(database: Database) -> None:
    """Reading a trace that was never saved returns None."""
    assert await database.traces.get("nope") is None


async def test_save_replaces_the_trace_with_the_same_id(database: Database) -> None:
    """Saving a trace id again replaces every field of the stored trace."""
    await database.traces.save(trace())
    changed = trace(
        outcome="agent_error",
        error="ValueError: boom",
        agent="help",
        route_reason="fallback",
        route_score=0.0,
        total_ms=99.5,
        delivered_at=at(5),
    )
    await database.traces.save(changed)
    assert await database.traces.get("trace-1") == changed
    await database.traces.save(trace())
    assert await database.traces.get("trace-1") == trace()


async def test_mark_delivered_records_the_time(database: Database) -> None:
    """Marking a trace delivered stores the instant; other traces are untouched."""
    await database.traces.save(trace())
    await database.traces.save(trace("trace-2"))
    await database.traces.mark_delivered(trace_id="trace-1", at=at(3))
    assert await database.traces.get("trace-1") == trace(delivered_at=at(3))
    assert await database.traces.get("trace-2") == trace("trace-2")


async def test_other_timezones_are_stored_as_the_same_instant(database: Database) -> None:
    """A datetime with any UTC offset comes back as the same instant, in UTC."""
    plus_five = timezone(timedelta(hours=5, minutes=30))
    local = datetime(2026, 11, 23, 17, 30, 0, 123456, tzinfo=plus_five)
    await database.traces.save(trace(started_at=local))
    found = await database.traces.get("trace-1")
    assert found is not None
    assert found.started_at == local
    assert found.started_at.tzinfo == UTC
    assert found.started_at == T0.replace(microsecond=123456)


async def test_mark_delivered_of_an_unknown_trace_is_harmless(database: Database) -> None:
    """Marking a trace that was never saved changes nothing and raises nothing."""
    await database.traces.mark_delivered(trace_id="nope", at=at(1))
    assert await database.traces.get("nope") is None


async def test_planning_fields_round_trip(database: Database) -> None:
    """Planner, provider, tokens, cost, degradation and tool calls are stored and read back."""
    planned = trace(
        planner="llm",
        provider="primary",
        input_tokens=1200,
        output_tokens=80,
        cost_micros=1360,
        degraded="provider_timeout",
        tool_calls=("scale:invalid_args", "scale:proposed"),
        route_reason="ask",
        outcome="refused",
    )
    await database.traces.save(planned)
    assert await database.traces.get("trace-1") == planned


async def test_purge_deletes_traces_that_started_before_the_cutoff(database: Database) -> None:
    """Retention: traces of turns started before the cutoff go, later ones stay."""
    for n, seconds in enumerate((0, 5, 20)):
        await database.traces.save(trace(f"trace-{n}", started_at=at(seconds)))
    assert await database.traces.purge(before=at(10)) == 2
    assert await database.traces.get("trace-0") is None
    assert await database.traces.get("trace-1") is None
    assert await database.traces.get("trace-2") is not None
