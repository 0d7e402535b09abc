"""``switchboard demo --script``: the scripted model's tour, played through the real app."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from bot.cli.demo import run_demo
from bot.cli.demo.tour import LONG_ANSWER
from bot.config import Settings

TOUR = """\
status of api
/new
deploy api to prod
/as bob
/approve
/new
/as alice
explain the deploy process
/stop
"""


async def test_the_tour_shows_a_tool_result_a_plan_ticking_over_a_stream_and_stop(
    tmp_path: Path,
) -> None:
    script = tmp_path / "tour.txt"
    script.write_text(TOUR)
    settings = Settings.model_validate({"DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/d.db"})
    out = io.StringIO()
    assert await run_demo(settings, script=script, out=out, environ={}) == 0
    transcript = out.getvalue()
    # The status line, at once.
    assert "(status: switchboard is working on it…)" in transcript
    # The read-only tool's result, at once, in the thread; the model answers from it.
    assert "`status` service=api env=staging: Service: api" in transcript
    assert "The status check says: Service: api; Version: v1.0.0;" in transcript
    # The deploy: waiting on the approval, then approved and run.
    assert "[…] Approval (0 of 1 approvals)" in transcript
    assert "[✓] Approval (1 of 1 approvals) — Approved by <@U0BOB>" in transcript
    assert "[✓] Run `deploy` → HTTP 201" in transcript
    # The long answer streamed, stopped part-way, with who stopped it.
    stopped = transcript[transcript.index("alice> /stop") :]
    assert "(alice clicked Stop)" in stopped
    assert "Stopped by <@U0ALICE>" in stopped
    assert LONG_ANSWER[:20] in stopped and LONG_ANSWER not in transcript
    assert "no answer within" not in transcript


async def test_without_an_llm_sdk_the_demo_runs_on_rules_and_the_card_still_comes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("bot.cli.demo.run.sdk_installed", lambda name: False)
    script = tmp_path / "rules.txt"
    script.write_text("deploy api to prod\nexplain the deploy process\n")
    settings = Settings.model_validate({"DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/d.db"})
    out = io.StringIO()
    assert await run_demo(settings, script=script, out=out, environ={}) == 0
    transcript = out.getvalue()
    assert "[…] Approval (0 of 1 approvals)" in transcript  # the rules planner's proposal
    assert LONG_ANSWER[:20] not in transcript  # no scripted model behind the deploy agent


@pytest.mark.parametrize("typed", ["help\n/quit\n", "help\n"], ids=["quit", "end-of-input"])
async def test_piped_lines_get_their_answer_before_the_demo_ends(
    typed: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # CI replays README's demo command this way: a line, then /quit or the pipe's end.
    monkeypatch.setattr("sys.stdin", io.StringIO(typed))
    settings = Settings.model_validate({"DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/d.db"})
    out = io.StringIO()
    assert await run_demo(settings, script=None, out=out, environ={}) == 0
    transcript = out.getvalue()
    assert "Switchboard demo: you are alice in #general" in transcript
    assert "Here is what I can do." in transcript  # the help agent's answer, not just a status


async def test_the_demo_shows_its_local_mcp_servers_tools_in_help_and_runs_the_read_tool(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The demo's config starts the sandbox's MCP server over stdio: ``help`` lists its two
    tools, and ``health of db1`` (the line docs/demo-script.txt plays) shows the read tool's
    answer in the thread."""
    monkeypatch.setattr("bot.cli.demo.run.sdk_installed", lambda name: False)
    played = (Path(__file__).parents[2] / "docs" / "demo-script.txt").read_text("utf-8")
    assert "health of db1" in played.splitlines()
    script = tmp_path / "mcp.txt"
    script.write_text("help\n/new\nhealth of db1\n")
    settings = Settings.model_validate({"DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/d.db"})
    out = io.StringIO()
    assert await run_demo(settings, script=script, out=out, environ={}) == 0
    transcript = out.getvalue()
    assert (
        "• /ops ops_cluster_health: Report the health of a database cluster. — "
        "`health of {cluster}` | `ops cluster_health {cluster}` (runs at once)"
    ) in transcript
    assert (
        "• /ops ops_failover: Fail a database cluster over to another region. — "
        "`failover {cluster} to {region}` (needs approval)"
    ) in transcript
    assert (
        "<@U0ALICE> `ops_cluster_health` cluster=db1: cluster db1: 3/3 nodes healthy, "
        "replication lag 0s"
    ) in transcript
