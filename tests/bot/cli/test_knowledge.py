"""``switchboard knowledge index|misses``: Markdown folders into the index, edits, deletions,
file names as links, and the questions the runbooks could not answer."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from pathlib import Path

import pytest

from agents.memory.knowledge import Miss
from bot.cli.knowledge import index_command, misses_command
from bot.config import Settings
from storage import Database

PAYMENTS = "# Payments\n\n## Rollback\n\nRun the rollback action.\n\n## Owners\n\nPayments team.\n"
DATABASE = "# Database\n\n## Failover\n\nPromote the replica.\n"


@pytest.fixture
def settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    monkeypatch.chdir(tmp_path)
    return Settings.model_validate({"DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'kb.db'}"})


def _write(files: dict[str, str]) -> None:
    for name, text in files.items():
        Path(name).parent.mkdir(parents=True, exist_ok=True)
        Path(name).write_text(text)


def _remove(name: str) -> None:
    Path(name).unlink()


async def _index(settings: Settings, *paths: str, prune: bool = True) -> str:
    out = io.StringIO()
    assert await index_command(settings, [Path(p) for p in paths], prune=prune, out=out) == 0
    return out.getvalue().strip()


async def _sources(settings: Settings, query: str) -> list[str]:
    database = await Database.connect(settings.database_url)
    try:
        return [hit.chunk.source for hit in await database.knowledge.search(query, limit=10)]
    finally:
        await database.close()


async def test_a_folder_is_indexed_then_found_unchanged(settings: Settings) -> None:
    """Every ``*.md`` under the folder (not hidden ones, not other files) is indexed once;
    a second run changes nothing."""
    _write(
        {
            "docs/runbooks/payments.md": PAYMENTS,
            "docs/runbooks/sub/database.md": DATABASE,
            "docs/runbooks/notes.txt": "# Not markdown\n\ntext\n",
            "docs/runbooks/.drafts/draft.md": "# Draft\n\ntext\n",
        }
    )
    assert await _index(settings, "docs/runbooks") == (
        "indexed 2 files (3 chunks), unchanged 0, removed 0"
    )
    assert await _index(settings, "docs/runbooks") == (
        "indexed 0 files (0 chunks), unchanged 2, removed 0"
    )
    assert await _sources(settings, "replica failover") == ["docs/runbooks/sub/database.md"]


async def test_an_edit_replaces_and_a_deletion_is_pruned(settings: Settings) -> None:
    """An edited file is re-indexed (its old text gone); a deleted one leaves the index unless
    ``--keep-missing`` (prune=False)."""
    _write({"runbooks/payments.md": PAYMENTS, "runbooks/database.md": DATABASE})
    await _index(settings, "runbooks")
    _write({"runbooks/payments.md": PAYMENTS.replace("ollback", "evert")})
    _remove("runbooks/database.md")
    assert await _index(settings, "runbooks", prune=False) == (
        "indexed 1 files (2 chunks), unchanged 0, removed 0"
    )
    assert await _sources(settings, "rollback") == []
    assert await _sources(settings, "revert") == ["runbooks/payments.md"]
    assert await _sources(settings, "failover") == ["runbooks/database.md"]
    assert await _index(settings, "runbooks") == (
        "indexed 0 files (0 chunks), unchanged 1, removed 1"
    )
    assert await _sources(settings, "failover") == []


async def test_a_file_has_one_name_however_it_is_indexed(settings: Settings) -> None:
    """Indexing a file, then its folder, finds it unchanged (no second copy); folders with
    the same name in different places neither collide nor prune each other."""
    _write({f"{team}/runbooks/database.md": DATABASE.replace("replica", team) for team in "ab"})
    assert (await _index(settings, "a/runbooks/database.md")).startswith("indexed 1 files")
    assert await _index(settings, "a/runbooks") == (
        "indexed 0 files (0 chunks), unchanged 1, removed 0"
    )
    assert (await _index(settings, "./b/runbooks")).endswith("removed 0")
    assert sorted(await _sources(settings, "failover")) == [
        "a/runbooks/database.md",
        "b/runbooks/database.md",
    ]


async def test_misses_are_listed_newest_first(settings: Settings) -> None:
    """``knowledge misses`` prints one line per unanswered question, newest first."""
    out = io.StringIO()
    database = await Database.connect(settings.database_url)
    try:
        await database.migrate()
        assert await misses_command(settings, limit=10, out=out) == 0
        for minute, query in ((1, "kafka retention"), (2, "vault unseal")):
            at = datetime(2026, 11, 24, 9, minute, tzinfo=UTC)
            await database.knowledge.record_miss(Miss("T1", "C1", "U1", query, at))
    finally:
        await database.close()
    assert out.getvalue().strip() == "no misses recorded"
    out = io.StringIO()
    await misses_command(settings, limit=10, out=out)
    assert out.getvalue().splitlines() == [
        "2026-11-24 09:02 C1 U1 vault unseal",
        "2026-11-24 09:01 C1 U1 kafka retention",
    ]
    out = io.StringIO()
    await misses_command(settings, limit=1, out=out)
    assert out.getvalue().splitlines() == ["2026-11-24 09:02 C1 U1 vault unseal"]


async def test_a_missing_path_is_an_error(settings: Settings) -> None:
    """A path that does not exist: exit 2, nothing indexed."""
    out = io.StringIO()
    assert await index_command(settings, [Path("nope")], prune=True, out=out) == 2
    assert out.getvalue() == ""
