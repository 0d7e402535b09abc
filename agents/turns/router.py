"""Pick one agent per message.

Order: explicit (``agent: …``; in a slash command, a whole action command such as ``/ops
deploy api to prod``, then ``/ops agent …``) > the channel's binding > an action's command
format > keyword and example-utterance score. When the best score is below the
threshold, or two agents tie, the decision is ``ask`` with the candidates (the turn may
then ask an LLM classifier, or the person, with buttons). Nothing scoring at all falls back.

Pure functions over the agents' public info; no IO.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from agents.actions.spec import ActionSpec, match_formats
from agents.kernel.models import AgentInfo, Inbound, Route, RouteReason
from agents.kernel.words import STOP_WORDS

__all__ = ["Router", "example_score", "keyword_score", "route"]

_PREFIX = re.compile(r"^\s*([a-z][a-z0-9_-]*)\s*:\s*(.*)$", re.IGNORECASE | re.DOTALL)
_WORD = re.compile(r"[a-z0-9][a-z0-9_-]*")
_STOPWORDS = STOP_WORDS
_TIE_MARGIN = 0.05
"""Two agents closer than this are a tie: the person is asked."""
_EXAMPLE_WEIGHT = 0.9
"""An example matched word for word scores just below an explicit choice."""


def route(
    text: str,
    agents: Sequence[AgentInfo],
    *,
    fallback: str,
    subcommand: bool = False,
    channel_id: str = "",
    actions: Sequence[ActionSpec] = (),
    threshold: float = 0.5,
) -> Route:
    """Choose the agent for ``text``.

    Args:
        text: the message with any mention of the bot already removed.
        agents: the agents to choose from, in registry order.
        fallback: the agent that answers when nothing matches at all.
        subcommand: the text came from a slash command, so its first word may name an agent
            (``/ops help``) without a colon.
        channel_id: where the message was posted (for channel bindings; ``""`` ignores them).
        actions: the configured actions, whose command formats route to their agent.
        threshold: the lowest keyword/example score accepted without asking.

    Returns:
        The decision with its reason and a score in [0, 1]; ``ask`` carries the candidates.
    """
    by_name = {agent.name.lower(): agent for agent in agents}
    stripped = text.strip()
    found = match_formats(stripped, tuple(actions)) if actions else None
    by_format = (
        Route(by_name[found.action.agent].name, "action", 1.0, stripped)
        if found is not None and found.action.agent in by_name
        else None
    )
    explicit = _explicit(text, by_name)
    if explicit is not None:
        return explicit
    if subcommand:
        # A whole command (``/ops deploy api to prod``) before its first word as an agent
        # name: the deploy agent and its deploy action may share that word.
        if by_format is not None:
            return by_format
        head, _, rest = stripped.partition(" ")
        if head.lower() in by_name:
            return Route(by_name[head.lower()].name, "explicit", 1.0, rest.strip())
    if channel_id:
        for agent in agents:
            if channel_id in agent.channels:
                return Route(agent.name, "binding", 1.0, stripped)
    if by_format is not None:
        return by_format
    return _scored(stripped, agents, fallback=fallback, threshold=threshold)


def _scored(text: str, agents: Sequence[AgentInfo], *, fallback: str, threshold: float) -> Route:
    words = set(_WORD.findall(text.lower()))
    scored: list[tuple[float, RouteReason, AgentInfo]] = []
    for agent in agents:
        by_keyword = keyword_score(text, words, agent.keywords)
        by_example = max((example_score(words, e) for e in agent.examples), default=0.0)
        if by_keyword or by_example:
            reason: RouteReason = "keyword" if by_keyword >= by_example else "example"
            scored.append((max(by_keyword, by_example), reason, agent))
    if not scored:
        return Route(fallback, "fallback", 0.0, text)
    scored.sort(key=lambda entry: -entry[0])  # stable: registry order breaks exact ties
    best_score, best_reason, best = scored[0]
    tied = len(scored) > 1 and best_score - scored[1][0] < _TIE_MARGIN
    if best_score >= threshold and not tied:
        return Route(best.name, best_reason, round(best_score, 3), text)
    candidates = tuple(agent.name for _, _, agent in scored[:3])
    return Route(best.name, "ask", round(best_score, 3), text, candidates=candidates)


def keyword_score(text: str, words: set[str], keywords: Sequence[str]) -> float:
    """``hits / (hits + 1)``: one keyword 0.5, two 0.667, three 0.75; 0 without hits."""
    hits = sum(1 for keyword in keywords if _matches(keyword.lower(), words, text))
    return hits / (hits + 1)


def example_score(words: set[str], example: str) -> float:
    """The share of the example's content words present in the message, times 0.9."""
    wanted = _content_words(example)
    if not wanted:
        return 0.0
    return _EXAMPLE_WEIGHT * len(wanted & words) / len(wanted)


@functools.lru_cache(maxsize=1024)
def _content_words(example: str) -> frozenset[str]:
    # The agents' examples are configuration: split once, not at every message (the
    # examples were two thirds of routing a message; benchmarks/README.md, issue 19).
    return frozenset(w for w in _WORD.findall(example.lower()) if w not in _STOPWORDS)


def _explicit(text: str, by_name: dict[str, AgentInfo]) -> Route | None:
    """``agent: …`` names the agent outright."""
    match = _PREFIX.match(text)
    if match and match.group(1).lower() in by_name:
        agent = by_name[match.group(1).lower()]
        return Route(agent.name, "explicit", 1.0, match.group(2).strip())
    return None


def _matches(keyword: str, words: set[str], text: str) -> bool:
    # A multi-word keyword ("on call") matches as a phrase; a single word as a whole word.
    if " " in keyword:
        return f" {keyword} " in " " + " ".join(_WORD.findall(text.lower())) + " "
    return keyword in words


@dataclass(frozen=True, slots=True)
class Router:
    """:func:`route` with this bot's agents, actions and threshold, for one inbound message."""

    agents: tuple[AgentInfo, ...]
    fallback: str
    actions: Sequence[ActionSpec] | Callable[[], Sequence[ActionSpec]] = ()
    """The actions, or where to read them at each message (tools added while running)."""
    threshold: float = 0.5

    def __call__(self, inbound: Inbound, text: str, *, channel_id: str | None = None) -> Route:
        """Route ``text`` of ``inbound``; ``channel_id=""`` ignores the channel's binding."""
        return route(
            text,
            self.agents,
            fallback=self.fallback,
            subcommand=inbound.source == "command",
            channel_id=inbound.channel_id if channel_id is None else channel_id,
            actions=self.actions() if callable(self.actions) else self.actions,
            threshold=self.threshold,
        )
