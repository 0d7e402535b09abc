"""Reviewed turns as evaluation cases (the JSONL lines ``switchboard eval`` reads).

What a case expects starts from what the turn did, minus what people said was wrong:
a ``routing`` label or a "wrong agent" 👎 drops the agent; a "wrong action" 👎 drops the
action, its parameters and whether it needed approval; the answer a person said they
expected becomes the expected answer. A reviewer's corrections (``review promote --agent
…``) then replace any field. A field left out is not scored.
"""

from __future__ import annotations

from agents.feedback.values import ReviewCase

__all__ = ["CASE_FIELDS", "case_record"]

CASE_FIELDS = ("agent", "action", "params", "approval_required", "answer")
"""What an evaluation case may expect (and a reviewer may correct)."""


def _expected(case: ReviewCase) -> dict[str, object]:
    expected: dict[str, object] = {}
    if case.label != "routing" and "wrong_agent" not in case.reasons:
        expected["agent"] = case.trace.agent
    if "wrong_action" not in case.reasons:
        if case.approval is None:
            expected["action"] = None
            expected["approval_required"] = False
        else:
            expected["action"] = case.approval.action
            expected["params"] = dict(case.approval.params)
            expected["approval_required"] = case.approval.required
    if case.expected:
        expected["answer"] = case.expected
    expected.update({k: v for k, v in case.corrections.items() if k in CASE_FIELDS})
    return expected


def case_record(case: ReviewCase) -> dict[str, object]:
    """One evaluation case: the input, the thread before it, and what is expected."""
    trace = case.trace
    record: dict[str, object] = {
        "id": f"{trace.agent}-{trace.trace_id[:12]}",
        "input": {
            "text": case.question,
            "user": trace.user_id,
            "channel": trace.channel_id,
            "source": trace.source,
            "team": trace.team_id,
        },
        "context": [
            {"direction": m.direction, "user": m.user_id, "text": m.text} for m in case.context
        ],
        "expected": _expected(case),
        "source_trace": trace.trace_id,
    }
    if case.label is not None:
        record["label"] = case.label
    return record
