"""Actions as LLM tools: a pydantic model per action gives the JSON schema sent to the model
and validates the arguments it sends back.

The same :class:`~agents.actions.spec.ParamSpec` declaration drives the slash-command grammar,
the rules planner and these schemas, so the three never disagree.
"""

from __future__ import annotations

import functools
import json
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError, create_model

from agents.actions.spec import ActionSpec, ParamSpec, ParamValue
from agents.llm.chat import ToolSpec

__all__ = ["parse_arguments", "tool_spec"]


class _Arguments(BaseModel):
    model_config = ConfigDict(extra="forbid", regex_engine="python-re")


def _field_type(spec: ParamSpec) -> Any:
    if spec.kind == "int":
        return Annotated[int, Field(ge=spec.minimum, le=spec.maximum, strict=True)]
    if spec.kind == "bool":
        return Annotated[bool, Field(strict=True)]
    if spec.kind == "enum":
        return Literal[spec.choices]
    return Annotated[str, StringConstraints(min_length=1, pattern=spec.pattern)]


@functools.lru_cache(maxsize=256)
def _model(action: ActionSpec) -> type[BaseModel]:
    fields: dict[str, Any] = {}
    for spec in action.params:
        kind = _field_type(spec)
        if spec.required and spec.default is None:
            fields[spec.name] = (kind, Field(description=spec.description or None))
        else:
            fields[spec.name] = (
                kind | None,
                Field(default=spec.default, description=spec.description or None),
            )
    return create_model(f"{action.name}_arguments", __base__=_Arguments, **fields)


def tool_spec(action: ActionSpec) -> ToolSpec:
    """The action as a tool: its name, description (with risk) and parameters' JSON schema."""
    schema = _model(action).model_json_schema()
    schema.pop("title", None)
    for prop in schema.get("properties", {}).values():
        prop.pop("title", None)
    risk = {"read": "read-only", "write": "changes things", "dangerous": "dangerous"}[action.risk]
    if action.runs_at_once:
        approval = "runs without approval; its result comes back to you"
    else:
        approval = "needs human approval" if action.needs_approval else "runs without approval"
    return ToolSpec(
        name=action.name,
        description=f"{action.description} ({risk}; {approval}).",
        parameters=schema,
    )


def parse_arguments(action: ActionSpec, raw: str) -> tuple[dict[str, ParamValue] | None, str]:
    """Validate the model's JSON arguments for ``action``.

    Returns:
        ``(values, "")`` when valid (``None`` values dropped, so defaults apply), else
        ``(None, message)`` with a short message meant to go back to the model.
    """
    try:
        document = json.loads(raw or "{}")
    except json.JSONDecodeError as exc:
        return None, f"arguments are not valid JSON ({exc.msg})"
    if not isinstance(document, dict):
        return None, "arguments must be a JSON object"
    try:
        parsed = _model(action).model_validate(document)
    except ValidationError as exc:
        problems = [
            f"{'.'.join(str(p) for p in error['loc']) or 'arguments'}: {error['msg']}"
            for error in exc.errors(include_url=False, include_input=False)
        ]
        return None, "; ".join(problems[:5])
    values = {k: v for k, v in parsed.model_dump().items() if v is not None}
    return values, ""
