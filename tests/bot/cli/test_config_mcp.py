"""``switchboard config check`` with MCP servers: it starts them, lists their tools with the
resolved policy, warns about tools with no per_tool entry, and fails on a broken server or a
policy looser than the server's annotations."""

from __future__ import annotations

import io
import sys
from pathlib import Path

from bot.cli.config import EXIT_INVALID, check_command

SERVER = f"[{sys.executable}, -m, sandbox.mcp_server]"


def _check(tmp_path: Path, servers: str) -> tuple[int, str]:
    path = tmp_path / "switchboard.yaml"
    path.write_text("version: 1\nmcp:\n  servers:\n" + servers, encoding="utf-8")
    out = io.StringIO()
    code = check_command(path, out=out, environ={})
    return code, out.getvalue()


def test_lists_each_tool_with_its_policy_and_warns_about_defaults(tmp_path: Path) -> None:
    code, out = _check(
        tmp_path,
        f"    - name: ops\n      command: {SERVER}\n      agent: deploy\n      timeout: 20s\n"
        "      tools: {deny: [slow_*]}\n"
        "      per_tool:\n"
        "        failover: {approval: {approvers: {users: [U0BOB, U0CAROL]}, quorum: 2}}\n",
    )
    assert code == 0, out
    assert out.splitlines() == [
        "mcp ops: 2 tools exposed",
        "  cluster_health -> action ops_cluster_health: risk read, agent deploy, runs at once",
        "  warning: cluster_health is exposed with no per_tool policy (defaults from its "
        "annotations)",
        "  failover -> action ops_failover: risk dangerous, agent deploy, needs approval "
        "(quorum 2)",
        "ok: 2 actions",
    ]


def test_a_looser_risk_fails_the_check(tmp_path: Path) -> None:
    code, out = _check(
        tmp_path,
        f"    - name: ops\n      command: {SERVER}\n      agent: deploy\n      timeout: 20s\n"
        "      tools: {allow: [failover]}\n"
        "      per_tool:\n"
        "        failover: {risk: read}\n",
    )
    assert code == EXIT_INVALID
    assert (
        "mcp.servers[0].per_tool.failover.risk: tool 'failover' is dangerous by its "
        "annotations; risk read would be looser"
    ) in out


def test_a_server_that_cannot_start_fails_the_check_naming_it(tmp_path: Path) -> None:
    code, out = _check(
        tmp_path, "    - {name: pager, command: [/nonexistent/pager-mcp], agent: oncall}\n"
    )
    assert code == EXIT_INVALID
    assert out.splitlines() == [
        "mcp pager: error: could not be started or listed (FileNotFoundError: No such file or "
        "directory)",
        "1 MCP server(s) could not be listed",
    ]


def test_prints_what_each_agents_scope_grants_and_warns_about_patterns_matching_nothing(
    tmp_path: Path,
) -> None:
    """A server without an owner: its tools are granted by scope (a bare server, a glob, a
    name); an entry matching no tool and a tool nobody may use are warnings, not errors."""
    path = tmp_path / "switchboard.yaml"
    path.write_text(
        "version: 1\n"
        "agents:\n"
        "  - {name: dba, mcp: ['ops:cluster_*', 'ops:grafana_*']}\n"
        "  - {name: sre, mcp: [ops]}\n"
        "  - {name: viewer, mcp: ['ops:cluster_health']}\n"
        "mcp:\n  servers:\n"
        f"    - name: ops\n      command: {SERVER}\n      timeout: 20s\n"
        "      approval: {approvers: {users: [U0BOB]}}\n",
        encoding="utf-8",
    )
    out = io.StringIO()
    assert check_command(path, out=out, environ={}) == 0, out.getvalue()
    lines = out.getvalue().splitlines()
    assert (
        "  cluster_health -> action ops_cluster_health: risk read, agent (none: by scope "
        "only), runs at once"
    ) in lines
    assert lines[-5:] == [
        "scope dba: ops_cluster_health",
        "scope sre: ops_cluster_health, ops_failover, ops_slow_report",
        "scope viewer: ops_cluster_health",
        "warning: agent dba: mcp scope 'ops:grafana_*' matches no tool",
        "ok: 3 actions",
    ]


def test_a_tool_no_agent_may_use_is_a_warning(tmp_path: Path) -> None:
    path = tmp_path / "switchboard.yaml"
    path.write_text(
        "version: 1\n"
        "agents:\n  - {name: dba, mcp: ['ops:cluster_health']}\n"
        "mcp:\n  servers:\n"
        f"    - name: ops\n      command: {SERVER}\n      timeout: 20s\n"
        "      tools: {allow: [cluster_health, slow_report]}\n",
        encoding="utf-8",
    )
    out = io.StringIO()
    assert check_command(path, out=out, environ={}) == 0, out.getvalue()
    assert (
        "warning: mcp ops: slow_report has no owning agent and no agent's scope names it"
        in out.getvalue().splitlines()
    )


def _agents_check(tmp_path: Path, scope: str) -> str:
    path = tmp_path / "switchboard.yaml"
    path.write_text(
        f"version: 1\nagents:\n  - {{name: dba, mcp: {scope}}}\n"
        f"mcp:\n  servers:\n    - {{name: ops, command: {SERVER}, agent: dba}}\n",
        encoding="utf-8",
    )
    out = io.StringIO()
    assert check_command(path, out=out, environ={}) == EXIT_INVALID
    return out.getvalue()


def test_a_scope_naming_an_unknown_server_is_a_config_error(tmp_path: Path) -> None:
    out = _agents_check(tmp_path, "[ops, 'grafana:*']")
    assert "agents[0].mcp[1]: unknown MCP server 'grafana' (servers: ops)" in out
    assert "1 problem in" in out


def test_a_scope_entry_that_is_no_server_or_tool_is_a_config_error(tmp_path: Path) -> None:
    out = _agents_check(tmp_path, "['Ops Server']")
    assert "agents[0].mcp[0]: must be an MCP server name, or SERVER:TOOL" in out
