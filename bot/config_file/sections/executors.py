"""An action's ``executor:``: exactly one of http, shell or python, the rules on their
templates (URLs, headers, bodies, argv) and what the domain learns of them (:class:`ExecutorInfo`).

The rules run on :class:`ExecutorParts`, the templated fields that are valid on their own, so a
broken ``executor.http.retries`` does not hide a literal secret in a header.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Annotated, Literal
from urllib.parse import urlsplit

from pydantic import Field, JsonValue, model_validator

from agents.actions.spec import ExecutorInfo
from bot.config_file.credentials import literal_secret_problem
from bot.config_file.sections.base import (
    AbsolutePath,
    Duration,
    EntryPoint,
    EnvName,
    JsonPath,
    Problem,
    Strict,
    duration_default,
)
from bot.config_file.sections.salvage import mapping, texts
from bot.config_file.templates import malformed_env_refs, placeholders, undeclared_placeholders
from bot.config_file.yamlsource import Loc

__all__ = [
    "ExecutorConfig",
    "ExecutorModel",
    "ExecutorParts",
    "HttpExecutorConfig",
    "HttpParts",
    "JsonFieldCheck",
    "McpEndpoint",
    "McpExecutorConfig",
    "McpOAuth",
    "PagerDutyExecutorConfig",
    "PythonExecutorConfig",
    "ShellExecutorConfig",
    "ShellParts",
    "SuccessModel",
    "check_executor",
    "executor_target",
    "to_executor_info",
]

_DEFAULT_PORTS = {"http": 80, "https": 443}


class JsonFieldCheck(Strict):
    """Success also needs the JSON response field at ``path`` (dotted) to equal ``equals``."""

    path: JsonPath
    equals: JsonValue


class SuccessModel(Strict):
    """What counts as success for an http call."""

    status: list[Annotated[int, Field(ge=100, le=599)]] = Field(
        default=[200, 201, 202, 204], min_length=1
    )
    json_field: JsonFieldCheck | None = None


class HttpExecutorConfig(Strict):
    """Call an HTTP API. ``{param}`` placeholders in the URL are URL-encoded; header values
    may reference ``${ENV_VAR}`` (resolved when the action runs) and nothing else secret."""

    method: Literal["GET", "POST", "PUT", "PATCH", "DELETE"] = "POST"
    url: str = Field(description="http(s) URL; {param} placeholders only in path and query")
    headers: dict[str, str] = {}
    body: JsonValue = Field(
        None, description='JSON template: a string that is exactly "{p}" becomes the typed value'
    )
    timeout: Duration = duration_default("10s", description="per attempt")
    retries: int = Field(3, ge=1, le=3, description="attempts in total (at most 3)")
    idempotent: bool = False
    success: SuccessModel = SuccessModel()


class ShellExecutorConfig(Strict):
    """Run a program directly (never through a shell); each argv element stays one argument."""

    argv: list[str] = Field(min_length=1)
    executable_allowlist: list[AbsolutePath] = Field(min_length=1)
    timeout: Duration = duration_default("30s")
    cwd: AbsolutePath | None = None
    env_allowlist: list[EnvName] = Field([], description="only these variables reach the child")
    idempotent: bool = False


class PythonExecutorConfig(Strict):
    """Await ``module:function(request: ExecutionRequest) -> ExecutionResult``."""

    entrypoint: EntryPoint
    timeout: Duration = duration_default("30s")
    idempotent: bool = False


@dataclass(frozen=True, slots=True)
class McpOAuth:
    """An HTTP server's OAuth client credentials grant, secret-free: the secret stays its
    ``${ENV_VAR}`` template; the token endpoint is ``token_url``, else discovered."""

    client_id: str
    client_secret: str
    issuer: str | None = None
    token_url: str | None = None
    scope: str | None = None
    auth_method: str = "client_secret_basic"


@dataclass(frozen=True, slots=True)
class McpEndpoint:
    """Where a server is reached, secret-free: a stdio ``argv`` with the names of the variables
    passed on, or a Streamable HTTP ``url`` with header templates (``${ENV_VAR}`` unresolved)."""

    server: str
    argv: tuple[str, ...] = ()
    env: tuple[str, ...] = ()
    url: str | None = None
    headers: tuple[tuple[str, str], ...] = ()
    oauth: McpOAuth | None = None

    @property
    def transport(self) -> str:
        """``stdio`` or ``http``."""
        return "stdio" if self.url is None else "http"


@dataclass(frozen=True, slots=True)
class McpExecutorConfig:
    """How to run one MCP tool: the server's endpoint, the tool, the timeout, which
    parameters the tool takes as numbers (sent as floats), the digest of the input schema the
    tool was listed with, whether a call may be retried, a rate limit (calls per minute) and
    the server's breaker settings.

    Built from a running server's tool list (:mod:`bot.integrations.mcp`), not written by hand.
    """

    endpoint: McpEndpoint
    tool: str
    timeout: timedelta
    numbers: frozenset[str] = frozenset()
    idempotent: bool = False
    schema_digest: str = ""
    rate_limit: int | None = None
    breaker_failures: int = 5
    breaker_cooldown: timedelta = timedelta(seconds=30)

    @property
    def server(self) -> str:
        """The server's name."""
        return self.endpoint.server


@dataclass(frozen=True, slots=True)
class PagerDutyExecutorConfig:
    """How to send one kind of PagerDuty event (Events API v2): where, which
    ``event_action``, and the environment variable holding each service's routing key.

    Built from the ``pagerduty:`` section (:mod:`.pagerduty`), not written by hand.
    """

    event_action: Literal["trigger", "acknowledge", "resolve"]
    events_url: str
    routing_keys: Mapping[str, str]
    """Service name → the name of the variable holding its routing (integration) key."""
    timeout: timedelta
    idempotent: bool = True


ExecutorConfig = (
    HttpExecutorConfig
    | ShellExecutorConfig
    | PythonExecutorConfig
    | McpExecutorConfig
    | PagerDutyExecutorConfig
)
"""What runs an action: written under ``executor:`` (http, shell, python), built from an
MCP server's tool list (mcp), or from the ``pagerduty:`` section (pagerduty)."""


class ExecutorModel(Strict):
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
    def config(self) -> HttpExecutorConfig | ShellExecutorConfig | PythonExecutorConfig:
        """The one executor configuration given."""
        chosen = self.http or self.shell or self.python
        assert chosen is not None  # guaranteed by _exactly_one
        return chosen


def executor_target(config: ExecutorConfig) -> str:
    """The system an executor reaches (one circuit breaker each): ``host:port`` for http,
    the executable for shell, the module for python, ``mcp:SERVER`` for an MCP tool,
    ``pagerduty:events`` for a PagerDuty event."""
    if isinstance(config, HttpExecutorConfig):
        parts = urlsplit(config.url)
        port = parts.port or _DEFAULT_PORTS.get(parts.scheme, 0)
        return f"{parts.hostname}:{port}"
    if isinstance(config, PythonExecutorConfig):
        return config.entrypoint.partition(":")[0]
    if isinstance(config, McpExecutorConfig):
        return f"mcp:{config.server}"
    if isinstance(config, PagerDutyExecutorConfig):
        return "pagerduty:events"
    return config.argv[0]


def to_executor_info(model: ExecutorModel) -> ExecutorInfo:
    """What the domain knows of an executor: its kind, target and idempotency."""
    config = model.config
    return ExecutorInfo(
        kind="http" if model.http else "shell" if model.shell else "python",
        target=executor_target(config),
        idempotent=config.idempotent,
    )


# --- the rules on templates ----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class HttpParts:
    """The templated fields of an http executor."""

    method: str | None = None
    url: str | None = None
    headers: Mapping[str, str] = field(default_factory=dict)
    body: object = None


@dataclass(frozen=True, slots=True)
class ShellParts:
    """The argv template (with each element's index) and the allowlist."""

    argv: Sequence[tuple[int, str]] = ()
    allowlist: Sequence[str] | None = None


@dataclass(frozen=True, slots=True)
class ExecutorParts:
    """The templated fields of an executor that are valid on their own (``None``: none)."""

    http: HttpParts | None = None
    shell: ShellParts | None = None

    @classmethod
    def of(cls, model: ExecutorModel) -> ExecutorParts:
        """The parts of a fully valid executor."""
        http, shell = model.http, model.shell
        return cls(
            http=HttpParts(http.method, http.url, http.headers, http.body) if http else None,
            shell=ShellParts(list(enumerate(shell.argv)), shell.executable_allowlist)
            if shell
            else None,
        )

    @classmethod
    def salvage(cls, raw: object) -> ExecutorParts:
        """The valid parts of an executor that failed validation as a whole."""
        executor = mapping(raw)
        return cls(
            http=_salvage_http(executor["http"]) if "http" in executor else None,
            shell=_salvage_shell(executor["shell"]) if "shell" in executor else None,
        )


def check_executor(parts: ExecutorParts, declared: frozenset[str]) -> Iterator[Problem]:
    """Every problem in an executor's templates (locations relative to the action)."""
    if parts.http is not None:
        yield from _http(parts.http, declared)
    if parts.shell is not None:
        yield from _shell(parts.shell, declared)


def _salvage_http(raw: object) -> HttpParts:
    data = mapping(raw)
    method, url = data.get("method"), data.get("url")
    headers = {k: v for k, v in mapping(data.get("headers")).items() if isinstance(v, str)}
    return HttpParts(
        method=method if isinstance(method, str) else None,
        url=url if isinstance(url, str) else None,
        headers=headers,
        body=data.get("body"),
    )


def _salvage_shell(raw: object) -> ShellParts:
    data = mapping(raw)
    allowlist = data.get("executable_allowlist")
    valid_allowlist = isinstance(allowlist, list) and all(isinstance(p, str) for p in allowlist)
    return ShellParts(
        argv=texts(data.get("argv")),
        allowlist=allowlist if valid_allowlist else None,
    )


def _http(http: HttpParts, declared: frozenset[str]) -> Iterator[Problem]:
    base: Loc = ("executor", "http")
    if http.url is not None:
        yield from _url(http.url, declared)
    for header, value in http.headers.items():
        where = (*base, "headers", header)
        for fragment in malformed_env_refs(value):
            yield where, f"{fragment!r} is not a well-formed ${{UPPER_CASE_NAME}} reference"
        if placeholders(value):
            yield where, "header values cannot hold {param} placeholders, only ${ENV_VAR}"
        secret = literal_secret_problem(header, value)
        if secret is not None:
            yield where, secret
    if http.method == "GET" and http.body is not None:
        yield (*base, "body"), "a GET request takes no body"
    yield from _body(http.body, declared, (*base, "body"))


def _url(url: str, declared: frozenset[str]) -> Iterator[Problem]:
    where: Loc = ("executor", "http", "url")
    try:
        parts = urlsplit(url)
        valid_port = parts.port is not None or ":" not in parts.netloc.rpartition("@")[2]
    except ValueError:
        parts, valid_port = None, False
    if parts is None or parts.scheme not in {"http", "https"} or not parts.hostname:
        yield where, "must be an http:// or https:// URL with a host"
        return
    if "{" in parts.netloc or not valid_port:
        yield where, "the scheme, host and port must be literal (placeholders go in the path)"
    if "$" in url:
        yield where, "${ENV_VAR} is resolved only in header values, not in the URL"
    if parts.username or parts.password:
        yield where, "credentials in the URL are not allowed; use a header with ${ENV_VAR}"
    for message in undeclared_placeholders(url, declared):
        yield where, message


def _body(value: object, declared: frozenset[str], where: Loc) -> Iterator[Problem]:
    if isinstance(value, str):
        for message in undeclared_placeholders(value, declared):
            yield where, message
        if malformed_env_refs(value) or "${" in value:
            yield where, "${ENV_VAR} is resolved only in header values, not in the body"
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _body(item, declared, (*where, str(key)))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _body(item, declared, (*where, index))


def _shell(shell: ShellParts, declared: frozenset[str]) -> Iterator[Problem]:
    where: Loc = ("executor", "shell", "argv")
    for index, element in shell.argv:
        if index == 0:
            yield from _executable(element, shell.allowlist)
        else:
            for message in undeclared_placeholders(element, declared):
                yield (*where, index), message


def _executable(executable: str, allowlist: Sequence[str] | None) -> Iterator[Problem]:
    where: Loc = ("executor", "shell", "argv", 0)
    if "{" in executable:
        yield where, "the executable (argv[0]) must be literal, not a placeholder"
    elif not executable.startswith("/"):
        yield where, f"the executable {executable!r} must be an absolute path"
    elif allowlist is not None and executable not in allowlist:
        yield where, f"{executable!r} is not in executable_allowlist"
