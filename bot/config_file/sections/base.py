"""What every section is written with: the strict base model, the field types shared by
several sections (names, Slack ids, durations, paths) and the shape of a broken rule.

Every model forbids unknown fields and is strict (YAML gives native types; a quoted ``"2"``
where a number belongs is a mistake worth reporting). Models check one field at a time; rules
that relate fields live beside them in their section's module, as functions yielding
:data:`Problem` values, so that every violation can be reported with its line.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from datetime import timedelta
from pathlib import PurePosixPath
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    WithJsonSchema,
)

from bot.config_file.yamlsource import Loc

__all__ = [
    "PATTERN_HINTS",
    "AbsolutePath",
    "ApproversModel",
    "ChannelId",
    "Duration",
    "EntryPoint",
    "EnvName",
    "GroupHandle",
    "JsonPath",
    "McpScope",
    "Name",
    "ParamName",
    "Problem",
    "Strict",
    "Usd",
    "UserId",
    "duration_default",
    "parse_duration",
    "repeats",
]

Problem = tuple[Loc, str]
"""A broken rule: where (a field location, as pydantic reports one) and what is wrong."""


def repeats(names: Iterable[tuple[int, str]]) -> Iterator[tuple[int, str, int]]:
    """Each ``(index, name)`` whose name was seen before, with the index where it first stood
    (names must be unique within a list: YAML lists give no other way to refer to an entry)."""
    first: dict[str, int] = {}
    for index, name in names:
        if name in first:
            yield index, name, first[name]
        else:
            first[name] = index


def duplicate_names(section: str, names: Iterable[str], *, noun: str) -> Iterator[Problem]:
    """A problem at each entry of the ``section`` list whose name an earlier entry has
    (absolute locations): ``duplicate <noun> name '<name>'``."""
    for index, name, _ in repeats(enumerate(names)):
        yield (section, index, "name"), f"duplicate {noun} name {name!r}"


_DURATION = re.compile(r"^(\d+(?:\.\d+)?)(ms|s|m|h|d)$")
_UNIT_SECONDS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}


def parse_duration(value: object) -> object:
    """``90s``, ``30m``, ``2h``, ``1d`` (or ``250ms``, ``0.5s``) as a positive ``timedelta``."""
    if isinstance(value, timedelta):
        return value
    found = _DURATION.fullmatch(value.strip()) if isinstance(value, str) else None
    if found is None:
        raise ValueError("must be a duration such as 90s, 30m, 2h or 1d")
    seconds = float(found.group(1)) * _UNIT_SECONDS[found.group(2)]
    if seconds <= 0:
        raise ValueError("must be longer than zero")
    return timedelta(seconds=seconds)


def _absolute_path(value: str) -> str:
    if not PurePosixPath(value).is_absolute():
        raise ValueError(f"{value!r} must be an absolute path")
    return value


Duration = Annotated[
    timedelta,
    BeforeValidator(parse_duration),
    WithJsonSchema(
        {"type": "string", "pattern": _DURATION.pattern, "examples": ["90s", "30m", "2h", "1d"]}
    ),
]
_NAME = r"^[a-z][a-z0-9_-]*$"
_PARAM_NAME = r"^[a-z_][a-z0-9_]*$"
_USER_ID = r"^[UW][A-Z0-9]{2,}$"
_GROUP = r"^[a-z0-9][a-z0-9._-]*$"
_CHANNEL_ID = r"^[CGD][A-Z0-9]{2,}$"
_ENV_NAME = r"^[A-Za-z_][A-Za-z0-9_]*$"
_ENTRYPOINT = r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*:[A-Za-z_][A-Za-z0-9_]*$"
_JSON_PATH = r"^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$"
_MCP_SCOPE = r"^[a-z][a-z0-9_-]*(:[^\s:]+)?$"

PATTERN_HINTS = {
    _NAME: "must be lower-case letters, digits, '-' or '_', starting with a letter",
    _PARAM_NAME: "must be lower-case letters, digits or '_', not starting with a digit",
    _USER_ID: "must be a Slack user id such as U0ALICE",
    _GROUP: "must be a user-group handle (without @) such as sre",
    _CHANNEL_ID: "must be a Slack channel id such as C0GENERAL",
    _ENV_NAME: "must be an environment variable name such as PATH",
    _ENTRYPOINT: "must be 'package.module:function'",
    _JSON_PATH: "must be a dotted path such as status or data.state",
    _MCP_SCOPE: "must be an MCP server name, or SERVER:TOOL (a tool name or a glob)",
}
"""A readable message for each pattern, used instead of pydantic's regex quote."""


def duration_default(text: str, *, description: str | None = None) -> Any:
    """A duration field's default, shown in the JSON schema as written in the file."""
    value = parse_duration(text)
    return Field(value, description=description, json_schema_extra={"default": text})


Name = Annotated[str, StringConstraints(pattern=_NAME, max_length=64)]
ParamName = Annotated[str, StringConstraints(pattern=_PARAM_NAME, max_length=64)]
UserId = Annotated[str, StringConstraints(pattern=_USER_ID)]
GroupHandle = Annotated[str, StringConstraints(pattern=_GROUP)]
ChannelId = Annotated[str, StringConstraints(pattern=_CHANNEL_ID)]
EnvName = Annotated[str, StringConstraints(pattern=_ENV_NAME)]
EntryPoint = Annotated[str, StringConstraints(pattern=_ENTRYPOINT)]
JsonPath = Annotated[str, StringConstraints(pattern=_JSON_PATH)]
McpScope = Annotated[str, StringConstraints(pattern=_MCP_SCOPE, max_length=200)]
"""``SERVER`` (all its exposed tools) or ``SERVER:TOOL``, the tool a name or a glob."""
AbsolutePath = Annotated[str, AfterValidator(_absolute_path)]
Usd = Annotated[float, Field(ge=0)]


class Strict(BaseModel):
    """The base of every config model: unknown fields, coercion and mutation are refused."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class ApproversModel(Strict):
    """Who may approve: Slack user ids and user-group handles (without ``@``)."""

    users: list[UserId] = []
    groups: list[GroupHandle] = []
