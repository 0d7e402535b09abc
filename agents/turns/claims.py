"""Claims in a model's text: where it says an action ran, was approved, or succeeded.

A model's words are untrusted; what Switchboard says it did comes from its records
(:mod:`agents.turns.grounding`). This module only finds the words that *claim* something
happened, so the records can be asked whether it did. It reads English the simple way a
reviewer would skim it, sentence by sentence and clause by clause:

- a clause that opens with a completion word: ``Done``, ``All set``, ``Finished``, ``✅``;
- the word ``approved`` (``it was approved``, ``Bob approved``, ``Approved!``);
- a result: ``succeeded``, ``successfully``, ``went through``, ``completed``, ``it's done``;
- a run: ``ran``, ``executed``, ``triggered``, ``kicked off``...;
- an action verb in the past: the built-in operations verbs (``deployed``, ``rolled back``,
  ``failed over``, ``restarted``...) and the past forms of the configured actions' names and
  command words (``failover`` -> ``failed over``), as ``I deployed``, ``api was deployed``,
  ``prod failed over``, ``Deployed api to prod``;
- a state that says where an action took something: ``api is deployed to prod``;
- a clause ending ``done`` or ``complete`` (``Status check done:``); a run under way
  (``running it now``); an approval that covers something (``covered by Bob's approval``);
- a stored note (``Noted for everyone``, ``Saved to team memory``), a permission to approve
  (``you can approve your own rollback``; only a negation takes it back) and Switchboard's own
  voice (``🧾``, ``Switchboard:``): :data:`NEVER_BACKED` by a model-planned turn.

Each claim knows which configured actions its clause names (``the deploy succeeded``:
`deploy`), so a generic claim can be checked against that action's records.

What is *not* a claim, so that honest answers pass: a question (ending in ``?`` or opening
with ``was``/``did``/``has``...); a word with a negation, condition or modal in the six
words before it within its clause (``not``, ``n't``, ``no``, ``nothing``, ``if``, ``once``,
``when``, ``until``, ``after``, ``will``, ``'ll``, ``can``, ``need``...): ``it will be
deployed once approved``, ``nothing was deployed``; an infinitive (``to deploy``, ``to be
approved``); and a state rather than an event (``api is deployed at v1.2.3``, ``the
deployed version``). Asking is no claim by itself: ``I've asked for approval to deploy``
holds no past action verb, while ``the deploy you requested was approved`` is a claim.

The verdict on a word depends only on the words before it and at most
:data:`LOOKAHEAD_WORDS` words after it (and a question mark can only take a claim away); a
claim's first word is at most :data:`REACH_WORDS` before the word that decides it. So a
stream can be checked word by word as it is written (:mod:`agents.turns.grounding`).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from typing import Literal

from agents.turns.action_verbs import ActionVerbs, past_forms
from agents.turns.claim_text import (
    Word,
    clauses,
    finished_words,
    opens_a_question,
    sentences,
    tokens,
    word_set,
)

__all__ = [
    "LOOKAHEAD_WORDS",
    "NEVER_BACKED",
    "REACH_WORDS",
    "ActionVerbs",
    "Claim",
    "ClaimKind",
    "find_claims",
    "finished_words",
    "past_forms",
]

ClaimKind = Literal[
    "completion", "approval", "result", "run", "action", "memory", "permission", "imitation"
]
NEVER_BACKED: frozenset[ClaimKind] = frozenset({"memory", "permission", "imitation"})
"""Claims no record of a model-planned turn can back: a model stores no notes (only a person's
own ``remember`` or ``pin`` does), sets no approval policy, and writes no line of
Switchboard's."""

LOOKAHEAD_WORDS = 2
"""How many words after a claim's first word can change whether it is one (``failed`` +
``over``; ``ran`` + ``out``)."""

REACH_WORDS = 5
"""How many words before the word that makes it a claim a claim's first word can be
(``covered by Bob's approval`` is a claim once ``approval`` is written)."""
_BACK = REACH_WORDS

_WINDOW = 6  # words before a claim word in which a negation or a condition cancels it


_CANCELLING = word_set(
    """
    not no never nothing none nobody neither nor without cannot unable refused denied
    rejected blocked if unless once when whenever until till after before whether
    will would could can should shall may might must going gonna want wants need needs
    try trying
    """
)  # negations, conditions and modals only: "the deploy you requested was approved" and
# "the pending request was approved" are claims ("to be approved" is caught on its own)
_INSTRUCTIONS = word_set("check verify confirm ensure")
"""An instruction opening a clause (a runbook's step) asks for a check, it claims nothing:
``Verify the rollback completed``; ``Status check done`` is a claim."""
_SOFT_OPENERS = word_set("please then and first next finally")
_NEGATIONS = word_set("not no never nothing none nobody neither nor without cannot unable")
_STATE_WORDS = word_set(
    "is are am the a an this that these those currently last latest its their our your my"
)
_ADVERBS = word_set("now just already successfully fully also then all still")
_EVENT_ADVERBS = frozenset({"now", "just", "successfully"})  # "is now failed over": an event

_COMPLETION_OPENERS: tuple[tuple[str, ...], ...] = (
    ("done",),
    ("all", "done"),
    ("all", "set"),
    ("finished",),
    ("completed",),
    ("complete",),
    ("success",),
    ("successful",),
    ("successfully",),
    ("✅",),
)
_APPROVAL: tuple[tuple[str, ...], ...] = (("approved",), ("signed", "off"))
_RESULT: tuple[tuple[str, ...], ...] = (
    ("succeeded",),
    ("successfully",),
    ("went", "through"),
    ("completed",),
    ("finished",),
)
_RESULT_STATES = frozenset({"done", "complete", "completed", "finished"})  # "it's done"
_RUN: tuple[tuple[str, ...], ...] = (
    ("ran",),
    ("executed",),
    ("triggered",),
    ("performed",),
    ("applied",),
    ("carried", "out"),
    ("kicked", "off"),
    ("launched",),
    ("initiated",),
)
_KINDS: tuple[tuple[tuple[tuple[str, ...], ...], ClaimKind], ...] = (
    (_APPROVAL, "approval"),
    (_RESULT, "result"),
    (_RUN, "run"),
)
_MEMORY_VERBS = word_set("noted remembered memorized memorised pinned")  # "Noted for everyone"
_MEMORY_WRITES = word_set("saved stored added written wrote committed kept put")
_MEMORY_PLACES = word_set("memory memories")  # "saved to team memory", "stored in memory"
_INTO = word_set("to in into")
_SELF_APPROVAL: tuple[tuple[str, ...], ...] = (
    ("approve", "your", "own"),
    ("approve", "it", "yourself"),
    ("approve", "them", "yourself"),
    ("approve", "this", "yourself"),
    ("self", "approve"),
    ("self", "approved"),
)  # who may approve is the card's to say: "you can approve your own rollback"
_COVERED: tuple[tuple[str, ...], ...] = (
    ("covered", "by"),
    ("rides", "on"),
    ("ride", "on"),
    ("riding", "on"),
)  # "covered by Bob's approval", "rides on the web approval"
_APPROVALS = word_set("approval approvals")
_COVERS = word_set("covers cover covered")  # "Bob's approval covers it"
_RUNNING = word_set("running executing")  # "running it now"
_FINAL_STATES = word_set("done complete")  # "Status check done:", "Rollback complete."
_NOT_DONE_BY = word_set("it them this that be to get been")  # "let's get it done"


@dataclass(frozen=True, slots=True)
class Claim:
    """A claim in a text: where its words start and end, what kind, which action it names.

    Attributes:
        start, end: character offsets of its words in the text.
        action: the configured action its verb names (None: a generic claim, or an
            operations verb no action is named after).
        named: the configured actions its clause names (``the deploy succeeded`` names
            `deploy`): a generic claim is about these when there are any.
    """

    start: int
    end: int
    kind: ClaimKind
    words: str
    action: str | None = None
    named: tuple[str, ...] = ()


def find_claims(text: str, verbs: ActionVerbs) -> tuple[Claim, ...]:
    """Every claim in ``text`` that something ran, was approved or succeeded."""
    words = tokens(text)
    found: list[Claim] = list(_imitations(words))
    for sentence, question in sentences(words):
        if question or opens_a_question(sentence):
            continue
        for clause in clauses(sentence):
            named = verbs.named_in([t.text for t in clause])
            found += [replace(c, named=named) for c in _in_clause(clause, verbs)]
    return tuple(sorted(found, key=lambda claim: claim.start))


def _imitations(tokens: Sequence[Word]) -> Iterator[Claim]:
    """Switchboard's own voice in a model's text: the record line's 🧾, or ``Switchboard:``."""
    for index, token in enumerate(tokens):
        following = tokens[index + 1].text if index + 1 < len(tokens) else ""
        if token.text == "🧾" or (token.text == "switchboard" and following == ":"):
            yield Claim(token.start, token.end, "imitation", token.text)


def _in_clause(clause: Sequence[Word], verbs: ActionVerbs) -> list[Claim]:
    claims: list[Claim] = []
    opener = _match(clause, 0, _COMPLETION_OPENERS)
    if opener:
        claims.append(_claim(clause, 0, opener, "completion"))
    index = opener
    while index < len(clause):
        claim = _claim_at(clause, index, verbs)
        if claim is None:
            index += 1
            continue
        claims.append(claim)
        index = next(
            (i for i in range(index, len(clause)) if clause[i].start >= claim.end), len(clause)
        )
    return claims


def _claim_at(clause: Sequence[Word], index: int, verbs: ActionVerbs) -> Claim | None:
    word = clause[index].text
    if word in _RESULT_STATES and _after_be(clause, index) and not _cancelled(clause, index):
        return _claim(clause, index, 1, "result")  # "it's done", "the deploy is complete"
    special = _ending_at(clause, index) or _memory_or_permission(clause, index)
    if special is not None:
        return special
    for phrases, kind in _KINDS:
        size = _match(clause, index, phrases)
        if size and _asserted(clause, index, kind=kind):
            return _claim(clause, index, size, kind)
        if size:
            return None
    for phrase, action in verbs.phrases:
        size = _match(clause, index, (phrase,))
        if size and (_asserted(clause, index, kind="action") or _moved(clause, index, size)):
            return _claim(clause, index, size, "action", action)
        if size:
            return None
    return None


def _memory_or_permission(clause: Sequence[Word], index: int) -> Claim | None:
    """``Noted for everyone``, ``pinned for this thread``; ``you can approve your own``
    (only a negation takes this one back: it says what a person *can* do)."""
    size = _match(clause, index, _SELF_APPROVAL)
    if size:
        negated = any(_negation(t.text) for t in clause[max(0, index - _WINDOW) : index])
        return None if negated else _claim(clause, index, size, "permission")
    before = _previous(clause, index)
    cites = before is not None and before[0] == "as"  # "as noted in [1]"
    if clause[index].text in _MEMORY_VERBS and not cites:
        asserted = _asserted(clause, index, kind="memory")
        return _claim(clause, index, 1, "memory") if asserted else None
    return None


def _negation(word: str) -> bool:
    return word in _NEGATIONS or word.endswith("n't")


def _ending_at(clause: Sequence[Word], index: int) -> Claim | None:
    """A claim whose last word is at ``index``, its first up to :data:`_BACK` words before
    it: ``saved to team memory``, ``covered by Bob's approval``, ``running it now``, and a
    clause ending ``done`` or ``complete`` (``Status check done:``)."""
    word = clause[index].text
    window = range(index - 1, max(-1, index - _BACK - 1), -1)
    if word in _MEMORY_PLACES:
        for back in window:
            into = any(t.text in _INTO for t in clause[back + 1 : index])
            if clause[back].text in _MEMORY_WRITES and into:
                return _span(clause, back, index, "memory", asserted=True)
    if word in _APPROVALS:
        following = clause[index + 1].text if index + 1 < len(clause) else ""
        if following in _COVERS:
            return _span(clause, index, index + 1, "approval")
        for back in window:
            if _match(clause, back, _COVERED):
                return _span(clause, back, index, "approval")
    if word == "now":
        for back in window:
            if clause[back].text in _RUNNING:
                return _span(clause, back, index, "run")
    last = index == len(clause) - 1
    if word in _FINAL_STATES and last and index > 0 and clause[index - 1].text not in _NOT_DONE_BY:
        return _span(clause, index, index, "result")
    return None


def _span(
    clause: Sequence[Word], first: int, last: int, kind: ClaimKind, *, asserted: bool = False
) -> Claim | None:
    """The claim from ``first`` to ``last``, unless cancelled (or, with ``asserted``, a
    state or an infinitive) at its first word."""
    if _cancelled(clause, first) or (asserted and not _asserted(clause, first, kind=kind)):
        return None
    before = _previous(clause, first)
    if before is not None and before[0] in ("to", "be"):
        return None
    return _claim(clause, first, last - first + 1, kind)


def _moved(clause: Sequence[Word], index: int, size: int) -> bool:
    """A state that says where an action took something: ``api is deployed to prod``,
    ``web is already rolled back to v1`` (not ``api is deployed at v1.2.3``)."""
    end = index + size
    before = _previous(clause, index)
    if before is None or end >= len(clause) or clause[end].text != "to":
        return False
    word = before[0]
    be = word in ("is", "are", "am") or word.endswith("'s") or word.endswith("'re")
    return be and not _cancelled(clause, index)


def _match(clause: Sequence[Word], index: int, phrases: Iterable[tuple[str, ...]]) -> int:
    """The length of the first of ``phrases`` found at ``index`` (0: none)."""
    for phrase in phrases:
        end = index + len(phrase)
        if end <= len(clause) and tuple(t.text for t in clause[index:end]) == phrase:
            if phrase == ("ran",) and end < len(clause) and clause[end].text == "out":
                continue  # "ran out of tokens"
            return len(phrase)
    return 0


def _claim(
    clause: Sequence[Word], index: int, size: int, kind: ClaimKind, action: str | None = None
) -> Claim:
    words = clause[index : index + size]
    text = " ".join(t.text for t in words)
    return Claim(words[0].start, words[-1].end, kind, text, action)


def _asserted(clause: Sequence[Word], index: int, *, kind: ClaimKind) -> bool:
    """Whether the word at ``index`` asserts an event (not cancelled, not a state)."""
    if _cancelled(clause, index):
        return False
    before = _previous(clause, index)
    if before is None:
        return True
    word, adverb = before
    if word in ("to", "be"):
        return False  # "to deploy", "needs to be approved"
    if kind in ("approval", "result"):
        return True  # "it is approved" claims the approval
    if adverb in _EVENT_ADVERBS:
        return True  # "is now failed over"
    return not (word in _STATE_WORDS or word.endswith("'s") or word.endswith("'re"))


def _after_be(clause: Sequence[Word], index: int) -> bool:
    before = _previous(clause, index)
    if before is None:
        return False
    word = before[0]
    return word in ("is", "are", "was", "were", "been", "got") or word.endswith("'s")


def _previous(clause: Sequence[Word], index: int) -> tuple[str, str | None] | None:
    """The word before ``index`` skipping adverbs, and the adverb skipped last (if any)."""
    adverb: str | None = None
    for token in reversed(clause[:index]):
        if token.text in _ADVERBS:
            adverb = adverb or token.text
            continue
        return token.text, adverb
    return None


def _cancelled(clause: Sequence[Word], index: int) -> bool:
    for position in range(max(0, index - _WINDOW), index):
        word = clause[position].text
        opening = all(t.text in _SOFT_OPENERS for t in clause[:position])
        if word in _INSTRUCTIONS and opening:
            return True
        if word in _CANCELLING or word.endswith("n't") or word.endswith("'ll"):
            return True
        if word.endswith("'d"):
            return True  # "I'd deploy", "it'd be approved"
    return False
