"""The MetaData every table is in, its naming convention, and the table-level vocabulary:
:func:`table` makes a table with its key and indexes, :func:`check` a CHECK named by its
column, as the migrations' :mod:`storage.migrations.ops` name them.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa

__all__ = ["NAMING_CONVENTION", "check", "metadata", "one_of", "table"]

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)


def one_of(column: str, values: tuple[str, ...]) -> str:
    """A CHECK constraint's SQL: ``column`` holds one of ``values``."""
    return f"{column} IN ({', '.join(repr(value) for value in values)})"


def check(column: str, *values: str) -> sa.CheckConstraint:
    """``column`` holds one of ``values``; the convention names it ``ck_<table>_<column>``."""
    return sa.CheckConstraint(one_of(column, values), name=column)


def table(
    name: str,
    *items: sa.schema.SchemaItem,
    key: Sequence[str] = (),
    indexes: Sequence[Sequence[str]] = (),
) -> sa.Table:
    """The table ``name`` of :data:`metadata`: ``items`` are its columns and constraints; ``key``
    the columns of its natural primary key, if any (else a column says ``primary_key``);
    ``indexes`` the columns of each of its indexes, named ``ix_<table>_<columns>``."""
    keyed = (sa.PrimaryKeyConstraint(*key),) if key else ()
    named = (sa.Index(f"ix_{name}_{'_'.join(columns)}", *columns) for columns in indexes)
    return sa.Table(name, metadata, *items, *keyed, *named)
