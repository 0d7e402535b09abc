"""On-call rotations: shifts cycle through the users, overrides win, hand-offs are found."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from agents.incidents.rotation import Override, Rotation

START = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)  # a Monday
WEEKLY = Rotation("primary", ("U0ANA", "U0BOB", "U0CAROL"), START, timedelta(days=7))


def test_each_shift_belongs_to_the_next_user_in_turn() -> None:
    """Week 1 Ana, week 2 Bob, week 3 Carol, week 4 Ana again."""
    weeks = [WEEKLY.on_call_at(START + timedelta(days=7 * n, hours=1)) for n in range(4)]
    assert weeks == ["U0ANA", "U0BOB", "U0CAROL", "U0ANA"]


def test_a_shift_changes_exactly_at_the_boundary() -> None:
    """One second before the hand-off it is Ana; at the hand-off it is Bob."""
    boundary = START + timedelta(days=7)
    assert WEEKLY.on_call_at(boundary - timedelta(seconds=1)) == "U0ANA"
    assert WEEKLY.on_call_at(boundary) == "U0BOB"


def test_times_before_the_start_wrap_backwards() -> None:
    """The week before the start belongs to the last user."""
    assert WEEKLY.on_call_at(START - timedelta(days=1)) == "U0CAROL"


def test_an_override_wins_inside_its_window_only() -> None:
    """Dan covers Tuesday for Ana; Monday and Wednesday stay Ana's."""
    cover = Override("U0DAN", START + timedelta(days=1), START + timedelta(days=2))
    rotation = Rotation("primary", WEEKLY.users, START, WEEKLY.shift, (cover,))
    assert rotation.on_call_at(START + timedelta(hours=3)) == "U0ANA"
    assert rotation.on_call_at(START + timedelta(days=1, hours=3)) == "U0DAN"
    assert rotation.on_call_at(START + timedelta(days=2, hours=3)) == "U0ANA"


def test_next_handoff_is_the_shift_boundary() -> None:
    """Mid-week, the next change is next Monday 09:00, to Bob."""
    assert WEEKLY.next_handoff(START + timedelta(days=3)) == (START + timedelta(days=7), "U0BOB")


def test_next_handoff_counts_an_override_starting_sooner() -> None:
    """An override starting tomorrow is the next hand-off."""
    cover = Override("U0DAN", START + timedelta(days=1), START + timedelta(days=2))
    rotation = Rotation("primary", WEEKLY.users, START, WEEKLY.shift, (cover,))
    assert rotation.next_handoff(START) == (START + timedelta(days=1), "U0DAN")
    assert rotation.next_handoff(START + timedelta(days=1, hours=1)) == (
        START + timedelta(days=2),
        "U0ANA",
    )


def test_a_rotation_without_users_has_nobody() -> None:
    """No users: nobody is on call (never an exception)."""
    assert Rotation("empty").on_call_at(START) == ""
