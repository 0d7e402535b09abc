"""The ``mcp:`` section: MCP servers whose tools become actions.

A server is either a command (stdio: argv, never through a shell, with an allowlist of
environment variables passed on) or a Streamable HTTP ``url`` with ``headers`` whose values may
reference ``${ENV_VAR}`` secrets (resolved when connecting, never logged or stored). Then which
of its tools to expose (``allow``/``deny``: names or glob patterns), a timeout, its circuit
breaker, the agent that owns its tools, and per tool: risk, approval policy, owner, who may
request it, timeout, idempotency, a rate limit and how its result is shown. A tool's risk comes
from its annotations once the server is running (:mod:`bot.integrations.mcp`); what is checked
here is what can be checked without it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Literal
from urllib.parse import urlsplit

from pydantic import Field, model_validator

from bot.config_file.credentials import literal_secret_problem
from bot.config_file.sections.actions import ApprovalModel, RequestersModel, Risk
from bot.config_file.sections.base import (
    Duration,
    EnvName,
    Name,
    Problem,
    Strict,
    duration_default,
    repeats,
)
from bot.config_file.sections.executors import McpEndpoint, McpOAuth
from bot.config_file.sections.result import ResultModel
from bot.config_file.templates import malformed_env_refs, placeholders
from bot.config_file.yamlsource import format_path

__all__ = [
    "McpBreakerModel",
    "McpModel",
    "McpOAuthModel",
    "McpServerModel",
    "McpToolModel",
    "McpToolsModel",
    "check_mcp",
]


class McpToolModel(Strict):
    """The policy of one tool; anything left out comes from the server (risk) or the server
    entry (agent, approval)."""

    risk: Risk | None = Field(
        None, description="only stricter than the tool's annotations, never looser"
    )
    approval: ApprovalModel | None = None
    agent: Name | None = None
    formats: list[str] | None = Field(
        None, description='command formats, e.g. "failover {cluster} to {region}"'
    )
    requesters: RequestersModel = RequestersModel()
    timeout: Duration | None = Field(None, description="per call (default: the server's)")
    idempotent: bool = Field(
        False, description="a call may safely be repeated: retried on a transient failure"
    )
    rate_limit: int | None = Field(
        None, ge=1, le=10_000, description="calls per minute at most (refused politely beyond)"
    )
    result: ResultModel | None = Field(
        None, description="how the result is shown in the thread and given to a model"
    )


class McpToolsModel(Strict):
    """Which tools to expose: those matching ``allow`` and no ``deny`` (names or globs)."""

    allow: list[str] = Field(["*"], min_length=1)
    deny: list[str] = []


class McpBreakerModel(Strict):
    """The server's circuit breaker: open after ``failures`` failed calls in a row, try again
    after ``cooldown``."""

    failures: int = Field(5, ge=1, le=100)
    cooldown: Duration = duration_default("30s")


_ENV_REF = re.compile(r"\$\{[A-Z_][A-Z0-9_]*\}")

_AUTHORIZATION_CODE = (
    "the authorization-code (interactive, browser) OAuth flow is not built: a chat bot has no "
    "browser to sign in with; use grant: client_credentials (client_id and a ${VAR} "
    "client_secret) or headers with ${ENV_VAR} secrets"
)


class McpOAuthModel(Strict):
    """OAuth for an HTTP server, by the client credentials grant (RFC 6749 §4.4): the bot gets
    its own access token, with no person and no browser involved."""

    grant: str = Field("client_credentials", description="client_credentials (the only one)")
    client_id: str = Field(min_length=1)
    client_secret: str = Field(description="a ${ENV_VAR} reference, never the secret itself")
    issuer: str | None = Field(
        None,
        description="the authorization server the client belongs to; its token endpoint is "
        "discovered from the server's protected resource metadata (RFC 9728, RFC 8414)",
    )
    token_url: str | None = Field(None, description="the token endpoint, if not discovered")
    scope: str | None = Field(None, description="space-separated scopes to ask for")
    auth_method: Literal["client_secret_basic", "client_secret_post"] = "client_secret_basic"

    @model_validator(mode="after")
    def _client_credentials(self) -> McpOAuthModel:
        if self.grant == "authorization_code":
            raise ValueError(_AUTHORIZATION_CODE)
        if self.grant != "client_credentials":
            raise ValueError(f"unknown grant {self.grant!r}: use client_credentials")
        if not _ENV_REF.fullmatch(self.client_secret):
            raise ValueError("client_secret must be a ${ENV_VAR} reference, never the secret")
        if self.issuer is None and self.token_url is None:
            raise ValueError(
                "give issuer (the authorization server the client belongs to: its token "
                "endpoint is discovered) or token_url"
            )
        for url in (self.issuer, self.token_url):
            if url is not None and urlsplit(url).scheme not in {"http", "https"}:
                raise ValueError(f"{url!r} must be an http:// or https:// URL")
        return self

    def settings(self) -> McpOAuth:
        """The secret-free grant settings."""
        return McpOAuth(
            self.client_id,
            self.client_secret,
            issuer=self.issuer,
            token_url=self.token_url,
            scope=self.scope,
            auth_method=self.auth_method,
        )


class McpServerModel(Strict):
    """One MCP server: a stdio ``command`` or a Streamable HTTP ``url`` (exactly one)."""

    name: Name
    command: list[str] | None = Field(
        None, min_length=1, description="argv; run directly, never by a shell"
    )
    env: list[EnvName] = Field([], description="only these variables reach a stdio server")
    url: str | None = Field(None, description="a Streamable HTTP endpoint, http(s)://host/path")
    headers: dict[str, str] = Field(
        {}, description="sent to an HTTP server; values may reference ${ENV_VAR} secrets"
    )
    oauth: McpOAuthModel | None = Field(
        None, description="an HTTP server's OAuth client credentials (no browser flow)"
    )
    agent: Name | None = Field(
        None,
        description="the agent owning the server's tools (unless per_tool says); without "
        "one, a tool is used only by the agents whose mcp scope names it",
    )
    tools: McpToolsModel = McpToolsModel()
    timeout: Duration = duration_default("10s", description="per call, including start-up")
    breaker: McpBreakerModel = McpBreakerModel()
    approval: ApprovalModel | None = Field(
        None, description="the approval policy of its tools with none of their own"
    )
    per_tool: dict[str, McpToolModel] = {}

    def endpoint(self) -> McpEndpoint:
        """How to reach this server (no secret: header values stay templates)."""
        return McpEndpoint(
            self.name,
            argv=tuple(self.command or ()),
            env=tuple(self.env),
            url=self.url,
            headers=tuple(self.headers.items()),
            oauth=self.oauth.settings() if self.oauth is not None else None,
        )

    @model_validator(mode="after")
    def _one_transport(self) -> McpServerModel:
        if (self.command is None) == (self.url is None):
            raise ValueError("give exactly one of command (stdio) or url (Streamable HTTP)")
        if self.command is None and self.env:
            raise ValueError("env is for stdio servers; an HTTP server takes headers")
        if self.url is None and self.headers:
            raise ValueError("headers are for HTTP servers (url)")
        if self.url is None and self.oauth is not None:
            raise ValueError("oauth is for HTTP servers (url)")
        if self.oauth is not None and any(h.lower() == "authorization" for h in self.headers):
            raise ValueError("give oauth or an Authorization header, not both")
        return self


class McpModel(Strict):
    """MCP servers whose tools become actions."""

    servers: list[McpServerModel] = []


def check_mcp(mcp: McpModel, *, agents: frozenset[str]) -> Iterator[Problem]:
    """Repeated server names and owners that are no known agent (absolute locations)."""
    servers = mcp.servers
    for index, name, first in repeats((i, s.name) for i, s in enumerate(servers)):
        where = format_path(("mcp", "servers", first))
        yield ("mcp", "servers", index, "name"), f"duplicate server name {name!r} (see {where})"
    for index, server in enumerate(servers):
        here = ("mcp", "servers", index)
        if server.agent is not None and server.agent not in agents:
            yield (*here, "agent"), f"unknown agent {server.agent!r}"
        for tool, policy in server.per_tool.items():
            if policy.agent is not None and policy.agent not in agents:
                yield (*here, "per_tool", tool, "agent"), f"unknown agent {policy.agent!r}"
        if server.url is not None:
            yield from _http(server.url, server.headers, here)


def _http(url: str, headers: dict[str, str], here: tuple[str | int, ...]) -> Iterator[Problem]:
    """An http(s) URL with a literal host and no credentials; headers whose secrets are
    ``${ENV_VAR}`` references, never literal."""
    try:
        parts = urlsplit(url)
    except ValueError:
        parts = None
    if parts is None or parts.scheme not in {"http", "https"} or not parts.hostname:
        yield (*here, "url"), "must be an http:// or https:// URL with a host"
    elif parts.username or parts.password or "$" in url or placeholders(url):
        yield (*here, "url"), "must be literal, without credentials; put secrets in headers"
    for header, value in headers.items():
        where = (*here, "headers", header)
        for fragment in malformed_env_refs(value):
            yield where, f"{fragment!r} is not a well-formed ${{UPPER_CASE_NAME}} reference"
        secret = literal_secret_problem(header, value)
        if secret is not None:
            yield where, secret
