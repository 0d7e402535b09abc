"""What a POST to a response_url does: reply in the channel or ephemerally, replace or
delete the original message."""

from __future__ import annotations

from typing import Any

from sandbox.apicore import ApiContext, ApiError, flag, str_arg
from sandbox.interactivity import Hook
from sandbox.records import JSON
from sandbox.richtext import rich_text_blocks
from sandbox.state import Channel

__all__ = ["post_to_hook"]


def _content(body: JSON) -> tuple[str, list[JSON] | None]:
    text = str_arg(body, "text") or ""
    blocks: Any = body.get("blocks")
    if blocks is not None and not isinstance(blocks, list):
        raise ApiError("invalid_blocks")
    if not text and not blocks:
        raise ApiError("no_text")
    return text, blocks or None


def _replace(
    ctx: ApiContext, hook: Hook, channel: Channel, text: str, blocks: list[JSON] | None
) -> bool:
    ws = ctx.workspace
    if hook.message_ts is not None and not hook.ephemeral:
        if ws.store.get(channel.id, hook.message_ts) is None:
            return False
        changes: JSON = {
            "text": text,
            "blocks": blocks or rich_text_blocks(text, block_id=ws.ids.block_id()),
            "edited": {"user": ws.directory.bot_id, "ts": ws.ids.ts()},
        }
        before, after = ws.store.update(channel.id, hook.message_ts, changes)
        ctx.emit(ws.envelopes.message_changed_event(before, after, channel), channel)
        return True
    target = hook.message_ts if hook.ephemeral else hook.last_ephemeral_ts
    if target is None:
        return False
    message = ws.bot_message(text=text, blocks=blocks)
    message.update(ts=target, visible_to=hook.user)
    return ws.store.replace_ephemeral(channel.id, target, message)


def _delete(ctx: ApiContext, hook: Hook, channel: Channel) -> None:
    store = ctx.workspace.store
    if hook.message_ts is not None and not hook.ephemeral:
        store.delete(channel.id, hook.message_ts)
        return
    target = hook.message_ts if hook.ephemeral else hook.last_ephemeral_ts
    if target is not None:
        store.replace_ephemeral(channel.id, target, None)


def post_to_hook(ctx: ApiContext, hook: Hook, body: JSON) -> JSON:
    """Apply one post to a response_url (already counted as a use of ``hook``).

    ``response_type: in_channel`` posts a channel message (the bot need not be a member);
    otherwise the answer is ephemeral, for the user who interacted. ``replace_original``
    replaces the message the interaction came from (or the last ephemeral answer);
    ``delete_original`` deletes it.

    Raises:
        ApiError: ``no_text`` or ``invalid_blocks``.
    """
    ws = ctx.workspace
    channel = ws.directory.channels[hook.channel]
    if flag(body, "delete_original"):
        _delete(ctx, hook, channel)
        return {"ok": True}
    text, blocks = _content(body)
    if flag(body, "replace_original") and _replace(ctx, hook, channel, text, blocks):
        return {"ok": True}
    if body.get("response_type") == "in_channel":
        message = ws.bot_message(text=text, blocks=blocks)
        thread_ts = str_arg(body, "thread_ts")
        root = None if thread_ts is None else ws.store.thread_root(channel.id, thread_ts)
        stored = ws.store.add(channel.id, message, thread_ts=root)
        ctx.emit(ws.envelopes.message_event(stored, channel), channel)
    else:
        message = ws.bot_message(text=text, blocks=blocks)
        message["visible_to"] = hook.user
        ws.store.add_ephemeral(channel.id, message)
        hook.last_ephemeral_ts = message["ts"]
    return {"ok": True}
