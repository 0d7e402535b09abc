"""Words of a message for matching: routing by example utterances, recalling notes."""

from __future__ import annotations

import re

__all__ = ["STOP_WORDS", "content_words"]

_WORD = re.compile(r"[a-z0-9][a-z0-9_.-]*")
STOP_WORDS = frozenset(
    [
        "a",
        "about",
        "an",
        "and",
        "are",
        "can",
        "could",
        "do",
        "does",
        "for",
        "from",
        "i",
        "in",
        "is",
        "it",
        "know",
        "me",
        "my",
        "of",
        "on",
        "or",
        "please",
        "remember",
        "that",
        "the",
        "this",
        "to",
        "was",
        "what",
        "when",
        "where",
        "which",
        "who",
        "why",
        "will",
        "with",
        "would",
        "you",
        "your",
    ]
)
"""Words too common to say what a message is about."""


def content_words(text: str) -> list[str]:
    """The words of ``text`` worth matching on (lower case, no stop words, two letters+)."""
    return [w for w in _WORD.findall(text.lower()) if w not in STOP_WORDS and len(w) > 1]
