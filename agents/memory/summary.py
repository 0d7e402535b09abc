"""An extractive summary of a thread's older messages (no model needed).

The messages that do not fit an agent's context budget are not simply dropped: the opening
message (what the thread is for), then those sharing the most of its words, then those
sharing the thread's recurring words, are kept in order within a few hundred characters.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from agents.kernel.models import StoredMessage
from agents.kernel.words import content_words

__all__ = ["extractive_summary"]

_LINE = 200


def extractive_summary(messages: Sequence[StoredMessage], *, max_chars: int = 600) -> str:
    """Up to ``max_chars`` of the most telling messages, oldest first, one per line."""
    if not messages or max_chars <= 0:
        return ""
    words = [set(content_words(m.text)) for m in messages]
    frequency = Counter(word for found in words for word in found)
    top = max(frequency.values(), default=1)
    subject = words[0]

    def score(index: int) -> float:
        # First what the opening message asked about, then the thread's recurring words.
        found = words[index]
        if not found:
            return 0.0
        recurring = sum(frequency[w] for w in found) / (top * (len(found) + 3))
        return len(found & subject) + recurring

    ranked = sorted(range(len(messages)), key=lambda i: (-score(i), i))
    chosen = {0}  # the opening message says what the thread is for
    used = min(len(messages[0].text), _LINE)
    for index in ranked:
        size = min(len(messages[index].text), _LINE) + 3
        if index in chosen or used + size > max_chars:
            continue
        chosen.add(index)
        used += size
    lines = []
    for index in sorted(chosen):
        message = messages[index]
        who = "bot" if message.direction == "out" else f"<@{message.user_id}>"
        text = " ".join(message.text.split())
        lines.append(f"{who}: {text[:_LINE]}")
    return "\n".join(lines)
