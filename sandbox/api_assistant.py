"""Web API methods of the AI-app surface around a conversation: ``assistant.threads.setStatus``,
``setSuggestedPrompts``, ``setTitle``, and ``agents.sessions.setStatus`` / ``rename``.

Arguments and errors as the reference pages list them
(https://docs.slack.dev/reference/methods/assistant.threads.setStatus,
assistant.threads.setSuggestedPrompts, assistant.threads.setTitle, agents.sessions.setStatus,
agents.sessions.rename): an unknown or hidden ``channel_id`` is ``channel_not_found``; a
``thread_ts`` that is not a message of the channel is ``invalid_thread_ts``; a session needs
``thread_ts`` (``thread_ts_required``; the sandbox has no session channels), a known
``status`` (``invalid_status``) and the bot in the channel (``not_authorized``); renaming a
session that does not exist is ``session_not_found``. Argument shapes the schema refuses
(more than 10 loading messages, more than 4 prompts, a title over 200 characters) are
``invalid_arguments``.
"""

from __future__ import annotations

from typing import Any

from sandbox.apicore import ApiContext, ApiError, Method, missing, str_arg, visible_channel
from sandbox.assistant import Prompt, as_session_status
from sandbox.records import JSON
from sandbox.state import Channel

__all__ = ["ASSISTANT_METHODS"]

MAX_LOADING_MESSAGES = 10
MAX_LOADING_MESSAGE = 50
MAX_PROMPTS = 4
MAX_SESSION_TITLE = 200


def _schema(what: str) -> ApiError:
    return ApiError("invalid_arguments", messages=[f"[ERROR] {what}"])


def _thread(ctx: ApiContext, channel: Channel, args: JSON, *, required: bool) -> str | None:
    """The root ts of the thread named by ``thread_ts`` (None only when not required)."""
    thread_ts = str_arg(args, "thread_ts")
    if thread_ts is None:
        if required:
            raise missing("thread_ts")
        return None
    root = ctx.workspace.store.thread_root(channel.id, thread_ts)
    if root is None:
        raise ApiError("invalid_thread_ts")
    return root


def _loading_messages(args: JSON) -> tuple[str, ...]:
    value: Any = args.get("loading_messages")
    if value is None:
        return ()
    if not isinstance(value, list) or not 1 <= len(value) <= MAX_LOADING_MESSAGES:
        raise _schema(f"loading_messages must hold 1 to {MAX_LOADING_MESSAGES} messages")
    if not all(isinstance(m, str) and 1 <= len(m) <= MAX_LOADING_MESSAGE for m in value):
        raise _schema(f"each loading message must be 1 to {MAX_LOADING_MESSAGE} characters")
    return tuple(value)


def set_status(ctx: ApiContext, args: JSON) -> JSON:
    """``assistant.threads.setStatus``: show a status line in a thread; "" clears it."""
    channel = visible_channel(ctx, args, "channel_id")
    root = _thread(ctx, channel, args, required=True)
    status: Any = args.get("status")
    if status is None:
        raise missing("status")
    if not isinstance(status, str):
        raise _schema("status must be text")
    loading = _loading_messages(args)
    ctx.workspace.assistant.set_status(channel.id, root or "", status, loading)
    return {}


def _prompts(args: JSON) -> tuple[Prompt, ...]:
    value: Any = args.get("prompts")
    if value is None or value == "":
        raise missing("prompts")
    if not isinstance(value, list) or not 1 <= len(value) <= MAX_PROMPTS:
        raise _schema(f"prompts must hold 1 to {MAX_PROMPTS} prompts")
    prompts = []
    for prompt in value:
        title = prompt.get("title") if isinstance(prompt, dict) else None
        message = prompt.get("message") if isinstance(prompt, dict) else None
        if not isinstance(title, str) or not title or not isinstance(message, str) or not message:
            raise _schema("each prompt needs a title and a message")
        prompts.append(Prompt(title, message))
    return tuple(prompts)


def set_suggested_prompts(ctx: ApiContext, args: JSON) -> JSON:
    """``assistant.threads.setSuggestedPrompts``: up to four prompts (for a thread, or the top
    of the conversation without ``thread_ts``), under an optional ``title``."""
    channel = visible_channel(ctx, args, "channel_id")
    root = _thread(ctx, channel, args, required=False)
    prompts = _prompts(args)
    state = ctx.workspace.assistant.thread(channel.id, root)
    state.prompts = prompts
    state.prompts_title = str_arg(args, "title")
    return {}


def set_title(ctx: ApiContext, args: JSON) -> JSON:
    """``assistant.threads.setTitle``: the thread's title (shown in the app's history)."""
    channel = visible_channel(ctx, args, "channel_id")
    root = _thread(ctx, channel, args, required=True) or ""
    title = str_arg(args, "title", required=True) or ""
    ctx.workspace.assistant.thread(channel.id, root).title = title
    parent = ctx.workspace.store.get(channel.id, root)
    if parent is not None and isinstance(parent.get("assistant_app_thread"), dict):
        parent["assistant_app_thread"] = {**parent["assistant_app_thread"], "title": title}
    return {}


def _session_thread(ctx: ApiContext, args: JSON) -> tuple[Channel, str]:
    channel_id = str_arg(args, "channel_id")
    if channel_id is None:
        raise missing("channel_id")
    channel = visible_channel(ctx, args, "channel_id")
    if ctx.workspace.directory.bot_user_id not in channel.members:
        raise ApiError("not_authorized")
    thread_ts = str_arg(args, "thread_ts")
    if thread_ts is None:
        raise ApiError("thread_ts_required")
    return channel, ctx.workspace.store.thread_root(channel.id, thread_ts) or thread_ts


def _session_title(args: JSON, *, required: bool) -> str | None:
    title = str_arg(args, "title", required=required)
    if title is not None and len(title) > MAX_SESSION_TITLE:
        raise _schema(f"title must be at most {MAX_SESSION_TITLE} characters")
    return title


def session_set_status(ctx: ApiContext, args: JSON) -> JSON:
    """``agents.sessions.setStatus``: a session's lifecycle status, created if needed."""
    value = str_arg(args, "status", required=True) or ""
    status = as_session_status(value)
    if status is None:
        raise ApiError("invalid_status")
    channel, thread_ts = _session_thread(ctx, args)
    title = _session_title(args, required=False)
    initiator = str_arg(args, "initiator_user_id")
    if initiator is not None and initiator not in ctx.workspace.directory.users:
        raise ApiError("user_not_found")
    session = ctx.workspace.assistant.set_session_status(
        channel.id, thread_ts, status, title=title, initiator_user_id=initiator
    )
    body: JSON = {"status": session.status, "agent_status": session.status}
    if session.title is not None:
        body["title"] = session.title
    return body


def session_rename(ctx: ApiContext, args: JSON) -> JSON:
    """``agents.sessions.rename``: a new title for an existing session."""
    title = _session_title(args, required=True) or ""
    channel, thread_ts = _session_thread(ctx, args)
    session = ctx.workspace.assistant.session(channel.id, thread_ts)
    if session is None:
        raise ApiError("session_not_found")
    session.title = title
    return {"title": title}


ASSISTANT_METHODS: dict[str, Method] = {
    "assistant.threads.setStatus": Method(set_status),
    "assistant.threads.setSuggestedPrompts": Method(set_suggested_prompts),
    "assistant.threads.setTitle": Method(set_title),
    "agents.sessions.setStatus": Method(session_set_status),
    "agents.sessions.rename": Method(session_rename),
}
