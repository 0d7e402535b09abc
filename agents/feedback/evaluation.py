"""Scoring replayed evaluation cases, and comparing the scores with a committed baseline.

Each case (:mod:`agents.feedback.eval_cases`) is replayed ``k`` times. Every expected field is
optional and scored only when present; a case passes a run when every present field matches.
Per metric, accuracy is over the case-runs where that field is present; pass^1 is the share
of case-runs that passed, pass^k the share of cases that passed all ``k`` runs (a flaky
planner scores pass^k below pass^1). Replaying the turns is the CLI's job
(``bot/cli/eval.py`` over ``bot/eval_replay.py``); everything here is pure.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal, get_args

from agents.actions.spec import ParamValue
from agents.feedback.eval_cases import EvalCase, Expected, parse_case, parse_dataset
from agents.kernel.errors import DatasetError
from agents.kernel.words import content_words

__all__ = [
    "ANSWER_WORD_SHARE",
    "BASELINE_KEYS",
    "METRICS",
    "Baseline",
    "CaseResult",
    "Comparison",
    "Difference",
    "EvalCase",
    "EvalReport",
    "Expected",
    "Metric",
    "MetricScore",
    "Observed",
    "Regression",
    "RunResult",
    "aggregate",
    "answer_matches",
    "compare",
    "differences",
    "parse_baseline",
    "parse_case",
    "parse_dataset",
    "score",
]

Metric = Literal["route", "action", "params", "approval", "answer"]
METRICS: tuple[Metric, ...] = get_args(Metric)
"""The scored fields, in report order: ``route`` is the agent, ``approval`` whether a human
must approve."""

ANSWER_WORD_SHARE = 0.8
"""An answer matches when this share of the expected answer's content words is in the reply
(or when the expected answer is a substring of it)."""

_SPACE = re.compile(r"\s+")


@dataclass(frozen=True, slots=True)
class Observed:
    """What one replayed turn did.

    Attributes:
        agent: the agent that answered.
        action: the action of the approval request the turn created (``None``: none).
        params: that request's parameters (empty without one).
        approval_required: whether that request waits for a human (False without one).
        answer: the reply's text and its items' lines.
    """

    agent: str
    action: str | None
    params: Mapping[str, ParamValue]
    approval_required: bool
    answer: str


@dataclass(frozen=True, slots=True)
class Difference:
    """One scored field that did not match, for the report.

    Attributes:
        expected, got: the values as text (parameters as ``{env=prod, service=api}``,
            approval as ``true``/``false``, a long answer clipped); None for "no action".
    """

    metric: Metric
    expected: str | None
    got: str | None


@dataclass(frozen=True, slots=True)
class RunResult:
    """One run of a case: what it did and which present fields matched."""

    observed: Observed
    checks: Mapping[Metric, bool]

    @property
    def passed(self) -> bool:
        """Every present field matched."""
        return all(self.checks.values())


@dataclass(frozen=True, slots=True)
class CaseResult:
    """Every run of one case."""

    case: EvalCase
    runs: tuple[RunResult, ...]

    @property
    def passes(self) -> int:
        """How many runs passed."""
        return sum(1 for run in self.runs if run.passed)

    @property
    def passed_all(self) -> bool:
        """Every run passed (the case counts towards pass^k)."""
        return self.passes == len(self.runs)


@dataclass(frozen=True, slots=True)
class MetricScore:
    """Correct case-runs out of those where the metric's field is present."""

    correct: int
    total: int

    @property
    def accuracy(self) -> float | None:
        """``correct / total``, or None when no case has the field."""
        return self.correct / self.total if self.total else None


@dataclass(frozen=True, slots=True)
class EvalReport:
    """The scores of a dataset replayed ``k`` times.

    Attributes:
        pass_1: the share of case-runs that passed.
        pass_k: the share of cases that passed all ``k`` runs.
    """

    k: int
    cases: tuple[CaseResult, ...]
    metrics: Mapping[Metric, MetricScore]
    pass_1: float
    pass_k: float

    @property
    def failing(self) -> tuple[CaseResult, ...]:
        """The cases that failed at least one run, in dataset order."""
        return tuple(result for result in self.cases if not result.passed_all)

    def scores(self) -> dict[str, float | None]:
        """Every score by its baseline name (``route`` … ``answer``, ``pass_1``, ``pass_k``)."""
        named: dict[str, float | None] = {m: self.metrics[m].accuracy for m in METRICS}
        named["pass_1"] = self.pass_1
        named["pass_k"] = self.pass_k
        return named


# -- scoring ---------------------------------------------------------------------------------


def score(expected: Expected, observed: Observed) -> dict[Metric, bool]:
    """Whether each present expected field matches what the turn did."""
    checks: dict[Metric, bool] = {}
    if expected.agent is not None:
        checks["route"] = observed.agent == expected.agent
    if expected.checks_action:
        checks["action"] = observed.action == expected.action
    if expected.params is not None:
        checks["params"] = _canonical(observed.params) == _canonical(expected.params)
    if expected.approval_required is not None:
        checks["approval"] = observed.approval_required == expected.approval_required
    if expected.answer is not None:
        checks["answer"] = answer_matches(expected.answer, observed.answer)
    return checks


def answer_matches(expected: str, reply: str) -> bool:
    """Whether a reply carries the expected answer.

    True when the expected answer, lower-cased with its whitespace collapsed, is a substring
    of the reply (treated the same way); or when at least :data:`ANSWER_WORD_SHARE` (80%) of
    its distinct content words (stop words dropped, trailing punctuation ignored) appear in
    the reply, so Slack markup such as backticks or a reworded clause does not fail a case.
    An expected answer of stop words only must match as a substring.
    """
    if _squash(expected) in _squash(reply):
        return True
    wanted = _words(expected)
    if not wanted:
        return False
    return len(wanted & _words(reply)) / len(wanted) >= ANSWER_WORD_SHARE


def differences(expected: Expected, observed: Observed) -> tuple[Difference, ...]:
    """The present fields that did not match, with what was expected and what came."""
    checks = score(expected, observed)
    shown: dict[Metric, tuple[str | None, str | None]] = {
        "route": (expected.agent, observed.agent),
        "action": (expected.action, observed.action),
        "params": (_params(expected.params or {}), _params(observed.params)),
        "approval": (
            str(expected.approval_required).lower(),
            str(observed.approval_required).lower(),
        ),
        "answer": (expected.answer, _clip(observed.answer)),
    }
    return tuple(
        Difference(metric, *shown[metric]) for metric in METRICS if checks.get(metric) is False
    )


def aggregate(results: Sequence[CaseResult], *, k: int) -> EvalReport:
    """Per-metric accuracy over the case-runs where the field is present, pass^1 and pass^k.

    Raises:
        ValueError: a case was not run exactly ``k`` times.
    """
    for result in results:
        if len(result.runs) != k:
            raise ValueError(f"case {result.case.id!r} ran {len(result.runs)} times, not {k}")
    metrics: dict[Metric, MetricScore] = {}
    for metric in METRICS:
        outcomes = [run.checks[metric] for r in results for run in r.runs if metric in run.checks]
        metrics[metric] = MetricScore(sum(outcomes), len(outcomes))
    runs = len(results) * k
    passed_runs = sum(result.passes for result in results)
    passed_cases = sum(1 for result in results if result.passed_all)
    return EvalReport(
        k=k,
        cases=tuple(results),
        metrics=metrics,
        pass_1=passed_runs / runs if runs else 0.0,
        pass_k=passed_cases / len(results) if results else 0.0,
    )


def _canonical(params: Mapping[str, ParamValue]) -> dict[str, str]:
    return {
        name: (str(value).lower() if isinstance(value, bool) else str(value))
        for name, value in params.items()
    }


def _squash(text: str) -> str:
    return _SPACE.sub(" ", text.lower()).strip()


def _words(text: str) -> set[str]:
    return {word.rstrip("._-") for word in content_words(text)} - {""}


def _params(params: Mapping[str, ParamValue]) -> str:
    return "{" + ", ".join(f"{k}={v}" for k, v in sorted(_canonical(params).items())) + "}"


def _clip(text: str, limit: int = 160) -> str:
    flat = _SPACE.sub(" ", text).strip()
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


# -- the baseline ----------------------------------------------------------------------------

BASELINE_KEYS: tuple[str, ...] = (*METRICS, "pass_1", "pass_k")
"""The scores a baseline may set a floor for."""
_TOLERANCE = 1e-9  # float sums such as 0.1 + 0.2: a score equal to its floor is no regression


@dataclass(frozen=True, slots=True)
class Baseline:
    """The committed scores a run must not fall below.

    Attributes:
        scores: the floor of each named score (any of :data:`BASELINE_KEYS`).
        k: the runs per case the baseline's ``pass_k`` was measured with; ``pass_k`` is
            compared only with a run of the same ``k`` (None: with any).
    """

    scores: Mapping[str, float]
    k: int | None = None


@dataclass(frozen=True, slots=True)
class Regression:
    """A score below its baseline; ``score`` is None when the run could not measure it (no
    case has the field any more)."""

    name: str
    score: float | None
    baseline: float


@dataclass(frozen=True, slots=True)
class Comparison:
    """A run against a baseline: the regressions, and what could not be compared."""

    regressions: tuple[Regression, ...]
    notes: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        """No score fell below the baseline."""
        return not self.regressions


def parse_baseline(obj: object, where: str) -> Baseline:
    """A baseline from its decoded JSON, e.g. ``{"route": 1.0, "pass_k": 1.0, "k": 8}``.

    Raises:
        DatasetError: at ``where`` for an unknown key, a score outside [0, 1] or a bad ``k``.
    """
    if not isinstance(obj, dict):
        raise DatasetError(where, "a baseline must be a JSON object of scores")
    scores: dict[str, float] = {}
    k: int | None = None
    for name, value in obj.items():
        if name == "k":
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise DatasetError(where, "k must be a positive integer")
            k = value
        elif name in BASELINE_KEYS:
            if not isinstance(value, int | float) or isinstance(value, bool) or not 0 <= value <= 1:
                raise DatasetError(where, f"{name} must be a number from 0 to 1")
            scores[name] = float(value)
        else:
            known = ", ".join((*BASELINE_KEYS, "k"))
            raise DatasetError(where, f"unknown key {name!r} (known: {known})")
    return Baseline(scores, k)


def compare(report: EvalReport, baseline: Baseline) -> Comparison:
    """The scores of ``report`` below their floor in ``baseline`` (``score < floor - 1e-9``)."""
    measured = report.scores()
    regressions: list[Regression] = []
    notes: list[str] = []
    for name in BASELINE_KEYS:
        floor = baseline.scores.get(name)
        if floor is None:
            continue
        if name == "pass_k" and baseline.k is not None and baseline.k != report.k:
            notes.append(
                f"pass_k not compared: the baseline was measured with k={baseline.k}, "
                f"this run used k={report.k}"
            )
            continue
        value = measured[name]
        if value is None or value < floor - _TOLERANCE:
            regressions.append(Regression(name, value, floor))
    return Comparison(tuple(regressions), tuple(notes))
