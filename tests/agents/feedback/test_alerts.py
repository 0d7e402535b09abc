"""Alert rules and the gate: what fires, and that a burst of one failure fires once."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from agents.feedback.alerts import Alert, AlertGate, AlertRules, AlertSettings, _Window
from agents.kernel.models import Trace
from agents.turns.grounding import UNGROUNDED_CLAIM

T0 = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)
SETTINGS = AlertSettings(channel="C0ALERTS", min_turns=4, error_rate=0.5, fallback_rate=0.5)


def _trace(**changes: object) -> Trace:
    value = Trace(
        "t", "T1", "C1", "U1", "Ev", "mention", "deploy", "keyword", 0.5, "replied", T0, 0, 0, 0
    )
    return replace(value, **changes)  # type: ignore[arg-type]


def test_a_burst_of_the_same_alert_is_sent_once_then_summarised() -> None:
    """Within repeat_after the same kind and subject is held; the next one sent says how
    many were held. Another subject is not held back by it."""
    gate = AlertGate(SETTINGS)
    alert = Alert("breaker_opened", "deploy-api", "Circuit to deploy-api opened.")
    sent = [gate.admit(alert, now=T0 + timedelta(seconds=s)) for s in range(10)]
    assert [a for a in sent if a is not None] == [alert]
    other = Alert("breaker_opened", "billing", "Circuit to billing opened.")
    assert gate.admit(other, now=T0 + timedelta(seconds=11)) == other
    later = gate.admit(alert, now=T0 + SETTINGS.repeat_after + timedelta(seconds=1))
    assert later is not None and later.text.endswith("(9 more like it since the last alert)")


def test_at_most_max_per_hour_alerts_go_out() -> None:
    """Distinct alerts beyond the hourly cap are held until the hour has passed."""
    gate = AlertGate(replace(SETTINGS, max_per_hour=3))
    admitted = [
        gate.admit(Alert("executor_failing", f"a{n}", "x"), now=T0 + timedelta(seconds=n))
        for n in range(5)
    ]
    assert sum(a is not None for a in admitted) == 3
    assert gate.admit(Alert("executor_failing", "a9", "x"), now=T0 + timedelta(hours=1, seconds=1))


def test_an_action_failing_repeatedly_alerts_and_a_success_resets() -> None:
    """`executor_failures` failures in a row alert; a success starts the count again."""
    rules = AlertRules(SETTINGS)
    assert rules.execution("deploy", "failed") == []
    assert rules.execution("deploy", "unknown") == []
    (alert,) = rules.execution("deploy", "circuit_open")
    assert (alert.kind, alert.subject) == ("executor_failing", "deploy")
    assert "3 times in a row" in alert.text
    assert rules.execution("deploy", "succeeded") == []
    assert rules.execution("deploy", "failed") == []


def test_error_and_fallback_rates_need_enough_turns_in_the_window() -> None:
    """Rates alert only over min_turns turns within the window; old turns drop out."""
    rules = AlertRules(SETTINGS)
    failed = _trace(outcome="agent_error", error="boom")
    assert rules.turn(failed, now=T0) == []
    assert rules.turn(failed, now=T0) == []
    assert rules.turn(_trace(), now=T0) == []
    (alert,) = rules.turn(_trace(), now=T0)  # 2 of 4 failed: 50%
    assert alert.kind == "error_rate" and "50% of the last 4 turns" in alert.text
    late = T0 + SETTINGS.window + timedelta(seconds=1)
    assert rules.turn(_trace(), now=late) == []  # the window emptied
    degraded = _trace(planner="rules", degraded="provider_down")
    kinds = [a.kind for n in range(4) for a in rules.turn(degraded, now=late)]
    assert kinds == ["fallback_rate"]


def test_the_window_holds_as_much_at_any_rate_of_turns() -> None:
    """Ten thousand turns in two minutes, then more: the counts are exact and the window
    keeps one entry per slice of it (1/600), not one per turn."""
    window = _Window(SETTINGS.window)
    for n in range(10_000):
        count, rate = window.add(T0 + timedelta(milliseconds=12 * n), bad=n % 4 == 0)
    assert (count, rate) == (10_000, 0.25)
    assert len(window._slices) <= 121  # one a second
    late = T0 + SETTINGS.window + timedelta(minutes=1)
    count, rate = window.add(late, bad=True)  # the first minute left, up to a slice early
    assert 5_000 - 84 <= count <= 5_000  # 84 turns a second
    assert abs(rate - 0.25) < 0.01
    assert window.add(late + SETTINGS.window, bad=False) == (1, 0.0)


def test_a_marked_claim_is_not_a_fallback() -> None:
    """Turns whose model's claim was marked are model-planned turns that did not fall back:
    they never make the fallback rate alert, and they count as good turns in its window."""
    rules = AlertRules(SETTINGS)
    marked = _trace(planner="llm", degraded=UNGROUNDED_CLAIM)
    assert [a for n in range(8) for a in rules.turn(marked, now=T0)] == []
    degraded = _trace(planner="rules", degraded="provider_down")
    kinds = [a.kind for n in range(8) for a in rules.turn(degraded, now=T0)]
    assert kinds == ["fallback_rate"]  # only at 8 of 16: the marked turns counted as good


def test_breakers_budgets_and_expiry() -> None:
    """A breaker opening and closing, a budget spent and an expired request each alert."""
    assert [a.kind for a in AlertRules.breaker("x", before="closed", after="open")] == [
        "breaker_opened"
    ]
    assert [a.kind for a in AlertRules.breaker("x", before="half_open", after="closed")] == [
        "breaker_closed"
    ]
    assert AlertRules.breaker("x", before="closed", after="closed") == []
    (budget,) = AlertRules(SETTINGS).turn(_trace(planner="rules", degraded="budget_user"), now=T0)
    assert (budget.kind, budget.subject) == ("budget_exhausted", "user:deploy")
    (expired,) = AlertRules.approval_expired("deploy", "U1")
    assert expired.kind == "approval_expired" and "<@U1>" in expired.text


def test_an_action_changed_after_its_approval_alerts_per_action() -> None:
    """A refused run names the action, the requester and why; one subject per action, so a
    config change refusing many runs is one alert, then a summary."""
    (alert,) = AlertRules.action_changed("deploy", requester="U1", summary="Digest differs.")
    assert (alert.kind, alert.subject) == ("action_changed", "deploy")
    assert "<@U1>" in alert.text and "Digest differs." in alert.text
    assert "config of `deploy`" in alert.text
