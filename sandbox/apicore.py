"""What every Web API method handler shares: its context, its errors, argument readers.

A handler is a plain function ``(ApiContext, args) -> JSON``: it validates, applies the call
to the workspace and returns the answer without ``ok``; it raises :class:`ApiError` with one
of Slack's error codes instead. Events the call causes (the echo of a bot post) are appended
to ``ctx.events`` and delivered by the server after the answer, if it is configured to.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from sandbox.apierror import ApiError, missing
from sandbox.blockcheck import check_blocks
from sandbox.oauth import Grant
from sandbox.records import JSON
from sandbox.state import Channel
from sandbox.workspace import Workspace

__all__ = [
    "ApiContext",
    "ApiError",
    "Handler",
    "Method",
    "TokenKind",
    "flag",
    "int_arg",
    "list_arg",
    "message_view",
    "metadata_arg",
    "missing",
    "readable_channel",
    "str_arg",
    "visible_channel",
]

TokenKind = Literal["bot", "app", "client"]
"""The credential a method takes: a bot token, an app-level token, or none (``client``: the
OAuth methods, which take the app's client id and secret, and ``api.test``)."""


@dataclass(slots=True)
class ApiContext:
    """What a handler may use: the workspace, the caller's token kind (and installation),
    the event outbox."""

    workspace: Workspace
    token_kind: TokenKind
    socket_url: Callable[[], str]
    events: list[tuple[JSON, Channel]] = field(default_factory=list)
    grant: Grant | None = None
    """The installation an OAuth-issued token acts for (None: the sandbox's own bot token)."""

    def emit(self, event: JSON, channel: Channel) -> None:
        """Queue an event this call caused in ``channel`` (delivered after the answer)."""
        self.events.append((event, channel))


Handler = Callable[[ApiContext, JSON], JSON]


@dataclass(frozen=True, slots=True)
class Method:
    """A Web API method: its handler and the kind of token it accepts."""

    handler: Handler
    accepts: TokenKind = "bot"


def str_arg(args: JSON, name: str, *, required: bool = False) -> str | None:
    """A string argument (numbers are stringified); empty counts as absent."""
    value = args.get(name)
    if value is None or value == "":
        if required:
            raise missing(name)
        return None
    return value if isinstance(value, str) else str(value)


def flag(args: JSON, name: str) -> bool:
    """A boolean argument as Slack reads it: true, ``"true"`` and ``"1"`` are true."""
    value: Any = args.get(name)
    if isinstance(value, str):
        return value.strip().lower() in {"1", "true"}
    return bool(value)


def int_arg(args: JSON, name: str, *, default: int, low: int = 1, high: int = 1000) -> int:
    """An integer argument clamped to ``low..high`` (Slack clamps ``limit`` this way)."""
    value = args.get(name)
    if value is None or value == "":
        return default
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise ApiError("invalid_arguments", messages=[f"[ERROR] invalid {name}"]) from None
    return default if number <= 0 else max(low, min(high, number))


def list_arg(args: JSON, name: str, error: str) -> list[JSON] | None:
    """A list-of-objects argument (``blocks``, ``attachments``); None when absent or empty.
    Blocks are checked as Slack checks them (:func:`sandbox.blockcheck.check_blocks`).

    Raises:
        ApiError: ``error`` when it is not a list of objects; ``invalid_blocks`` for a
            malformed block.
    """
    value: Any = args.get(name)
    if value is None or value == "" or value == []:
        return None
    if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
        raise ApiError(error)
    if name == "blocks":
        check_blocks(value)
    return value


def metadata_arg(args: JSON) -> JSON | None:
    """Message ``metadata`` (``event_type`` and ``event_payload``), if given.

    Raises:
        ApiError: ``invalid_metadata_format`` (not an object), ``invalid_metadata_schema``.
    """
    value: Any = args.get("metadata")
    if value is None or value == "":
        return None
    if not isinstance(value, dict):
        raise ApiError("invalid_metadata_format")
    if not isinstance(value.get("event_type"), str) or not isinstance(
        value.get("event_payload", {}), dict
    ):
        raise ApiError("invalid_metadata_schema")
    return {"event_type": value["event_type"], "event_payload": value.get("event_payload", {})}


def visible_channel(ctx: ApiContext, args: JSON, name: str = "channel") -> Channel:
    """The channel named by ``args[name]`` if the bot can see it (public, or a member).

    Raises:
        ApiError: ``channel_not_found`` (unknown, or private without the bot).
    """
    ref = str_arg(args, name)
    directory = ctx.workspace.directory
    channel = None if ref is None else directory.resolve_channel(ref)
    if channel is None or (
        channel.kind != "public" and directory.bot_user_id not in channel.members
    ):
        raise ApiError("channel_not_found")
    return channel


def readable_channel(ctx: ApiContext, args: JSON, name: str = "channel") -> Channel:
    """The channel named by ``args[name]`` if the bot may read it.

    Raises:
        ApiError: ``channel_not_found`` (unknown, or private without the bot),
            ``not_in_channel`` (public without the bot).
    """
    channel = visible_channel(ctx, args, name)
    if ctx.workspace.directory.bot_user_id not in channel.members:
        raise ApiError("not_in_channel")
    return channel


def message_view(message: JSON, *, metadata: bool) -> JSON:
    """A stored message as the API shows it: a shallow copy, ``metadata`` only if asked."""
    if metadata or "metadata" not in message:
        return dict(message)
    return {key: value for key, value in message.items() if key != "metadata"}
