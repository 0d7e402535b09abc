"""The seam between the stores and SQLAlchemy: error translation and dialect-specific SQL.

Every store method runs inside :func:`translated`, so callers only ever see
:class:`~agents.kernel.errors.StorageError`; the driver's exception stays on ``__cause__``.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TypeVar

from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import DBAPIError, SQLAlchemyError

from agents.kernel.errors import StorageError
from storage.engine import Dialect

__all__ = ["insert", "narrow", "translated"]

_T = TypeVar("_T", bound=str)
_MAX_DETAIL = 200


def insert(dialect: Dialect, table: Table) -> sqlite.Insert | postgresql.Insert:
    """An INSERT that supports ``ON CONFLICT`` on this dialect."""
    return sqlite.insert(table) if dialect == "sqlite" else postgresql.insert(table)


def narrow(value: object, allowed: tuple[_T, ...], *, column: str) -> _T:
    """Return ``value`` typed as one of ``allowed``, or StorageError if it is none of them."""
    for option in allowed:
        if option == value:
            return option
    raise StorageError(f"impossible stored value {value!r} in {column!r}")


def _describe(exc: BaseException) -> str:
    # The driver's own message names the problem ("no such table: events") without the
    # statement's parameters; only its first line, since PostgreSQL's DETAIL quotes row values.
    cause = exc.orig if isinstance(exc, DBAPIError) and exc.orig is not None else exc
    lines = str(cause).strip().splitlines()
    first = lines[0][:_MAX_DETAIL] if lines else ""
    return f"{type(cause).__name__}: {first}" if first else type(cause).__name__


@contextmanager
def translated(action: str) -> Iterator[None]:
    """Turn SQLAlchemy and driver errors raised inside the block into StorageError."""
    try:
        yield
    except (SQLAlchemyError, OSError) as exc:
        # OSError: asyncpg raises connection failures (refused, timeout) unwrapped.
        raise StorageError(f"could not {action}: {_describe(exc)}") from exc
