"""Web API ``chat.*`` methods: post, update, delete, ephemeral posts and permalinks (the
streaming ones are :mod:`sandbox.api_stream`)."""

from __future__ import annotations

from sandbox.apicore import (
    ApiContext,
    ApiError,
    Method,
    flag,
    list_arg,
    message_view,
    metadata_arg,
    missing,
    readable_channel,
    str_arg,
)
from sandbox.chunks import MAX_MARKDOWN
from sandbox.records import JSON
from sandbox.richtext import rich_text_blocks
from sandbox.state import Channel

__all__ = ["CHAT_METHODS"]

MAX_TEXT = 40_000


def _content(args: JSON) -> tuple[str, list[JSON] | None, list[JSON] | None]:
    """Text, blocks and attachments of a post; ``no_text`` when there is none of them.

    ``markdown_text`` stands alone (``markdown_text_conflict`` beside ``text`` or
    ``blocks``), at most 12,000 characters, and shows as one ``markdown`` block.
    """
    text = str_arg(args, "text") or ""
    blocks = list_arg(args, "blocks", "invalid_blocks")
    attachments = list_arg(args, "attachments", "invalid_attachments")
    markdown = str_arg(args, "markdown_text")
    if markdown is not None:
        if text or blocks is not None:
            raise ApiError("markdown_text_conflict")
        if len(markdown) > MAX_MARKDOWN:
            raise ApiError("msg_too_long")
        return markdown, [{"type": "markdown", "text": markdown}], attachments
    if not text and blocks is None and attachments is None:
        raise ApiError("no_text")
    if len(text) > MAX_TEXT:
        raise ApiError("msg_too_long")
    return text, blocks, attachments


def _thread_root(ctx: ApiContext, channel: Channel, args: JSON) -> str | None:
    thread_ts = str_arg(args, "thread_ts")
    if thread_ts is None:
        return None
    root = ctx.workspace.store.thread_root(channel.id, thread_ts)
    if root is None:
        raise ApiError("thread_not_found")
    return root


def post_message(ctx: ApiContext, args: JSON) -> JSON:
    """``chat.postMessage``: store the bot's message (top-level or in a thread)."""
    channel = readable_channel(ctx, args)
    if channel.is_archived:
        raise ApiError("is_archived")
    text, blocks, attachments = _content(args)
    metadata = metadata_arg(args)
    root = _thread_root(ctx, channel, args)
    ws = ctx.workspace
    message = ws.bot_message(text=text, blocks=blocks, attachments=attachments, metadata=metadata)
    broadcast = root is not None and flag(args, "reply_broadcast")
    stored = ws.store.add(channel.id, message, thread_ts=root, broadcast=broadcast)
    ws.assistant.message_sent(channel.id, root)
    ctx.emit(ws.envelopes.message_event(stored, channel), channel)
    return {
        "channel": channel.id,
        "ts": stored["ts"],
        "message": message_view(stored, metadata=True),
    }


def _own_message(ctx: ApiContext, channel: Channel, args: JSON, denied: str) -> str:
    """The ``ts`` of the bot's message named by ``args``; Slack's error otherwise."""
    ts = str_arg(args, "ts")
    message = None if ts is None else ctx.workspace.store.get(channel.id, ts)
    if ts is None or message is None:
        raise ApiError("message_not_found")
    if message.get("user") != ctx.workspace.directory.bot_user_id:
        raise ApiError(denied)
    return ts


def update(ctx: ApiContext, args: JSON) -> JSON:
    """``chat.update``: replace the text/blocks of one of the bot's messages."""
    channel = readable_channel(ctx, args)
    ts = _own_message(ctx, channel, args, "cant_update_message")
    text, blocks, attachments = _content(args)
    ws = ctx.workspace
    changes: JSON = {
        "text": text,
        "blocks": blocks or (rich_text_blocks(text, block_id=ws.ids.block_id()) if text else None),
        "attachments": attachments,
        "edited": {"user": ws.directory.bot_id, "ts": ws.ids.ts()},
    }
    metadata = metadata_arg(args)
    if metadata is not None:
        changes["metadata"] = metadata
    before, after = ws.store.update(channel.id, ts, changes)
    ctx.emit(ws.envelopes.message_changed_event(before, after, channel), channel)
    view = message_view(after, metadata=True)
    return {"channel": channel.id, "ts": ts, "text": text, "message": view}


def delete(ctx: ApiContext, args: JSON) -> JSON:
    """``chat.delete``: remove one of the bot's messages."""
    channel = readable_channel(ctx, args)
    ts = _own_message(ctx, channel, args, "cant_delete_message")
    ctx.workspace.store.delete(channel.id, ts)
    ctx.workspace.streams.forget(ts)
    return {"channel": channel.id, "ts": ts}


def post_ephemeral(ctx: ApiContext, args: JSON) -> JSON:
    """``chat.postEphemeral``: a message only ``user`` sees, in a channel they are in."""
    channel = readable_channel(ctx, args)
    user = str_arg(args, "user")
    if user is None:
        raise missing("user")
    if user not in ctx.workspace.directory.users:
        raise ApiError("user_not_found")
    if user not in channel.members:
        raise ApiError("user_not_in_channel")
    text, blocks, attachments = _content(args)
    root = _thread_root(ctx, channel, args)
    ws = ctx.workspace
    message = ws.bot_message(text=text, blocks=blocks, attachments=attachments)
    message["visible_to"] = user
    if root is not None:
        message["thread_ts"] = root
    ws.store.add_ephemeral(channel.id, message)
    return {"message_ts": message["ts"]}


def get_permalink(ctx: ApiContext, args: JSON) -> JSON:
    """``chat.getPermalink``: the URL of a stored message."""
    ref = str_arg(args, "channel")
    channel = None if ref is None else ctx.workspace.directory.resolve_channel(ref)
    if channel is None:
        raise ApiError("channel_not_found")
    ts = str_arg(args, "message_ts")
    message = None if ts is None else ctx.workspace.store.get(channel.id, ts)
    if message is None or ts is None:
        raise ApiError("message_not_found")
    thread_ts = message.get("thread_ts")
    link = ctx.workspace.permalink(channel.id, ts, thread_ts=thread_ts)
    return {"channel": channel.id, "permalink": link}


CHAT_METHODS: dict[str, Method] = {
    "chat.postMessage": Method(post_message),
    "chat.update": Method(update),
    "chat.delete": Method(delete),
    "chat.postEphemeral": Method(post_ephemeral),
    "chat.getPermalink": Method(get_permalink),
}
