"""An action's ``result:`` block: how its output is shown in the thread and given to a model.

``fields`` (a label per dotted JSON path) or a ``template`` (text with ``{path}``
placeholders), and ``max_chars``, the cap on what is shown. Without the block the body is
shown compactly (JSON on one line, or the text), capped at the default. The grammar of paths
and templates is the domain's (:mod:`agents.actions.presentation`), so that what loads is
what renders.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, StringConstraints, field_validator, model_validator

from agents.actions.presentation import DEFAULT_MAX_CHARS, ResultFormat, template_problems
from bot.config_file.sections.base import JsonPath, Strict

__all__ = ["MAX_FIELDS", "ResultModel", "to_result_format"]

MAX_FIELDS = 20
Label = Annotated[str, StringConstraints(min_length=1, max_length=60)]


class ResultModel(Strict):
    """How the result is presented: ``fields`` or a ``template`` over the JSON body (not
    both), within ``max_chars``."""

    fields: dict[Label, JsonPath] | None = Field(
        None,
        max_length=MAX_FIELDS,
        description='label: dotted JSON path, e.g. {State: "status.state"}',
    )
    template: str | None = Field(
        None, min_length=1, description='e.g. "{status.state} ({nodes.ready} nodes ready)"'
    )
    max_chars: int = Field(
        DEFAULT_MAX_CHARS, ge=100, le=3000, description="the most characters shown"
    )

    @field_validator("fields")
    @classmethod
    def _some_fields(cls, value: dict[str, str] | None) -> dict[str, str] | None:
        if value is not None and not value:
            raise ValueError("name at least one field (label: path), or leave fields out")
        return value

    @field_validator("template")
    @classmethod
    def _valid_template(cls, value: str | None) -> str | None:
        if value is not None:
            problems = template_problems(value)
            if problems:
                raise ValueError("; ".join(problems))
        return value

    @model_validator(mode="after")
    def _one_shape(self) -> ResultModel:
        if self.fields is not None and self.template is not None:
            raise ValueError("give fields or a template, not both")
        return self


def to_result_format(model: ResultModel | None) -> ResultFormat:
    """The domain's :class:`ResultFormat` (the default rendering when no block was written)."""
    if model is None:
        return ResultFormat()
    return ResultFormat(
        fields=tuple((model.fields or {}).items()),
        template=model.template,
        max_chars=model.max_chars,
        given=True,
    )
