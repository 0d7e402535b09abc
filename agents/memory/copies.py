"""What counts as a copy of erased words: the pure rules every erasure applies.

A record taken from a message (a note, a pinned fact, a knowledge miss, an incident note) is
a copy when its text is found in the message's old words; when the message was edited and
the new words still say it, it stays. The bot's reply in the turn is always erased (it
answered words that no longer exist); a reply elsewhere is erased when it quotes an erased
note word for word, if the note is long enough to be told from ordinary words.
"""

from __future__ import annotations

__all__ = ["QUOTE_MIN", "TOMBSTONE", "normalized", "quotable", "still_says", "taken_from"]

TOMBSTONE = "[erased]"
"""What an erased reply, trace error or incident note says instead (the record stays, so the
conversation keeps its shape: the bot answered there, a turn failed, someone noted)."""

QUOTE_MIN = 12
"""A shorter note is not searched for in other replies: it cannot be told from ordinary
words (``ok``, ``on call``), and erasing every reply that says them would erase the wrong
things."""


def normalized(text: str) -> str:
    """``text`` as compared: case folded, runs of white space made one space."""
    return " ".join(text.casefold().split())


def still_says(new: str | None, part: str) -> bool:
    """Whether the new words of an edited message (``new``; None: it was deleted) still say
    ``part``, so that what was taken from the message stays."""
    found = normalized(part)
    return new is not None and bool(found) and found in normalized(new)


def taken_from(part: str, old: str, *, new: str | None = None) -> bool:
    """Whether ``part`` (a fact, a miss's question, an incident note) was taken from the
    words ``old`` and the new words of the message (``new``, None when it was deleted) no
    longer say it."""
    found = normalized(part)
    return bool(found) and found in normalized(old) and not still_says(new, part)


def quotable(text: str) -> bool:
    """Whether replies quoting ``text`` word for word are searched for (see :data:`QUOTE_MIN`)."""
    return len(normalized(text)) >= QUOTE_MIN
