"""The verbs that claim an action ran: the built-in operations verbs and the past forms of
the configured actions' names and command words (``failover`` -> ``failed over``).

:mod:`agents.turns.claims` finds these in a model's text; they are built once per set of
configured actions (:meth:`ActionVerbs.of`), so the English of past tenses lives here alone.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

from agents.actions.spec import ActionSpec

__all__ = ["ActionVerbs", "past_forms"]

_OPS_VERBS = """
deployed redeployed rolled_back failed_over switched_over cut_over restarted rebooted
reverted released shipped scaled migrated promoted drained paused resumed purged flushed
restored provisioned terminated killed upgraded rotated published cordoned disabled enabled
"""
_PARTICLES = ("back", "over", "up", "down", "out", "off")
_IRREGULAR = {
    "run": "ran",
    "build": "built",
    "send": "sent",
    "shut": "shut",
    "cut": "cut",
    "spin": "spun",
    "bring": "brought",
    "make": "made",
    "take": "took",
    "get": "got",
    "stop": "stopped",
    "drop": "dropped",
    "ship": "shipped",
    "plan": "planned",
    "tag": "tagged",
    "scan": "scanned",
}
_VOWELS = frozenset("aeiou")


def past_forms(name: str) -> tuple[tuple[str, ...], ...]:
    """The past forms of an action's name or command word: ``failover`` ->
    ``("failed", "over")``, ``deploy`` -> ``("deployed",)``, ``restart_service`` ->
    ``("restarted",)``."""
    words = _words(name)
    if not words:
        return ()
    head = words[0]
    if len(words) > 1 and words[1] in _PARTICLES:
        return ((_past(head), words[1]),)
    for particle in _PARTICLES:
        if head.endswith(particle) and len(head) > len(particle) + 2:
            return ((_past(head[: -len(particle)]), particle), (_past(head),))
    return ((_past(head),),)


def _past(verb: str) -> str:
    if verb in _IRREGULAR:
        return _IRREGULAR[verb]
    if verb.endswith("e"):
        return verb + "d"
    if verb.endswith("y") and len(verb) > 1 and verb[-2] not in _VOWELS:
        return verb[:-1] + "ied"
    return verb + "ed"


@dataclass(frozen=True, slots=True)
class ActionVerbs:
    """The past-tense verbs that claim an action, each naming its action when one is
    configured under that verb."""

    phrases: tuple[tuple[tuple[str, ...], str | None], ...]
    names: tuple[tuple[tuple[str, ...], str], ...] = ()
    """The words that name each action: its name (``purge_cache`` -> ``purge cache``) and
    the first word of each command format (``ship {service}`` -> ``ship``)."""

    @classmethod
    def of(cls, actions: Iterable[ActionSpec]) -> ActionVerbs:
        """The built-in operations verbs and the past forms of ``actions``' names and the
        first word of each of their command formats.

        Every answered turn asks for the verbs of its agent's actions, which change only
        with the configuration: the result is kept per set of names and formats."""
        return _verbs_of(tuple((action.name, tuple(action.formats)) for action in actions))

    def named_in(self, words: Sequence[str]) -> tuple[str, ...]:
        """The configured actions ``words`` name (``the deploy succeeded``: ``deploy``), in
        the order of :attr:`names`."""
        found: dict[str, None] = {}
        for phrase, action in self.names:
            size = len(phrase)
            if any(tuple(words[i : i + size]) == phrase for i in range(len(words) - size + 1)):
                found.setdefault(action)
        return tuple(found)


@lru_cache(maxsize=256)
def _verbs_of(actions: tuple[tuple[str, tuple[str, ...]], ...]) -> ActionVerbs:
    named: dict[tuple[str, ...], str | None] = {}
    names: dict[tuple[str, ...], str] = {}
    for name, formats in actions:
        stems = [name] + [f.split("{", 1)[0] for f in formats]
        for stem in stems:
            for phrase in past_forms(stem):
                named.setdefault(phrase, name)
        names.setdefault(_words(name), name)
        for stem in stems[1:]:
            names.setdefault(_words(stem)[:1], name)
    for verb in _OPS_VERBS.split():
        named.setdefault(tuple(verb.split("_")), None)
    # Longest first, so "failed over" wins over a bare "failed".
    ordered = sorted(named.items(), key=lambda item: -len(item[0]))
    return ActionVerbs(tuple(ordered), tuple((k, v) for k, v in names.items() if k))


def _words(name: str) -> tuple[str, ...]:
    return tuple(w for w in re.split(r"[^a-z]+", name.lower()) if w)
