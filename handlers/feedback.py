"""Feedback and review listeners: 👍/👎 on answers, the 👎 form, and the App Home.

Each listener acks at once, makes one call into ``Review`` (which checks who may do what)
and renders the result. A refusal is shown only to the person who clicked.
"""

from __future__ import annotations

import re
from typing import Any

import structlog
from slack_bolt.app.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_sdk.web.async_client import AsyncWebClient

from agents.feedback.review import Review, ReviewerHome
from agents.feedback.values import ReviewItem, parse_label, parse_reason
from agents.kernel.errors import SlackApiFailure
from handlers.delivery import call_slack, tell_user
from handlers.review_blocks import (
    FEEDBACK_DOWN,
    FEEDBACK_MODAL,
    FEEDBACK_UP,
    LABEL_PREFIX,
    PROMOTE_ACTION,
    feedback_modal,
    home_view,
    modal_values,
    parse_metadata,
)

__all__ = ["register_feedback"]

log = structlog.get_logger(__name__)

_THANKS_UP = "Thanks for the 👍. It is counted for this agent."
_THANKS_DOWN = "Thanks. Your 👎 is recorded and a reviewer will look at it."


def _who(body: dict[str, Any]) -> tuple[str, str, str | None]:
    """(user id, team id, channel id) of an interactivity payload."""
    user = body.get("user") or {}
    team = (body.get("team") or {}).get("id") or user.get("team_id") or ""
    channel = (body.get("channel") or {}).get("id") or (body.get("container") or {}).get(
        "channel_id"
    )
    return str(user.get("id") or ""), str(team), str(channel) if channel else None


def _clicked(body: dict[str, Any]) -> tuple[str, str]:
    """(action id, value) of the first action of a block_actions payload."""
    actions = body.get("actions") or [{}]
    first = actions[0] if isinstance(actions[0], dict) else {}
    return str(first.get("action_id") or ""), str(first.get("value") or "")


async def _tell(client: AsyncWebClient, *, user: str, channel: str | None, text: str) -> None:
    """Show ``text`` to ``user`` only: ephemeral in the channel, else in their DM."""
    await tell_user(client, user=user, channel=channel, text=text, event="feedback_reply_not_shown")


async def _permalink(client: AsyncWebClient, item: ReviewItem) -> str | None:
    ts = item.message_ts or item.thread_ts
    if not ts or not item.channel_id:
        return None
    try:
        answer = await call_slack(
            "chat.getPermalink",
            lambda: client.chat_getPermalink(channel=item.channel_id, message_ts=ts),
        )
    except SlackApiFailure as exc:
        log.info("permalink_unavailable", error=exc.error)
        return None
    link = answer.get("permalink")
    return str(link) if link else None


async def publish_home(
    client: AsyncWebClient, review: Review, *, team_id: str, user_id: str
) -> None:
    """Render and publish ``user_id``'s App Home (reviewer or member view)."""
    home = await review.home(team_id=team_id, user_id=user_id)
    links: dict[str, str] = {}
    if isinstance(home, ReviewerHome):
        for item in home.queue:
            if item.trace_id not in links:
                link = await _permalink(client, item)
                if link:
                    links[item.trace_id] = link
    view = home_view(home, links=links)
    try:
        await call_slack("views.publish", lambda: client.views_publish(user_id=user_id, view=view))
    except SlackApiFailure as exc:
        log.warning("home_not_published", error=exc.error)


def register_feedback(app: AsyncApp, *, review: Review) -> None:
    """Attach the 👍/👎, feedback form, App Home and review listeners."""

    async def on_up(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
        await ack()
        user, team, channel = _who(body)
        _action, trace_id = _clicked(body)
        refusal = await review.vote(trace_id=trace_id, team_id=team, user_id=user, vote="up")
        await _tell(client, user=user, channel=channel, text=refusal or _THANKS_UP)

    async def on_down(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
        await ack()
        user, team, channel = _who(body)
        _action, trace_id = _clicked(body)
        # The 👎 counts at once; the form only adds why (a closed form loses nothing).
        refusal = await review.vote(trace_id=trace_id, team_id=team, user_id=user, vote="down")
        if refusal:
            await _tell(client, user=user, channel=channel, text=refusal)
            return
        view = feedback_modal(trace_id, channel_id=channel)
        trigger = str(body.get("trigger_id") or "")
        try:
            await call_slack("views.open", lambda: client.views_open(trigger_id=trigger, view=view))
        except SlackApiFailure as exc:
            log.warning("modal_not_opened", error=exc.error)
            await _tell(client, user=user, channel=channel, text=_THANKS_DOWN)

    async def on_form(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
        view = body.get("view") or {}
        reason, comment, expected = modal_values(view)
        parsed = parse_reason(reason)
        if parsed is None:
            await ack(response_action="errors", errors={"reason": "Pick what went wrong."})
            return
        await ack()
        user, team, _channel = _who(body)
        trace_id, channel = parse_metadata(view)
        refusal = await review.explain(
            trace_id=trace_id,
            team_id=team,
            user_id=user,
            reason=parsed,
            comment=comment,
            expected=expected,
        )
        await _tell(client, user=user, channel=channel, text=refusal or _THANKS_DOWN)

    async def on_home(event: dict[str, Any], body: dict[str, Any], client: AsyncWebClient) -> None:
        if event.get("tab", "home") != "home":
            return
        user = str(event.get("user") or "")
        team = str(body.get("team_id") or "")
        if user and team:
            await publish_home(client, review, team_id=team, user_id=user)

    async def on_label(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
        await ack()
        user, team, channel = _who(body)
        action, trace_id = _clicked(body)
        label = parse_label(action.removeprefix(LABEL_PREFIX))
        if label is None:
            log.warning("payload_malformed", kind="review_label")
            return
        refusal = await review.label(trace_id, label, user_id=user)
        await _after_review(client, refusal, user=user, team=team, channel=channel)

    async def on_promote(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
        await ack()
        user, team, channel = _who(body)
        _action, trace_id = _clicked(body)
        refusal = await review.promote(trace_id, user_id=user)
        await _after_review(client, refusal, user=user, team=team, channel=channel)

    async def _after_review(
        client: AsyncWebClient, refusal: str | None, *, user: str, team: str, channel: str | None
    ) -> None:
        if refusal:
            await _tell(client, user=user, channel=channel, text=refusal)
            return
        await publish_home(client, review, team_id=team, user_id=user)

    app.action(FEEDBACK_UP)(on_up)
    app.action(FEEDBACK_DOWN)(on_down)
    app.view(FEEDBACK_MODAL)(on_form)
    app.event("app_home_opened")(on_home)
    app.action(re.compile(f"^{re.escape(LABEL_PREFIX)}"))(on_label)
    app.action(PROMOTE_ACTION)(on_promote)
