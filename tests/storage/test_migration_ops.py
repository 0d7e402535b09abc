"""The migrations' frozen helpers: a reversible revision undoes its steps backwards."""

from __future__ import annotations

from storage.migrations import ops


class _Recorded(ops.Step):
    def __init__(self, name: str, log: list[str]) -> None:
        self.name = name
        self.log = log

    def apply(self) -> None:
        self.log.append(f"+{self.name}")

    def revert(self) -> None:
        self.log.append(f"-{self.name}")


def test_reversible_applies_in_order_and_reverts_backwards() -> None:
    """``upgrade`` applies the steps in order; ``downgrade`` reverts them last first."""
    log: list[str] = []
    upgrade, downgrade = ops.reversible(*(_Recorded(name, log) for name in "abc"))
    upgrade()
    downgrade()
    assert log == ["+a", "+b", "+c", "-c", "-b", "-a"]


def test_names_follow_the_conventions_of_the_hand_written_revisions() -> None:
    """Constraint and column helpers name what they make the way 0001-0016 always did."""
    fk = ops.cascade("messages", "conversation_id", "conversations.id")
    assert fk.name == "fk_messages_conversation_id_conversations"
    assert fk.ondelete == "CASCADE"
    assert ops.unique("events", "team_id", "event_id").name == "uq_events_team_id_event_id"
    required, optional = ops.column("team_id"), ops.optional("thread_ts")
    assert (required.nullable, optional.nullable) == (False, True)
    assert [column.name for column in ops.strings("a", "b")] == ["a", "b"]
