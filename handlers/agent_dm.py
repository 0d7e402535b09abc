"""The agent's DM (Slack's agent view): suggested prompts when it opens, and what the person
views beside it.

Opening the DM arrives as ``app_home_opened`` with ``tab: "messages"``; a new assistant
thread as ``assistant_thread_started``. Both get suggested prompts scoped to the person (the
same rule as ``/ops help``: only what they may use). What the person views, reported with
``app_context_changed``, ``assistant_thread_context_changed`` and the two events above, is
recorded so that their next turn in the DM knows which channel they mean. Each thread's title
is the agent session's, set from the person's first message (``handlers/progress.py``).
"""

from __future__ import annotations

from typing import Any

import structlog
from slack_bolt.app.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from agents.kernel.clock import Clock
from agents.kernel.errors import SlackApiFailure
from agents.turns.ports import ViewContexts
from agents.turns.suggestions import Suggestions
from handlers.slack_calls import call_slack

__all__ = ["PROMPTS_TITLE", "AgentDmListeners", "register_agent_dm", "viewed_channel"]

log = structlog.get_logger(__name__)

PROMPTS_TITLE = "Try asking"
_CHANNEL_ENTITY = "slack#/types/channel_id"


def viewed_channel(context: object) -> str | None:
    """The channel an ``agent_view`` context names (its first channel entity), if any."""
    if not isinstance(context, dict):
        return None
    entities = context.get("entities")
    for entity in entities if isinstance(entities, list) else ():
        if isinstance(entity, dict) and entity.get("type") == _CHANNEL_ENTITY:
            value = entity.get("value")
            if isinstance(value, str) and value:
                return value
    channel = context.get("channel_id")  # the assistant thread events' shape
    return channel if isinstance(channel, str) and channel else None


def _team(body: dict[str, Any]) -> str:
    return str(body.get("team_id") or "")


class AgentDmListeners:
    """The agent DM's events."""

    def __init__(self, suggestions: Suggestions, contexts: ViewContexts, *, clock: Clock) -> None:
        self._suggestions = suggestions
        self._contexts = contexts
        self._clock = clock

    async def on_opened(
        self, event: dict[str, Any], body: dict[str, Any], client: AsyncWebClient
    ) -> None:
        """``app_home_opened`` on the Messages tab: the DM opened; suggest prompts at its top."""
        user, channel, team = event.get("user"), event.get("channel"), _team(body)
        if not isinstance(user, str) or not isinstance(channel, str) or not team:
            log.warning("payload_malformed", kind="app_home_opened")
            return
        await self._record(team, user, viewed_channel(event.get("context")))
        await self._suggest(client, user=user, channel=channel, thread_ts=None)

    async def on_thread_started(
        self, event: dict[str, Any], body: dict[str, Any], client: AsyncWebClient
    ) -> None:
        """``assistant_thread_started``: a new thread in the DM; suggest prompts in it."""
        thread = event.get("assistant_thread")
        if not isinstance(thread, dict):
            log.warning("payload_malformed", kind="assistant_thread_started")
            return
        user, channel, ts = thread.get("user_id"), thread.get("channel_id"), thread.get("thread_ts")
        team = _team(body)
        if not all(isinstance(v, str) and v for v in (user, channel, ts)) or not team:
            log.warning("payload_malformed", kind="assistant_thread_started")
            return
        await self._record(team, str(user), viewed_channel(thread.get("context")))
        await self._suggest(client, user=str(user), channel=str(channel), thread_ts=str(ts))

    async def on_thread_context_changed(self, event: dict[str, Any], body: dict[str, Any]) -> None:
        """``assistant_thread_context_changed``: the person moved to another channel."""
        thread = event.get("assistant_thread")
        user = thread.get("user_id") if isinstance(thread, dict) else None
        if not isinstance(user, str) or not isinstance(thread, dict) or not _team(body):
            log.warning("payload_malformed", kind="assistant_thread_context_changed")
            return
        await self._record(_team(body), user, viewed_channel(thread.get("context")))

    async def on_app_context_changed(self, event: dict[str, Any], body: dict[str, Any]) -> None:
        """``app_context_changed``: what the person views beside the agent changed."""
        user = event.get("user")
        if not isinstance(user, str) or not _team(body):
            log.warning("payload_malformed", kind="app_context_changed")
            return
        await self._record(_team(body), user, viewed_channel(event.get("context")))

    async def _record(self, team: str, user: str, channel: str | None) -> None:
        await self._contexts.record(
            team_id=team, user_id=user, channel_id=channel, at=self._clock.now()
        )
        log.info("view_context_recorded", viewing=channel)

    async def _suggest(
        self, client: AsyncWebClient, *, user: str, channel: str, thread_ts: str | None
    ) -> None:
        offered = await self._suggestions.for_person(user, None)
        prompts = [{"title": s.title, "message": s.message} for s in offered]
        try:
            await call_slack(
                "assistant.threads.setSuggestedPrompts",
                lambda: client.assistant_threads_setSuggestedPrompts(
                    channel_id=channel, thread_ts=thread_ts, title=PROMPTS_TITLE, prompts=prompts
                ),
            )
        except SlackApiFailure as exc:
            log.info("prompts_not_shown", error=exc.error)


async def _messages_tab(event: dict[str, Any]) -> bool:
    return event.get("tab") == "messages"


def register_agent_dm(
    app: AsyncApp, *, suggestions: Suggestions, contexts: ViewContexts, clock: Clock
) -> None:
    """Attach the agent DM's listeners (before the App Home's: Bolt runs the first listener
    whose matchers pass, and the DM's takes only the Messages tab)."""
    listeners = AgentDmListeners(suggestions, contexts, clock=clock)
    app.event("app_home_opened", matchers=[_messages_tab])(listeners.on_opened)
    app.event("assistant_thread_started")(listeners.on_thread_started)
    app.event("assistant_thread_context_changed")(listeners.on_thread_context_changed)
    app.event("app_context_changed")(listeners.on_app_context_changed)
