"""Web API streaming methods: ``chat.startStream``, ``chat.appendStream``, ``chat.stopStream``.

A stream is a bot message in a thread that grows call by call; it is stored like any bot
message (``conversations.replies`` and ``history`` show its text and blocks as they are now)
and ``chat.update`` still works on it once stopped. Checks and errors, as the reference pages
and the Slack API reference data list them (https://docs.slack.dev/reference/methods/
chat.startStream, chat.appendStream, chat.stopStream):

- ``channel`` must be readable (``channel_not_found``, ``not_in_channel``, ``is_archived``);
- ``thread_ts`` names the thread to reply in; omitting it (or ``"0"``) streams a top-level
  message only in session channels, which the sandbox has none of, so it is
  ``invalid_thread_ts``, as is a ts that is not a message of the channel;
- outside a DM both ``recipient_team_id`` and ``recipient_user_id`` are required
  (``missing_recipient_team_id``, ``missing_recipient_user_id``); an unknown user is
  ``user_not_found``, another team ``team_not_found``;
- ``task_display_mode`` is ``timeline`` (default) or ``plan``;
- content is ``markdown_text`` (at most 12,000 characters) and ``chunks``
  (:mod:`sandbox.chunks`); an append needs one of them (``no_text``);
- append and stop need the app's own streaming message: ``message_not_found``,
  ``message_not_owned_by_app``, ``message_not_in_streaming_state`` (stopped or expired);
  after a person clicked Stop an append is ``stopped_by_user`` while a stop still finishes
  the message ("transition the session away from processing using ... chat.stopStream":
  https://docs.slack.dev/reference/events/agent_session_stopped);
- ``chat.stopStream`` adds final content, ``blocks`` at the bottom, ``metadata`` and an
  optional ``session_status`` for the thread's agent session.
"""

from __future__ import annotations

from sandbox.apicore import (
    ApiContext,
    ApiError,
    Method,
    list_arg,
    message_view,
    metadata_arg,
    missing,
    readable_channel,
    str_arg,
)
from sandbox.assistant import SessionStatus, as_session_status
from sandbox.chunks import read_content
from sandbox.records import JSON
from sandbox.state import Channel
from sandbox.stream_render import render_blocks
from sandbox.streams import DisplayMode, Stream

__all__ = ["STREAM_METHODS"]


def _thread(ctx: ApiContext, channel: Channel, args: JSON) -> str:
    thread_ts = str_arg(args, "thread_ts")
    root = None
    if thread_ts is not None and thread_ts != "0":
        root = ctx.workspace.store.thread_root(channel.id, thread_ts)
    if root is None:
        raise ApiError("invalid_thread_ts")
    return root


def _recipient(ctx: ApiContext, channel: Channel, args: JSON) -> tuple[str | None, str | None]:
    """(recipient user, recipient team): required outside a DM."""
    team = str_arg(args, "recipient_team_id")
    user = str_arg(args, "recipient_user_id")
    if channel.kind != "im" and team is None:
        raise ApiError("missing_recipient_team_id")
    if channel.kind != "im" and user is None:
        raise ApiError("missing_recipient_user_id")
    directory = ctx.workspace.directory
    if team is not None and team != directory.team_id:
        raise ApiError("team_not_found")
    if user is not None and user not in directory.users:
        raise ApiError("user_not_found")
    return user, team


def _mode(args: JSON) -> DisplayMode:
    mode = str_arg(args, "task_display_mode")
    if mode is None or mode == "timeline":
        return "timeline"
    if mode == "plan":
        return "plan"
    raise ApiError(
        "invalid_arguments", messages=["[ERROR] task_display_mode must be timeline or plan"]
    )


def _changes(stream: Stream) -> JSON:
    """The message fields a stream's content renders to."""
    return {"text": stream.text, "blocks": render_blocks(stream) or None}


def start_stream(ctx: ApiContext, args: JSON) -> JSON:
    """``chat.startStream``: a new streaming reply in a thread."""
    channel = readable_channel(ctx, args)
    if channel.is_archived:
        raise ApiError("is_archived")
    root = _thread(ctx, channel, args)
    user, team = _recipient(ctx, channel, args)
    mode = _mode(args)
    content = read_content(args)
    ws = ctx.workspace
    message = ws.bot_message(text="")
    stream = ws.streams.start(
        channel=channel.id,
        ts=str(message["ts"]),
        thread_ts=root,
        recipient_user_id=user,
        recipient_team_id=team,
        mode=mode,
    )
    stream.apply(content)
    stream.calls += 1
    message.update({k: v for k, v in _changes(stream).items() if v is not None})
    stored = ws.store.add(channel.id, message, thread_ts=root)
    ws.assistant.message_sent(channel.id, root)
    ctx.emit(ws.envelopes.message_event(stored, channel), channel)
    return {"channel": channel.id, "ts": stored["ts"]}


def _stream(ctx: ApiContext, channel: Channel, args: JSON) -> Stream:
    """The app's stream named by ``ts`` in ``channel``, in whatever state it is."""
    ts = str_arg(args, "ts")
    if ts is None:
        raise missing("ts")
    ws = ctx.workspace
    message = ws.store.get(channel.id, ts)
    if message is None:
        raise ApiError("message_not_found")
    if message.get("user") != ws.directory.bot_user_id:
        raise ApiError("message_not_owned_by_app")
    stream = ws.streams.get(ts)
    if stream is None or stream.channel != channel.id:
        raise ApiError("message_not_in_streaming_state")
    return stream


def append_stream(ctx: ApiContext, args: JSON) -> JSON:
    """``chat.appendStream``: more text, tasks or blocks for a streaming message."""
    channel = readable_channel(ctx, args)
    stream = _stream(ctx, channel, args)
    if stream.state == "stopped_by_user":
        raise ApiError("stopped_by_user")
    if stream.state != "streaming":
        raise ApiError("message_not_in_streaming_state")
    content = read_content(args)
    if not content:
        raise ApiError("no_text")
    stream.apply(content)
    stream.calls += 1
    ctx.workspace.store.update(channel.id, stream.ts, _changes(stream))
    return {"channel": channel.id, "ts": stream.ts}


def _session_status(args: JSON) -> SessionStatus | None:
    value = str_arg(args, "session_status")
    status = None if value is None else as_session_status(value)
    if value is not None and status is None:
        raise ApiError("invalid_status")
    return status


def stop_stream(ctx: ApiContext, args: JSON) -> JSON:
    """``chat.stopStream``: the last content, blocks at the bottom, metadata; done."""
    channel = readable_channel(ctx, args)
    stream = _stream(ctx, channel, args)
    if stream.state not in ("streaming", "stopped_by_user"):
        raise ApiError("message_not_in_streaming_state")
    content = read_content(args)
    blocks = list_arg(args, "blocks", "invalid_blocks") or []
    metadata = metadata_arg(args)
    session_status = _session_status(args)
    ws = ctx.workspace
    stream.apply(content)
    stream.final_blocks = blocks
    stream.state = "stopped"
    stream.calls += 1
    changes = _changes(stream)
    if metadata is not None:
        changes["metadata"] = metadata
    before, after = ws.store.update(channel.id, stream.ts, changes)
    if session_status is not None and stream.thread_ts is not None:
        ws.assistant.set_session_status(channel.id, stream.thread_ts, session_status)
    ctx.emit(ws.envelopes.message_changed_event(before, after, channel), channel)
    return {"channel": channel.id, "ts": stream.ts, "message": message_view(after, metadata=True)}


STREAM_METHODS: dict[str, Method] = {
    "chat.startStream": Method(start_stream),
    "chat.appendStream": Method(append_stream),
    "chat.stopStream": Method(stop_stream),
}
