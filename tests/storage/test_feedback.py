"""FeedbackStore contract on SQLite and PostgreSQL: votes, the review queue, labels,
evaluation cases and KPIs per agent computed from a seeded database."""

from __future__ import annotations

from dataclasses import replace

import pytest

from agents.actions.approval import Approve, Expire, Reject, StartExecution
from agents.feedback.ports import Promotion
from agents.feedback.values import Feedback
from agents.turns.grounding import UNGROUNDED_CLAIM
from storage import Database
from tests.storage.builders import T0, approval, at, entry, inbound, outbound, step, trace


async def _turn(db: Database, n: int, **trace_changes: object) -> str:
    """Store turn ``n`` (message, reply, trace) as a finished turn would."""
    await db.ledger.record_turn(
        inbound(n),
        outbound(n, agent=trace_changes.get("agent", "ops")),
        trace(
            f"trace-{n}",
            **{
                "started_at": at(n),
                "event_id": f"Ev{n}",
                **trace_changes,
            },
        ),
    )
    return f"trace-{n}"


def _vote(trace_id: str, user: str, vote: str = "down", **changes: object) -> Feedback:
    value = Feedback(trace_id=trace_id, team_id="T1", user_id=user, vote=vote, at=at(100))  # type: ignore[arg-type]
    return replace(value, **changes)  # type: ignore[arg-type]


async def test_a_new_vote_replaces_the_persons_old_one(database: Database) -> None:
    """One vote per person per answer: changing 👍 to 👎 (with a reason) replaces it."""
    tid = await _turn(database, 1)
    await database.feedback.vote(_vote(tid, "U2", "up"))
    await database.feedback.vote(
        _vote(tid, "U2", "down", reason="wrong_answer", comment="stale", expected="v2", at=at(200))
    )
    await database.feedback.vote(_vote(tid, "U3", "up"))
    votes = await database.feedback.votes(tid)
    assert [(v.user_id, v.vote, v.reason, v.comment, v.expected) for v in votes] == [
        ("U3", "up", None, "", ""),
        ("U2", "down", "wrong_answer", "stale", "v2"),
    ]


async def test_queue_lists_downvotes_and_rejections_newest_first(database: Database) -> None:
    """👎s and rejected approvals both reach the queue, with where to find the answer."""
    down = await _turn(database, 1, agent="knowledge")
    await database.ledger.complete_turn(inbound(1), ts="1700000000.900001", now=at(2))
    await database.feedback.vote(_vote(down, "U2", reason="wrong_answer", at=at(50)))
    await database.feedback.vote(_vote(down, "U3", "up", at=at(60)))
    rejected_turn = await _turn(database, 2, agent="deploy")
    request = approval(2)
    await database.approvals.create(request, audit=entry("requested", request))
    rejected = step(request, Reject("U4", "not during the freeze"), seconds=70)
    assert await database.approvals.apply(request, rejected, audit=[entry("rejected", rejected)])

    items = await database.feedback.queue(team_id="T1", since=T0, limit=10)
    assert [(i.kind, i.trace_id, i.agent, i.by) for i in items] == [
        ("rejection", rejected_turn, "deploy", "U4"),
        ("feedback", down, "knowledge", "U2"),
    ]
    assert items[0].comment == "not during the freeze" and items[0].action == "deploy"
    assert items[1].reason == "wrong_answer"
    assert (items[1].thread_ts, items[1].message_ts) == ("1700000000.000001", "1700000000.900001")
    assert await database.feedback.queue(team_id="T9", since=T0, limit=10) == []
    assert await database.feedback.queue(team_id="T1", since=at(65), limit=10) == items[:1]


async def test_a_turn_flagged_for_an_ungrounded_claim_is_in_the_queue(database: Database) -> None:
    """A turn whose model claimed what the records do not show is queued for review, with
    the answer as posted and where it is; a label takes it out of the unlabelled queue."""
    flagged = await _turn(database, 1, agent="deploy", degraded=UNGROUNDED_CLAIM)
    await database.ledger.complete_turn(inbound(1), ts="1700000000.900001", now=at(2))
    await _turn(database, 2, agent="deploy", degraded="provider_down")  # a fallback: not queued
    await _turn(database, 3, agent="deploy")

    (item,) = await database.feedback.queue(team_id="T1", since=T0, limit=10)
    assert (item.kind, item.trace_id, item.agent, item.by, item.at) == (
        "flag",
        flagged,
        "deploy",
        "",
        at(1),
    )
    assert item.comment == "reply 1" and item.reason is None and item.action == ""
    assert (item.thread_ts, item.message_ts) == ("1700000000.000001", "1700000000.900001")
    assert await database.feedback.queue(team_id="T9", since=T0, limit=10) == []
    assert await database.feedback.queue(team_id="T1", since=at(2), limit=10) == []
    assert await database.feedback.label(flagged, "bug", by="U9", at=at(300))
    assert await database.feedback.queue(team_id="T1", since=T0, limit=10, unlabelled=True) == []
    (labelled,) = await database.feedback.queue(team_id=None, since=T0, limit=10)
    assert labelled.label == "bug"


async def test_labels_and_promotion_show_in_the_queue_and_cases(database: Database) -> None:
    """A label replaces the old one; a promoted turn becomes an evaluation case with its
    question, thread context, approval and the answer the person expected."""
    await _turn(database, 1)
    tid = await _turn(database, 2, agent="deploy")
    request = approval(2, params={"service": "api", "env": "prod"})
    await database.approvals.create(request, audit=entry("requested", request))
    await database.feedback.vote(_vote(tid, "U2", expected="deploy api to staging first"))

    assert await database.feedback.label(tid, "bug", by="U9", at=at(300))
    assert await database.feedback.label(tid, "routing", by="U9", at=at(301))
    assert not await database.feedback.label("trace-none", "bug", by="U9", at=at(301))
    assert await database.feedback.promote(Promotion(tid, by="U9", at=at(302)))
    assert not await database.feedback.promote(Promotion("trace-none", by="U9", at=at(302)))

    (item,) = await database.feedback.queue(team_id=None, since=T0, limit=5)
    assert (item.label, item.promoted) == ("routing", True)
    assert await database.feedback.queue(team_id=None, since=T0, limit=5, unlabelled=True) == []
    (case,) = await database.feedback.promoted()
    assert case.trace.trace_id == tid and case.trace.agent == "deploy"
    assert (case.question, case.answer) == ("message 2", "reply 2")
    assert [(m.direction, m.text) for m in case.context] == [
        ("in", "message 1"),
        ("out", "reply 1"),
    ]
    assert case.approval is not None
    assert (case.approval.action, case.approval.params, case.approval.required) == (
        "deploy",
        {"service": "api", "env": "prod"},
        True,
    )
    assert case.expected == "deploy api to staging first"
    assert case.label == "routing" and case.thread_ts == "1700000000.000001"
    assert await database.feedback.case("trace-none") is None


async def test_kpis_per_agent_on_a_seeded_database(database: Database) -> None:
    """Turns, votes, fallbacks, errors, approvals and their outcomes, time to approval and
    cost, per agent, within the window."""
    # deploy: 5 turns (one degraded, one failed, one with a marked claim), 0.5 USD; 3
    # requests: approved after 60 s
    # and 120 s, one rejected; one read action (quorum 0) that is not a request.
    await _turn(database, 1, agent="deploy", cost_micros=200_000)
    await _turn(database, 2, agent="deploy", degraded="provider_down", cost_micros=300_000)
    await _turn(database, 3, agent="deploy", outcome="agent_error", error="boom")
    await _turn(database, 4, agent="deploy")
    await _turn(database, 8, agent="deploy", degraded=UNGROUNDED_CLAIM)  # marked: no fallback
    for n, seconds in ((1, 60), (2, 120)):
        request = approval(n)
        await database.approvals.create(request, audit=entry("requested", request))
        approved = step(request, Approve("U7"), seconds=n + seconds)
        await database.approvals.apply(request, approved, audit=[entry("approved", approved)])
        running = step(approved, StartExecution(), seconds=n + seconds + 1)
        await database.approvals.apply(approved, running, audit=[entry("started", running)])
    request = approval(3)
    await database.approvals.create(request, audit=entry("requested", request))
    rejected = step(request, Reject("U7", "no"), seconds=10)
    await database.approvals.apply(request, rejected, audit=[entry("rejected", rejected)])
    read = approval(4, quorum=0)
    await database.approvals.create(read, audit=entry("requested", read))
    # knowledge: 2 turns (one router fallback), one expired request, votes 2 up 1 down.
    await _turn(database, 5, agent="knowledge", route_reason="fallback")
    await _turn(database, 6, agent="knowledge")
    request = approval(6)
    await database.approvals.create(request, audit=entry("requested", request))
    expired = step(request, Expire(), seconds=4000)
    await database.approvals.apply(request, expired, audit=[entry("expired", expired)])
    await database.feedback.vote(_vote("trace-5", "U1", "up"))
    await database.feedback.vote(_vote("trace-5", "U2", "up"))
    await database.feedback.vote(_vote("trace-6", "U2", "down"))
    await database.feedback.vote(_vote("trace-1", "U2", "up"))
    # Before the window: not counted.
    await _turn(database, 7, agent="deploy", started_at=T0.replace(year=2025))

    deploy, knowledge = await database.feedback.kpis(since=T0)
    assert (deploy.agent, deploy.turns, deploy.fallbacks, deploy.errors) == ("deploy", 5, 1, 1)
    assert (deploy.requested, deploy.approved, deploy.rejected, deploy.expired) == (3, 2, 1, 0)
    assert deploy.median_approval_seconds == pytest.approx(90.0)
    assert deploy.cost_micros == 500_000
    assert (deploy.up, deploy.down, deploy.negative) == (1, 0, 1)
    assert deploy.up_rate == pytest.approx(0.5)  # a rejection is a 👎 too
    assert deploy.error_rate == pytest.approx(0.2) and deploy.fallback_rate == pytest.approx(0.2)
    assert (knowledge.turns, knowledge.fallbacks, knowledge.up, knowledge.down) == (2, 1, 2, 1)
    assert (knowledge.requested, knowledge.expired, knowledge.median_approval_seconds) == (
        1,
        1,
        None,
    )
    assert knowledge.up_rate == pytest.approx(2 / 3)

    (only,) = await database.feedback.kpis(since=T0, agent="knowledge")
    assert only == knowledge
    assert await database.feedback.kpis(since=T0, team_id="T9") == []
