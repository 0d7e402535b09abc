"""The ``memory`` agent: remember, recall and forget long-term notes, in scope.

``pin <fact>`` inside a thread puts it first in that thread's context.
``remember that the payments service is owned by @ana`` keeps a note for this channel;
``remember for me …`` for the asker only; ``remember for everyone …`` for the workspace.
``what do you remember about payments?`` lists what the asker may see; ``forget payments
owner`` deletes the visible notes containing those words.
"""

from __future__ import annotations

import re
from dataclasses import KW_ONLY, dataclass

from agents.kernel.clock import Clock
from agents.kernel.models import AgentInfo, Reply, ReplyItem
from agents.kernel.words import content_words
from agents.memory.notes import Note, NoteScope, NoteStore, Viewer
from agents.memory.threads import ThreadMemoryStore
from agents.turns.agent import TurnContext

__all__ = ["MemoryAgent"]

_REMEMBER = re.compile(
    r"^\s*remember(?P<scope>\s+for\s+(?:me|everyone|the\s+team|this\s+channel"
    r"|(?:the\s+)?[a-z][a-z0-9_-]*\s+agent)|\s+here)?"
    r"(?:\s+that)?\s*:?\s*(?P<text>.+)$",
    re.IGNORECASE | re.DOTALL,
)
_RECALL = re.compile(
    r"^\s*(?:what\s+do\s+you\s+(?:remember|know)|recall|notes?)(?:\s+about)?\s*(?P<q>.*?)\??$",
    re.IGNORECASE | re.DOTALL,
)
_PIN = re.compile(r"^\s*pin(?:\s+that)?\s*:?\s+(?P<fact>.+)$", re.IGNORECASE | re.DOTALL)
_FORGET = re.compile(r"^\s*forget(?:\s+about|\s+that)?\s+(?P<q>.+)$", re.IGNORECASE | re.DOTALL)


_LIMIT = 10


def _scope(phrase: str | None) -> tuple[NoteScope, str]:
    """The scope a ``remember for …`` phrase names, and the agent's name for ``agent``."""
    words = (phrase or "").lower().split()
    if "me" in words:
        return "user", ""
    if "everyone" in words or "team" in words:
        return "team", ""
    if words and words[-1] == "agent":
        return "agent", words[-2]
    return "channel", ""


@dataclass(frozen=True, slots=True)
class MemoryAgent:
    """Notes through the NoteStore port; visibility is decided by the store's scoping."""

    info = AgentInfo(
        name="memory",
        description="Remembers, recalls and forgets notes for this channel, you, or everyone.",
        keywords=("remember", "forget", "recall", "notes"),
        examples=("remember that payments is owned by ana", "what do you remember about payments"),
    )

    notes: NoteStore | None
    _: KW_ONLY
    clock: Clock
    threads: ThreadMemoryStore | None = None

    async def handle(self, turn: TurnContext) -> Reply:
        """Remember, recall or forget, by the first words of the message."""
        store = self.notes
        if store is None:
            return Reply(text="Long-term memory is not set up in this Switchboard.")
        inbound = turn.inbound
        viewer = Viewer(inbound.team_id, inbound.channel_id, inbound.user_id)
        text = turn.route.text
        pinned = _PIN.match(text)
        if pinned is not None:
            return await self._pin(turn, pinned.group("fact").strip())
        remembered = _REMEMBER.match(text)
        if remembered is not None:
            scope, agent = _scope(remembered.group("scope"))
            scope_id = {
                "team": "",
                "channel": inbound.channel_id,
                "user": inbound.user_id,
                "agent": agent,
            }[scope]
            note = Note(
                note_id=f"note-{inbound.trace_id}",
                team_id=inbound.team_id,
                scope=scope,
                scope_id=scope_id,
                text=remembered.group("text").strip(),
                author=inbound.user_id,
                created_at=self.clock.now(),
                source_channel=inbound.channel_id,
                source_ts=inbound.ts,
            )
            await store.add(note)
            where = {
                "team": "for everyone",
                "channel": "for this channel",
                "user": "for you",
                "agent": f"for the {agent} agent",
            }
            return Reply(text=f"Noted {where[scope]}: {note.text}")
        forgotten = _FORGET.match(text)
        if forgotten is not None:
            words = content_words(forgotten.group("q"))
            count = await store.forget(viewer, words=words)
            if not count:
                return Reply(text="I had no note with all of those words.")
            return Reply(text=f"Forgot {count} note{'s' if count != 1 else ''}.")
        recall = _RECALL.match(text)
        words = content_words(recall.group("q") if recall is not None else text)
        found = await store.recall(viewer, words=words, limit=_LIMIT)
        if not found:
            about = f" about {' '.join(words)}" if words else ""
            return Reply(text=f"I remember nothing{about} that you can see.")
        items = tuple(
            ReplyItem(f"{n.created_at:%Y-%m-%d}", f"{n.text} (<@{n.author}>, {n.scope})")
            for n in found
        )
        lines = [f"• {item.detail}" for item in items]
        return Reply(text="\n".join(["Here is what I remember:", *lines]), items=items)

    async def _pin(self, turn: TurnContext, fact: str) -> Reply:
        threads = self.threads
        inbound = turn.inbound
        if threads is None:
            return Reply(text="Thread memory is not set up in this Switchboard.")
        if inbound.thread_ts is None:
            return Reply(text="Pin facts inside a thread: they lead that thread's context.")
        memory = await threads.pin(inbound.conversation, fact, now=self.clock.now())
        lines = [f"• {pinned}" for pinned in memory.facts]
        return Reply(text="\n".join(["Pinned for this thread:", *lines]))
