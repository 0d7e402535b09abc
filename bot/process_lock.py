"""One bot process per SQLite file: a second one is refused with a clear message.

SQLite keeps the bot's exactly-once guarantees only within one process (its claims, the job
queue and the per-process write gate assume it), so ``switchboard run`` and ``demo`` hold an
exclusive lock on ``<database>.lock`` for their lifetime. The operating system releases it
when the process ends, even by SIGKILL. Short commands (``knowledge index``, ``review``...)
do not take it: SQLite's own locking serves them. PostgreSQL needs no such lock.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path

from sqlalchemy.engine import make_url

from agents.kernel.errors import ConfigError
from storage import normalize_url

__all__ = ["ProcessLock"]


class ProcessLock:
    """The exclusive lock on a SQLite database's lock file (a no-op for other engines)."""

    def __init__(self, descriptor: int | None, path: Path | None) -> None:
        self._descriptor = descriptor
        self.path = path

    @classmethod
    def acquire(cls, database_url: str) -> ProcessLock:
        """Take the lock for a SQLite file URL.

        Raises:
            ConfigError: another process holds it (the message names its pid and the way out).
        """
        url = make_url(normalize_url(database_url))
        database = url.database or ""
        if url.get_backend_name() != "sqlite" or database in ("", ":memory:"):
            return cls(None, None)
        if database.startswith("file:"):
            return cls(None, None)
        path = Path(f"{database}.lock")
        path.parent.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.read(descriptor, 32).decode(errors="replace").strip() or "unknown"
            os.close(descriptor)
            raise ConfigError(
                "DATABASE_URL",
                f"{database} is in use by another Switchboard process (pid {holder}); SQLite "
                "serves one bot process: stop the other one, or use PostgreSQL "
                "(postgresql://…) to run several replicas",
            ) from None
        os.ftruncate(descriptor, 0)
        os.write(descriptor, str(os.getpid()).encode())
        return cls(descriptor, path)

    def release(self) -> None:
        """Let another process take the database (closing is enough; twice is harmless)."""
        if self._descriptor is not None:
            os.close(self._descriptor)
            self._descriptor = None
