"""The oncall and incident agents over in-memory ports."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from agents.builtin.incident import IncidentAgent, IncidentDeps, channel_name
from agents.builtin.oncall import OncallAgent
from agents.incidents.rotation import IncidentSettings, Rotation
from agents.kernel.models import Inbound, Route
from agents.turns.agent import TurnContext
from tests.agents.fakes import FakeClock
from tests.agents.fakes_incidents import MemoryIncidents, RecordingBoard, RecordingWorkspace

START = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
PRIMARY = Rotation("primary", ("U0ANA", "U0BOB"), START, timedelta(days=7))
SECONDARY = Rotation("secondary", ("U0CAROL",), START, timedelta(days=7))


def _turn(
    text: str, *, channel: str = "C0GENERAL", user: str = "U0ALICE", trace: str = "t1"
) -> TurnContext:
    inbound = Inbound(
        team_id="T1",
        channel_id=channel,
        user_id=user,
        text=text,
        source="mention",
        event_id=f"Ev{trace}",
        trace_id=trace,
        received_at=START,
        ts="1.1",
        thread_ts="1.1",
    )
    return TurnContext(inbound=inbound, route=Route("x", "explicit", 1.0, text), catalog=())


def _clock() -> FakeClock:
    return FakeClock(START + timedelta(days=3))  # Thursday of Ana's week


async def test_oncall_lists_now_and_next_for_every_rotation() -> None:
    """Without a name: one line per rotation, now and the hand-off."""
    agent = OncallAgent((PRIMARY, SECONDARY), clock=_clock())
    reply = await agent.handle(_turn("who is on call?"))
    assert [item.label for item in reply.items] == ["primary", "secondary"]
    assert reply.items[0].detail == "<@U0ANA> now; <@U0BOB> from Mon 2026-11-09 09:00 UTC"


async def test_oncall_narrows_to_the_named_rotation() -> None:
    """`who is on call for secondary` answers for that one only."""
    agent = OncallAgent((PRIMARY, SECONDARY), clock=_clock())
    reply = await agent.handle(_turn("who is on call for secondary"))
    assert [item.label for item in reply.items] == ["secondary"]


async def test_oncall_names_the_known_rotations_for_an_unknown_one() -> None:
    """An unknown rotation is not guessed at."""
    agent = OncallAgent((PRIMARY,), clock=_clock())
    reply = await agent.handle(_turn("who is on call for payments"))
    assert "'payments'" in reply.text and "`primary`" in reply.text


async def test_oncall_without_rotations_says_how_to_configure() -> None:
    """No rotations: a clear answer naming the config key."""
    reply = await OncallAgent((), clock=_clock()).handle(_turn("who is on call"))
    assert "oncall.rotations" in reply.text


def test_channel_names_follow_slacks_rules() -> None:
    """Lower case, dashes for anything else, at most 80 characters, a suffix when retried."""
    assert (
        channel_name("inc", "Checkout is DOWN!", day="20261105") == "inc-20261105-checkout-is-down"
    )
    assert channel_name("inc", "Checkout", day="20261105", suffix=2) == "inc-20261105-checkout-2"
    assert channel_name("inc", "???", day="20261105") == "inc-20261105-incident"
    assert len(channel_name("inc", "x" * 200, day="20261105")) <= 80


def _incident_world(
    taken: tuple[str, ...] = (), *, board: RecordingBoard | None = None
) -> tuple[IncidentAgent, MemoryIncidents, RecordingWorkspace, FakeClock]:
    store, workspace, clock = MemoryIncidents(), RecordingWorkspace(taken=taken), _clock()
    deps = IncidentDeps(
        clock=clock,
        workspace=workspace,
        incidents=store,
        board=board or RecordingBoard(),
        rotations=(PRIMARY,),
        settings=IncidentSettings(oncall_rotation="primary"),
    )
    return IncidentAgent(deps), store, workspace, clock


async def test_declare_creates_the_channel_invites_and_posts_a_summary() -> None:
    """`declare sev1 Checkout is down`: channel, reporter and on-call invited, card, record."""
    board = RecordingBoard()
    agent, store, workspace, _ = _incident_world(board=board)
    reply = await agent.handle(_turn("declare sev1 Checkout is down"))
    assert workspace.created == [("inc-20261105-checkout-is-down", "CNEW1")]
    assert workspace.invites == [("CNEW1", ("U0ALICE", "U0ANA"))]
    ((card),) = board.cards
    assert card.channel_id == "CNEW1" and card.title == "Checkout is down"
    assert card.oncall == "U0ANA"
    assert "<#CNEW1>" in reply.text and "sev1" in reply.text and "<@U0ANA>" in reply.text
    incident = await store.by_channel(team_id="T1", channel_id="CNEW1")
    assert incident is not None and incident.card_ts == "1.000900"
    assert (incident.severity, incident.status, incident.reporter) == (
        "sev1",
        "investigating",
        "U0ALICE",
    )


async def test_a_taken_channel_name_gets_a_suffix() -> None:
    """The name exists already: `-2` is tried next."""
    agent, _, workspace, _ = _incident_world(taken=("inc-20261105-db-down",))
    await agent.handle(_turn("declare db down"))
    assert workspace.created == [("inc-20261105-db-down-2", "CNEW1")]


async def test_lifecycle_status_note_resolve_builds_the_postmortem_from_the_timeline() -> None:
    """In the incident channel: status, a note, then resolve; the draft lists every entry in
    order and the incident is closed."""
    agent, store, _, clock = _incident_world()
    await agent.handle(_turn("declare sev2 Payments slow"))
    clock.advance(600)
    changed = await agent.handle(_turn("status identified", channel="CNEW1", user="U0ANA"))
    assert "identified" in changed.text
    clock.advance(600)
    await agent.handle(_turn("note rolled back the cache change", channel="CNEW1", user="U0ANA"))
    clock.advance(600)
    resolved = await agent.handle(_turn("resolve cache rollback fixed it", channel="CNEW1"))
    draft = resolved.text
    order = [
        "Declared: Payments slow",
        "identified",
        "rolled back the cache change",
        "cache rollback fixed it",
    ]
    positions = [draft.index(text) for text in order]
    assert positions == sorted(positions)
    assert "*Impact and severity*" in draft and "*Root cause*" in draft
    assert "*Follow-ups*" in draft
    incident = await store.by_channel(team_id="T1", channel_id="CNEW1")
    assert incident is not None and incident.status == "resolved"
    assert incident.resolved_at == START + timedelta(days=3, seconds=1800)
    again = await agent.handle(_turn("note too late", channel="CNEW1"))
    assert "resolved already" in again.text


async def test_an_invalid_status_is_refused_with_the_choices() -> None:
    """`status broken` lists the four statuses and changes nothing."""
    agent, store, _, _ = _incident_world()
    await agent.handle(_turn("declare db down"))
    reply = await agent.handle(_turn("status broken", channel="CNEW1"))
    assert "investigating, identified, monitoring, resolved" in reply.text
    incident = await store.by_channel(team_id="T1", channel_id="CNEW1")
    assert incident is not None and len(incident.timeline) == 1


async def test_commands_outside_an_incident_channel_list_the_open_incidents() -> None:
    """`note …` in #general explains where to use it and lists what is open."""
    agent, _, _, _ = _incident_world()
    await agent.handle(_turn("declare db down"))
    reply = await agent.handle(_turn("note something"))
    assert "incident's own channel" in reply.text
    assert [item.label for item in reply.items] == ["<#CNEW1>"]


async def test_not_set_up_is_a_clear_answer() -> None:
    """Without a workspace or store the agent says so instead of failing."""
    reply = await IncidentAgent(IncidentDeps(clock=_clock())).handle(_turn("declare x"))
    assert "not set up" in reply.text


async def test_anything_else_gets_the_usage() -> None:
    """Unrecognised text gets the command list."""
    agent, _, _, _ = _incident_world()
    reply = await agent.handle(_turn("what is an incident"))
    assert "incident: declare" in reply.text
