"""Slack wording of what the domain hands over: approval news and the approvals listing."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from agents.actions.approval import Approval, ApprovalState
from agents.actions.canonical import CanonicalAction
from agents.actions.ports import ApprovalNews
from handlers.wording import approval_note, pending_approvals

T0 = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
REQUEST = Approval(
    id="a1",
    token="tok",
    action="deploy",
    params={"service": "api", "env": "prod"},
    requester="U_ALICE",
    team_id="T1",
    channel_id="C1",
    thread_ts="1.1",
    trace_id="t1",
    idempotency_key="k",
    quorum=2,
    self_approval=False,
    created_at=T0,
    expires_at=T0 + timedelta(hours=1),
)


@pytest.mark.parametrize(
    ("state", "news", "note"),
    [
        ("approved", ApprovalNews("voted", "U_BOB"), "<@U_BOB> approved. Running `deploy` now."),
        ("rejected", ApprovalNews("voted", "U_BOB"), "<@U_BOB> rejected `deploy`: freeze"),
        ("cancelled", ApprovalNews("voted", "U_ALICE"), "<@U_ALICE> cancelled the request."),
        ("pending", ApprovalNews("voted", "U_BOB"), None),
        (
            "pending",
            ApprovalNews("edited", "U_CAROL"),
            "<@U_CAROL> changed the parameters; approvals so far were reset.",
        ),
        ("expired", ApprovalNews("expired"), "This request expired unapproved."),
        ("succeeded", ApprovalNews("finished"), "<@U_ALICE> `deploy` succeeded: HTTP 200"),
        ("failed", ApprovalNews("finished"), "<@U_ALICE> `deploy` failed: HTTP 200"),
        ("unknown", ApprovalNews("finished"), "<@U_ALICE> `deploy` outcome unknown: HTTP 200"),
        (
            "failed",
            ApprovalNews("action_changed"),
            ":warning: <@U_ALICE> `deploy` was not run: HTTP 200",
        ),
        ("approved", None, None),
    ],
)
def test_each_piece_of_news_is_worded_for_the_thread(
    state: ApprovalState, news: ApprovalNews | None, note: str | None
) -> None:
    """A decisive vote, an edit, the expiry and the result are told; the rest is not."""
    approval = replace(REQUEST, state=state, reason="freeze", result="HTTP 200")
    assert approval_note(approval, news) == note


def test_the_approvals_listing_names_who_asked_the_votes_and_the_expiry() -> None:
    """One item per request; an empty listing says nothing waits."""
    listing = pending_approvals([replace(REQUEST, approvals=("U_BOB",))])
    assert listing.text == "1 request(s) waiting:" and listing.title == "Pending approvals"
    ((item),) = listing.items
    assert item.label == "deploy service=api env=prod"
    assert item.detail == "asked by <@U_ALICE>, 1/2 approvals, expires 2026-11-23 13:00 UTC"
    assert pending_approvals([]).text == "Nothing is waiting for your approval."


def _with(params: dict[str, str], url: str) -> Approval:
    target = {"method": "POST", "url": url}
    return replace(
        REQUEST, params=params, canonical=CanonicalAction("deploy", "http", target, params)
    )


def test_an_edit_is_shown_as_each_changed_value_before_and_after_with_the_digests() -> None:
    """Only what changed is listed (an added or removed value shows as none); values are
    code spans no text can break out of; the digests before and after close the note."""
    before = _with({"service": "api", "env": "prod", "note": "x"}, "https://d/api")
    after = _with({"service": "api", "env": "st`ag<!here>", "ticket": "7"}, "https://d/api")
    note = approval_note(after, ApprovalNews("edited", "U_CAROL", before=before))
    assert before.digest is not None and after.digest is not None
    assert note == (
        "<@U_CAROL> changed the parameters; approvals so far were reset.\n"
        "• *env*: `prod` → `st'ag&lt;!here&gt;`\n"
        "• *note*: `x` → _(none)_\n"
        "• *ticket*: _(none)_ → `7`\n"
        f"Action digest `{before.digest[:12]}` → `{after.digest[:12]}`"
    )
