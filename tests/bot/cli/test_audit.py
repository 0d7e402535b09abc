"""``switchboard audit`` prints the append-only audit log, filtered by time and action."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from pathlib import Path

import pytest

from agents.actions.jobs import AuditEntry
from agents.kernel.errors import ConfigError
from bot.cli.audit import parse_since, print_audit
from bot.config import Settings
from storage import Database


async def _seeded(path: Path) -> Settings:
    url = f"sqlite+aiosqlite:///{path}"
    database = await Database.connect(url)
    try:
        await database.migrate()
        for day, action, kind in (
            (1, "deploy", "requested"),
            (2, "deploy", "approved"),
            (3, "rollback", "requested"),
        ):
            await database.audit.append(
                AuditEntry(
                    at=datetime(2026, 11, day, 12, tzinfo=UTC),
                    actor="U0BOB",
                    kind=kind,  # type: ignore[arg-type]
                    action=action,
                    approval_id="a" * 32,
                    details={"env": "prod"},
                )
            )
    finally:
        await database.close()
    return Settings.model_validate({"DATABASE_URL": url})


async def test_prints_entries_oldest_first_with_filters(tmp_path: Path) -> None:
    """All entries print oldest first; --since and --action narrow them."""
    settings = await _seeded(tmp_path / "audit.db")
    out = io.StringIO()
    assert await print_audit(settings, since=None, action=None, limit=10, out=out) == 0
    lines = out.getvalue().splitlines()
    assert [line.split()[2] for line in lines] == ["requested", "approved", "requested"]
    assert "env=prod" in lines[0]
    out = io.StringIO()
    await print_audit(settings, since="2026-11-02", action="deploy", limit=10, out=out)
    assert [line.split()[2] for line in out.getvalue().splitlines()] == ["approved"]


async def test_empty_log_says_so(tmp_path: Path) -> None:
    """No entries: one clear line."""
    settings = await _seeded(tmp_path / "audit.db")
    out = io.StringIO()
    await print_audit(settings, since="2030-01-01", action=None, limit=10, out=out)
    assert out.getvalue().strip() == "no audit entries"


def test_bad_since_is_a_clear_error() -> None:
    """A malformed --since names the option."""
    with pytest.raises(ConfigError, match="--since"):
        parse_since("yesterday")
