"""The migrations' frozen helpers: a reversible revision undoes its steps backwards."""

from __future__ import annotations

from pathlib import Path

from alembic.script import ScriptDirectory

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


def test_a_revision_is_its_files_number_and_follows_the_one_before() -> None:
    """``numbered`` reads the revision from the file name; 0001 follows nothing."""
    assert ops.numbered("/x/versions/0001_baseline.py") == ("0001", None)
    assert ops.numbered("/x/versions/0015_incidents_roles.py") == ("0015", "0014")
    assert ops.numbered("/x/versions/0100_big.py") == ("0100", "0099")


def test_the_shipped_revisions_form_one_numbered_chain() -> None:
    """Every file under versions/ is one link of 0001..head, in order, with no gap."""
    scripts = ScriptDirectory(str(Path(ops.__file__).parent))
    chain = [script.revision for script in scripts.walk_revisions("base", "heads")]
    assert chain == [f"{number:04d}" for number in range(len(chain), 0, -1)]
    files = sorted(Path(ops.__file__).with_name("versions").glob("[0-9]*_*.py"))
    assert [path.name[:4] for path in files] == sorted(chain)


def test_a_check_names_itself_after_its_table_and_column() -> None:
    """``check`` lists the allowed values the way the hand-written revisions spelled them."""
    made = ops.check("jobs", "state", "queued", "running", "done")
    assert made.name == "ck_jobs_state"
    assert str(made.sqltext) == "state IN ('queued', 'running', 'done')"
