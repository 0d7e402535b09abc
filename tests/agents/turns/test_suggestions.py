"""Suggested prompts: the agents' examples, scoped like ``/ops help`` to what the person may
use, actions first, at most four, "help" last."""

from __future__ import annotations

from dataclasses import replace

from agents.actions.catalog import ActionCatalog
from agents.actions.spec import Audience
from agents.builtin.help import HelpAgent
from agents.kernel.models import AgentInfo, Reply
from agents.turns.agent import TurnContext
from agents.turns.catalog import AgentCatalog
from agents.turns.suggestions import HELP_PROMPT, Suggestions
from tests.agents.actions.test_operations import ACTIONS, ALICE, BOB
from tests.agents.fakes import FakeGroups


class _Agent:
    def __init__(self, info: AgentInfo) -> None:
        self.info = info

    async def handle(self, turn: TurnContext) -> Reply:
        return Reply(text="")


def _suggestions(*, limit: int = 4) -> Suggestions:
    deploy = AgentInfo(
        "deploy", "Deploys.", examples=("deploy api", "purge db", "how do deploys work?")
    )
    oncall = AgentInfo("oncall", "Who is on call.", examples=("who is on call?",))
    agents = AgentCatalog([HelpAgent(), _Agent(deploy), _Agent(oncall)], fallback="help")
    # Only Bob may request deploy, purge (and anything of the deploy agent) here.
    only_bob = Audience(users=frozenset({BOB}))
    actions = tuple(replace(a, requesters=only_bob) if a.agent == "deploy" else a for a in ACTIONS)
    return Suggestions(agents, ActionCatalog(actions, groups=FakeGroups({})), limit=limit)


async def test_someone_with_deploy_rights_is_offered_the_deploy_commands() -> None:
    offered = await _suggestions().for_person(BOB, None)
    assert [s.message for s in offered] == [
        "deploy api",
        "purge db",
        "how do deploys work?",
        "help",
    ]
    assert offered[0].title == "Deploy api"


async def test_someone_without_them_is_offered_only_what_they_may_use() -> None:
    """No deploy command, no question for the deploy agent; the on-call agent (no actions)
    and help remain."""
    offered = await _suggestions().for_person(ALICE, None)
    assert [s.message for s in offered] == ["who is on call?", "help"]
    assert offered[-1] == HELP_PROMPT


async def test_the_list_is_cut_to_the_limit_with_help_kept_last() -> None:
    offered = await _suggestions(limit=2).for_person(BOB, None)
    assert [s.message for s in offered] == ["deploy api", "help"]
