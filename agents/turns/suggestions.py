"""Suggested prompts for a person opening the agent: what they could ask, scoped to them.

Drawn from the agents' configured example utterances and scoped by the same rule as
``/ops help``: an example that is an action's command is offered only to people who may
request that action, and an agent's other examples only to people who may use the agent (it
has no actions, or they may request one of them). Actions come first; "help" always closes
the list.
"""

from __future__ import annotations

from dataclasses import dataclass

from agents.actions.catalog import ActionCatalog
from agents.kernel.models import AgentInfo
from agents.turns.catalog import AgentCatalog, usable_actions

__all__ = ["HELP_PROMPT", "MAX_PROMPTS", "Suggestion", "Suggestions"]

MAX_PROMPTS = 4
"""Slack shows at most four suggested prompts."""
_TITLE = 60


@dataclass(frozen=True, slots=True)
class Suggestion:
    """One suggested prompt: its label, and the message sent when it is picked."""

    title: str
    message: str


HELP_PROMPT = Suggestion("What can you do for me?", "help")


def _suggest(example: str) -> Suggestion:
    title = example[:1].upper() + example[1:]
    if len(title) > _TITLE:
        title = title[: _TITLE - 1] + "…"
    return Suggestion(title, example)


class Suggestions:
    """The prompts a person is offered."""

    def __init__(
        self, agents: AgentCatalog, actions: ActionCatalog | None, *, limit: int = MAX_PROMPTS
    ) -> None:
        self._agents = agents
        self._actions = actions
        self._limit = max(1, min(limit, MAX_PROMPTS))

    async def for_person(self, user_id: str, channel_id: str | None) -> tuple[Suggestion, ...]:
        """What ``user_id`` may usefully ask (in ``channel_id``'s context, if any)."""
        catalog = self._actions
        runnable: set[str] = set()
        if catalog is not None:
            person = await catalog.person(user_id, channel_id)
            runnable = {action.name for action in catalog.runnable_by(person)}
        commands: list[Suggestion] = []
        questions: list[Suggestion] = []
        for info in self._agents.infos:
            for example in info.examples:
                match = catalog.match(example, agent=info.name) if catalog else None
                if match is not None:
                    if match.action.name in runnable:
                        commands.append(_suggest(example))
                elif self._may_use(info, runnable):
                    questions.append(_suggest(example))
        chosen = _unique([*commands, *questions])[: self._limit - 1]
        return (*chosen, HELP_PROMPT)

    def _may_use(self, info: AgentInfo, runnable: set[str]) -> bool:
        catalog = self._actions
        if catalog is None:
            return True
        own = usable_actions(self._agents.profile(info.name), catalog.actions)
        return not own or any(action.name in runnable for action in own)


def _unique(suggestions: list[Suggestion]) -> list[Suggestion]:
    seen: set[str] = set()
    kept: list[Suggestion] = []
    for suggestion in suggestions:
        if suggestion.message not in seen and suggestion.message != HELP_PROMPT.message:
            seen.add(suggestion.message)
            kept.append(suggestion)
    return kept
