"""The incident agent's in-channel commands beyond status and notes: follow-ups, catch-up,
postmortem and tickets, over in-memory ports."""

from __future__ import annotations

from agents.builtin.incident import IncidentAgent, IncidentDeps
from agents.incidents.records import Incident
from agents.incidents.rotation import IncidentSettings
from agents.kernel.models import Inbound, Reply
from tests.agents.builtin.test_oncall_incident import PRIMARY, _clock, _turn
from tests.agents.fakes_incidents import MemoryIncidents, RecordingBoard, RecordingWorkspace


class FakeTickets:
    """``TicketRequests`` that answers with a card naming the open follow-ups."""

    def __init__(self) -> None:
        self.asked: list[str] = []

    async def propose(self, inbound: Inbound, incident: Incident) -> Reply | None:
        open_ones = [f.text for f in incident.followups if f.issue_number is None]
        self.asked.append(inbound.user_id)
        return Reply(text=f"approve {open_ones}", approval_id="a1") if open_ones else None


async def _declared(
    tickets: FakeTickets | None = None,
) -> tuple[IncidentAgent, MemoryIncidents, RecordingWorkspace, RecordingBoard]:
    store, workspace, board = MemoryIncidents(), RecordingWorkspace(), RecordingBoard()
    deps = IncidentDeps(
        clock=_clock(),
        workspace=workspace,
        incidents=store,
        board=board,
        tickets=tickets,
        rotations=(PRIMARY,),
        settings=IncidentSettings(oncall_rotation="primary"),
    )
    agent = IncidentAgent(deps)
    await agent.handle(_turn("declare sev1 Checkout is down"))
    return agent, store, workspace, board


async def test_follow_ups_are_captured_and_counted() -> None:
    """`follow-up <text>` (or `action item`) stores one; without text it asks for one."""
    agent, store, _, _ = await _declared()
    first = await agent.handle(_turn("follow-up add an alert", channel="CNEW1", trace="t2"))
    second = await agent.handle(_turn("action item write a runbook", channel="CNEW1", trace="t3"))
    empty = await agent.handle(_turn("follow up", channel="CNEW1", trace="t4"))
    assert "Follow-up 1 captured" in first.text and "Follow-up 2 captured" in second.text
    assert "What needs doing" in empty.text
    stored = await store.by_channel(team_id="T1", channel_id="CNEW1")
    assert stored is not None
    assert [(f.followup_id, f.text) for f in stored.followups] == [
        ("fu-t2", "add an alert"),
        ("fu-t3", "write a runbook"),
    ]


async def test_catch_up_goes_to_the_asker_only_even_after_resolve() -> None:
    """The summary is told to the asker on the board; the thread just says so."""
    agent, _, _, board = await _declared()
    await agent.handle(_turn("resolve", channel="CNEW1"))
    reply = await agent.handle(_turn("catch up", channel="CNEW1", user="U0BOB"))
    assert "private catch-up" in reply.text
    ((channel, user, summary),) = board.told
    assert (channel, user) == ("CNEW1", "U0BOB") and "Checkout is down" in (summary.title or "")


async def test_status_and_resolve_redraw_the_card() -> None:
    """The card shows the status: it is redrawn after each change."""
    agent, _, _, board = await _declared()
    await agent.handle(_turn("status identified", channel="CNEW1"))
    await agent.handle(_turn("resolve", channel="CNEW1"))
    assert [i.status for i in board.refreshed] == ["identified", "resolved"]


async def test_resolve_with_tickets_posts_the_draft_and_answers_with_the_card() -> None:
    """Open follow-ups and tickets set up: the draft goes to the channel, the answer is the
    approval card; `tickets` asks again; without follow-ups the draft is the answer."""
    tickets = FakeTickets()
    agent, _, workspace, _ = await _declared(tickets)
    await agent.handle(_turn("follow-up add an alert", channel="CNEW1", trace="t2"))
    card = await agent.handle(_turn("resolve fixed", channel="CNEW1"))
    assert card.approval_id == "a1" and "add an alert" in card.text
    ((channel, draft),) = workspace.posts
    assert channel == "CNEW1" and "Postmortem draft" in draft.text
    again = await agent.handle(_turn("tickets", channel="CNEW1"))
    assert again.approval_id == "a1" and tickets.asked == ["U0ALICE", "U0ALICE"]
    postmortem = await agent.handle(_turn("postmortem", channel="CNEW1"))
    assert "add an alert (<@U0ALICE>)" in postmortem.text

    plain, _, _, _ = await _declared(FakeTickets())
    draft_only = await plain.handle(_turn("resolve", channel="CNEW1"))
    assert "Postmortem draft" in draft_only.text and draft_only.approval_id is None


async def test_tickets_not_set_up_say_so() -> None:
    """Without ``incidents.tickets`` the command names the setting."""
    agent, _, _, _ = await _declared()
    reply = await agent.handle(_turn("tickets", channel="CNEW1"))
    assert "incidents.tickets" in reply.text
