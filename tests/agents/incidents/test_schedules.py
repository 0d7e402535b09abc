"""On-call from an external directory: levels now and next, and how they read."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from agents.incidents.schedules import OncallShift, ServiceOncall, describe, levels_of

NOW = datetime(2026, 11, 5, 12, 0, tzinfo=UTC)
WEEK = timedelta(days=7)
MONDAY = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


def test_levels_pick_the_shift_covering_now_and_the_one_after_it() -> None:
    """Level 1: Ada now until Monday, then Grace; level 2: always Edsger, no next."""
    shifts = [
        OncallShift(1, "Grace", MONDAY + WEEK, MONDAY + 2 * WEEK, "Primary"),
        OncallShift(1, "Ada", MONDAY, MONDAY + WEEK, "Primary"),
        OncallShift(2, "Edsger"),
    ]
    levels = levels_of(shifts, now=NOW)
    assert [(lv.level, lv.now.person, lv.next and lv.next.person) for lv in levels] == [
        (1, "Ada", "Grace"),
        (2, "Edsger", None),
    ]


def test_a_level_nobody_covers_now_is_left_out() -> None:
    """A shift that starts later is not someone on call now."""
    levels = levels_of([OncallShift(1, "Grace", MONDAY + WEEK, MONDAY + 2 * WEEK)], now=NOW)
    assert levels == ()


def test_describe_names_the_policy_each_level_until_when_and_who_next() -> None:
    """One line per level, in UTC, saying who is next and who is always on call."""
    shifts = [
        OncallShift(1, "Ada", MONDAY, MONDAY + WEEK, "Primary"),
        OncallShift(1, "Grace", MONDAY + WEEK, MONDAY + 2 * WEEK, "Primary"),
        OncallShift(2, "Edsger"),
    ]
    item = describe(ServiceOncall("checkout", "Checkout EP", levels_of(shifts, now=NOW)))
    assert item.label == "checkout · PagerDuty escalation policy Checkout EP"
    assert item.detail.splitlines() == [
        "Level 1 (Primary): Ada until Mon 2026-11-09 09:00 UTC, then Grace until "
        "Mon 2026-11-16 09:00 UTC",
        "Level 2: Edsger (always on call at this level)",
    ]


def test_describe_says_when_nobody_is_on_call() -> None:
    """No level covered: said plainly."""
    assert describe(ServiceOncall("x", "EP", ())).detail == "Nobody is on call right now."
