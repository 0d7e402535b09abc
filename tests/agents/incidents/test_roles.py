"""Roles over in-memory ports: who may take or hand a role, what the holder is told."""

from __future__ import annotations

from dataclasses import replace

from agents.incidents.records import Incident, RoleChange
from agents.incidents.roles import ROLE_DUTIES, RoleClick, Roles
from tests.agents.fakes_incidents import MemoryIncidents
from tests.agents.incidents.world import incident, world

CLICK = RoleClick(
    team_id="T1",
    channel_id="CINC1",
    message_ts="9.1",
    user_id="U2",
    incident_id="inc-1",
    role="lead",
    assignee="U2",
)


async def test_taking_a_role_invites_tells_and_redraws() -> None:
    """The clicker is invited, told the duties privately, the card redrawn, the role and
    its timeline entry stored."""
    store, workspace, board, clock = await world()
    assert await Roles(store, workspace=workspace, board=board, clock=clock).assign(CLICK) is None
    assert workspace.invites == [("CINC1", ("U2",))]
    ((channel, user, told),) = board.told
    assert (channel, user, told.text) == ("CINC1", "U2", ROLE_DUTIES["lead"])
    assert board.refreshed[-1].lead == "U2"
    stored = await store.get("inc-1")
    assert stored is not None and stored.timeline[-1].text == "<@U2> is incident lead"


async def test_handing_a_role_names_who_handed_it() -> None:
    """Picked by someone else: the assignee is told, the entry says who handed it over."""
    store, workspace, board, clock = await world()
    roles = Roles(store, workspace=workspace, board=board, clock=clock)
    click = replace(CLICK, role="comms", assignee="U3")
    assert await roles.assign(click) is None
    assert board.told[0][1] == "U3"
    stored = await store.get("inc-1")
    assert stored is not None and stored.comms == "U3"
    assert stored.timeline[-1].text == "<@U3> is comms lead (handed over by <@U2>)"


async def test_clicks_off_the_card_or_on_a_closed_incident_are_refused() -> None:
    """Another message, another incident id, another team, no user, a resolved incident,
    a role held already: each refused with a reason, nothing changed."""
    store, workspace, board, clock = await world()
    roles = Roles(store, workspace=workspace, board=board, clock=clock)
    for forged in (
        replace(CLICK, message_ts="9.2"),
        replace(CLICK, incident_id="inc-2"),
        replace(CLICK, team_id="T2"),
        replace(CLICK, user_id="", assignee=""),
    ):
        assert "not on an incident's summary card" in (await roles.assign(forged) or "")
    await roles.assign(CLICK)
    assert "already" in (await roles.assign(CLICK) or "")
    closed, workspace2, board2, clock2 = await world(status="resolved")
    refused = await Roles(closed, workspace=workspace2, board=board2, clock=clock2).assign(CLICK)
    assert "resolved already" in (refused or "")
    assert workspace2.invites == [] and board2.refreshed == []


class _Racing(MemoryIncidents):
    """A store where U9 takes the lead just before each ``set_role`` lands."""

    async def set_role(self, change: RoleChange) -> Incident | None:
        self.rows[change.incident_id] = replace(self.rows[change.incident_id], lead="U9")
        return await super().set_role(change)


async def test_a_role_that_changed_hands_meanwhile_is_not_overwritten() -> None:
    """The lead moved between the read and the write: the click is refused with a reason,
    the later holder kept, nobody invited or told."""
    _, workspace, board, clock = await world()
    store = _Racing()
    await store.create(incident())
    refusal = await Roles(store, workspace=workspace, board=board, clock=clock).assign(CLICK)
    assert refusal == "The incident lead changed hands just now: look at the card again."
    stored = await store.get("inc-1")
    assert stored is not None and stored.lead == "U9" and len(stored.timeline) == 1
    assert workspace.invites == [] and board.told == []
