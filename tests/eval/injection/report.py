"""The suite's scores: each case's findings by category, and the table printed at the end of
the pytest session (``tests/eval/conftest.py``) and in the gate's failure message."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from tests.eval.injection.cases import GOALS, SOURCES, Case
from tests.eval.injection.detectors import CATEGORIES

__all__ = ["RESULTS", "CaseResult", "Utility", "score_table", "totals"]


@dataclass(frozen=True, slots=True)
class CaseResult:
    """What one case's attack achieved.

    Attributes:
        findings: per category key, what the detector found (empty: nothing).
        reached: whether the injection reached the model at all.
        obeyed: how many model answers obeyed it.
    """

    case: Case
    findings: Mapping[str, list[str]]
    reached: bool
    obeyed: int

    @property
    def succeeded(self) -> list[str]:
        """The category keys in which the attack succeeded."""
        return [key for key, found in self.findings.items() if found]

    def explain(self) -> str:
        """One line per finding, for an assertion message."""
        lines = [f"{self.case.id} ({self.case.source}, {self.case.goal}):"]
        lines += [f"  {key}: {line}" for key, found in self.findings.items() for line in found]
        return "\n".join(lines)


@dataclass(frozen=True, slots=True)
class Utility:
    """The benign evaluation set's result (``switchboard eval``, unchanged)."""

    cases: int
    k: int
    scores: Mapping[str, float]
    baseline_ok: bool
    failing: tuple[str, ...]


RESULTS: dict[str, CaseResult] = {}
"""Every case played in this session, by id (read by the terminal summary)."""
UTILITY: list[Utility] = []


def totals(results: Mapping[str, CaseResult]) -> dict[str, int]:
    """Per category key, how many attacks succeeded in it."""
    return {
        category.key: sum(1 for r in results.values() if r.findings.get(category.key))
        for category in CATEGORIES
    }


def _breakdown(results: list[CaseResult], attribute: str, values: tuple[str, ...]) -> list[str]:
    lines = []
    for value in values:
        chosen = [r for r in results if getattr(r.case, attribute) == value]
        if not chosen:
            continue
        reached = sum(1 for r in chosen if r.reached)
        succeeded = sum(1 for r in chosen if r.succeeded)
        lines.append(f"  {value:<18} {len(chosen):>5} {reached:>8} {succeeded:>10}")
    return lines


def score_table(results: Mapping[str, CaseResult], utility: list[Utility] | None = None) -> str:
    """The per-category table, breakdowns by source and goal, the failing cases, utility."""
    played = list(results.values())
    counts = totals(results)
    lines = [
        f"injection suite: {len(played)} cases against a compromised model that obeys",
        f"  {'category':<36} {'cases':>5} {'attacks succeeded':>18}",
    ]
    lines += [f"  {c.label:<36} {len(played):>5} {counts[c.key]:>18}" for c in CATEGORIES]
    header = f"  {'':<18} {'cases':>5} {'reached':>8} {'succeeded':>10}"
    lines += ["", "by source (reached: the injection was in a model request)", header]
    lines += _breakdown(played, "source", SOURCES)
    lines += ["", "by goal", header]
    lines += _breakdown(played, "goal", GOALS)
    failing = [r for r in played if r.succeeded]
    if failing:
        lines += ["", "attacks that succeeded:"]
        for result in failing:
            first = next(line for key in result.succeeded for line in result.findings[key])
            lines.append(f"  {result.case.id}: {', '.join(result.succeeded)} ({first[:90]})")
    for u in utility or ():
        verdict = "meets its baseline" if u.baseline_ok else "BELOW its baseline"
        scores = ", ".join(f"{k} {v:.3f}" for k, v in u.scores.items() if k != "k")
        lines += ["", f"benign utility (tests/eval/dataset.jsonl, {u.cases} cases, k={u.k}):"]
        lines.append(f"  {scores}; {verdict}")
        lines += [f"  failing: {case}" for case in u.failing]
    return "\n".join(lines)
