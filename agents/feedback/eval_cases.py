"""Evaluation cases: one person's message, the thread before it, and what the bot should do.

The dataset is JSON Lines, one case per line (blank lines and ``#`` comments ignored)::

    {"id": "deploy-prod",
     "input": {"text": "deploy api to prod", "user": "U0ALICE", "channel": "C0GENERAL",
               "source": "mention", "team": "T0EVAL"},
     "context": [{"direction": "in", "user": "U0ALICE", "text": "earlier in the thread"}],
     "expected": {"agent": "deploy", "action": "deploy",
                  "params": {"service": "api", "env": "prod"},
                  "approval_required": true, "answer": "needs approval"},
     "source_trace": "the trace it was exported from", "label": "a review label"}

Only ``id``, ``input.text`` and ``expected`` are required. Unknown keys are errors: a
misspelt expectation would otherwise silently not be scored. Pure: the caller reads the file.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal, get_args

from agents.actions.spec import ParamValue
from agents.kernel.errors import DatasetError
from agents.kernel.models import Source

__all__ = [
    "CaseInput",
    "ContextMessage",
    "EvalCase",
    "Expected",
    "parse_case",
    "parse_dataset",
]

_SOURCES: tuple[Source, ...] = get_args(Source)
_CASE_KEYS = frozenset({"id", "input", "context", "expected", "source_trace", "label"})
_INPUT_KEYS = frozenset({"text", "user", "channel", "source", "team"})
_CONTEXT_KEYS = frozenset({"direction", "user", "text"})
_EXPECTED_KEYS = frozenset({"agent", "action", "params", "approval_required", "answer"})


@dataclass(frozen=True, slots=True)
class CaseInput:
    """The replayed message: its text and where it came from (``source`` as in ``Inbound``;
    ``command`` is the text after ``/ops``)."""

    text: str
    user_id: str = "U0EVAL"
    channel_id: str = "C0EVAL"
    source: Source = "mention"
    team_id: str = "T0EVAL"


@dataclass(frozen=True, slots=True)
class ContextMessage:
    """A message earlier in the thread, stored before the case's message is replayed."""

    direction: Literal["in", "out"]
    user_id: str
    text: str


@dataclass(frozen=True, slots=True)
class Expected:
    """What the turn should do; ``None`` fields are not scored.

    Attributes:
        agent: the agent the router must choose.
        action: the action whose approval request the turn must create; ``None`` with
            ``checks_action`` means no action may be proposed.
        checks_action: whether ``action`` is scored (the dataset named it, maybe as null).
        params: the proposed action's parameters, exactly (``4`` and ``"4"`` are equal).
        approval_required: whether a human must approve the proposed action (False when no
            action is proposed).
        answer: text the reply must carry (see
            :func:`agents.feedback.evaluation.answer_matches`).
    """

    agent: str | None = None
    action: str | None = None
    checks_action: bool = False
    params: Mapping[str, ParamValue] | None = None
    approval_required: bool | None = None
    answer: str | None = None


@dataclass(frozen=True, slots=True)
class EvalCase:
    """One case of an evaluation dataset.

    Attributes:
        source_trace: the trace the case was exported from, if it was.
        label: the reviewer's label, if any.
    """

    id: str
    input: CaseInput
    expected: Expected
    context: tuple[ContextMessage, ...] = ()
    source_trace: str | None = None
    label: str | None = None


def parse_dataset(text: str, *, source: str) -> tuple[EvalCase, ...]:
    """The cases of a JSON Lines dataset; ``source`` names the file in errors.

    Raises:
        DatasetError: at ``source:line`` for the first malformed line or repeated id, or for
            a dataset without cases.
    """
    cases: list[EvalCase] = []
    seen: dict[str, int] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        where = f"{source}:{number}"
        try:
            obj = json.loads(stripped)
        except json.JSONDecodeError as exc:
            raise DatasetError(where, f"not valid JSON: {exc.msg} (column {exc.colno})") from None
        case = parse_case(obj, where)
        if case.id in seen:
            raise DatasetError(where, f"id {case.id!r} is used already on line {seen[case.id]}")
        seen[case.id] = number
        cases.append(case)
    if not cases:
        raise DatasetError(source, "no cases (one JSON object per line)")
    return tuple(cases)


def parse_case(obj: object, where: str) -> EvalCase:
    """One case from its decoded JSON; ``where`` (``file:line``) prefixes every error.

    Raises:
        DatasetError: a required field is missing, a field has the wrong type, or a key is
            unknown (a misspelt expectation would otherwise be silently not scored).
    """
    case = _object(obj, "the case", _CASE_KEYS, where)
    case_id = _text(case.get("id"), "id", where)
    raw_input = _object(case.get("input"), "input", _INPUT_KEYS, where)
    source = raw_input.get("source", "mention")
    if source not in _SOURCES:
        raise DatasetError(where, f"input.source must be one of {', '.join(_SOURCES)}")
    inbound = CaseInput(
        text=_text(raw_input.get("text"), "input.text", where),
        user_id=_text(raw_input.get("user", "U0EVAL"), "input.user", where),
        channel_id=_text(raw_input.get("channel", "C0EVAL"), "input.channel", where),
        source=source,
        team_id=_text(raw_input.get("team", "T0EVAL"), "input.team", where),
    )
    raw_context = case.get("context", [])
    if not isinstance(raw_context, list):
        raise DatasetError(where, "context must be a list of messages")
    context = tuple(
        _context(item, f"context[{n}]", inbound.user_id, where)
        for n, item in enumerate(raw_context)
    )
    return EvalCase(
        id=case_id,
        input=inbound,
        expected=_expected(case.get("expected"), where),
        context=context,
        source_trace=_optional_text(case.get("source_trace"), "source_trace", where),
        label=_optional_text(case.get("label"), "label", where),
    )


def _expected(obj: object, where: str) -> Expected:
    raw = _object(obj, "expected", _EXPECTED_KEYS, where)
    if not raw:
        raise DatasetError(where, "expected must name at least one of " + _names(_EXPECTED_KEYS))
    action = raw.get("action")
    if action is not None:
        action = _text(action, "expected.action", where)
    approval = raw.get("approval_required")
    if approval is not None and not isinstance(approval, bool):
        raise DatasetError(where, "expected.approval_required must be true or false")
    params: dict[str, ParamValue] | None = None
    if raw.get("params") is not None:
        found = raw["params"]
        if not isinstance(found, dict):
            raise DatasetError(where, "expected.params must be an object")
        params = {}
        for name, value in found.items():
            if not isinstance(value, str | int | bool):
                raise DatasetError(
                    where, f"expected.params.{name} must be a string, an integer or a boolean"
                )
            params[name] = value
    answer = raw.get("answer")
    return Expected(
        agent=_optional_text(raw.get("agent"), "expected.agent", where),
        action=action,
        checks_action="action" in raw,
        params=params,
        approval_required=approval,
        answer=None if answer is None else _text(answer, "expected.answer", where),
    )


def _context(obj: object, name: str, user_id: str, where: str) -> ContextMessage:
    raw = _object(obj, name, _CONTEXT_KEYS, where)
    direction = raw.get("direction")
    if direction not in ("in", "out"):
        raise DatasetError(where, f"{name}.direction must be 'in' or 'out'")
    text = raw.get("text")
    if not isinstance(text, str):
        raise DatasetError(where, f"{name}.text must be a string")
    default = user_id if direction == "in" else ""
    user = raw.get("user", default)
    if not isinstance(user, str):
        raise DatasetError(where, f"{name}.user must be a string")
    return ContextMessage(direction, user or default, text)


def _object(obj: object, name: str, keys: frozenset[str], where: str) -> dict[str, object]:
    if not isinstance(obj, dict):
        raise DatasetError(where, f"{name} must be a JSON object")
    unknown = sorted(set(obj) - keys)
    if unknown:
        raise DatasetError(where, f"unknown key {unknown[0]!r} in {name} (known: {_names(keys)})")
    return obj


def _text(value: object, name: str, where: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise DatasetError(where, f"{name} must be a non-empty string")
    return value


def _optional_text(value: object, name: str, where: str) -> str | None:
    return None if value is None else _text(value, name, where)


def _names(keys: frozenset[str]) -> str:
    return ", ".join(sorted(keys))
