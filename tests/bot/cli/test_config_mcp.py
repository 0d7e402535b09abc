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
