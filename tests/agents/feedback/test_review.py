"""Pure feedback logic: labels, KPI rates, who reviews, and the Review use cases' checks."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

import pytest

from agents.feedback.ports import Promotion
from agents.feedback.review import MemberHome, Review, ReviewerHome
from agents.feedback.values import (
    AgentKpis,
    Feedback,
    ReviewCase,
    Reviewers,
    ReviewItem,
    ReviewLabel,
    ReviewSettings,
    parse_label,
    parse_reason,
)
from agents.kernel.models import Trace

NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)


def test_labels_and_reasons_parse_only_known_values() -> None:
    """`docs-gap` and `DOCS_GAP` are the docs_gap label; anything else is None."""
    assert parse_label("docs-gap") == parse_label(" DOCS_GAP ") == "docs_gap"
    assert parse_label("great") is None
    assert parse_reason("too_slow") == "too_slow" and parse_reason("slow") is None
    assert parse_reason(None) is None


def test_kpi_rates_count_rejections_as_negative_and_say_none_without_data() -> None:
    """👍 rate = up / (up + down + rejected); rates are None rather than 0 without data."""
    kpi = AgentKpis("deploy", turns=8, up=3, down=1, rejected=2, fallbacks=2, errors=1)
    assert kpi.up_rate == pytest.approx(0.5) and kpi.negative == 3
    assert kpi.fallback_rate == pytest.approx(0.25) and kpi.error_rate == pytest.approx(0.125)
    empty = AgentKpis("help")
    assert (empty.up_rate, empty.fallback_rate, empty.error_rate) == (None, None, None)
    assert empty.median_approval_seconds is None
    assert AgentKpis("x", approval_seconds=(30.0, 10.0, 600.0)).median_approval_seconds == 30.0


def test_reviewers_by_user_or_group() -> None:
    """A reviewer is a listed user or a member of a listed group."""
    reviewers = Reviewers(users=frozenset({"U1"}), groups=frozenset({"leads"}))
    assert reviewers.includes("U1", frozenset())
    assert reviewers.includes("U2", frozenset({"leads", "sre"}))
    assert not reviewers.includes("U2", frozenset({"sre"}))


class _Traces:
    def __init__(self, *traces: Trace) -> None:
        self._by_id = {t.trace_id: t for t in traces}

    async def save(self, trace: Trace) -> None:
        self._by_id[trace.trace_id] = trace

    async def mark_delivered(self, *, trace_id: str, at: datetime) -> None:
        return None

    async def get(self, trace_id: str) -> Trace | None:
        return self._by_id.get(trace_id)


class _Store:
    """An in-memory FeedbackStore: enough for the use cases' checks."""

    def __init__(self) -> None:
        self.votes_given: list[Feedback] = []
        self.labels: dict[str, ReviewLabel] = {}
        self.promoted_ids: list[str] = []

    async def vote(self, feedback: Feedback) -> None:
        self.votes_given = [
            v
            for v in self.votes_given
            if (v.trace_id, v.user_id) != (feedback.trace_id, feedback.user_id)
        ] + [feedback]

    async def votes(self, trace_id: str) -> Sequence[Feedback]:
        return [v for v in self.votes_given if v.trace_id == trace_id]

    async def queue(
        self, *, team_id: str | None, since: datetime, limit: int, unlabelled: bool = False
    ) -> Sequence[ReviewItem]:
        return []

    async def label(self, trace_id: str, label: ReviewLabel, *, by: str, at: datetime) -> bool:
        self.labels[trace_id] = label
        return trace_id == "t1"

    async def promote(self, promotion: Promotion) -> bool:
        self.promoted_ids.append(promotion.trace_id)
        return True

    async def case(self, trace_id: str) -> ReviewCase | None:
        return None

    async def promoted(self, *, team_id: str | None = None) -> Sequence[ReviewCase]:
        return []

    async def kpis(
        self, *, since: datetime, team_id: str | None = None, agent: str | None = None
    ) -> Sequence[AgentKpis]:
        return [AgentKpis("help", turns=1)]


class _Groups:
    async def groups_of(self, user_id: str) -> frozenset[str]:
        return frozenset({"leads"}) if user_id == "U0LEAD" else frozenset()


class _Clock:
    def now(self) -> datetime:
        return NOW

    def monotonic(self) -> float:
        return 0.0


def _review(store: _Store) -> Review:
    trace = Trace(
        "t1", "T1", "C1", "U1", "Ev1", "mention", "help", "keyword", 0.5, "replied", NOW, 0, 0, 0
    )
    settings = ReviewSettings(
        reviewers=Reviewers(users=frozenset({"U0REV"}), groups=frozenset({"leads"}))
    )
    return Review(store, _Traces(trace), settings=settings, groups=_Groups(), clock=_Clock())


async def test_a_vote_must_be_on_an_answer_of_the_voters_workspace() -> None:
    """A known trace of another team, or an unknown one, is refused and stores nothing."""
    store = _Store()
    review = _review(store)
    assert await review.vote(trace_id="t1", team_id="T2", user_id="U1", vote="up")
    assert await review.vote(trace_id="nope", team_id="T1", user_id="U1", vote="up")
    assert await review.vote(trace_id="", team_id="T1", user_id="U1", vote="up")
    assert store.votes_given == []
    assert await review.vote(trace_id="t1", team_id="T1", user_id="U1", vote="up") is None
    assert [v.vote for v in store.votes_given] == ["up"]


async def test_explain_redacts_and_clips_the_free_text() -> None:
    """The 👎 form's words are redacted and clipped before they are stored."""
    store = _Store()
    key = "AKIA" + "ABCDEFGHIJKLMNOP"
    refusal = await _review(store).explain(
        trace_id="t1",
        team_id="T1",
        user_id="U1",
        reason="other",
        comment=f"key {key} " + "x" * 5000,
        expected="",
    )
    assert refusal is None
    (vote,) = store.votes_given
    assert key not in vote.comment and len(vote.comment) == 2000


async def test_only_reviewers_label_promote_and_see_kpis() -> None:
    """Users listed or in a listed group review; anyone else is refused and sees the member
    home."""
    store = _Store()
    review = _review(store)
    assert await review.label("t1", "bug", team_id="T1", user_id="U1") is not None
    assert await review.promote("t1", team_id="T1", user_id="U1") is not None
    assert store.labels == {} and store.promoted_ids == []
    assert await review.label("t1", "bug", team_id="T1", user_id="U0LEAD") is None
    missing = await review.label("t9", "bug", team_id="T1", user_id="U0REV")
    assert missing == "No turn with trace id 't9'."


async def test_a_reviewer_cannot_label_or_promote_another_workspaces_turn() -> None:
    """A turn of workspace T1, labelled or promoted from T2, is no turn there: nothing
    stored."""
    store = _Store()
    review = _review(store)
    other = await review.label("t1", "bug", team_id="T2", user_id="U0LEAD")
    assert other == "No turn with trace id 't1'."
    assert await review.promote("t1", team_id="T2", user_id="U0LEAD") == other
    assert store.labels == {} and store.promoted_ids == []
    assert isinstance(await review.home(team_id="T1", user_id="U0REV"), ReviewerHome)
    assert await review.home(team_id="T1", user_id="U1") == MemberHome((), ())
