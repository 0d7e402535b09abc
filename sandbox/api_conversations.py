"""Web API ``conversations.*`` methods: reading history and threads, channel info, joining."""

from __future__ import annotations

import re

from sandbox.apicore import (
    ApiContext,
    ApiError,
    Method,
    flag,
    int_arg,
    message_view,
    missing,
    readable_channel,
    str_arg,
    visible_channel,
)
from sandbox.messages import CursorError, Page, Window
from sandbox.records import JSON

__all__ = ["CONVERSATION_METHODS"]


def _window(args: JSON, *, default_limit: int) -> Window:
    return Window(
        limit=int_arg(args, "limit", default=default_limit),
        oldest=str_arg(args, "oldest"),
        latest=str_arg(args, "latest"),
        inclusive=flag(args, "inclusive"),
        cursor=str_arg(args, "cursor"),
    )


def _paged(page: Page, *, metadata: bool) -> JSON:
    return {
        "messages": [message_view(m, metadata=metadata) for m in page.messages],
        "has_more": page.has_more,
        "response_metadata": {"next_cursor": page.next_cursor},
    }


def history(ctx: ApiContext, args: JSON) -> JSON:
    """``conversations.history``: the channel's top-level messages, newest first."""
    channel = readable_channel(ctx, args)
    window = _window(args, default_limit=100)
    try:
        page = ctx.workspace.store.history(channel.id, window)
    except CursorError:
        raise ApiError("invalid_cursor") from None
    except ValueError:
        raise ApiError("invalid_ts_latest") from None
    body = _paged(page, metadata=flag(args, "include_all_metadata"))
    body.update(pin_count=0, channel_actions_ts=None, channel_actions_count=0)
    return body


def replies(ctx: ApiContext, args: JSON) -> JSON:
    """``conversations.replies``: a thread's parent, then its replies, oldest first."""
    channel = readable_channel(ctx, args)
    ts = str_arg(args, "ts")
    if ts is None:
        raise missing("ts")
    window = _window(args, default_limit=1000)
    try:
        page = ctx.workspace.store.replies(channel.id, ts, window)
    except CursorError:
        raise ApiError("invalid_cursor") from None
    except ValueError:
        raise ApiError("invalid_ts_latest") from None
    if page is None:
        raise ApiError("thread_not_found")
    return _paged(page, metadata=flag(args, "include_all_metadata"))


def info(ctx: ApiContext, args: JSON) -> JSON:
    """``conversations.info``: one conversation, as the bot sees it."""
    d = ctx.workspace.directory
    channel = visible_channel(ctx, args)
    view = channel.to_json(
        team_id=d.team_id, viewer=d.bot_user_id, num_members=flag(args, "include_num_members")
    )
    return {"channel": view}


def members(ctx: ApiContext, args: JSON) -> JSON:
    """``conversations.members``: the member user ids (one page)."""
    channel = readable_channel(ctx, args)
    return {"members": sorted(channel.members), "response_metadata": {"next_cursor": ""}}


def join(ctx: ApiContext, args: JSON) -> JSON:
    """``conversations.join``: the bot joins a public channel."""
    d = ctx.workspace.directory
    channel = visible_channel(ctx, args)
    if channel.kind != "public":
        raise ApiError("method_not_supported_for_channel_type")
    body: JSON = {}
    if d.bot_user_id in channel.members:
        body.update(warning="already_in_channel")
        body["response_metadata"] = {"warnings": ["already_in_channel"]}
    channel.members.add(d.bot_user_id)
    body["channel"] = channel.to_json(team_id=d.team_id, viewer=d.bot_user_id)
    return body


_CHANNEL_NAME = re.compile(r"^[a-z0-9_-]{1,80}$")


def create(ctx: ApiContext, args: JSON) -> JSON:
    """``conversations.create``: a new channel; the bot (its creator) is its only member."""
    name = str_arg(args, "name")
    if name is None:
        raise missing("name")
    if len(name) > 80:
        raise ApiError("invalid_name_maxlength")
    if name != name.lower() or " " in name:
        raise ApiError("invalid_name_specials")
    if not _CHANNEL_NAME.fullmatch(name):
        raise ApiError("invalid_name_specials" if name else "invalid_name_required")
    d = ctx.workspace.directory
    if d.resolve_channel(f"#{name}") is not None:
        raise ApiError("name_taken")
    channel = d.add_channel(
        "C" + ctx.workspace.ids.view_id()[1:],
        name,
        private=flag(args, "is_private"),
        members=[d.bot_user_id],
    )
    return {"channel": channel.to_json(team_id=d.team_id, viewer=d.bot_user_id)}


def invite(ctx: ApiContext, args: JSON) -> JSON:
    """``conversations.invite``: add people to a channel the bot is in."""
    ref = str_arg(args, "channel")
    users = str_arg(args, "users")
    d = ctx.workspace.directory
    channel = None if ref is None else d.resolve_channel(ref)
    if channel is None or d.bot_user_id not in channel.members:
        raise ApiError("channel_not_found" if channel is None else "not_in_channel")
    ids = [u.strip() for u in (users or "").split(",") if u.strip()]
    if not ids:
        raise ApiError("no_user")
    if d.bot_user_id in ids:
        raise ApiError("cant_invite_self")
    if any(user not in d.users for user in ids):
        raise ApiError("user_not_found")
    if all(user in channel.members for user in ids):
        raise ApiError("already_in_channel")
    channel.members.update(ids)
    return {"channel": channel.to_json(team_id=d.team_id, viewer=d.bot_user_id)}


def open_dm(ctx: ApiContext, args: JSON) -> JSON:
    """``conversations.open``: the DM between the bot and one user."""
    users = str_arg(args, "users")
    if users is None:
        raise ApiError("users_list_not_supplied")
    d = ctx.workspace.directory
    ids = [u.strip() for u in users.split(",") if u.strip()]
    if len(ids) != 1:
        raise ApiError("not_enough_users" if not ids else "too_many_users")
    if ids[0] not in d.users:
        raise ApiError("user_not_found")
    channel = d.add_im(ids[0])
    return {"no_op": True, "already_open": True, "channel": {"id": channel.id}}


CONVERSATION_METHODS: dict[str, Method] = {
    "conversations.history": Method(history),
    "conversations.replies": Method(replies),
    "conversations.info": Method(info),
    "conversations.members": Method(members),
    "conversations.join": Method(join),
    "conversations.open": Method(open_dm),
    "conversations.create": Method(create),
    "conversations.invite": Method(invite),
}
