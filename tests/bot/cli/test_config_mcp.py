"""``switchboard config check`` with MCP servers: it starts them, lists their tools with the
resolved policy, warns about tools with no per_tool entry, and fails on a broken server or a
policy looser than the server's annotations."""

from __future__ import annotations

import io
import sys
from pathlib import Path

from bot.cli.config import EXIT_INVALID, check_command

SERVER = f"[{sys.executable}, -m, sandbox.mcp_server]"


def _check(tmp_path: Path, servers: str, *, agents: str = "") -> tuple[int, str]:
    """``config check`` of a file with these ``agents`` (YAML lines) and MCP ``servers``."""
    path = tmp_path / "switchboard.yaml"
    head = f"version: 1\nagents:\n{agents}" if agents else "version: 1\n"
    path.write_text(head + "mcp:\n  servers:\n" + servers, encoding="utf-8")
    out = io.StringIO()
    code = check_command(path, out=out, environ={})
    return code, out.getvalue()


def test_lists_each_tool_with_its_policy_and_warns_about_defaults(tmp_path: Path) -> None:
    code, out = _check(
        tmp_path,
        f"    - name: ops\n      command: {SERVER}\n      agent: deploy\n      timeout: 20s\n"
        "      tools: {deny: [slow_*, flaky_*, crash, deploy]}\n"
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
    code, out = _check(
        tmp_path,
        f"    - name: ops\n      command: {SERVER}\n      timeout: 20s\n"
        "      tools: {allow: [cluster_health, failover, slow_report]}\n"
        "      approval: {approvers: {users: [U0BOB]}}\n",
        agents="  - {name: dba, mcp: ['ops:cluster_*', 'ops:grafana_*']}\n"
        "  - {name: sre, mcp: [ops]}\n"
        "  - {name: viewer, mcp: ['ops:cluster_health']}\n",
    )
    assert code == 0, out
    lines = out.splitlines()
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
    code, out = _check(
        tmp_path,
        f"    - name: ops\n      command: {SERVER}\n      timeout: 20s\n"
        "      tools: {allow: [cluster_health, slow_report]}\n",
        agents="  - {name: dba, mcp: ['ops:cluster_health']}\n",
    )
    assert code == 0, out
    assert (
        "warning: mcp ops: slow_report has no owning agent and no agent's scope names it"
        in out.splitlines()
    )


def _invalid_scope(tmp_path: Path, scope: str) -> str:
    code, out = _check(
        tmp_path,
        f"    - {{name: ops, command: {SERVER}, agent: dba}}\n",
        agents=f"  - {{name: dba, mcp: {scope}}}\n",
    )
    assert code == EXIT_INVALID
    return out


def test_a_scope_naming_an_unknown_server_is_a_config_error(tmp_path: Path) -> None:
    out = _invalid_scope(tmp_path, "[ops, 'grafana:*']")
    assert "agents[0].mcp[1]: unknown MCP server 'grafana' (servers: ops)" in out
    assert "1 problem in" in out


def test_a_scope_entry_that_is_no_server_or_tool_is_a_config_error(tmp_path: Path) -> None:
    out = _invalid_scope(tmp_path, "['Ops Server']")
    assert "agents[0].mcp[0]: must be an MCP server name, or SERVER:TOOL" in out
