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
from handlers.interactivity import Click, parse_click, parse_submission
from handlers.review_blocks import (
    FEEDBACK_ACTION,
    FEEDBACK_DOWN,
    FEEDBACK_MODAL,
    FEEDBACK_UP,
    LABEL_PREFIX,
    PROMOTE_ACTION,
    feedback_modal,
    form_answers,
    home_view,
    parse_feedback,
)
from handlers.slack_calls import call_slack, tell_user

__all__ = ["FeedbackListeners", "publish_home", "register_feedback"]

log = structlog.get_logger(__name__)

_THANKS_UP = "Thanks for the 👍. It is counted for this agent."
_THANKS_DOWN = "Thanks. Your 👎 is recorded and a reviewer will look at it."


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


class FeedbackListeners:
    """👍/👎 on answers, the 👎 form, the App Home and the reviewers' buttons."""

    def __init__(self, review: Review) -> None:
        self._review = review

    async def on_feedback(
        self, ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient
    ) -> None:
        """Slack's native 👍 / 👎 under an answer: the value names the vote and the turn."""
        await ack()
        click = parse_click(body)
        parsed = parse_feedback(click.value)
        if parsed is None:
            log.warning("payload_malformed", kind="feedback_buttons")
            return
        vote, trace_id = parsed
        if vote == "up":
            await self._up(client, click, trace_id)
        else:
            await self._down(client, click, trace_id)

    async def on_up(self, ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
        """👍 on an answer posted before the native buttons (the value is the trace id)."""
        await ack()
        click = parse_click(body)
        await self._up(client, click, click.value)

    async def on_down(self, ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
        """👎 on an answer posted before the native buttons (the value is the trace id)."""
        await ack()
        click = parse_click(body)
        await self._down(client, click, click.value)

    async def _up(self, client: AsyncWebClient, click: Click, trace_id: str) -> None:
        """👍: stored at once, thanked ephemerally."""
        refusal = await self._review.vote(
            trace_id=trace_id, team_id=click.team_id, user_id=click.user_id, vote="up"
        )
        await _tell(
            client, user=click.user_id, channel=click.channel_id, text=refusal or _THANKS_UP
        )

    async def _down(self, client: AsyncWebClient, click: Click, trace_id: str) -> None:
        """👎: stored at once, then the form asking what went wrong."""
        user, channel = click.user_id, click.channel_id
        # The 👎 counts at once; the form only adds why (a closed form loses nothing).
        refusal = await self._review.vote(
            trace_id=trace_id, team_id=click.team_id, user_id=user, vote="down"
        )
        if refusal:
            await _tell(client, user=user, channel=channel, text=refusal)
            return
        view = feedback_modal(trace_id, channel_id=channel)
        trigger = click.trigger_id
        try:
            await call_slack("views.open", lambda: client.views_open(trigger_id=trigger, view=view))
        except SlackApiFailure as exc:
            log.warning("modal_not_opened", error=exc.error)
            await _tell(client, user=user, channel=channel, text=_THANKS_DOWN)

    async def on_form(self, ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
        """The 👎 form: refused in place without a reason, else stored with the vote."""
        form = parse_submission(body)
        reason, comment, expected = form_answers(form)
        parsed = parse_reason(reason)
        if parsed is None:
            await ack(response_action="errors", errors={"reason": "Pick what went wrong."})
            return
        await ack()
        channel_id = form.note("channel")
        refusal = await self._review.explain(
            trace_id=form.note("trace") or "",
            team_id=form.team_id,
            user_id=form.user_id,
            reason=parsed,
            comment=comment,
            expected=expected,
        )
        await _tell(client, user=form.user_id, channel=channel_id, text=refusal or _THANKS_DOWN)

    async def on_home(
        self, event: dict[str, Any], body: dict[str, Any], client: AsyncWebClient
    ) -> None:
        """``app_home_opened`` on the Home tab: publish the person's App Home."""
        if event.get("tab", "home") != "home":
            return
        user = str(event.get("user") or "")
        team = str(body.get("team_id") or "")
        if user and team:
            await publish_home(client, self._review, team_id=team, user_id=user)

    async def on_label(self, ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
        """A reviewer labels a queued turn (checked server-side)."""
        await ack()
        click = parse_click(body)
        label = parse_label(click.action_id.removeprefix(LABEL_PREFIX))
        if label is None:
            log.warning("payload_malformed", kind="review_label")
            return
        refusal = await self._review.label(
            click.value, label, team_id=click.team_id, user_id=click.user_id
        )
        await self._after_review(client, refusal, click)

    async def on_promote(self, ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
        """A reviewer promotes a queued turn into the evaluation set (checked server-side)."""
        await ack()
        click = parse_click(body)
        refusal = await self._review.promote(
            click.value, team_id=click.team_id, user_id=click.user_id
        )
        await self._after_review(client, refusal, click)

    async def _after_review(
        self, client: AsyncWebClient, refusal: str | None, click: Click
    ) -> None:
        if refusal:
            await _tell(client, user=click.user_id, channel=click.channel_id, text=refusal)
            return
        await publish_home(client, self._review, team_id=click.team_id, user_id=click.user_id)


def register_feedback(app: AsyncApp, *, review: Review) -> None:
    """Attach the 👍/👎, feedback form, App Home and review listeners."""
    listeners = FeedbackListeners(review)
    app.action(FEEDBACK_ACTION)(listeners.on_feedback)
    app.action(FEEDBACK_UP)(listeners.on_up)
    app.action(FEEDBACK_DOWN)(listeners.on_down)
    app.view(FEEDBACK_MODAL)(listeners.on_form)
    app.event("app_home_opened")(listeners.on_home)
    app.action(re.compile(f"^{re.escape(LABEL_PREFIX)}"))(listeners.on_label)
    app.action(PROMOTE_ACTION)(listeners.on_promote)
