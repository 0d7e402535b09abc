"""Reminders over in-memory ports and a clock the test moves."""

from __future__ import annotations

from datetime import timedelta

from agents.incidents.records import TimelineEntry
from agents.incidents.reminders import Reminders
from agents.kernel.errors import SlackApiFailure
from agents.kernel.models import Reply
from tests.agents.fakes_incidents import RecordingWorkspace
from tests.agents.incidents.world import world

INTERVALS = {"sev1": timedelta(minutes=30)}


class _Down(RecordingWorkspace):
    async def post(self, channel_id: str, reply: Reply) -> str:
        raise SlackApiFailure("chat.postMessage", "channel_not_found")


async def test_due_once_per_interval_from_the_last_update() -> None:
    """Not before 30 minutes; once at 30; again 30 minutes after that reminder; a status
    update restarts the count."""
    store, workspace, _, clock = await world(lead="U2")
    reminders = Reminders(store, workspace=workspace, clock=clock, intervals=INTERVALS)
    clock.advance(29 * 60)
    assert await reminders.remind_due() == 0
    clock.advance(60)
    assert await reminders.remind_due() == 1
    assert await reminders.remind_due() == 0
    ((channel, reply),) = workspace.posts
    assert channel == "CINC1" and reply.text.startswith("<@U2> no status update")
    assert "for 30m" in reply.text
    clock.advance(10 * 60)
    await store.add_entry("inc-1", TimelineEntry(clock.now(), "U2", "status", "identified"))
    clock.advance(25 * 60)
    assert await reminders.remind_due() == 0  # 25 minutes after the update
    clock.advance(5 * 60)
    assert await reminders.remind_due() == 1
    assert "for 30m" in workspace.posts[-1][1].text


async def test_no_interval_resolved_or_disabled_means_no_reminder() -> None:
    """sev3 has no interval; a resolved incident is skipped; no intervals: not enabled."""
    store, workspace, _, clock = await world(severity="sev3")
    assert not Reminders(store, workspace=workspace, clock=clock, intervals={}).enabled
    reminders = Reminders(store, workspace=workspace, clock=clock, intervals=INTERVALS)
    clock.advance(6 * 3600)
    assert await reminders.remind_due() == 0
    closed, workspace2, _, clock2 = await world(status="resolved")
    clock2.advance(6 * 3600)
    late = Reminders(closed, workspace=workspace2, clock=clock2, intervals=INTERVALS)
    assert await late.remind_due() == 0
    assert workspace.posts == workspace2.posts == []


async def test_a_reminder_slack_refuses_is_not_retried_within_its_interval() -> None:
    """The post fails: logged and counted as not sent; the interval's time is kept, so the
    next sweep does not hammer a broken channel; without a lead the channel is asked."""
    store, _, _, clock = await world()
    reminders = Reminders(store, workspace=_Down(), clock=clock, intervals=INTERVALS)
    clock.advance(31 * 60)
    assert await reminders.remind_due() == 0
    stored = await store.get("inc-1")
    assert stored is not None and stored.reminded_at == clock.now()
    working = RecordingWorkspace()
    clock.advance(31 * 60)
    sent = Reminders(store, workspace=working, clock=clock, intervals=INTERVALS)
    assert await sent.remind_due() == 1
    assert working.posts[0][1].text.startswith("<!here> (no lead yet")
