"""The shape every Slack payload must have before Bolt sees it: the one place that says which
decoded bodies are well-formed enough to dispatch.

Bolt reads a payload's routing fields by indexing (``body["event"]["type"]``,
``body["actions"][0]["action_id"]``, ``body["view"]["type"]``) and raises on a body Slack
would never send; a listener's exception becomes a 500, which Slack retries. So HTTP and
Socket Mode both check the envelope here first: a body that fails is malformed (400, or
dropped over Socket Mode), never dispatched.

Only types are checked, never values, and only of the fields Bolt or our middleware route
on; every field is optional unless a payload kind needs it, and extra keys are ignored, so
anything Slack actually sends passes. Pure: pydantic, no Slack SDK, no IO.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, StrictBool, StrictStr, ValidationError

__all__ = ["MAX_DEPTH", "EnvelopeKind", "envelope_kind", "nesting_depth"]

MAX_DEPTH = 48
"""Deepest nesting of objects and lists a payload may have. Slack's deepest (rich text in a
message in a ``message_changed`` event) stays under 20; far deeper bodies only exhaust
recursion in whatever walks them."""

EnvelopeKind = Literal["event", "url_verification", "command", "interaction", "other"]


class _Loose(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class _Ref(_Loose):
    """``user``, ``team``, ``channel`` or ``enterprise`` given as an object."""

    id: StrictStr | None = None
    team_id: StrictStr | None = None
    enterprise_id: StrictStr | None = None


class _Ids(_Loose):
    """Who and where, as Bolt extracts them from a payload and from its nested parts."""

    type: StrictStr | None = None
    user: StrictStr | _Ref | None = None
    team: StrictStr | _Ref | None = None
    channel: StrictStr | _Ref | None = None
    enterprise: StrictStr | _Ref | None = None
    user_id: StrictStr | None = None
    team_id: StrictStr | None = None
    channel_id: StrictStr | None = None
    enterprise_id: StrictStr | None = None
    user_team: StrictStr | None = None
    thread_ts: StrictStr | None = None
    subtype: StrictStr | None = None
    channel_type: StrictStr | None = None
    bot_id: StrictStr | None = None
    tab: StrictStr | None = None
    is_enterprise_install: StrictBool | StrictStr | None = None
    function_execution_id: StrictStr | None = None


class _Event(_Ids):
    type: StrictStr
    message: _Ids | None = None
    previous_message: _Ids | None = None
    item: _Ids | None = None
    assistant_thread: _Ids | None = None
    inputs: dict[str, Any] | None = None


class _View(_Loose):
    type: StrictStr | None = None
    callback_id: StrictStr | None = None
    id: StrictStr | None = None
    team_id: StrictStr | None = None
    app_installed_team_id: StrictStr | None = None
    private_metadata: StrictStr | None = None


class _Action(_Loose):
    action_id: StrictStr | None = None
    block_id: StrictStr | None = None


class _ResponseUrl(_Loose):
    response_url: StrictStr | None = None


class _FunctionData(_Loose):
    execution_id: StrictStr | None = None
    inputs: dict[str, Any] | None = None


class _Envelope(_Ids):
    """Any payload: the routing fields Bolt reads, each of the type Slack sends."""

    command: StrictStr | None = None
    callback_id: StrictStr | None = None
    action_id: StrictStr | None = None
    challenge: StrictStr | None = None
    event_id: StrictStr | None = None
    event: _Event | None = None
    authorizations: list[_Ids] | None = None
    view: _View | None = None
    actions: list[_Action] | None = None
    message: _Ids | None = None
    response_url: StrictStr | None = None
    response_urls: list[_ResponseUrl] | None = None
    function_data: _FunctionData | None = None
    is_ext_shared_channel: StrictBool | None = None


def _has_action(envelope: _Envelope) -> bool:
    actions = envelope.actions or []
    return bool(actions) and actions[0].action_id is not None


def _has_view(envelope: _Envelope) -> bool:
    view = envelope.view
    return view is not None and view.type is not None and view.callback_id is not None


_NEEDS: dict[str, Callable[[_Envelope], bool]] = {
    "event_callback": lambda e: e.event is not None,
    "url_verification": lambda e: e.challenge is not None,
    "block_actions": _has_action,
    "view_submission": _has_view,
    "view_closed": _has_view,
    "block_suggestion": lambda e: e.action_id is not None,
}
"""What a payload type cannot go without (Bolt indexes it once it knows the type). Other
interactivity types Bolt routes on ``callback_id``, checked below."""

_BY_CALLBACK = frozenset(
    {
        "shortcut",
        "message_action",
        "interactive_message",
        "dialog_submission",
        "dialog_cancellation",
        "dialog_suggestion",
        "workflow_step_edit",
    }
)

_KINDS: dict[str, EnvelopeKind] = {
    "event_callback": "event",
    "url_verification": "url_verification",
    "app_rate_limited": "other",
}


def nesting_depth(value: object, *, limit: int = MAX_DEPTH) -> int:
    """How deeply ``value``'s objects and lists nest (a scalar is 0), counting no further
    than ``limit + 1``. Iterative, so any depth is safe to measure.

    One level at a time, and only containers are kept (every Slack payload passes here
    before it is dispatched, so scalars are not copied onto a stack)."""
    level: list[dict[Any, Any] | list[Any]] = [value] if isinstance(value, dict | list) else []
    depth = 0
    while level:
        depth += 1
        if depth > limit:
            return depth
        below: list[dict[Any, Any] | list[Any]] = []
        for item in level:
            for child in item.values() if isinstance(item, dict) else item:
                if isinstance(child, dict | list):
                    below.append(child)
        level = below
    return depth


def envelope_kind(body: Mapping[str, Any]) -> EnvelopeKind | None:
    """What kind of Slack payload ``body`` is, or None when it is malformed: too deep, no
    ``type`` or ``command``, or a routing field of the wrong type or missing.

    ``other`` is a well-formed payload the app may not handle (acked, then ignored).
    """
    if nesting_depth(body) > MAX_DEPTH:
        return None
    try:
        envelope = _Envelope.model_validate(body)
    except ValidationError:
        return None
    if envelope.type is None:
        return "command" if envelope.command is not None else None
    needs = _NEEDS.get(envelope.type)
    if needs is not None and not needs(envelope):
        return None
    if envelope.type in _BY_CALLBACK and envelope.callback_id is None:
        return None
    if envelope.type in _KINDS:
        return _KINDS[envelope.type]
    return "interaction"
