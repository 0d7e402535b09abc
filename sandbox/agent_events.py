"""The events Slack sends an agent app when people use its AI surface, shaped as the reference
pages show them:

- ``app_home_opened`` with ``tab: "messages"``: a person opened the agent's DM (under the
  ``agent_view`` feature this is the DM-open signal), with the ``context`` of what they were
  viewing (https://docs.slack.dev/reference/events/app_home_opened);
- ``assistant_thread_started`` / ``assistant_thread_context_changed``: a person opened the
  split-view assistant thread, or moved to another channel while it is open
  (https://docs.slack.dev/reference/events/assistant_thread_started,
  https://docs.slack.dev/reference/events/assistant_thread_context_changed);
- ``app_context_changed``: what a person views changed while the agent is visible
  (``agent_view`` only; https://docs.slack.dev/reference/events/app_context_changed);
- ``agent_session_stopped``: a person clicked Stop on a processing agent session, listing the
  streams Slack stopped (https://docs.slack.dev/reference/events/agent_session_stopped).
"""

from __future__ import annotations

from collections.abc import Sequence

from sandbox.records import JSON

__all__ = [
    "agent_session_stopped",
    "app_context_changed",
    "app_home_messages_opened",
    "assistant_thread_event",
    "entities_context",
]


def entities_context(team_id: str, channel_id: str | None) -> JSON:
    """An ``agent_view`` context: the channel a person views, or ``{}`` when none."""
    if channel_id is None:
        return {}
    entity = {"type": "slack#/types/channel_id", "value": channel_id, "team_id": team_id}
    return {"entities": [entity]}


def app_home_messages_opened(*, user: str, channel: str, context: JSON, event_ts: str) -> JSON:
    """``app_home_opened`` of a person opening the agent's DM (its Messages tab)."""
    event: JSON = {
        "type": "app_home_opened",
        "user": user,
        "channel": channel,
        "tab": "messages",
        "event_ts": event_ts,
    }
    if context:
        event["context"] = context
    return event


def assistant_thread_event(
    kind: str,
    *,
    user: str,
    channel: str,
    thread_ts: str,
    team_id: str,
    context_channel: str | None,
    event_ts: str,
) -> JSON:
    """``assistant_thread_started`` or ``assistant_thread_context_changed`` (``kind``)."""
    context: JSON = {}
    if context_channel is not None:
        context = {"channel_id": context_channel, "team_id": team_id}
    return {
        "type": kind,
        "assistant_thread": {
            "user_id": user,
            "context": context,
            "channel_id": channel,
            "thread_ts": thread_ts,
        },
        "event_ts": event_ts,
    }


def app_context_changed(*, user: str, channel: str, context: JSON, event_ts: str) -> JSON:
    """``app_context_changed``: what ``user`` views now (``{}`` when nothing)."""
    return {
        "type": "app_context_changed",
        "user": user,
        "channel": channel,
        "context": context,
        "event_ts": event_ts,
    }


def agent_session_stopped(
    *, user: str, channel: str, thread_ts: str, streaming: Sequence[str], event_ts: str
) -> JSON:
    """``agent_session_stopped``: ``user`` clicked Stop; ``streaming`` are the streams Slack
    stopped (empty when none was running)."""
    return {
        "type": "agent_session_stopped",
        "user": user,
        "channel": channel,
        "thread_ts": thread_ts,
        "streaming_message_ts": list(streaming),
        "event_ts": event_ts,
    }
