"""The rules planner: needs no network and always works (the LLM planner's fallback).

Command formats first, then a message that starts with an action's name, its bare words
filling the parameters that accept them.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from agents.actions.spec import ActionSpec, ParamValue, match_formats
from agents.kernel.words import STOP_WORDS
from agents.turns.plan import Plan, Proposal

__all__ = ["RulesPlanner"]

_ASSIGNMENT = re.compile(r"\b([a-z_][a-z0-9_]*)=(\S+)")


class RulesPlanner:
    """Command formats first, then a message that starts with an action's name."""

    def plan(self, text: str, actions: Sequence[ActionSpec]) -> Plan:
        """A proposal when ``text`` names one of ``actions``; otherwise an empty plan."""
        found = match_formats(text, tuple(actions))
        if found is not None:
            return Plan("rules", proposal=Proposal(found.action, dict(found.values)))
        head, _, rest = text.strip().partition(" ")
        action = next((a for a in actions if a.name == head.lower()), None)
        if action is not None:
            values: dict[str, ParamValue] = dict(_ASSIGNMENT.findall(rest))
            values.update(_positional(action, rest, taken=set(values)))
            return Plan("rules", proposal=Proposal(action, values))
        return Plan("rules")


def _positional(action: ActionSpec, rest: str, *, taken: set[str]) -> dict[str, ParamValue]:
    """Bare words after an action's name (``rollback api prod``), each given to the first
    parameter still open that accepts it (an enum's choice, an int...); small words such as
    ``in`` or ``to`` are skipped, so ``rollback api in prod`` reads the same."""
    open_params = [p for p in action.params if p.name not in taken]
    found: dict[str, ParamValue] = {}
    for word in rest.split():
        if "=" in word or word.lower() in STOP_WORDS:
            continue
        for param in open_params:
            try:
                param.coerce(word)
            except ValueError:
                continue
            found[param.name] = word
            open_params.remove(param)
            break
    return found
