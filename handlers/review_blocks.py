"""Block Kit for the feedback loop: 👍/👎 under answers, the 👎 form, and the App Home.

Pure functions of domain values; every button carries only a trace id (what it acts on is
checked again server-side when it is clicked).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, Literal

from agents.actions.approval import Approval
from agents.feedback.review import MemberHome, ReviewerHome
from agents.feedback.values import LABELS, REASON_TITLES, AgentKpis, ReviewItem, ReviewLabel
from handlers.interactivity import Submission

__all__ = [
    "COMMENT_BLOCK",
    "EXPECTED_BLOCK",
    "FEEDBACK_ACTION",
    "FEEDBACK_DOWN",
    "FEEDBACK_MODAL",
    "FEEDBACK_UP",
    "LABEL_PREFIX",
    "PROMOTE_ACTION",
    "REASON_BLOCK",
    "feedback_block",
    "feedback_modal",
    "form_answers",
    "home_view",
    "parse_feedback",
]

FEEDBACK_ACTION = "feedback"
"""The action id of the native feedback buttons under every answer."""
FEEDBACK_UP = "feedback_up"
FEEDBACK_DOWN = "feedback_down"
"""The action ids of the plain 👍 / 👎 buttons under answers posted before the native ones
(their clicks still count)."""
_UP, _DOWN = "up:", "down:"
FEEDBACK_MODAL = "feedback_modal"
LABEL_PREFIX = "review_label:"
"""Action ids of the App Home's label buttons: the prefix, then the label."""
PROMOTE_ACTION = "review_promote"
REASON_BLOCK = "reason"
COMMENT_BLOCK = "comment"
EXPECTED_BLOCK = "expected"
_INPUT = "value"

_LABEL_TITLES: dict[ReviewLabel, str] = {
    "bug": "Bug",
    "docs_gap": "Docs gap",
    "routing": "Routing",
    "expected": "Expected",
}
_MAX_BLOCKS = 100  # Slack's limit for a Home tab
_TEXT = 2900


def _clip(text: str, limit: int = _TEXT) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _plain(text: str) -> dict[str, Any]:
    return {"type": "plain_text", "text": text, "emoji": True}


def _mrkdwn(text: str) -> dict[str, Any]:
    return {"type": "mrkdwn", "text": _clip(text)}


def feedback_block(trace_id: str) -> dict[str, Any]:
    """Slack's own 👍 / 👎 under an answer (a ``context_actions`` block with
    ``feedback_buttons``); each button's value names the vote and the turn.

    A plain dict of what slack_sdk's ``ContextActionsBlock`` and ``FeedbackButtonsElement``
    render (tests hold them equal): one is built for every answer."""

    def button(emoji: str, value: str, label: str) -> dict[str, Any]:
        text = {"type": "plain_text", "text": emoji, "emoji": True}
        return {"text": text, "value": value, "accessibility_label": label}

    buttons = {
        "type": "feedback_buttons",
        "action_id": FEEDBACK_ACTION,
        "positive_button": button("👍", f"{_UP}{trace_id}", "This answer helped"),
        "negative_button": button("👎", f"{_DOWN}{trace_id}", "This answer was wrong"),
    }
    # A block id of its own per answer, as Slack asks of blocks that are updated.
    return {
        "type": "context_actions",
        "block_id": f"feedback-{trace_id[:32]}",
        "elements": [buttons],
    }


def parse_feedback(value: str) -> tuple[Literal["up", "down"], str] | None:
    """``(vote, trace id)`` from a feedback button's value; None if it is not one of ours."""
    if value.startswith(_UP) and len(value) > len(_UP):
        return "up", value[len(_UP) :]
    if value.startswith(_DOWN) and len(value) > len(_DOWN):
        return "down", value[len(_DOWN) :]
    return None


def feedback_modal(trace_id: str, *, channel_id: str | None) -> dict[str, Any]:
    """The 👎 form: what went wrong, in the person's words, and the answer they expected."""
    options = [{"text": _plain(title), "value": reason} for reason, title in REASON_TITLES.items()]
    return {
        "type": "modal",
        "callback_id": FEEDBACK_MODAL,
        "private_metadata": json.dumps({"trace": trace_id, "channel": channel_id}),
        "title": _plain("What went wrong?"),
        "submit": _plain("Send"),
        "close": _plain("Cancel"),
        "blocks": [
            {
                "type": "input",
                "block_id": REASON_BLOCK,
                "label": _plain("What went wrong"),
                "element": {"type": "radio_buttons", "action_id": _INPUT, "options": options},
            },
            {
                "type": "input",
                "block_id": COMMENT_BLOCK,
                "optional": True,
                "label": _plain("Tell us more"),
                "element": {
                    "type": "plain_text_input",
                    "action_id": _INPUT,
                    "multiline": True,
                    "max_length": 2000,
                },
            },
            {
                "type": "input",
                "block_id": EXPECTED_BLOCK,
                "optional": True,
                "label": _plain("The answer you expected"),
                "element": {
                    "type": "plain_text_input",
                    "action_id": _INPUT,
                    "multiline": True,
                    "max_length": 2000,
                },
            },
        ],
    }


def form_answers(form: Submission) -> tuple[str | None, str, str]:
    """``(reason, comment, expected)`` as submitted in the 👎 form."""
    return (
        form.choice(REASON_BLOCK, _INPUT),
        form.text(COMMENT_BLOCK, _INPUT),
        form.text(EXPECTED_BLOCK, _INPUT),
    )


def home_view(home: ReviewerHome | MemberHome, *, links: Mapping[str, str]) -> dict[str, Any]:
    """The App Home tab: KPIs and the review queue for a reviewer, else the person's pending
    approvals and the actions they may run. ``links``: trace id -> the answer's permalink."""
    blocks = _reviewer(home, links) if isinstance(home, ReviewerHome) else _member(home)
    return {"type": "home", "blocks": blocks[:_MAX_BLOCKS]}


def _percent(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.0%}"


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return "n/a"
    minutes, rest = divmod(round(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    if hours:
        return f"{hours}h {minutes:02d}m"
    return f"{minutes}m {rest:02d}s" if minutes else f"{rest}s"


def _kpi_section(kpi: AgentKpis) -> dict[str, Any]:
    fields = [
        f"*Turns*\n{kpi.turns}",
        f"*👍 rate*\n{_percent(kpi.up_rate)}",
        f"*👎*\n{kpi.down} (+{kpi.rejected} rejected)",
        f"*Fallback / error rate*\n{_percent(kpi.fallback_rate)} / {_percent(kpi.error_rate)}",
        (
            f"*Approvals*\n{kpi.requested} asked · {kpi.approved} approved · "
            f"{kpi.rejected} rejected · {kpi.expired} expired"
        ),
        f"*Median time to approval*\n{_duration(kpi.median_approval_seconds)}",
        f"*Cost*\n${kpi.cost_micros / 1_000_000:.2f}",
    ]
    return {
        "type": "section",
        "text": _mrkdwn(f"*{kpi.agent}*"),
        "fields": [_mrkdwn(text) for text in fields],
    }


def _reviewer(home: ReviewerHome, links: Mapping[str, str]) -> list[dict[str, Any]]:
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": _plain(f"Agents — last {home.window_days} days")}
    ]
    if not home.kpis:
        blocks.append({"type": "section", "text": _mrkdwn("No turns in this window.")})
    blocks += [_kpi_section(kpi) for kpi in home.kpis]
    blocks += [{"type": "divider"}, {"type": "header", "text": _plain("Review queue")}]
    if not home.queue:
        blocks.append(
            {
                "type": "section",
                "text": _mrkdwn("Nothing to review: no 👎, rejection or flagged answer."),
            }
        )
    for item in home.queue:
        blocks += _queue_item(item, links.get(item.trace_id))
    return blocks


def _queue_item(item: ReviewItem, link: str | None) -> list[dict[str, Any]]:
    if item.kind == "rejection":
        headline = f"*Rejected `{item.action}`* ({item.agent}) by <@{item.by}>"
    elif item.kind == "flag":
        headline = (
            f"*⚠️ Ungrounded claim* ({item.agent}): the model claimed what Switchboard's "
            "records do not show; the answer was marked"
        )
    else:
        reason = REASON_TITLES[item.reason] if item.reason else "no reason given"
        headline = f"*👎 {item.agent}* by <@{item.by}>: {reason}"
    lines = [headline]
    if item.comment:
        quoted = _clip(item.comment, 500).replace("\n", "\n> ")
        lines.append(f"> {quoted}")
    if item.expected:
        lines.append(f"Expected: {_clip(item.expected, 500)}")
    if link:
        lines.append(f"<{link}|Open the thread>")
    status = [f"trace `{item.trace_id[:12]}`", f"{item.at:%Y-%m-%d %H:%M} UTC"]
    if item.label:
        status.append(f"labelled *{_LABEL_TITLES[item.label]}*")
    if item.promoted:
        status.append("in the evaluation set")
    buttons: list[dict[str, Any]] = [
        {
            "type": "button",
            "action_id": f"{LABEL_PREFIX}{label}",
            "text": _plain(_LABEL_TITLES[label]),
            "value": item.trace_id,
            **({"style": "primary"} if item.label == label else {}),
        }
        for label in LABELS
    ]
    if not item.promoted:
        buttons.append(
            {
                "type": "button",
                "action_id": PROMOTE_ACTION,
                "text": _plain("Promote to eval"),
                "value": item.trace_id,
            }
        )
    return [
        {"type": "section", "text": _mrkdwn("\n".join(lines))},
        {"type": "context", "elements": [_mrkdwn(" · ".join(status))]},
        {"type": "actions", "block_id": f"review:{item.kind}:{item.trace_id}", "elements": buttons},
    ]


def _approval_line(approval: Approval) -> str:
    params = " ".join(f"{k}={v}" for k, v in approval.params.items())
    return (
        f"*{approval.action}* {params}\nasked by <@{approval.requester}> · "
        f"{len(approval.approvals)}/{approval.quorum} approvals · "
        f"expires {approval.expires_at:%Y-%m-%d %H:%M} UTC"
    )


def _member(home: MemberHome) -> list[dict[str, Any]]:
    blocks: list[dict[str, Any]] = [{"type": "header", "text": _plain("Pending approvals")}]
    if not home.pending:
        blocks.append({"type": "section", "text": _mrkdwn("Nothing is waiting for you or on you.")})
    blocks += [{"type": "section", "text": _mrkdwn(_approval_line(a))} for a in home.pending[:40]]
    blocks += [{"type": "divider"}, {"type": "header", "text": _plain("What you can run")}]
    if not home.runnable:
        blocks.append({"type": "section", "text": _mrkdwn("No action is open to you.")})
    for action in home.runnable[:40]:
        example = f" — e.g. `{action.formats[0]}`" if action.formats else ""
        blocks.append(
            {
                "type": "section",
                "text": _mrkdwn(f"*{action.name}* ({action.risk}): {action.description}{example}"),
            }
        )
    return blocks
