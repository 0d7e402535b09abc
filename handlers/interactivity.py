"""Slack interactivity payloads (button clicks, modal submissions) -> the fields listeners
read. Pure functions, pydantic for the fields we read; the one place that knows their shape.

Slack sends many more keys than these; extra keys are ignored. A payload missing a field, or
carrying one of the wrong type, parses with that field empty: the listener then refuses or
ignores it, never raises.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

__all__ = ["Click", "Submission", "parse_click", "parse_submission"]


class _Fields(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class _Ref(_Fields):
    id: str = ""
    team_id: str = ""


class _Container(_Fields):
    channel_id: str = ""
    message_ts: str = ""
    is_ephemeral: bool = False


class _Action(_Fields):
    action_id: str = ""
    block_id: str = ""
    value: str = ""
    selected_user: str = ""


class _Message(_Fields):
    ts: str = ""
    thread_ts: str = ""


class _Option(_Fields):
    value: str = ""


class _Input(_Fields):
    value: str | None = None
    selected_option: _Option | None = None


class _State(_Fields):
    values: dict[str, dict[str, _Input]] = {}


class _View(_Fields):
    private_metadata: str = ""
    state: _State = _State()


class _Payload(_Fields):
    user: _Ref = _Ref()
    team: _Ref | None = None
    channel: _Ref | None = None
    container: _Container = _Container()
    actions: list[_Action] = []
    trigger_id: str = ""
    response_url: str | None = None
    message: _Message | None = None
    view: _View = _View()


@dataclass(frozen=True, slots=True)
class Click:
    """A ``block_actions`` payload: who clicked what, where.

    Attributes:
        channel_id: the channel of the message clicked (None in a view such as the App Home).
        action_id, value: the first action's id and value; ``block_id`` its block's id;
            ``selected_user`` the person picked in a ``users_select``.
        message_ts: the clicked message's ts; ``thread_ts`` its thread (``""`` at top level).
        ephemeral: the clicked message was ephemeral (shown to the clicker only).
    """

    user_id: str = ""
    team_id: str = ""
    channel_id: str | None = None
    action_id: str = ""
    value: str = ""
    trigger_id: str = ""
    message_ts: str = ""
    block_id: str = ""
    selected_user: str = ""
    thread_ts: str = ""
    ephemeral: bool = False
    response_url: str | None = None


@dataclass(frozen=True, slots=True)
class Submission:
    """A ``view_submission`` payload: who submitted, the view's private metadata, the inputs.

    Attributes:
        metadata: the JSON object the app put in ``private_metadata`` (empty if malformed).
    """

    user_id: str = ""
    team_id: str = ""
    metadata: Mapping[str, Any] = field(default_factory=dict)
    inputs: Mapping[str, Mapping[str, _Input]] = field(default_factory=dict)

    def note(self, key: str) -> str | None:
        """What the app put under ``key`` in the view's private metadata, as text."""
        value = self.metadata.get(key)
        return str(value) if value else None

    def text(self, block_id: str, action_id: str) -> str:
        """What was typed into an input (``""`` when empty or absent)."""
        found = self.inputs.get(block_id, {}).get(action_id)
        return (found.value or "") if found is not None else ""

    def choice(self, block_id: str, action_id: str) -> str | None:
        """The value of the option chosen in a radio or select input, if any."""
        found = self.inputs.get(block_id, {}).get(action_id)
        option = found.selected_option if found is not None else None
        return option.value or None if option is not None else None

    def texts(self, prefix: str, action_id: str) -> dict[str, str]:
        """What was typed into every input whose block id starts with ``prefix``, by the rest
        of the block id."""
        return {
            block_id.removeprefix(prefix): self.text(block_id, action_id)
            for block_id in self.inputs
            if block_id.startswith(prefix)
        }


def _payload(body: Mapping[str, Any]) -> _Payload:
    try:
        return _Payload.model_validate(body)
    except ValidationError:
        return _Payload()


def _team(payload: _Payload) -> str:
    return (payload.team.id if payload.team else "") or payload.user.team_id


def parse_click(body: Mapping[str, Any]) -> Click:
    """The fields of a ``block_actions`` payload (empty ones where it lacks them)."""
    payload = _payload(body)
    action = payload.actions[0] if payload.actions else _Action()
    container = payload.container
    message = payload.message or _Message()
    channel = (payload.channel.id if payload.channel else "") or container.channel_id
    return Click(
        user_id=payload.user.id,
        team_id=_team(payload),
        channel_id=channel or None,
        action_id=action.action_id,
        value=action.value,
        trigger_id=payload.trigger_id,
        message_ts=container.message_ts,
        thread_ts=message.thread_ts,
        ephemeral=container.is_ephemeral,
        response_url=payload.response_url,
        block_id=action.block_id,
        selected_user=action.selected_user,
    )


def parse_submission(body: Mapping[str, Any]) -> Submission:
    """The fields of a ``view_submission`` payload (empty ones where it lacks them)."""
    payload = _payload(body)
    try:
        metadata = json.loads(payload.view.private_metadata or "{}")
    except ValueError:
        metadata = {}
    return Submission(
        user_id=payload.user.id,
        team_id=_team(payload),
        metadata=metadata if isinstance(metadata, dict) else {},
        inputs=payload.view.state.values,
    )
