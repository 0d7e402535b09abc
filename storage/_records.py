"""Domain values to column values and back, by field name.

The tables name their columns after the fields of the frozen dataclasses the stores keep, so
one rule maps the two ways; only what differs (a renamed or JSON column, a value narrowed to
a ``Literal``) is spelled out, by the store that knows why.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import fields
from functools import cache
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy import Row

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

__all__ = ["from_row", "row_values"]

_D = TypeVar("_D")


def from_row(cls: Callable[..., _D], row: Row[Any], /, **given: object) -> _D:
    """An instance of the dataclass ``cls``: each field the row's column of the same name, or
    the value in ``given`` (a column converted, renamed or narrowed by the caller).

    Raises:
        KeyError: a field is neither a column of the row nor given.
        TypeError: ``given`` names something that is not a field of ``cls``.
    """
    names, known = _fields(cls)
    if not given.keys() <= known:
        raise TypeError(f"not fields of {cls!r}: {sorted(given.keys() - known)}")
    columns = row._mapping
    return cls(**{name: given[name] if name in given else columns[name] for name in names})


def row_values(
    value: DataclassInstance, /, *, skip: Collection[str] = (), **columns: object
) -> dict[str, Any]:
    """The column values of a dataclass instance: each field under its own name, but those in
    ``skip`` (fields with no column, or renamed), then ``columns`` (added or converted)."""
    names, _ = _fields(type(value))
    values = {name: getattr(value, name) for name in names if name not in skip}
    values.update(columns)
    return values


@cache
def _fields(cls: Any) -> tuple[tuple[str, ...], frozenset[str]]:
    """The names of the fields a dataclass's constructor takes, in order and as a set."""
    names = tuple(field.name for field in fields(cls) if field.init)
    return names, frozenset(names)
