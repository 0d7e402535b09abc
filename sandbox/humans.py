"""What the workspace's people do, turned into what Slack stores and sends the app: post a
message, run a slash command, click a button, submit a view."""

from __future__ import annotations

from collections.abc import Set
from dataclasses import dataclass

from sandbox.envelopes import action_payload, find_action
from sandbox.records import JSON
from sandbox.richtext import mentions
from sandbox.state import Channel
from sandbox.workspace import Workspace

__all__ = [
    "Posted",
    "click",
    "click_in_view",
    "give_feedback",
    "pin",
    "post",
    "react",
    "run_command",
    "submit_view",
    "subscribed",
]

_MESSAGE_SUBSCRIPTION = {
    "public": "message.channels",
    "private": "message.groups",
    "im": "message.im",
    "mpim": "message.mpim",
}


@dataclass(frozen=True, slots=True)
class Posted:
    """A human's stored message and the events Slack sends the app about it."""

    message: JSON
    channel: Channel
    thread_ts: str | None
    events: list[JSON]


def subscribed(ws: Workspace, channel: Channel, subscriptions: Set[str]) -> bool:
    """Whether the app gets ``message`` events from ``channel`` (member and subscribed)."""
    return (
        ws.directory.bot_user_id in channel.members
        and _MESSAGE_SUBSCRIPTION[channel.kind] in subscriptions
    )


def post(
    ws: Workspace,
    *,
    text: str,
    user: str,
    channel: str,
    thread_ts: str | None,
    subscriptions: Set[str],
) -> Posted:
    """Store a human's message and build the events Slack sends the app about it.

    The events are a ``message`` event (if subscribed for that kind of channel) and, when
    the text mentions the bot outside a DM, an ``app_mention`` (if subscribed); none where
    the bot is not a member.

    Raises:
        ValueError: unknown channel, the user is not a member, or ``thread_ts`` is not a
            message in the channel.
    """
    target = ws.channel(channel)
    if user not in ws.directory.users or user not in target.members:
        raise ValueError(f"user {user!r} is not a member of {target.id!r}")
    root = None
    if thread_ts is not None:
        root = ws.store.thread_root(target.id, thread_ts)
        if root is None:
            raise ValueError(f"no message {thread_ts!r} in {target.id!r}")
    message = ws.store.add(target.id, ws.human_message(user=user, text=text), thread_ts=root)
    events = []
    if subscribed(ws, target, subscriptions):
        events.append(ws.envelopes.message_event(message, target))
    bot = ws.directory.bot_user_id
    if (
        bot in target.members
        and target.kind != "im"
        and "app_mention" in subscriptions
        and bot in mentions(text)
    ):
        events.append(ws.envelopes.app_mention_event(message, target))
    return Posted(message, target, root, events)


def _response_url(
    ws: Workspace,
    *,
    channel: str,
    user: str,
    message_ts: str | None = None,
    ephemeral: bool = False,
) -> str:
    """A live response_url for an interaction of ``user`` in ``channel``."""
    hook = ws.hooks.issue(channel=channel, user=user, message_ts=message_ts, ephemeral=ephemeral)
    return f"{ws.base_url}/response/{hook.id}"


def run_command(
    ws: Workspace, *, command: str, text: str, user: str, channel: str
) -> dict[str, str]:
    """The form fields of ``user`` running ``command`` in ``channel``, with a live
    response_url and a fresh trigger id.

    Raises:
        ValueError: unknown user or channel.
    """
    target = ws.channel(channel)
    if user not in ws.directory.users:
        raise ValueError(f"unknown user {user!r}")
    return ws.envelopes.slash_command(
        command=command,
        text=text,
        user=user,
        channel=target,
        response_url=_response_url(ws, channel=target.id, user=user),
        trigger_id=ws.triggers.issue(),
    )


def click(
    ws: Workspace,
    *,
    message_ts: str,
    action_id: str,
    user: str,
    channel: str,
    value: str | None = None,
    block_id: str | None = None,
) -> JSON:
    """The ``block_actions`` payload of ``user`` clicking ``action_id`` in a stored message
    (a channel message or an ephemeral one), with a live response_url.

    Args:
        ws: The workspace holding the message.
        message_ts: The ts of the (channel or ephemeral) message holding the element.
        action_id: The element's ``action_id``.
        user: Who clicks.
        channel: Where the message is.
        value: The value sent (default: the element's own; for selects, the option).
        block_id: Narrow the search to one block.

    Raises:
        ValueError: no such message or element.
    """
    target = ws.channel(channel)
    message = ws.store.get(target.id, message_ts)
    ephemeral = message is None
    if message is None:
        found = [m for m in ws.store.ephemeral(target.id) if m.get("ts") == message_ts]
        if not found:
            raise ValueError(f"no message {message_ts!r} in {target.id!r}")
        message = found[0]
    found_block_id, element = find_action(message, action_id, block_id=block_id)
    action = action_payload(
        element, block_id=found_block_id, value=value, action_ts=ws.ids.action_ts()
    )
    response_url = _response_url(
        ws, channel=target.id, user=user, message_ts=message_ts, ephemeral=ephemeral
    )
    return ws.envelopes.block_actions(
        user=user,
        channel=target,
        message=message,
        action=action,
        response_url=response_url,
        trigger_id=ws.triggers.issue(),
        is_ephemeral=ephemeral,
    )


def _feedback_element(message: JSON, action_id: str | None) -> tuple[str, JSON]:
    """The block id and ``feedback_buttons`` element (``action_id``, else the first)."""
    for block in message.get("blocks") or []:
        if block.get("type") != "context_actions":
            continue
        for element in block.get("elements") or []:
            if element.get("type") == "feedback_buttons" and (
                action_id is None or element.get("action_id") == action_id
            ):
                return str(block.get("block_id", "")), element
    raise ValueError(f"no feedback buttons in message {message.get('ts')!r}")


def give_feedback(
    ws: Workspace,
    *,
    message_ts: str,
    positive: bool,
    user: str,
    channel: str,
    action_id: str | None = None,
    value: str | None = None,
) -> JSON:
    """The ``block_actions`` payload of ``user`` clicking the positive or negative button of
    the ``feedback_buttons`` element (in a ``context_actions`` block) of a stored message
    (``value``: forged in place of the button's own, as a hostile client could send).

    The action carries the clicked button's ``value`` and ``text`` with type
    ``feedback_buttons`` (https://docs.slack.dev/reference/block-kit/block-elements/
    feedback-buttons-element; Bolt's ``FeedbackButtonsAction``).

    Raises:
        ValueError: no such message, or it has no feedback buttons (with ``action_id``).
    """
    target = ws.channel(channel)
    message = ws.store.get(target.id, message_ts)
    if message is None:
        raise ValueError(f"no message {message_ts!r} in {target.id!r}")
    block_id, element = _feedback_element(message, action_id)
    button = element["positive_button" if positive else "negative_button"]
    action: JSON = {
        "type": "feedback_buttons",
        "action_id": element.get("action_id"),
        "block_id": block_id,
        "value": button.get("value") if value is None else value,
        "text": button.get("text"),
        "action_ts": ws.ids.action_ts(),
    }
    return ws.envelopes.block_actions(
        user=user,
        channel=target,
        message=message,
        action=action,
        response_url=_response_url(ws, channel=target.id, user=user, message_ts=message_ts),
        trigger_id=ws.triggers.issue(),
    )


def click_in_view(
    ws: Workspace, *, view_id: str, action_id: str, value: str | None, user: str
) -> JSON:
    """The ``block_actions`` payload of ``user`` clicking ``action_id`` in an opened or
    published view (an App Home tab).

    Raises:
        ValueError: no such view or element.
    """
    view = ws.views.find(view_id=view_id)
    if view is None:
        raise ValueError(f"no view {view_id!r}")
    block_id, element = find_action(view, action_id)
    action = action_payload(element, block_id=block_id, value=value, action_ts=ws.ids.action_ts())
    return ws.envelopes.view_block_actions(
        user=user, view=view, action=action, trigger_id=ws.triggers.issue()
    )


def submit_view(ws: Workspace, *, view_id: str, values: JSON | None, user: str) -> JSON:
    """The ``view_submission`` payload of ``user`` submitting an opened view.

    Raises:
        ValueError: no such view.
    """
    view = ws.views.find(view_id=view_id)
    if view is None:
        raise ValueError(f"no view {view_id!r}")
    return ws.envelopes.view_submission(
        user=user, view=view, values=values or {}, trigger_id=ws.triggers.issue()
    )


def _stored(ws: Workspace, channel: str, message_ts: str, user: str) -> tuple[Channel, JSON]:
    target = ws.channel(channel)
    if user not in ws.directory.users or user not in target.members:
        raise ValueError(f"user {user!r} is not a member of {target.id!r}")
    message = ws.store.get(target.id, message_ts)
    if message is None:
        raise ValueError(f"no message {message_ts!r} in {target.id!r}")
    return target, message


def react(
    ws: Workspace,
    *,
    message_ts: str,
    reaction: str,
    user: str,
    channel: str,
    subscriptions: Set[str],
) -> JSON | None:
    """Store ``user``'s reaction on a message; the ``reaction_added`` event Slack sends the
    app (None when not subscribed, not a member of the channel, or reacted so already).

    Raises:
        ValueError: unknown channel or message, or the user is not a member.
    """
    target, message = _stored(ws, channel, message_ts, user)
    if not ws.store.add_reaction(target.id, message_ts, reaction, user):
        return None
    if "reaction_added" not in subscriptions or ws.directory.bot_user_id not in target.members:
        return None
    return ws.envelopes.reaction_added_event(
        user=user, reaction=reaction, message=message, channel=target.id
    )


def pin(
    ws: Workspace, *, message_ts: str, user: str, channel: str, subscriptions: Set[str]
) -> JSON | None:
    """Pin a message (``pinned_to`` names the channel); the ``pin_added`` event Slack sends
    the app (None when not subscribed or not a member of the channel).

    Raises:
        ValueError: unknown channel or message, or the user is not a member.
    """
    target, message = _stored(ws, channel, message_ts, user)
    message["pinned_to"] = sorted({*message.get("pinned_to", []), target.id})
    if "pin_added" not in subscriptions or ws.directory.bot_user_id not in target.members:
        return None
    return ws.envelopes.pin_added_event(user=user, message=message, channel=target.id)
