"""Listed MCP tools as actions: risk from annotations (never looser), schema → parameters,
exposure and policy, and the ``mcp:`` config section's own checks."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from agents.actions.spec import ParamSpec
from bot.config_file import ConfigFileError, McpServerModel, parse_config
from bot.integrations.mcp.client import McpTool
from bot.integrations.mcp.tools import (
    UnsupportedSchema,
    coerce_arguments,
    default_risk,
    exposed,
    schema_digest,
    server_tools,
    tool_params,
)

HEALTH = McpTool(
    "cluster_health",
    "Report a cluster's health.\nMore lines.",
    {"type": "object", "properties": {"cluster": {"type": "string"}}, "required": ["cluster"]},
    read_only=True,
)
FAILOVER = McpTool(
    "failover",
    "Fail over.",
    {
        "type": "object",
        "properties": {
            "cluster": {"type": "string"},
            "region": {"type": "string", "enum": ["eu", "us"]},
            "force": {"type": "boolean", "default": False},
        },
        "required": ["cluster", "region"],
    },
    destructive=True,
)
RESTART = McpTool("restart", "", {"type": "object", "properties": {}})
APPROVERS = {"approvers": {"users": ["U0BOB", "U0CAROL"]}, "quorum": 2}


def _server(**fields: Any) -> McpServerModel:
    base: dict[str, Any] = {"name": "ops", "command": ["ops-mcp"], "agent": "deploy"}
    return McpServerModel.model_validate(base | fields)


@pytest.mark.parametrize(
    ("tool", "risk"),
    [
        (McpTool("a", read_only=True), "read"),
        (McpTool("a", destructive=True), "dangerous"),
        (McpTool("a", read_only=True, destructive=True), "dangerous"),
        (McpTool("a"), "write"),
    ],
)
def test_default_risk_follows_the_annotations(tool: McpTool, risk: str) -> None:
    assert default_risk(tool) == risk


def test_schema_maps_to_typed_params() -> None:
    params, numbers = tool_params(
        {
            "type": "object",
            "properties": {
                "name": {"type": "string", "description": "the name"},
                "count": {"type": "integer", "minimum": 1, "maximum": 5, "default": 2},
                "ratio": {"type": "number"},
                "dry_run": {"type": "boolean", "default": True},
                "env": {"enum": ["staging", "prod"], "title": "Env"},
            },
            "required": ["name", "ratio", "env"],
        }
    )
    assert params == (
        ParamSpec("name", "str", "the name", True),
        ParamSpec("count", "int", "", False, 2, minimum=1, maximum=5),
        ParamSpec("ratio", "str", "", True, pattern=r"-?\d+(\.\d+)?"),
        ParamSpec("dry_run", "bool", "", False, True),
        ParamSpec("env", "enum", "Env", True, choices=("staging", "prod")),
    )
    assert numbers == frozenset({"ratio"})
    assert coerce_arguments({"ratio": "0.5", "name": "x"}, numbers) == {"ratio": 0.5, "name": "x"}
    with pytest.raises(ValueError, match="does not match"):
        params[2].coerce("half")


@pytest.mark.parametrize(
    ("schema", "reason"),
    [
        ({"properties": {"nodes": {"type": "array"}}}, "unsupported type 'array'"),
        ({"properties": {"spec": {"type": "object"}}}, "unsupported type 'object'"),
        ({"properties": {"x": {"anyOf": [{"type": "string"}, {"type": "null"}]}}}, "'anyOf'"),
        ({"properties": {"n": {"enum": [1, 2]}}}, "only string enums"),
        ({"properties": {"clusterName": {"type": "string"}}}, "not lower_snake_case"),
        ({"type": "array"}, "is not an object"),
    ],
)
def test_unsupported_schemas_are_refused_with_the_reason(
    schema: dict[str, Any], reason: str
) -> None:
    with pytest.raises(UnsupportedSchema, match=reason):
        tool_params(schema)


def test_allow_and_deny_take_names_and_globs() -> None:
    assert exposed("get_pods", allow=["get_*"], deny=[])
    assert not exposed("delete_pod", allow=["get_*"], deny=[])
    assert not exposed("get_secrets", allow=["*"], deny=["*secret*"])


def test_tools_become_actions_with_risk_and_policy_from_the_server() -> None:
    server = _server(per_tool={"failover": {"approval": APPROVERS}})
    found = server_tools(server, 0, [HEALTH, FAILOVER])
    assert found.problems == [] and found.refused == []
    health, failover = found.actions
    assert (health.name, health.risk, health.runs_at_once) == ("ops_cluster_health", "read", True)
    assert health.description == "Report a cluster's health."
    assert health.formats == ("ops cluster_health {cluster}",)
    assert (failover.risk, failover.approval.quorum, failover.needs_approval) == (
        "dangerous",
        2,
        True,
    )
    assert failover.executor.kind == "mcp" and not failover.executor.idempotent
    executor = found.executors["ops_failover"]
    assert (executor.server, executor.tool, executor.endpoint.argv) == (
        "ops",
        "failover",
        ("ops-mcp",),
    )
    assert [(t.tool, t.explicit) for t in found.listings] == [
        ("cluster_health", False),
        ("failover", True),
    ]


def test_a_looser_risk_than_the_annotations_is_a_config_problem() -> None:
    server = _server(per_tool={"failover": {"risk": "write", "approval": APPROVERS}})
    found = server_tools(server, 3, [FAILOVER])
    assert found.actions == []
    assert found.problems == [
        (
            ("mcp", "servers", 3, "per_tool", "failover", "risk"),
            "tool 'failover' is dangerous by its annotations; risk write would be looser",
        )
    ]


def test_a_stricter_risk_is_kept() -> None:
    server = _server(per_tool={"cluster_health": {"risk": "dangerous", "approval": APPROVERS}})
    (action,) = server_tools(server, 0, [HEALTH]).actions
    assert action.risk == "dangerous" and action.needs_approval


def test_dangerous_and_write_tools_need_approvers() -> None:
    found = server_tools(_server(), 0, [FAILOVER, RESTART])
    assert found.actions == []
    assert [(loc, message) for loc, message in found.problems] == [
        (
            ("mcp", "servers", 0, "per_tool", "failover", "approval"),
            "tool 'failover': dangerous actions need an approval block with approvers",
        ),
        (
            ("mcp", "servers", 0, "per_tool", "restart", "approval"),
            "tool 'restart': write actions need approvers (or approval: {required: false})",
        ),
    ]


def test_the_servers_approval_covers_write_tools_but_not_reads() -> None:
    server = _server(approval={"approvers": {"users": ["U0BOB"]}})
    health, restart = server_tools(server, 0, [HEALTH, RESTART]).actions
    assert health.runs_at_once
    assert restart.needs_approval and restart.approval.approvers.users == {"U0BOB"}


def test_refused_tools_say_why_and_the_rest_still_load() -> None:
    broken = McpTool("bulk", "", {"properties": {"items": {"type": "array"}}}, read_only=True)
    server = _server(tools={"deny": ["restart"]}, per_tool={"gone": {"risk": "dangerous"}})
    found = server_tools(server, 0, [HEALTH, broken, RESTART])
    assert [a.name for a in found.actions] == ["ops_cluster_health"]
    assert found.refused == [
        ("gone", "named in per_tool but not listed by the server"),
        ("bulk", "parameter 'items' has unsupported type 'array'"),
    ]


def test_formats_must_name_the_tools_params() -> None:
    server = _server(per_tool={"cluster_health": {"formats": ["health of {clustr}"]}})
    found = server_tools(server, 0, [HEALTH])
    assert found.actions == []
    assert found.problems[0][0] == ("mcp", "servers", 0, "per_tool", "cluster_health", "formats", 0)


def _issues(mcp: str) -> list[tuple[str, str]]:
    with pytest.raises(ConfigFileError) as caught:
        parse_config("version: 1\nmcp:\n" + mcp, source="t.yaml")
    return [(i.field_path, i.message) for i in caught.value.issues]


def test_the_mcp_section_is_validated() -> None:
    assert _issues(
        "  servers:\n"
        "    - {name: ops, command: [], agent: deploy, timeout: soon}\n"
        "    - {name: ops, command: [x], agent: nobody, shell: true}\n"
    ) == [
        ("mcp.servers[0].command", "List should have at least 1 item after validation, not 0"),
        ("mcp.servers[0].timeout", "must be a duration such as 90s, 30m, 2h or 1d"),
        ("mcp.servers[1].shell", "unknown field (check its spelling)"),
    ]
    assert _issues(
        "  servers:\n"
        "    - {name: ops, command: [x], agent: deploy}\n"
        "    - {name: ops, command: [y], agent: nobody, per_tool: {t: {agent: ghost}}}\n"
    ) == [
        ("mcp.servers[1].name", "duplicate server name 'ops' (see mcp.servers[0])"),
        ("mcp.servers[1].agent", "unknown agent 'nobody'"),
        ("mcp.servers[1].per_tool.t.agent", "unknown agent 'ghost'"),
    ]


def test_a_valid_mcp_section_loads_without_starting_anything() -> None:
    config = parse_config(
        "version: 1\nmcp:\n  servers:\n"
        "    - {name: ops, command: [ops-mcp, --stdio], env: [OPS_TOKEN], agent: deploy}\n"
    )
    (server,) = config.mcp_servers
    assert (server.command, server.env, server.timeout) == (
        ["ops-mcp", "--stdio"],
        ["OPS_TOKEN"],
        timedelta(seconds=10),
    )
    assert config.actions == ()


def test_an_http_server_takes_a_url_and_headers_with_env_secrets_only() -> None:
    """Exactly one transport; OAuth needs its client secret; the URL and the headers are
    checked like an http action's (no literal secret)."""
    assert _issues(
        "  servers:\n"
        "    - {name: a, agent: deploy}\n"
        "    - {name: b, agent: deploy, command: [x], url: 'http://h/mcp'}\n"
        "    - {name: c, agent: deploy, url: 'http://h/mcp', oauth: {client_id: x}}\n"
        "    - {name: e, agent: deploy, command: [x], headers: {X-A: b}}\n"
        "    - {name: f, command: [x], oauth: {client_id: x, client_secret: '${S}', issuer: 'http://h'}}\n"
        "    - name: g\n"
        "      url: 'http://h/mcp'\n"
        "      headers: {Authorization: 'Bearer ${T}'}\n"
        "      oauth: {client_id: x, client_secret: '${S}', token_url: 'http://h/token'}\n"
        "    - {name: h, url: 'http://h/mcp', oauth: {client_id: x, client_secret: '${S}'}}\n"
    ) == [
        ("mcp.servers[0]", "give exactly one of command (stdio) or url (Streamable HTTP)"),
        ("mcp.servers[1]", "give exactly one of command (stdio) or url (Streamable HTTP)"),
        ("mcp.servers[2].oauth.client_secret", "required field is missing"),
        ("mcp.servers[3]", "headers are for HTTP servers (url)"),
        ("mcp.servers[4]", "oauth is for HTTP servers (url)"),
        ("mcp.servers[5]", "give oauth or an Authorization header, not both"),
        (
            "mcp.servers[6].oauth",
            "give issuer (the authorization server the client belongs to: its token endpoint "
            "is discovered) or token_url",
        ),
    ]
    assert _issues(
        "  servers:\n"
        "    - name: d\n"
        "      agent: deploy\n"
        "      url: 'ftp://user:pw@h/mcp'\n"
        "      headers: {Authorization: Bearer abc123, X-Key: '${lower}'}\n"
    ) == [
        ("mcp.servers[0].url", "must be an http:// or https:// URL with a host"),
        (
            "mcp.servers[0].headers.Authorization",
            "a credential header must not hold a literal value; use an environment variable "
            "reference such as 'Bearer ${API_TOKEN}'",
        ),
        (
            "mcp.servers[0].headers.X-Key",
            "'${lower}' is not a well-formed ${UPPER_CASE_NAME} reference",
        ),
    ]


def test_an_http_servers_endpoint_keeps_header_templates_unresolved() -> None:
    config = parse_config(
        "version: 1\nmcp:\n  servers:\n"
        "    - name: ops\n      agent: deploy\n      url: https://ops.example/mcp\n"
        "      headers: {Authorization: 'Bearer ${OPS_TOKEN}'}\n"
        "      breaker: {failures: 2, cooldown: 1m}\n"
    )
    (server,) = config.mcp_servers
    endpoint = server.endpoint()
    assert (endpoint.transport, endpoint.url, endpoint.headers) == (
        "http",
        "https://ops.example/mcp",
        (("Authorization", "Bearer ${OPS_TOKEN}"),),
    )
    (executor,) = server_tools(server, 0, [HEALTH]).executors.values()
    assert (executor.breaker_failures, executor.breaker_cooldown) == (2, timedelta(minutes=1))


def test_per_tool_limits_requesters_and_result_reach_the_action() -> None:
    server = _server(
        per_tool={
            "cluster_health": {
                "timeout": "3s",
                "idempotent": True,
                "rate_limit": 5,
                "requesters": {"users": ["U0ALICE"]},
                "result": {"template": "{status}"},
            }
        }
    )
    found = server_tools(server, 0, [HEALTH])
    (action,) = found.actions
    executor = found.executors[action.name]
    assert (executor.timeout, executor.idempotent, executor.rate_limit) == (
        timedelta(seconds=3),
        True,
        5,
    )
    assert action.executor.idempotent and action.requesters.users == frozenset({"U0ALICE"})
    assert action.result.template == "{status}" and action.result.given


def test_the_schema_digest_changes_with_the_schema_only() -> None:
    same = McpTool("cluster_health", "other words", dict(HEALTH.input_schema), read_only=True)
    wider = McpTool(
        "cluster_health",
        HEALTH.description,
        {
            **HEALTH.input_schema,
            "properties": {"cluster": {"type": "string"}, "zone": {"type": "string"}},
        },
        read_only=True,
    )
    assert schema_digest(same) == schema_digest(HEALTH) != schema_digest(wider)
