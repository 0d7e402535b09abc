"""The ``knowledge`` agent: answers from the indexed runbooks, citing each section, or says
it found nothing (and records the miss for reviewers). It never guesses."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from agents.kernel.clock import Clock
from agents.kernel.models import AgentInfo, Reply, ReplyItem
from agents.kernel.words import content_words
from agents.memory.compose import Composer
from agents.memory.knowledge import Hit, KnowledgeIndex, KnowledgeSettings, Miss
from agents.turns.agent import TurnContext
from agents.turns.progress import SourceLink, TaskUpdate

__all__ = ["KnowledgeAgent", "KnowledgeDeps", "citation", "coverage", "source_url"]

_QUESTION = re.compile(
    r"^\s*(?:how\s+(?:do|can|should)\s+(?:i|we)|how\s+to|where\s+is|what\s+is|docs?\s+(?:for|on)"
    r"|runbook\s+(?:for|on))\s+",
    re.IGNORECASE,
)
_QUOTE = 600


@dataclass(frozen=True, slots=True)
class KnowledgeDeps:
    """What the knowledge agent works with.

    Attributes:
        index: the runbook index (None: no runbooks are indexed).
        settings: how answers cite and when they miss.
        composer: a model that writes answers from the retrieved sections only.
    """

    clock: Clock
    index: KnowledgeIndex | None = None
    settings: KnowledgeSettings = field(default_factory=KnowledgeSettings)
    composer: Composer | None = None


def coverage(question: str, hit: Hit) -> float:
    """The share of the question's content words found in the section's heading or text."""
    wanted = set(content_words(question))
    if not wanted:
        return 0.0
    present = set(content_words(f"{hit.chunk.heading} {hit.chunk.text}"))
    # Porter-style leniency: "rolling" matches "roll", "failovers" matches "failover".
    found = {w for w in wanted if w in present or any(p.startswith(w[:5]) for p in present)}
    return len(found) / len(wanted)


def citation(hit: Hit, base_url: str | None) -> str:
    """``source: heading``, as a Slack link when the runbooks have a base URL (the label is
    escaped: a ``>`` in a heading path would end the link)."""
    label = f"{hit.chunk.source}: {hit.chunk.heading}"
    if base_url:
        escaped = label.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        return f"<{source_url(hit, base_url)}|{escaped}>"
    return label


def source_url(hit: Hit, base_url: str) -> str:
    """Where a cited section can be read: ``{base_url}/{source}#{anchor}``."""
    return f"{base_url.rstrip('/')}/{hit.chunk.source}#{hit.chunk.anchor}"


class KnowledgeAgent:
    """Quotes the best runbook sections with citations, or reports a miss."""

    info = AgentInfo(
        name="knowledge",
        description="Answers from the team's runbooks, citing each section, or says it found "
        "nothing.",
        keywords=("runbook", "docs", "documentation", "how do i", "how to", "wiki"),
        examples=("how do I roll back payments", "runbook for database failover"),
    )

    def __init__(self, deps: KnowledgeDeps) -> None:
        self._deps = deps
        self._settings = deps.settings

    async def handle(self, turn: TurnContext) -> Reply:
        """Search, then quote with citations or say nothing was found."""
        index = self._deps.index
        if index is None:
            return Reply(text="No runbooks are indexed. Run `switchboard knowledge index PATH…`.")
        question = _QUESTION.sub("", turn.route.text).strip(" ?")
        if not content_words(question):
            return Reply(text="Ask me about a runbook topic, e.g. `knowledge: payments rollback`.")
        settings = self._settings
        await turn.progress.status("is searching the runbooks…")
        hits = await index.search(question, limit=settings.max_chunks * 3)
        good = [h for h in hits if coverage(question, h) >= settings.min_coverage]
        good = good[: settings.max_chunks]
        await turn.progress.task(self._search_task(good))
        if not good:
            inbound = turn.inbound
            await index.record_miss(
                Miss(
                    inbound.team_id,
                    inbound.channel_id,
                    inbound.user_id,
                    question,
                    self._deps.clock.now(),
                )
            )
            return Reply(text=self._not_found(question))
        items = tuple(
            ReplyItem(citation(hit, settings.base_url), _trim(hit.chunk.text)) for hit in good
        )
        composer = self._deps.composer
        if composer is not None:
            answer = await turn.stop.race(composer.compose(turn.inbound, question, good))
            if answer:
                sources = [f"[{n}] {item.label}" for n, item in enumerate(items, start=1)]
                text = "\n".join([answer, "", "Sources:", *sources])
                cited = tuple(ReplyItem(f"[{n}]", item.label) for n, item in enumerate(items, 1))
                return Reply(
                    text=text,
                    title="Runbooks",
                    items=(ReplyItem("Answer", answer), *cited),
                    composed=answer,  # a model's words: checked against the records
                )
        lines = [f"• {item.label}\n{item.detail}" for item in items]
        intro = f"From the runbooks, about {question!r}:"
        return Reply(text="\n".join([intro, *lines]), title="Runbooks", items=items)

    def _search_task(self, found: list[Hit]) -> TaskUpdate:
        """The plan's search task as it ended: what it found and, with links, where."""
        base_url = self._settings.base_url
        sources = tuple(
            SourceLink(source_url(hit, base_url), f"{hit.chunk.source}: {hit.chunk.heading}")
            for hit in found
            if base_url
        )
        details = f"{len(found)} section(s) found" if found else "nothing found"
        return TaskUpdate("search", "Search the runbooks", "complete", details, sources)

    def _not_found(self, question: str) -> str:
        text = f"I found nothing about {question!r} in the runbooks, so I will not guess."
        words = set(content_words(question))
        owners = [owner for topic, owner in self._settings.owners if topic.lower() in words]
        if owners:
            text += f" {', '.join(dict.fromkeys(owners))} may know."
        else:
            text += " Someone in this channel may know; the gap is noted for the docs."
        return text


def _trim(text: str) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= _QUOTE else flat[: _QUOTE - 1] + "…"
