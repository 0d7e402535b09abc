"""A listed MCP tool as a Switchboard action: exposure, risk, parameters and policy.

Pure functions over a server's config entry and its listed tools (:class:`McpTool`):

- exposed: the tool's name matches an ``allow`` pattern and no ``deny`` pattern (globs);
- risk: from the annotations (``readOnlyHint`` → read, ``destructiveHint`` → dangerous,
  otherwise write); a configured risk may be stricter, never looser (a config problem);
- parameters: from the JSON input schema: string, integer, number (checked as text, sent as a
  float), boolean and string enums; any other shape (arrays, objects, unions, nullable
  values) and the tool is refused, with the reason;
- policy: the tool's own approval block, else the server's for write and dangerous tools, checked
  with the same rules as a declared action's (dangerous tools need approvers, and so on); who may
  request it and how its result is shown, as for a declared action;
- the digest of its input schema (:func:`schema_digest`), part of what an approval consents to.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from typing import Any

from agents.actions.spec import ActionSpec, Audience, ExecutorInfo, ParamSpec, ParamValue, Risk
from bot.config_file.sections.actions import (
    ApprovalModel,
    approval_problems,
    to_approval_policy,
)
from bot.config_file.sections.base import Problem
from bot.config_file.sections.executors import McpExecutorConfig
from bot.config_file.sections.mcp import McpServerModel, McpToolModel
from bot.config_file.sections.result import to_result_format
from bot.config_file.templates import undeclared_placeholders
from bot.integrations.mcp.client import McpTool

__all__ = [
    "RISK_ORDER",
    "ServerTools",
    "ToolListing",
    "UnsupportedSchema",
    "coerce_arguments",
    "default_risk",
    "exposed",
    "schema_digest",
    "server_tools",
    "tool_params",
]

RISK_ORDER: Mapping[Risk, int] = {"read": 0, "write": 1, "dangerous": 2}
_ACTION_NAME = re.compile(r"^[a-z][a-z0-9_-]{0,63}$")
_PARAM_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,63}$")
_NUMBER = r"-?\d+(\.\d+)?"


class UnsupportedSchema(ValueError):
    """A tool's input schema has a shape no action parameter can take (the message says which)."""


def default_risk(tool: McpTool) -> Risk:
    """The risk the server's annotations imply (destructive wins over read-only)."""
    if tool.destructive:
        return "dangerous"
    if tool.read_only:
        return "read"
    return "write"


def schema_digest(tool: McpTool) -> str:
    """SHA-256 of the tool's input schema (canonical JSON): a tool whose schema changed while
    an approval waited no longer matches what the approvers consented to."""
    text = json.dumps(tool.input_schema, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def exposed(name: str, *, allow: Sequence[str], deny: Sequence[str]) -> bool:
    """Whether ``name`` matches an ``allow`` pattern and no ``deny`` pattern."""
    return any(fnmatchcase(name, p) for p in allow) and not any(fnmatchcase(name, p) for p in deny)


def tool_params(schema: Mapping[str, Any]) -> tuple[tuple[ParamSpec, ...], frozenset[str]]:
    """The parameters of a JSON input schema, and the names of those sent as numbers.

    Raises:
        UnsupportedSchema: naming the first property (or shape) that cannot be mapped.
    """
    if schema.get("type", "object") != "object":
        raise UnsupportedSchema(f"input schema type {schema.get('type')!r} is not an object")
    properties = schema.get("properties") or {}
    if not isinstance(properties, dict):
        raise UnsupportedSchema("input schema properties are not a mapping")
    required = set(schema.get("required") or ())
    params: list[ParamSpec] = []
    numbers: set[str] = set()
    for name, prop in properties.items():
        if not _PARAM_NAME.fullmatch(str(name)):
            raise UnsupportedSchema(f"parameter name {name!r} is not lower_snake_case")
        if not isinstance(prop, dict):
            raise UnsupportedSchema(f"parameter {name!r} has no schema")
        spec = _param(name, prop, required=name in required)
        if prop.get("type") == "number":
            numbers.add(name)
        params.append(spec)
    return tuple(params), frozenset(numbers)


def _param(name: str, prop: Mapping[str, Any], *, required: bool) -> ParamSpec:
    kind = prop.get("type")
    description = str(prop.get("description") or prop.get("title") or "")
    default = prop.get("default")
    if "enum" in prop:
        choices = prop["enum"]
        if kind not in (None, "string") or not all(isinstance(c, str) for c in choices):
            raise UnsupportedSchema(f"parameter {name!r}: only string enums are supported")
        value = default if default in choices else None
        return ParamSpec(
            name, "enum", description, required, value, choices=tuple(map(str, choices))
        )
    if kind == "string":
        text = default if isinstance(default, str) and default else None
        return ParamSpec(name, "str", description, required, text)
    if kind == "integer":
        whole = default if isinstance(default, int) and not isinstance(default, bool) else None
        low, high = prop.get("minimum"), prop.get("maximum")
        return ParamSpec(
            name,
            "int",
            description,
            required,
            whole,
            minimum=low if isinstance(low, int) else None,
            maximum=high if isinstance(high, int) else None,
        )
    if kind == "number":
        number = str(default) if isinstance(default, int | float) else None
        return ParamSpec(name, "str", description, required, number, pattern=_NUMBER)
    if kind == "boolean":
        flag = default if isinstance(default, bool) else None
        return ParamSpec(name, "bool", description, required, flag)
    shape = kind if isinstance(kind, str) else "/".join(k for k in prop if k != "title")
    raise UnsupportedSchema(f"parameter {name!r} has unsupported type {shape or 'unknown'!r}")


@dataclass(frozen=True, slots=True)
class ToolListing:
    """One exposed tool as ``config check`` shows it."""

    tool: str
    action: str
    risk: Risk
    agent: str
    approval: str
    explicit: bool
    """A ``per_tool`` entry was written for it."""


@dataclass(slots=True)
class ServerTools:
    """What one server's listed tools became."""

    actions: list[ActionSpec] = field(default_factory=list)
    executors: dict[str, McpExecutorConfig] = field(default_factory=dict)
    listings: list[ToolListing] = field(default_factory=list)
    refused: list[tuple[str, str]] = field(default_factory=list)
    """``(tool, reason)`` for each exposed tool that could not become an action."""
    problems: list[Problem] = field(default_factory=list)
    """Config problems (absolute locations): a looser risk, a missing approval..."""


def server_tools(server: McpServerModel, index: int, tools: Sequence[McpTool]) -> ServerTools:
    """The actions (and their executors) of one server's exposed tools."""
    out = ServerTools()
    here = ("mcp", "servers", index)
    listed = {tool.name for tool in tools}
    for name in server.per_tool:
        if name not in listed:
            out.refused.append((name, "named in per_tool but not listed by the server"))
    for tool in tools:
        if not exposed(tool.name, allow=server.tools.allow, deny=server.tools.deny):
            continue
        _add_tool(out, server, here, tool)
    return out


def _add_tool(
    out: ServerTools, server: McpServerModel, here: tuple[str | int, ...], tool: McpTool
) -> None:
    action_name = f"{server.name}_{tool.name}".lower()
    if not _ACTION_NAME.fullmatch(action_name):
        out.refused.append((tool.name, f"{action_name!r} is not a valid action name"))
        return
    try:
        params, numbers = tool_params(tool.input_schema)
    except UnsupportedSchema as exc:
        out.refused.append((tool.name, str(exc)))
        return
    policy = server.per_tool.get(tool.name, McpToolModel())
    where = (*here, "per_tool", tool.name)
    floor = default_risk(tool)
    risk: Risk = policy.risk or floor
    if RISK_ORDER[risk] < RISK_ORDER[floor]:
        out.problems.append(
            (
                (*where, "risk"),
                f"tool {tool.name!r} is {floor} by its annotations; risk {risk} would be looser",
            )
        )
        return
    approval, approval_at = _approval(server, policy, risk, here, where)
    problems: list[Problem] = [
        ((*approval_at, *loc), f"tool {tool.name!r}: {message}")
        for loc, message in approval_problems(risk, approval, has_approval=approval is not None)
    ]
    formats = tuple(policy.formats or (_default_format(server.name, tool.name, params),))
    declared = frozenset(p.name for p in params)
    for number, template in enumerate(formats):
        for message in undeclared_placeholders(template, declared):
            problems.append(((*where, "formats", number), message))
    if problems:
        out.problems.extend(problems)
        return
    spec = ActionSpec(
        name=action_name,
        agent=policy.agent or server.agent or "",  # none: by agent scopes only
        description=tool.description.strip().splitlines()[0] if tool.description else tool.name,
        risk=risk,
        executor=ExecutorInfo(
            kind="mcp", target=f"mcp:{server.name}", idempotent=policy.idempotent, tool=tool.name
        ),
        params=params,
        formats=formats,
        requesters=Audience(
            users=frozenset(policy.requesters.users),
            groups=frozenset(policy.requesters.groups),
            channels=frozenset(policy.requesters.channels),
        ),
        approval=to_approval_policy(approval, risk=risk),
        result=to_result_format(policy.result),
    )
    out.actions.append(spec)
    out.executors[action_name] = McpExecutorConfig(
        endpoint=server.endpoint(),
        tool=tool.name,
        timeout=policy.timeout or server.timeout,
        numbers=numbers,
        idempotent=policy.idempotent,
        schema_digest=schema_digest(tool),
        rate_limit=policy.rate_limit,
        breaker_failures=server.breaker.failures,
        breaker_cooldown=server.breaker.cooldown,
    )
    out.listings.append(
        ToolListing(
            tool=tool.name,
            action=action_name,
            risk=risk,
            agent=spec.agent,
            approval=_describe(spec),
            explicit=tool.name in server.per_tool,
        )
    )


def _approval(
    server: McpServerModel,
    policy: McpToolModel,
    risk: Risk,
    here: tuple[str | int, ...],
    where: tuple[str | int, ...],
) -> tuple[ApprovalModel | None, tuple[str | int, ...]]:
    """The tool's approval block and where it was written (the server's is for write and
    dangerous tools only)."""
    if policy.approval is not None or risk == "read" or server.approval is None:
        return policy.approval, where
    return server.approval, here


def _default_format(server: str, tool: str, params: Sequence[ParamSpec]) -> str:
    """``SERVER TOOL {required} {params}`` (optional ones take their defaults)."""
    placeholders = [f"{{{p.name}}}" for p in params if p.required]
    return " ".join([server, tool, *placeholders])


def _describe(spec: ActionSpec) -> str:
    if not spec.needs_approval:
        return "runs at once"
    quorum = spec.approval.quorum
    return f"needs approval (quorum {quorum})"


def coerce_arguments(
    params: Mapping[str, ParamValue], numbers: frozenset[str]
) -> dict[str, object]:
    """The call's arguments: numbers (validated as text) sent as floats."""
    return {name: float(value) if name in numbers else value for name, value in params.items()}
