"""Pick one agent per message: explicit > keyword match > fallback.

Pure functions over the agents' public info; no IO.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from agents.core.models import AgentInfo, Route

__all__ = ["route"]

_PREFIX = re.compile(r"^\s*([a-z][a-z0-9_-]*)\s*:\s*(.*)$", re.IGNORECASE | re.DOTALL)
_WORD = re.compile(r"[a-z0-9][a-z0-9_-]*")


def route(
    text: str,
    agents: Sequence[AgentInfo],
    *,
    fallback: str,
    subcommand: bool = False,
) -> Route:
    """Choose the agent for ``text``.

    Args:
        text: the message with any mention of the bot already removed.
        agents: the agents to choose from, in registry order (ties go to the first).
        fallback: the agent that answers when nothing else matches.
        subcommand: the text came from a slash command, so its first word may name an agent
            (``/ops help``) without a colon.

    Returns:
        The decision with its reason and a score in [0, 1].
    """
    by_name = {agent.name.lower(): agent for agent in agents}
    explicit = _explicit(text, by_name, subcommand=subcommand)
    if explicit is not None:
        return explicit
    words = set(_WORD.findall(text.lower()))
    best: tuple[int, AgentInfo] | None = None
    for agent in agents:
        hits = sum(1 for keyword in agent.keywords if _matches(keyword.lower(), words, text))
        if hits and (best is None or hits > best[0]):
            best = (hits, agent)
    if best is not None:
        hits, agent = best
        return Route(agent.name, "keyword", round(hits / (hits + 1), 3), text.strip())
    return Route(fallback, "fallback", 0.0, text.strip())


def _explicit(text: str, by_name: dict[str, AgentInfo], *, subcommand: bool) -> Route | None:
    match = _PREFIX.match(text)
    if match and match.group(1).lower() in by_name:
        agent = by_name[match.group(1).lower()]
        return Route(agent.name, "explicit", 1.0, match.group(2).strip())
    if subcommand:
        head, _, rest = text.strip().partition(" ")
        if head.lower() in by_name:
            return Route(by_name[head.lower()].name, "explicit", 1.0, rest.strip())
    return None


def _matches(keyword: str, words: set[str], text: str) -> bool:
    # A multi-word keyword ("on call") matches as a phrase; a single word as a whole word.
    if " " in keyword:
        return keyword in " ".join(_WORD.findall(text.lower()))
    return keyword in words
