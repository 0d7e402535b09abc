"""The configured actions and the people who ask for them.

A person is their Slack user id plus the configured user groups Slack says they belong to
(resolved at the edge through :class:`~agents.actions.ports.GroupDirectory`, cached there).
"""

from __future__ import annotations

from collections.abc import Sequence

from agents.actions.policy import Person, may_request
from agents.actions.ports import GroupDirectory
from agents.actions.spec import ActionSpec, FormatMatch, match_formats

__all__ = ["ActionCatalog"]


class ActionCatalog:
    """Every configured action by name, and who may request which."""

    def __init__(self, actions: Sequence[ActionSpec], *, groups: GroupDirectory) -> None:
        self._actions = {action.name: action for action in actions}
        self._groups = groups
        self._withdrawn: set[str] = set()

    @property
    def actions(self) -> tuple[ActionSpec, ...]:
        """Every action offered, in declaration order (withdrawn MCP tools left out)."""
        return tuple(a for a in self._actions.values() if a.name not in self._withdrawn)

    def update(
        self, actions: Sequence[ActionSpec], *, withdrawn: frozenset[str] = frozenset()
    ) -> None:
        """Add or replace ``actions`` (an MCP server's tools, listed again while running) and
        stop offering the ``withdrawn`` ones (tools the server no longer lists).

        Nothing is ever removed: a request already made for an action must still find it
        (:meth:`action`); a withdrawn one is no longer offered, matched or listed.
        """
        for action in actions:
            self._actions[action.name] = action
            self._withdrawn.discard(action.name)
        self._withdrawn |= withdrawn

    def action(self, name: str) -> ActionSpec | None:
        """The action called ``name``."""
        return self._actions.get(name)

    def match(self, text: str, *, agent: str | None = None) -> FormatMatch | None:
        """The action format ``text`` matches (only the agent's actions when one is given)."""
        pool = tuple(a for a in self.actions if agent is None or a.agent == agent)
        return match_formats(text, pool)

    async def person(self, user_id: str, channel_id: str | None) -> Person:
        """The person with their user groups resolved from Slack (cached at the edge)."""
        return Person(user_id, await self._groups.groups_of(user_id), channel_id)

    def runnable_by(self, person: Person) -> tuple[ActionSpec, ...]:
        """The actions ``person`` may request."""
        return tuple(a for a in self.actions if may_request(a, person))
