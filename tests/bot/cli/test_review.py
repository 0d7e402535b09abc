"""``switchboard review|kpis|export`` on a seeded database: what the terminal shows and what
is stored."""

from __future__ import annotations

import asyncio
import io
import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from agents.actions.approval import Reject
from agents.feedback.values import Feedback
from agents.turns.grounding import UNGROUNDED_CLAIM
from bot.cli import main
from bot.cli.review import export_command, kpis_command, review_list_command, review_show_command
from bot.config import Settings
from storage import Database
from tests.storage.builders import approval, entry, inbound, outbound, step, trace

NOW = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)


@pytest.fixture
def url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    value = f"sqlite+aiosqlite:///{tmp_path / 'review.db'}"
    monkeypatch.setenv("DATABASE_URL", value)
    return value


@pytest.fixture
async def seeded(url: str) -> Settings:
    """Turn 1 (knowledge) got a 👎 with an expected answer; turn 2 (deploy) proposed an
    action that was rejected; turn 3 (deploy) got a 👍."""
    database = await Database.connect(url)
    try:
        await database.migrate()
        for n, agent in ((1, "knowledge"), (2, "deploy"), (3, "deploy")):
            await database.ledger.record_turn(
                replace(inbound(n, text=f"question {n}"), received_at=NOW),
                outbound(n, agent=agent),
                trace(
                    f"trace-{n}",
                    agent=agent,
                    event_id=f"Ev{n}",
                    started_at=NOW + timedelta(seconds=n),
                    cost_micros=250_000,
                ),
            )
        down = Feedback(
            "trace-1", "T1", "U2", "down", NOW, "wrong_answer", "no citation", "see rollback.md"
        )
        await database.feedback.vote(down)
        await database.feedback.vote(Feedback("trace-3", "T1", "U2", "up", NOW))
        request = approval(2, created_at=NOW, expires_at=NOW + timedelta(hours=1))
        await database.approvals.create(request, audit=entry("requested", request))
        rejected = replace(
            step(request, Reject("U4", "code freeze"), seconds=0),
            updated_at=NOW + timedelta(seconds=9),
        )
        await database.approvals.apply(request, rejected, audit=[entry("rejected", rejected)])
    finally:
        await database.close()
    return Settings.model_validate({"DATABASE_URL": url})


async def test_kpis_prints_one_row_per_agent(seeded: Settings) -> None:
    """The table has turns, 👍 rate (a rejection counts as 👎), approvals and cost."""
    out = io.StringIO()
    assert await kpis_command(seeded, days=7, agent=None, out=out) == 0
    rows = {line.split()[0]: line.split() for line in out.getvalue().splitlines()[1:3]}
    assert rows["deploy"][:3] == ["deploy", "2", "50%"]
    assert rows["deploy"][6:10] == ["1", "0", "1", "0"] and rows["deploy"][-1] == "$0.50"
    assert rows["knowledge"][:4] == ["knowledge", "1", "0%", "1"]
    only = io.StringIO()
    assert await kpis_command(seeded, days=7, agent="knowledge", out=only) == 0
    assert "deploy" not in only.getvalue()


async def test_review_list_and_show(seeded: Settings) -> None:
    """The queue lists the rejection and the 👎; show prints one turn in full."""
    out = io.StringIO()
    assert await review_list_command(seeded, days=7, limit=10, unlabelled=False, out=out) == 0
    lines = out.getvalue().splitlines()
    assert "rejected" in lines[1] and "deploy" in lines[1] and "trace-2" in lines[1]
    assert "👎" in lines[2] and "wrong_answer" in lines[2] and "trace-1" in lines[2]
    shown = io.StringIO()
    assert await review_show_command(seeded, "trace-1", out=shown) == 0
    text = shown.getvalue()
    assert "route      knowledge (keyword" in text and "asked      question 1" in text
    assert "👎 U2 wrong_answer, no citation, expected: see rollback.md" in text
    assert await review_show_command(seeded, "trace-none", out=io.StringIO()) == 1


async def test_review_list_shows_a_flagged_turn(seeded: Settings) -> None:
    """A turn flagged for an ungrounded claim is listed as flagged, by Switchboard itself;
    show names the reason beside the planner."""
    database = await Database.connect(seeded.database_url)
    try:
        await database.ledger.record_turn(
            replace(inbound(4, text="question 4"), received_at=NOW),
            outbound(4, agent="deploy"),
            trace(
                "trace-4",
                agent="deploy",
                event_id="Ev4",
                started_at=NOW + timedelta(seconds=30),
                planner="llm",
                degraded=UNGROUNDED_CLAIM,
                tool_calls=("failover:refused_scope",),
            ),
        )
    finally:
        await database.close()
    out = io.StringIO()
    assert await review_list_command(seeded, days=7, limit=10, unlabelled=False, out=out) == 0
    first = out.getvalue().splitlines()[1].split()
    assert first[2:6] == ["flagged", "deploy", "switchboard", "ungrounded_claim"]
    assert first[-1] == "trace-4"
    shown = io.StringIO()
    assert await review_show_command(seeded, "trace-4", out=shown) == 0
    assert "planner    llm, degraded: ungrounded_claim" in shown.getvalue()
    assert "tool calls failover:refused_scope" in shown.getvalue()


def test_label_from_the_terminal(seeded: Settings, capsys: pytest.CaptureFixture[str]) -> None:
    """A known label is stored; an unknown label or trace id is an error with exit status."""
    assert main(["review", "label", "trace-1", "docs-gap"]) == 0
    assert main(["review", "label", "trace-1", "great"]) == 2
    assert "unknown label 'great'" in capsys.readouterr().err
    assert main(["review", "label", "trace-none", "bug"]) == 1
    assert main(["review", "list", "--unlabelled"]) == 0
    listed = capsys.readouterr().out
    assert "trace-2" in listed and "trace-1" not in listed


def test_promote_and_export_jsonl(
    seeded: Settings, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Promoted turns export as evaluation cases: input, thread context and the expectation
    (what happened, minus what people said was wrong, plus the reviewer's corrections)."""
    assert main(["review", "promote", "trace-1"]) == 0
    assert main(["review", "label", "trace-2", "routing"]) == 0
    assert main(["review", "promote", "trace-2", "--param", "env=staging", "--answer", "ok"]) == 0
    assert main(["review", "promote", "trace-2", "--param", "broken"]) == 2
    target = tmp_path / "cases.jsonl"
    assert main(["export", "--format", "jsonl", "--out", str(target)]) == 0
    first, second = (json.loads(line) for line in target.read_text().splitlines())
    assert first["input"] == {
        "text": "question 1",
        "user": "U1",
        "channel": "C1",
        "source": "mention",
        "team": "T1",
    }
    assert first["expected"] == {
        "agent": "knowledge",
        "action": None,
        "approval_required": False,
        "answer": "see rollback.md",
    }
    assert first["source_trace"] == "trace-1"
    assert second["label"] == "routing" and "agent" not in second["expected"]
    assert second["expected"]["action"] == "deploy"
    assert second["expected"]["params"] == {"env": "staging"}
    assert second["expected"]["approval_required"] is True
    assert second["expected"]["answer"] == "ok"
    assert [m["text"] for m in second["context"]] == ["question 1", "reply 1"]


async def test_export_to_standard_output(seeded: Settings) -> None:
    """Without --out, the cases go to standard output; nothing promoted, nothing written."""
    out = io.StringIO()
    assert await export_command(seeded, fmt="jsonl", output=None, out=out) == 0
    assert out.getvalue() == ""


def test_export_skips_a_case_with_nothing_left_to_expect(
    seeded: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    """A turn labelled ``routing`` whose 👎 said the action was wrong, with no expected
    answer and no correction, expects nothing: it is not exported, and the reviewer is told
    how to make it a case."""
    asyncio.run(_vote_wrong_action(seeded))
    assert main(["review", "label", "trace-3", "routing"]) == 0
    assert main(["review", "promote", "trace-3"]) == 0
    capsys.readouterr()
    assert main(["export"]) == 0
    captured = capsys.readouterr()
    assert captured.out.strip() == "" and "skipped trace-3" in captured.err
    assert main(["review", "promote", "trace-3", "--agent", "deploy"]) == 0
    capsys.readouterr()
    assert main(["export"]) == 0
    (line,) = capsys.readouterr().out.strip().splitlines()
    assert json.loads(line)["expected"] == {"agent": "deploy"}


async def _vote_wrong_action(settings: Settings) -> None:
    database = await Database.connect(settings.database_url)
    try:
        await database.feedback.vote(Feedback("trace-3", "T1", "U5", "down", NOW, "wrong_action"))
    finally:
        await database.close()
