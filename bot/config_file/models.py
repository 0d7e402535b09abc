"""The shape of the config file, as pydantic models.

Every model forbids unknown fields and is strict (YAML gives native types; a quoted ``"2"``
where a number belongs is a mistake worth reporting). These models check one field at a time;
rules that relate fields (format placeholders, defaults, approval by risk, executor templates)
live in :mod:`bot.config_file.checks` so that every violation can be reported with its line.
"""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import PurePosixPath
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    JsonValue,
    StringConstraints,
    WithJsonSchema,
    field_validator,
    model_validator,
)

__all__ = [
    "PATTERN_HINTS",
    "ActionModel",
    "AgentModel",
    "ApprovalModel",
    "ApproversModel",
    "BoolParam",
    "BreakerModel",
    "BudgetsModel",
    "ClassifierModel",
    "EnumParam",
    "ExecutorConfig",
    "ExecutorModel",
    "HttpExecutorConfig",
    "IntParam",
    "JsonFieldCheck",
    "KnowledgeModel",
    "MemoryModel",
    "ModelSettingsModel",
    "ParamModel",
    "PriceModel",
    "ProviderModel",
    "PythonExecutorConfig",
    "RateLimitModel",
    "RequestersModel",
    "RetentionModel",
    "RouterModel",
    "ShellExecutorConfig",
    "StrParam",
    "SuccessModel",
    "parse_duration",
]

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


def _valid_regex(value: str | None) -> str | None:
    if value is not None:
        try:
            re.compile(value)
        except re.error as exc:
            raise ValueError(f"is not a valid regular expression ({exc.msg})") from None
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

PATTERN_HINTS = {
    _NAME: "must be lower-case letters, digits, '-' or '_', starting with a letter",
    _PARAM_NAME: "must be lower-case letters, digits or '_', not starting with a digit",
    _USER_ID: "must be a Slack user id such as U0ALICE",
    _GROUP: "must be a user-group handle (without @) such as sre",
    _CHANNEL_ID: "must be a Slack channel id such as C0GENERAL",
    _ENV_NAME: "must be an environment variable name such as PATH",
    _ENTRYPOINT: "must be 'package.module:function'",
    _JSON_PATH: "must be a dotted path such as status or data.state",
}
"""A readable message for each pattern, used instead of pydantic's regex quote."""


def _duration_default(text: str, *, description: str | None = None) -> Any:
    """A duration field's default, shown in the JSON schema as written in the file."""
    value = parse_duration(text)
    return Field(value, description=description, json_schema_extra={"default": text})


Name = Annotated[str, StringConstraints(pattern=_NAME, max_length=64)]
ParamName = Annotated[str, StringConstraints(pattern=_PARAM_NAME, max_length=64)]
UserId = Annotated[str, StringConstraints(pattern=_USER_ID)]
GroupHandle = Annotated[str, StringConstraints(pattern=_GROUP)]
ChannelId = Annotated[str, StringConstraints(pattern=_CHANNEL_ID)]
EnvName = Annotated[str, StringConstraints(pattern=_ENV_NAME)]
AbsolutePath = Annotated[str, AfterValidator(_absolute_path)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


# --- parameters -------------------------------------------------------------------------


class _ParamBase(_Strict):
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


# --- people -----------------------------------------------------------------------------


class RequestersModel(_Strict):
    """Who may ask for the action; all empty means anyone."""

    users: list[UserId] = []
    groups: list[GroupHandle] = []
    channels: list[ChannelId] = []


class ApproversModel(_Strict):
    """Who may approve: Slack user ids and user-group handles (without ``@``)."""

    users: list[UserId] = []
    groups: list[GroupHandle] = []


class ApprovalModel(_Strict):
    """Approval policy. ``required`` defaults to true once an approval block is written."""

    required: bool | None = None
    approvers: ApproversModel = ApproversModel()
    quorum: int = Field(1, ge=1, description="distinct approvals needed")
    self_approval: bool = Field(False, description="may the requester approve (never if dangerous)")
    expires_after: Duration = _duration_default("1h")
    escalation_channel: ChannelId | None = None


# --- executors --------------------------------------------------------------------------


class JsonFieldCheck(_Strict):
    """Success also needs the JSON response field at ``path`` (dotted) to equal ``equals``."""

    path: Annotated[str, StringConstraints(pattern=_JSON_PATH)]
    equals: JsonValue


class SuccessModel(_Strict):
    """What counts as success for an http call."""

    status: list[Annotated[int, Field(ge=100, le=599)]] = Field(
        default=[200, 201, 202, 204], min_length=1
    )
    json_field: JsonFieldCheck | None = None


class HttpExecutorConfig(_Strict):
    """Call an HTTP API. ``{param}`` placeholders in the URL are URL-encoded; header values
    may reference ``${ENV_VAR}`` (resolved when the action runs) and nothing else secret."""

    method: Literal["GET", "POST", "PUT", "PATCH", "DELETE"] = "POST"
    url: str = Field(description="http(s) URL; {param} placeholders only in path and query")
    headers: dict[str, str] = {}
    body: JsonValue = Field(
        None, description='JSON template: a string that is exactly "{p}" becomes the typed value'
    )
    timeout: Duration = _duration_default("10s", description="per attempt")
    retries: int = Field(3, ge=1, le=3, description="attempts in total (at most 3)")
    idempotent: bool = False
    success: SuccessModel = SuccessModel()


class ShellExecutorConfig(_Strict):
    """Run a program directly (never through a shell); each argv element stays one argument."""

    argv: list[str] = Field(min_length=1)
    executable_allowlist: list[AbsolutePath] = Field(min_length=1)
    timeout: Duration = _duration_default("30s")
    cwd: AbsolutePath | None = None
    env_allowlist: list[EnvName] = Field([], description="only these variables reach the child")
    idempotent: bool = False


class PythonExecutorConfig(_Strict):
    """Await ``module:function(request: ExecutionRequest) -> ExecutionResult``."""

    entrypoint: Annotated[str, StringConstraints(pattern=_ENTRYPOINT)]
    timeout: Duration = _duration_default("30s")
    idempotent: bool = False


ExecutorConfig = HttpExecutorConfig | ShellExecutorConfig | PythonExecutorConfig


class ExecutorModel(_Strict):
    """Exactly one of ``http``, ``shell`` or ``python``."""

    http: HttpExecutorConfig | None = None
    shell: ShellExecutorConfig | None = None
    python: PythonExecutorConfig | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> ExecutorModel:
        given = [name for name in ("http", "shell", "python") if getattr(self, name) is not None]
        if not given:
            raise ValueError("exactly one of http, shell or python is required")
        if len(given) > 1:
            raise ValueError(f"only one of http, shell or python may be given, not {given}")
        return self

    @property
    def config(self) -> ExecutorConfig:
        """The one executor configuration given."""
        chosen = self.http or self.shell or self.python
        assert chosen is not None  # guaranteed by _exactly_one
        return chosen


# --- actions ----------------------------------------------------------------------------


class ActionModel(_Strict):
    """One action: what it takes, who may run and approve it, and how it runs."""

    name: Name
    agent: Name
    description: str = Field(min_length=1)
    risk: Literal["read", "write", "dangerous"]
    params: dict[ParamName, ParamModel] = {}
    formats: list[str] = Field([], description='command formats, e.g. "deploy {service} to {env}"')
    requesters: RequestersModel = RequestersModel()
    approval: ApprovalModel | None = None
    executor: ExecutorModel


# --- LLM providers, router, budgets, agents ------------------------------------------------

Usd = Annotated[float, Field(ge=0)]


class PriceModel(_Strict):
    """What a model costs, in US dollars per million tokens."""

    input: Usd
    output: Usd


class BreakerModel(_Strict):
    """When a provider's circuit opens, and how long it stays open."""

    failures: int = Field(5, ge=1, description="consecutive failed calls that open it")
    cooldown: Duration = _duration_default("30s")


class ProviderModel(_Strict):
    """An LLM provider: OpenAI-compatible chat completions or the Anthropic Messages API."""

    name: Name
    kind: Literal["openai", "anthropic"]
    base_url: str = Field(description="e.g. http://127.0.0.1:8000/v1 for vLLM")
    api_key_env: EnvName | None = Field(None, description="environment variable with the key")
    timeout: Duration = _duration_default("30s", description="per attempt")
    max_attempts: int = Field(3, ge=1, le=3, description="attempts per call (at most 3)")
    breaker: BreakerModel = BreakerModel()
    prices: dict[str, PriceModel] = Field({}, description="by model name")

    @field_validator("base_url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if not re.match(r"^https?://[^/\s]+", value):
            raise ValueError("must be an http(s) URL")
        return value


class ModelSettingsModel(_Strict):
    """How an agent uses an LLM. Without this block the agent uses the rules planner only."""

    providers: list[Name] = Field(min_length=1, description="tried in order, then rules")
    model: str = Field(min_length=1)
    temperature: float = Field(0.0, ge=0, le=2)
    max_tokens: int = Field(1024, ge=16, le=32768)
    max_steps: int = Field(4, ge=1, le=10, description="model calls per turn")
    max_tool_calls: int = Field(3, ge=1, le=10, description="tool calls per turn")


class AgentModel(_Strict):
    """A domain agent. Built-in names (deploy, incident, oncall, help) extend the built-in;
    any other name declares an agent that answers with its actions."""

    name: Name
    description: str = ""
    owner: str = ""
    channels: list[ChannelId] = Field([], description="channels bound to this agent")
    keywords: list[Annotated[str, StringConstraints(min_length=1)]] = []
    examples: list[Annotated[str, StringConstraints(min_length=1)]] = []
    actions: list[Name] | None = Field(
        None, description="actions it may use (default: those whose agent is this one)"
    )
    system_prompt: str = ""
    model: ModelSettingsModel | None = None
    context_budget: int = Field(4000, ge=256, description="tokens of thread context")
    daily_budget_usd: Usd | None = None


class ClassifierModel(_Strict):
    """An LLM that picks the agent when rules are not confident."""

    provider: Name
    model: str = Field(min_length=1)


class RouterModel(_Strict):
    """Routing: below ``threshold`` the bot asks which agent was meant."""

    threshold: float = Field(0.5, gt=0, le=1)
    classifier: ClassifierModel | None = None


class RateLimitModel(_Strict):
    """A token bucket per person: ``turns`` at most, refilled over ``per``."""

    turns: int = Field(ge=1)
    per: Duration


class BudgetsModel(_Strict):
    """Daily LLM spend limits (UTC days) and the per-person turn rate limit."""

    per_user_daily_usd: Usd | None = None
    per_channel_daily_usd: Usd | None = None
    rate_limit: RateLimitModel | None = None


class RetentionModel(_Strict):
    """Days each memory tier is kept; unset keeps it forever."""

    messages: int | None = Field(None, ge=1, description="stored thread messages")
    notes: int | None = Field(None, ge=1, description="long-term notes")
    summaries: int | None = Field(
        None, ge=1, description="thread summaries and pinned facts, after the thread's last use"
    )
    usage: int | None = Field(
        None, ge=2, description="LLM usage records (daily budgets read only the last day)"
    )
    misses: int | None = Field(None, ge=1, description="questions the runbooks could not answer")


class MemoryModel(_Strict):
    """Memory settings."""

    retention_days: RetentionModel = RetentionModel()
    read_cache_ttl: Duration | None = _duration_default(
        "15s", description="how long a read-only action's result answers again (null: never)"
    )


class KnowledgeModel(_Strict):
    """How the knowledge agent answers from the indexed runbooks."""

    base_url: str | None = Field(None, description="where runbooks are browsable, for links")
    min_coverage: float = Field(
        0.5, gt=0, le=1, description="share of the question's words a section must contain"
    )
    max_chunks: int = Field(3, ge=1, le=10)
    owners: dict[str, str] = Field({}, description='topic word -> owner, e.g. payments: "@ana"')
