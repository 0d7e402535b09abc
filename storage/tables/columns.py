"""The column vocabulary: :func:`required` and :func:`optional` say NOT NULL or not; the
columns several tables really share are made by one function each.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.types import TypeEngine

from storage.tables.types import Id, UtcDateTime

__all__ = [
    "lease",
    "optional",
    "owned_by",
    "required",
    "required_strings",
    "serial_id",
    "team_channel_user",
]

_Type = type[TypeEngine[Any]] | TypeEngine[Any]


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
