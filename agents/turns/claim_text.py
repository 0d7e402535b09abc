"""How :mod:`agents.turns.claims` reads a text: words (with their offsets), sentences (and
whether a question mark ends one) and clauses, the units a claim's rules look within.

A word is lower-cased and a typographic apostrophe is read as ``'``; punctuation that ends a
sentence or a clause is a word of its own, so the rules see where a clause stops.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

__all__ = [
    "Word",
    "clauses",
    "finished_words",
    "opens_a_question",
    "sentences",
    "tokens",
    "word_set",
]

_QUOTE = "\u2019"  # the right single quotation mark models often write for an apostrophe
_DASHES = "\u2014\u2013"  # em and en dash
_TOKEN = re.compile(
    rf"✅|🧾|[a-z]+(?:['{_QUOTE}][a-z]+)?|[.!?]+(?=\s|$)|[;:](?=\s|$)|[{_DASHES}]|\s-\s"
    r"|,(?=\s|$)|\n",
    re.IGNORECASE,
)
_SENTENCE_END = re.compile(r"[.!?]+|\n")


def word_set(words: str) -> frozenset[str]:
    """The words of a space-separated list, as a set to test a word against."""
    return frozenset(words.split())


_CLAUSE_END = word_set(f"; : - {' '.join(_DASHES)} but however although though so because")

_QUESTION_OPENERS = word_set(
    "was were is are am has have had did do does can could should would will shall may might"
)
_INTERJECTIONS: tuple[tuple[str, ...], ...] = (
    ("no",),
    ("no", "problem"),
    ("no", "worries"),
    ("yes",),
    ("ok",),
    ("okay",),
    ("sure",),
)


@dataclass(frozen=True, slots=True)
class Word:
    """A word (or a punctuation mark) of a text and its character offsets."""

    text: str
    start: int
    end: int


def tokens(text: str) -> list[Word]:
    """The words and punctuation marks of ``text``, in order."""
    return [
        Word(m.group().strip().lower().replace(_QUOTE, "'") or "\n", m.start(), m.end())
        for m in _TOKEN.finditer(text)
    ]


def sentences(words: Sequence[Word]) -> Iterator[tuple[list[Word], bool]]:
    """Each sentence's words, and whether a question mark ends it."""
    sentence: list[Word] = []
    for token in words:
        if _SENTENCE_END.fullmatch(token.text):
            yield sentence, "?" in token.text
            sentence = []
        else:
            sentence.append(token)
    if sentence:
        yield sentence, False


def opens_a_question(sentence: Sequence[Word]) -> bool:
    """Whether the sentence opens like a question (``was it deployed``), mark or not."""
    words = [t for t in sentence if t.text not in (",", "-")]
    return len(words) > 1 and words[0].text in _QUESTION_OPENERS


def clauses(sentence: Sequence[Word]) -> Iterator[list[Word]]:
    """Each clause's words (see :func:`_words_of`)."""
    clause: list[Word] = []
    for token in sentence:
        if token.text in _CLAUSE_END:
            yield _words_of(clause)
            clause = []
        else:
            clause.append(token)
    yield _words_of(clause)


def _words_of(clause: list[Word]) -> list[Word]:
    """A clause's words: an opening interjection and its comma dropped ("No problem, ..."
    answers; it does not negate what follows), and the other commas, which are soft (a
    negation reaches across them)."""
    for phrase in _INTERJECTIONS:
        size = len(phrase)
        opening = tuple(t.text for t in clause[:size])
        if opening == phrase and len(clause) > size and clause[size].text == ",":
            clause = clause[size + 1 :]
            break
    return [token for token in clause if token.text != ","]


def finished_words(text: str) -> list[tuple[int, int]]:
    """``(start, end)`` of each word of ``text`` that nothing written later can extend (a
    character that is not a letter or an apostrophe follows it)."""
    words = []
    for token in _TOKEN.finditer(text):
        end = token.end()
        if not (token.group()[0].isalpha() or token.group() == "✅"):
            continue
        if end < len(text) and not (text[end].isalpha() or text[end] in f"'{_QUOTE}"):
            words.append((token.start(), end))
    return words
