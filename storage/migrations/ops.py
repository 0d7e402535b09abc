"""The shapes the migrations repeat: columns, constraint names and reversible steps.

FROZEN: the revisions in ``versions/`` call these, so a change here changes what an old
revision does to a database. Never change what a helper emits; add a new helper instead.

A revision's id and the one it follows are its file's number and the number before it
(``revision, down_revision = numbered(__file__)``): the file name is the one place they are
written, so a copied revision cannot keep its original's place in the chain.

A revision made only of reversible steps declares them once and takes both directions from
them: ``upgrade, downgrade = reversible(Table(...), AddColumns(...))`` creates in order and
drops in the reverse order, so a downgrade cannot drift from its upgrade.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic import op

__all__ = [
    "ID",
    "AddColumns",
    "Index",
    "Sql",
    "Table",
    "at",
    "cascade",
    "check",
    "column",
    "numbered",
    "one_of",
    "optional",
    "reversible",
    "serial_id",
    "strings",
    "unique",
]

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
"""A surrogate key: BIGINT, INTEGER on SQLite (so it is the rowid)."""


def numbered(path: str) -> tuple[str, str | None]:
    """The revision ``NNNN_slug.py`` at ``path`` is and the one it follows (``NNNN`` less one;
    none for ``0001``): revisions are numbered one after another."""
    number = int(Path(path).name.split("_", 1)[0])
    return f"{number:04d}", (f"{number - 1:04d}" if number > 1 else None)


def column(
    name: str,
    type_: sa.types.TypeEngine[Any] | None = None,
    *,
    nullable: bool = False,
    server_default: str | None = None,
) -> sa.Column[Any]:
    """A column, a required string unless told otherwise."""
    return sa.Column(
        name,
        sa.String() if type_ is None else type_,
        nullable=nullable,
        server_default=server_default,
    )


def optional(name: str, type_: sa.types.TypeEngine[Any] | None = None) -> sa.Column[Any]:
    """A nullable column, a string unless told otherwise."""
    return column(name, type_, nullable=True)


def strings(*names: str, nullable: bool = False) -> list[sa.Column[Any]]:
    """String columns, required unless told otherwise."""
    return [column(name, nullable=nullable) for name in names]


def at(name: str, *, nullable: bool = False) -> sa.Column[Any]:
    """A timezone-aware timestamp column."""
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def serial_id() -> sa.Column[Any]:
    """The ``id`` surrogate key column."""
    return sa.Column("id", ID, nullable=False)


def cascade(table: str, name: str, target: str) -> sa.ForeignKeyConstraint:
    """``table.name`` references ``target`` (``table.column``); its rows go with the target's."""
    return sa.ForeignKeyConstraint(
        [name],
        [target],
        name=f"fk_{table}_{name}_{target.split('.')[0]}",
        ondelete="CASCADE",
    )


def unique(table: str, *columns: str) -> sa.UniqueConstraint:
    """A unique constraint ``uq_<table>_<columns>``."""
    return sa.UniqueConstraint(*columns, name=f"uq_{table}_{'_'.join(columns)}")


def one_of(column: str, *values: str) -> str:
    """A check's SQL: ``column`` holds one of ``values`` (``kind IN ('a', 'b')``)."""
    listed = ", ".join(f"'{value}'" for value in values)
    return f"{column} IN ({listed})"


def check(table: str, column: str, *values: str) -> sa.CheckConstraint:
    """A check constraint ``ck_<table>_<column>``: ``column`` holds one of ``values``."""
    return sa.CheckConstraint(one_of(column, *values), name=f"ck_{table}_{column}")


def _index_name(table: str, columns: Sequence[str]) -> str:
    return f"ix_{table}_{'_'.join(columns)}"


class Step(ABC):
    """One reversible change: :meth:`apply` makes it, :meth:`revert` undoes it."""

    @abstractmethod
    def apply(self) -> None:
        """Make the change."""

    @abstractmethod
    def revert(self) -> None:
        """Undo what :meth:`apply` made."""


class Index(Step):
    """An index ``ix_<table>_<columns>``."""

    def __init__(self, table: str, *columns: str) -> None:
        self.table = table
        self.columns = columns

    def apply(self) -> None:
        op.create_index(_index_name(self.table, self.columns), self.table, list(self.columns))

    def revert(self) -> None:
        op.drop_index(_index_name(self.table, self.columns), table_name=self.table)


class Table(Step):
    """A table with its primary key ``pk_<name>`` (over ``key``) and indexes
    ``ix_<name>_<columns>``; ``items`` are its columns and other constraints, in the order they
    go to ``CREATE TABLE`` (the primary key goes first whatever its place).
    """

    def __init__(
        self,
        name: str,
        *items: sa.Column[Any] | sa.Constraint,
        key: Sequence[str] = ("id",),
        indexes: Sequence[Sequence[str]] = (),
    ) -> None:
        self.name = name
        self.items = items
        self.key = tuple(key)
        self.indexes = tuple(Index(name, *columns) for columns in indexes)

    def apply(self) -> None:
        op.create_table(
            self.name,
            *self.items,
            sa.PrimaryKeyConstraint(*self.key, name=f"pk_{self.name}"),
        )
        for index in self.indexes:
            index.apply()

    def revert(self) -> None:
        for index in reversed(self.indexes):
            index.revert()
        op.drop_table(self.name)


class AddColumns(Step):
    """Columns added to an existing table in one batch (SQLite recreates the table to drop)."""

    def __init__(self, table: str, *columns: sa.Column[Any]) -> None:
        self.table = table
        self.columns = columns

    def apply(self) -> None:
        with op.batch_alter_table(self.table) as batch:
            for added in self.columns:
                batch.add_column(added)

    def revert(self) -> None:
        with op.batch_alter_table(self.table) as batch:
            for added in reversed(self.columns):
                batch.drop_column(added.name)


class Sql(Step):
    """Statements that differ by dialect (triggers, full-text search) and the ones that undo
    them; each list runs in order."""

    def __init__(
        self,
        *,
        sqlite: Sequence[str],
        postgresql: Sequence[str],
        undo_sqlite: Sequence[str] = (),
        undo_postgresql: Sequence[str] = (),
    ) -> None:
        self.statements = {"sqlite": tuple(sqlite), "postgresql": tuple(postgresql)}
        self.undo = {"sqlite": tuple(undo_sqlite), "postgresql": tuple(undo_postgresql)}

    @staticmethod
    def _run(by_dialect: dict[str, tuple[str, ...]]) -> None:
        for statement in by_dialect[op.get_context().dialect.name]:
            op.execute(statement)

    def apply(self) -> None:
        self._run(self.statements)

    def revert(self) -> None:
        self._run(self.undo)


def reversible(*steps: Step) -> tuple[Callable[[], None], Callable[[], None]]:
    """A revision's ``upgrade`` (the steps in order) and ``downgrade`` (reverted backwards)."""

    def upgrade() -> None:
        for step in steps:
            step.apply()

    def downgrade() -> None:
        for step in reversed(steps):
            step.revert()

    return upgrade, downgrade
