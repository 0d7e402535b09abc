"""What a model is shown of the past: the thread within the agent's token budget, and the
long-term notes the asker may see that share a word with the message.

The thread comes as pinned facts, the rolling summary (remade and stored when stale; written
by the agent's model when it can, else extractive, see :mod:`agents.memory.context`), then the
newest messages.
"""

from __future__ import annotations

from dataclasses import KW_ONLY, dataclass, replace

from agents.kernel.clock import Clock
from agents.kernel.models import Inbound, Route
from agents.kernel.words import content_words
from agents.memory.context import ThreadContext, assemble_context
from agents.memory.notes import Note, NoteStore, Viewer
from agents.memory.threads import ThreadMemoryStore
from agents.turns.llm_planner import LlmPlanner
from agents.turns.ports import MessageHistory, ViewContexts
from agents.turns.profiles import AgentProfile

__all__ = ["Memory", "Recall", "Recollection"]

_HISTORY_MESSAGES = 200
"""At most this many earlier messages of a thread are considered for a model's context."""
_NOTES_IN_CONTEXT = 5


@dataclass(frozen=True, slots=True)
class Recollection:
    """The thread so far (within budget) and the notes relevant to the message."""

    thread: ThreadContext
    notes: tuple[Note, ...] = ()
    viewing: str | None = None
    """The channel the person views beside the agent's DM, when they ask from there."""


@dataclass(frozen=True, slots=True)
class Memory:
    """What a model may be shown of the past: the thread's messages, its pinned facts and
    summary, the long-term notes, and what each person views beside the agent."""

    history: MessageHistory
    notes: NoteStore | None = None
    threads: ThreadMemoryStore | None = None
    contexts: ViewContexts | None = None


@dataclass(frozen=True, slots=True)
class Recall:
    """Assembles a model's context from the thread and the notes."""

    memory: Memory
    _: KW_ONLY
    llm: LlmPlanner
    clock: Clock

    async def recall(self, inbound: Inbound, route: Route, profile: AgentProfile) -> Recollection:
        """The thread and the notes for the turn of ``inbound`` routed to ``profile`` (and,
        asked in the agent's DM, the channel the person views beside it)."""
        thread = await self._thread(inbound, profile)
        viewing = None
        if self.memory.contexts is not None and inbound.source == "dm":
            viewing = await self.memory.contexts.viewing(
                team_id=inbound.team_id, user_id=inbound.user_id
            )
        return Recollection(thread, await self._relevant_notes(inbound, route), viewing)

    async def _relevant_notes(self, inbound: Inbound, route: Route) -> tuple[Note, ...]:
        """Long-term notes the asker may see that share a word with the message."""
        words = content_words(route.text)
        if self.memory.notes is None or not words:
            return ()
        viewer = Viewer(inbound.team_id, inbound.channel_id, inbound.user_id, route.agent)
        return tuple(await self.memory.notes.recall(viewer, words=words, limit=_NOTES_IN_CONTEXT))

    async def _thread(self, inbound: Inbound, profile: AgentProfile) -> ThreadContext:
        if inbound.thread_ts is None:
            return ThreadContext("", ())
        key = inbound.conversation
        stored = await self.memory.history.messages(key, limit=_HISTORY_MESSAGES)
        memory = await self.memory.threads.get(key) if self.memory.threads is not None else None
        context = assemble_context(
            stored,
            budget=profile.context_budget,
            exclude_trace=inbound.trace_id,
            estimator=self.llm.estimator,
            memory=memory,
        )
        if context.refreshed and self.memory.threads is not None:
            summary = context.summary
            if context.older:
                written = await self.llm.summarize(inbound, profile, context.older)
                summary = written or summary
            await self.memory.threads.save_summary(
                key, summary=summary, covered=context.covered, now=self.clock.now()
            )
            context = replace(context, summary=summary)
        return context
