"""Reading the valid pieces of YAML data that failed validation as a whole.

A pydantic error anywhere in an action discards the whole model, yet its other fields may
still break rules worth reporting in the same run (an undeclared placeholder, a literal
secret). These readers keep every piece that is valid by itself and drop the rest.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from pydantic import BaseModel, TypeAdapter, ValidationError

__all__ = ["mapping", "texts", "valid", "valid_model"]

_T = TypeVar("_T")
_M = TypeVar("_M", bound=BaseModel)


def mapping(value: object) -> Mapping[str, Any]:
    """``value``'s string-keyed entries if it is a mapping, else nothing."""
    if not isinstance(value, dict):
        return {}
    return {key: item for key, item in value.items() if isinstance(key, str)}


def texts(value: object) -> list[tuple[int, str]]:
    """The strings of a list, each with its index (other items and non-lists: nothing)."""
    items = value if isinstance(value, list) else []
    return [(index, item) for index, item in enumerate(items) if isinstance(item, str)]


def valid(adapter: TypeAdapter[_T], value: object) -> _T | None:
    """``value`` validated strictly by ``adapter``, or ``None`` if invalid."""
    try:
        return adapter.validate_python(value, strict=True)
    except ValidationError:
        return None


def valid_model(model: type[_M], value: object) -> _M | None:
    """``value`` as a ``model``, or ``None`` if missing or invalid."""
    if value is None:
        return None
    try:
        return model.model_validate(value)
    except ValidationError:
        return None
