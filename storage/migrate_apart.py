"""Migrations in a child process, so that a long-running bot never holds Alembic in memory.

Alembic, Mako, Alembic's DDL layer and the revision scripts take about 13 MiB of a process's
memory once imported, and a module once imported stays for the life of the process. A bot
migrates its SQLite file at start-up only when the schema is behind (the first start, an
upgrade), so :func:`upgrade_apart` checks that first without Alembic and, only when there is
work, runs :func:`storage.migrate.upgrade` in ``python -m storage.migrate_apart``. The child
reads the URL on its standard input (never in its argv) and answers one JSON line on its
standard output. The same locks apply: the upgrade is one ``BEGIN IMMEDIATE`` transaction.

An in-memory database cannot be seen by another process: it is migrated in this one.
"""

from __future__ import annotations

import asyncio
import json
import sys

import structlog
from sqlalchemy.ext.asyncio import AsyncEngine

from agents.kernel.errors import StorageError
from storage.engine import create_engine
from storage.migrate import current_revision, head_revision, upgrade

__all__ = ["upgrade_apart"]

log = structlog.get_logger(__name__)


async def upgrade_apart(engine: AsyncEngine) -> None:
    """Bring a SQLite file's schema to the newest revision in a child process (a no-op when
    already there; a database the child cannot open is migrated here).

    Raises:
        StorageError: the database failed, or it is at a revision these migrations don't know.
    """
    if await current_revision(engine) == head_revision():
        return
    url = engine.url
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
        await upgrade(engine)
        return
    child = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "storage.migrate_apart",
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await child.communicate(url.render_as_string(hide_password=False).encode())
    answer = _answer(out)
    if child.returncode != 0 or "error" in answer:
        detail = answer.get("error") or err.decode(errors="replace").strip()[-500:]
        raise StorageError(str(detail or f"the migration exited with {child.returncode}"))
    if answer.get("from") != answer.get("to"):
        log.info("database_migrated", from_revision=answer.get("from"), to_revision=answer["to"])


def _answer(out: bytes) -> dict[str, str | None]:
    lines = out.decode(errors="replace").strip().splitlines()
    try:
        answer = json.loads(lines[-1]) if lines else {}
    except ValueError:
        return {}
    return answer if isinstance(answer, dict) else {}


async def _migrate(url: str) -> dict[str, str | None]:
    engine = create_engine(url)
    try:
        before = await current_revision(engine)
        await upgrade(engine)
        return {"from": before, "to": await current_revision(engine)}
    finally:
        await engine.dispose()


def main() -> int:
    """The child: migrate the database whose URL is on stdin; one JSON line on stdout."""
    structlog.configure(
        wrapper_class=structlog.make_filtering_bound_logger(40)
    )  # errors only: the parent logs the outcome
    try:
        answer = asyncio.run(_migrate(sys.stdin.read().strip()))
    except StorageError as exc:
        print(json.dumps({"error": str(exc)}))
        return 1
    print(json.dumps(answer))
    return 0


if __name__ == "__main__":
    sys.exit(main())
