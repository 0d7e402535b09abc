"""An action's ``params:``: typed parameters (str, int, enum, bool), the check that each
default fits its own declaration, and their conversion to the domain's :class:`ParamSpec`."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    Field,
    StringConstraints,
    TypeAdapter,
    field_validator,
    model_validator,
)

from agents.actions.spec import ParamSpec
from bot.config_file.sections.base import Problem, Strict
from bot.config_file.sections.salvage import mapping, valid

__all__ = [
    "BoolParam",
    "EnumParam",
    "IntParam",
    "ParamModel",
    "StrParam",
    "check_defaults",
    "to_param_spec",
    "valid_params",
]


def _valid_regex(value: str | None) -> str | None:
    if value is not None:
        try:
            re.compile(value)
        except re.error as exc:
            raise ValueError(f"is not a valid regular expression ({exc.msg})") from None
    return value


class _ParamBase(Strict):
    description: str = ""
    required: bool = Field(True, description="false: the action runs without it")


class StrParam(_ParamBase):
    """Free text, optionally constrained by a regular expression on the whole value."""

    type: Literal["str"]
    pattern: Annotated[str | None, AfterValidator(_valid_regex)] = None
    default: str | None = None


class IntParam(_ParamBase):
    """A whole number within optional inclusive bounds."""

    type: Literal["int"]
    min: int | None = None
    max: int | None = None
    default: int | None = None

    @model_validator(mode="after")
    def _bounds_ordered(self) -> IntParam:
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError(f"min ({self.min}) is greater than max ({self.max})")
        return self


class EnumParam(_ParamBase):
    """One of a fixed list of words."""

    type: Literal["enum"]
    choices: list[Annotated[str, StringConstraints(min_length=1)]] = Field(min_length=1)
    default: str | None = None

    @field_validator("choices")
    @classmethod
    def _unique(cls, value: list[str]) -> list[str]:
        repeated = sorted({c for c in value if value.count(c) > 1})
        if repeated:
            raise ValueError(f"choices repeat {', '.join(repeated)}")
        return value


class BoolParam(_ParamBase):
    """Yes or no."""

    type: Literal["bool"]
    default: bool | None = None


ParamModel = Annotated[StrParam | IntParam | EnumParam | BoolParam, Field(discriminator="type")]

_PARAM: TypeAdapter[ParamModel] = TypeAdapter(ParamModel)


def to_param_spec(name: str, model: ParamModel) -> ParamSpec:
    """The domain's description of one parameter."""
    return ParamSpec(
        name=name,
        kind=model.type,
        description=model.description,
        required=model.required,
        default=model.default,
        pattern=model.pattern if isinstance(model, StrParam) else None,
        minimum=model.min if isinstance(model, IntParam) else None,
        maximum=model.max if isinstance(model, IntParam) else None,
        choices=tuple(model.choices) if isinstance(model, EnumParam) else (),
    )


def check_defaults(params: Mapping[str, ParamModel]) -> Iterator[Problem]:
    """Each default must be a value its own parameter accepts (locations relative to the
    action)."""
    for name, param in params.items():
        if param.default is None:
            continue
        try:
            to_param_spec(name, param).coerce(param.default)
        except ValueError as exc:
            if isinstance(param, EnumParam):
                message = f"{param.default!r} is not one of {', '.join(param.choices)}"
            else:
                message = str(exc)
            yield ("params", name, "default"), message


def valid_params(raw: object) -> dict[str, ParamModel]:
    """The declarations in raw ``params:`` data that are valid on their own, by name."""
    return {
        str(name): param
        for name, value in mapping(raw).items()
        if (param := valid(_PARAM, value)) is not None
    }
