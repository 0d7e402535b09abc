"""What every table shares: the MetaData and its naming convention, the id and time types, and
the column vocabulary (:func:`required` and :func:`optional` say NOT NULL or not; the columns
several tables really share are made by one function each). :func:`table` puts a table in the
MetaData with its indexes named by the convention; :func:`check` names a CHECK by its column.

Timestamps are ``TIMESTAMP WITH TIME ZONE`` on PostgreSQL and UTC text on SQLite; either way
they go in and come out timezone-aware UTC (:class:`UtcDateTime`).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.types import TypeDecorator, TypeEngine

__all__ = [
    "NAMING_CONVENTION",
    "Id",
    "UtcDateTime",
    "check",
    "key",
    "lease",
    "metadata",
    "one_of",
    "optional",
    "owned_by",
    "required",
    "required_strings",
    "serial_id",
    "table",
    "team_channel_user",
]

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)

_Type = type[TypeEngine[Any]] | TypeEngine[Any]

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
"""64-bit ids on PostgreSQL; on SQLite only INTEGER PRIMARY KEY is the (autoincrementing) rowid."""


class UtcDateTime(TypeDecorator[datetime]):
    """A timezone-aware datetime stored as UTC; naive datetimes are refused."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        """Convert to UTC (SQLite keeps no offset, so every stored value must be UTC)."""
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError("naive datetime: storage takes timezone-aware datetimes only")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        """Return the stored instant as an aware UTC datetime."""
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def required(
    name: str,
    type_: _Type = sa.String,
    *,
    unique: bool | None = None,
    server_default: str | None = None,
) -> sa.Column[Any]:
    """A NOT NULL column (a ``String`` unless ``type_`` says otherwise)."""
    return sa.Column(name, type_, nullable=False, unique=unique, server_default=server_default)


def required_strings(*names: str) -> tuple[sa.Column[Any], ...]:
    """A required ``String`` column for each of ``names``, in order: a table's plain text
    fields (ids, names, states) listed once."""
    return tuple(required(name) for name in names)


def optional(name: str, type_: _Type = sa.String) -> sa.Column[Any]:
    """A column that may hold NULL (a ``String`` unless ``type_`` says otherwise)."""
    return sa.Column(name, type_, nullable=True)


def key(name: str, type_: _Type = sa.String) -> sa.Column[Any]:
    """A natural primary key column (a ``String`` unless ``type_`` says otherwise); several
    make a composite key."""
    return sa.Column(name, type_, primary_key=True)


def serial_id() -> sa.Column[int]:
    """The ``id`` primary key of a table whose rows have no natural key (numbered on insert)."""
    return sa.Column("id", Id, primary_key=True)


def owned_by(
    name: str,
    type_: _Type,
    target: str,
    *,
    unique: bool | None = None,
) -> sa.Column[Any]:
    """A required reference to the row that owns this one: deleting the owner deletes it."""
    reference = sa.ForeignKey(target, ondelete="CASCADE")
    return sa.Column(name, type_, reference, nullable=False, unique=unique)


def team_channel_user() -> tuple[sa.Column[Any], sa.Column[Any], sa.Column[Any]]:
    """The workspace, channel and person a record is about (``team_id``, ``channel_id``,
    ``user_id``, in that order), all required."""
    return required("team_id"), required("channel_id"), required("user_id")


def lease() -> tuple[sa.Column[Any], sa.Column[Any]]:
    """Who works on a row and until when (``lease_owner``, ``lease_expires_at``, both NULL
    while nobody does): past the expiry another process may take it over."""
    return optional("lease_owner"), optional("lease_expires_at", UtcDateTime)


def one_of(column: str, values: tuple[str, ...]) -> str:
    """A CHECK constraint's SQL: ``column`` holds one of ``values``."""
    return f"{column} IN ({', '.join(repr(value) for value in values)})"


def check(column: str, *values: str) -> sa.CheckConstraint:
    """``column`` holds one of ``values``; the convention names it ``ck_<table>_<column>``."""
    return sa.CheckConstraint(one_of(column, values), name=column)


def table(
    name: str, *items: sa.schema.SchemaItem, indexes: Sequence[Sequence[str]] = ()
) -> sa.Table:
    """The table ``name`` of :data:`metadata`: ``items`` are its columns and constraints,
    ``indexes`` the columns of each of its indexes, named ``ix_<table>_<columns>``."""
    named = (sa.Index(f"ix_{name}_{'_'.join(columns)}", *columns) for columns in indexes)
    return sa.Table(name, metadata, *items, *named)
