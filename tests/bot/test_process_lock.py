"""One bot process per SQLite file: a second is refused with a clear message; the lock goes
with the process, however it ends. PostgreSQL pool and statement limits are applied."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import text

from agents.kernel.errors import ConfigError
from bot.cli import main
from bot.process_lock import ProcessLock
from storage import Database, PoolOptions
from tests.storage.conftest import postgres_url

_HOLDER = """
import sys
from bot.process_lock import ProcessLock
lock = ProcessLock.acquire(sys.argv[1])
print("locked", flush=True)
sys.stdin.read()
"""


def test_a_second_holder_is_refused_until_the_first_releases(tmp_path: Path) -> None:
    """The refusal names the file, the holder's pid and the way out (PostgreSQL)."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}"
    first = ProcessLock.acquire(url)
    with pytest.raises(ConfigError) as refused:
        ProcessLock.acquire(url)
    message = str(refused.value)
    assert "bot.db is in use by another Switchboard process" in message
    assert f"pid {os.getpid()}" in message and "PostgreSQL" in message
    first.release()
    first.release()  # twice is harmless
    ProcessLock.acquire(url).release()


def test_other_engines_and_memory_need_no_lock(tmp_path: Path) -> None:
    """PostgreSQL and in-memory SQLite take no file lock."""
    for url in ("postgresql://u@127.0.0.1/test", "sqlite:///:memory:"):
        assert ProcessLock.acquire(url).path is None
        assert ProcessLock.acquire(url).path is None


def test_the_lock_goes_with_a_killed_process(tmp_path: Path) -> None:
    """A bot killed with SIGKILL leaves no stale lock: the next process starts."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}"
    with subprocess.Popen(
        [sys.executable, "-c", _HOLDER, url],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        cwd=Path(__file__).resolve().parents[2],
    ) as holder:
        try:
            assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
            with pytest.raises(ConfigError, match=f"pid {holder.pid}"):
                ProcessLock.acquire(url)
        finally:
            holder.send_signal(signal.SIGKILL)
            holder.wait(timeout=10)
    ProcessLock.acquire(url).release()


def test_switchboard_run_refuses_a_second_process(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """`switchboard run` on a SQLite file another bot holds exits 2 with the message."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}"
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-" + "0" * 24)
    monkeypatch.setenv("SLACK_SIGNING_SECRET", "0" * 32)
    held = ProcessLock.acquire(url)
    try:
        assert main(["run", "--port", "0"]) == 2
    finally:
        held.release()
    assert "in use by another Switchboard process" in capsys.readouterr().err


async def test_postgres_statement_timeout_and_pool_are_applied() -> None:
    """The configured statement timeout is set on every PostgreSQL connection."""
    url = postgres_url()
    database = await Database.connect(url, pool=PoolOptions(size=2, statement_timeout_ms=150))
    try:
        async with database.engine.connect() as connection:
            shown = (await connection.execute(text("SHOW statement_timeout"))).scalar()
        assert shown == "150ms"
        assert database.engine.pool.size() == 2  # type: ignore[attr-defined]
    finally:
        await database.close()
