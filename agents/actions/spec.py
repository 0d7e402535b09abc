"""Actions as the domain knows them: typed parameters, command formats, risk and who decides.

The YAML config file is parsed and validated at the edge (``bot/config_file.py``); what
reaches the domain are these frozen values. Parsing a command against an action's formats and
validating parameter values are pure functions here, shared by the slash command, the rules
planner and (later) an LLM's tool schema.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Literal

from agents.actions.presentation import ResultFormat

__all__ = [
    "ActionSpec",
    "ApprovalPolicy",
    "Audience",
    "ExecutorInfo",
    "FormatMatch",
    "ParamSpec",
    "ParamValue",
    "Risk",
    "match_formats",
    "validate_params",
]

Risk = Literal["read", "write", "dangerous"]
ParamKind = Literal["str", "int", "enum", "bool"]
ParamValue = str | int | bool

_TRUE = {"true", "yes", "y", "on", "1"}
_FALSE = {"false", "no", "n", "off", "0"}
_PLACEHOLDER = re.compile(r"\{([a-z_][a-z0-9_]*)\}")


@dataclass(frozen=True, slots=True)
class ParamSpec:
    """One typed parameter of an action.

    Attributes:
        pattern: for ``str``, a regular expression the whole value must match.
        minimum, maximum: for ``int``, inclusive bounds.
        choices: for ``enum``, the allowed values.
    """

    name: str
    kind: ParamKind = "str"
    description: str = ""
    required: bool = True
    default: ParamValue | None = None
    pattern: str | None = None
    minimum: int | None = None
    maximum: int | None = None
    choices: tuple[str, ...] = ()

    def coerce(self, raw: ParamValue) -> ParamValue:
        """Convert and check one value.

        Raises:
            ValueError: with a message fit to show the person who gave the value.
        """
        if self.kind == "int":
            return self._coerce_int(raw)
        if self.kind == "bool":
            return self._coerce_bool(raw)
        text = str(raw).strip()
        if self.kind == "enum":
            if text not in self.choices:
                raise ValueError(f"{self.name} must be one of {', '.join(self.choices)}")
            return text
        if not text:
            raise ValueError(f"{self.name} must not be empty")
        if self.pattern is not None and re.fullmatch(self.pattern, text) is None:
            raise ValueError(f"{self.name} {text!r} does not match {self.pattern!r}")
        return text

    def _coerce_int(self, raw: ParamValue) -> int:
        if isinstance(raw, bool):
            raise ValueError(f"{self.name} must be a whole number")
        try:
            value = raw if isinstance(raw, int) else int(str(raw).strip())
        except ValueError:
            raise ValueError(f"{self.name} must be a whole number, not {raw!r}") from None
        if self.minimum is not None and value < self.minimum:
            raise ValueError(f"{self.name} must be at least {self.minimum}")
        if self.maximum is not None and value > self.maximum:
            raise ValueError(f"{self.name} must be at most {self.maximum}")
        return value

    def _coerce_bool(self, raw: ParamValue) -> bool:
        if isinstance(raw, bool):
            return raw
        text = str(raw).strip().lower()
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
        raise ValueError(f"{self.name} must be yes or no, not {raw!r}")


@dataclass(frozen=True, slots=True)
class Audience:
    """A set of people: Slack user ids, user-group handles (without ``@``), and channels.

    An empty audience means "anyone" where it lists requesters; approvers are never empty.
    """

    users: frozenset[str] = frozenset()
    groups: frozenset[str] = frozenset()
    channels: frozenset[str] = frozenset()

    @property
    def is_empty(self) -> bool:
        """No users, groups or channels named."""
        return not (self.users or self.groups or self.channels)


@dataclass(frozen=True, slots=True)
class ApprovalPolicy:
    """Who must approve an action before it runs.

    Attributes:
        required: whether approval is needed at all (always for ``dangerous``).
        quorum: how many distinct approvers must approve.
        allow_self_approval: whether the requester may be one of them (never for dangerous).
        expires_after: how long a request waits before it expires.
        escalation_channel: where an expired request is announced, if anywhere.
    """

    required: bool = True
    approvers: Audience = field(default_factory=Audience)
    quorum: int = 1
    allow_self_approval: bool = False
    expires_after: timedelta = timedelta(hours=1)
    escalation_channel: str | None = None


@dataclass(frozen=True, slots=True)
class ExecutorInfo:
    """What the domain needs to know of an executor (its details live at the edge).

    Attributes:
        kind: ``http``, ``shell``, ``python``, ``mcp`` (a tool of an MCP server) or
            ``pagerduty`` (a PagerDuty Events API v2 event).
        target: a name for the system it reaches (one circuit breaker per target).
        idempotent: safe to run again after a crash or a transient failure.
        tool: an MCP tool's name on its server (what agents' scope patterns match).
    """

    kind: Literal["http", "shell", "python", "mcp", "pagerduty"]
    target: str
    idempotent: bool = False
    tool: str = ""


@dataclass(frozen=True, slots=True)
class ActionSpec:
    """One action declared in the config file."""

    name: str
    agent: str
    description: str
    risk: Risk
    executor: ExecutorInfo
    params: tuple[ParamSpec, ...] = ()
    formats: tuple[str, ...] = ()
    requesters: Audience = field(default_factory=Audience)
    approval: ApprovalPolicy = field(default_factory=ApprovalPolicy)
    result: ResultFormat = field(default_factory=ResultFormat)
    """How a run's output is shown to people and given to a model."""

    def param(self, name: str) -> ParamSpec | None:
        """The parameter called ``name``, if declared."""
        return next((p for p in self.params if p.name == name), None)

    @property
    def needs_approval(self) -> bool:
        """Dangerous actions always need approval; others as their policy says."""
        return self.risk == "dangerous" or self.approval.required

    @property
    def runs_at_once(self) -> bool:
        """A read that needs nobody's approval: it runs as soon as it is asked for (and a
        model's turn may run it and read its result)."""
        return self.risk == "read" and not self.needs_approval


@dataclass(frozen=True, slots=True)
class FormatMatch:
    """A command that matched one of an action's formats.

    Attributes:
        values: the raw values captured by the format's placeholders.
        specificity: how many literal characters the format had (more wins).
    """

    action: ActionSpec
    values: Mapping[str, str]
    specificity: int


def _format_regex(template: str) -> re.Pattern[str]:
    parts: list[str] = []
    position = 0
    for match in _PLACEHOLDER.finditer(template):
        parts.append(r"\s+".join(map(re.escape, template[position : match.start()].split(" "))))
        parts.append(f"(?P<{match.group(1)}>\\S+)")
        position = match.end()
    parts.append(r"\s+".join(map(re.escape, template[position:].split(" "))))
    return re.compile(r"^\s*" + "".join(parts) + r"\s*$", re.IGNORECASE)


def match_formats(text: str, actions: tuple[ActionSpec, ...]) -> FormatMatch | None:
    """The most specific action format that ``text`` matches completely, if any.

    Placeholders capture one word each (``deploy {service} to {env}``); literal words match
    case-insensitively with any run of spaces between them.
    """
    best: FormatMatch | None = None
    for action in actions:
        for template in action.formats:
            found = _format_regex(template).match(text)
            if found is None:
                continue
            specificity = len(_PLACEHOLDER.sub("", template).replace(" ", ""))
            if best is None or specificity > best.specificity:
                best = FormatMatch(action, found.groupdict(), specificity)
    return best


def validate_params(
    action: ActionSpec, raw: Mapping[str, ParamValue]
) -> tuple[dict[str, ParamValue], list[str], list[str]]:
    """Coerce and check parameter values against the action's declaration.

    Returns:
        ``(values, missing, errors)``: the valid values (defaults filled in), the names of
        required parameters with no value, and one message per invalid or unknown value.
    """
    values: dict[str, ParamValue] = {}
    missing: list[str] = []
    errors: list[str] = [
        f"unknown parameter {name!r}" for name in raw if action.param(name) is None
    ]
    for spec in action.params:
        if spec.name in raw and str(raw[spec.name]).strip() != "":
            try:
                values[spec.name] = spec.coerce(raw[spec.name])
            except ValueError as exc:
                errors.append(str(exc))
        elif spec.default is not None:
            values[spec.name] = spec.default
        elif spec.required:
            missing.append(spec.name)
    return values, missing, errors
