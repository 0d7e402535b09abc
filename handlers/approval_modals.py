"""Block Kit for the modals an approval card opens: the rejection reason and the parameter edit.

Pure functions of the approval and its action. Each modal carries back, in its private
metadata, only the approval's opaque token and the place of the card it was opened from; the
submission counts only there (``handlers.approvals`` checks it).
"""

from __future__ import annotations

import json
from typing import Any

from agents.actions.approval import Approval
from agents.actions.spec import ActionSpec

__all__ = [
    "EDIT_MODAL",
    "PARAM_BLOCK_PREFIX",
    "PARAM_INPUT",
    "REASON_BLOCK",
    "REASON_INPUT",
    "REJECT_MODAL",
    "edit_modal",
    "modal_metadata",
    "reject_modal",
]

REJECT_MODAL = "approval_reject_modal"
EDIT_MODAL = "approval_edit_modal"
REASON_BLOCK = "reason"
REASON_INPUT = "reason_input"
PARAM_BLOCK_PREFIX = "param:"
"""The edit modal's input blocks: the prefix, then the parameter's name."""
PARAM_INPUT = "value"


def modal_metadata(token: str, channel_id: str | None, message_ts: str | None) -> str:
    """What a modal carries back on submission (private to the app): the token, and the
    channel and message of the card it was opened from (the submission counts only there)."""
    return json.dumps({"token": token, "channel": channel_id, "ts": message_ts})


def _modal(
    callback_id: str,
    approval: Approval,
    *,
    channel_id: str | None,
    message_ts: str | None,
    title: str,
    submit: str,
    blocks: list[dict[str, Any]],
) -> dict[str, Any]:
    """A modal about ``approval`` that carries its token (and the card's place) back."""
    return {
        "type": "modal",
        "callback_id": callback_id,
        "private_metadata": modal_metadata(approval.token, channel_id, message_ts),
        "title": {"type": "plain_text", "text": title},
        "submit": {"type": "plain_text", "text": submit},
        "close": {"type": "plain_text", "text": "Back"},
        "blocks": blocks,
    }


def reject_modal(
    approval: Approval, *, channel_id: str | None, message_ts: str | None
) -> dict[str, Any]:
    """The modal asking for a rejection reason."""
    return _modal(
        REJECT_MODAL,
        approval,
        channel_id=channel_id,
        message_ts=message_ts,
        title="Reject request",
        submit="Reject",
        blocks=[
            {
                "type": "section",
                "text": {"type": "mrkdwn", "text": f"Reject `{approval.action}`?"},
            },
            {
                "type": "input",
                "block_id": REASON_BLOCK,
                "label": {"type": "plain_text", "text": "Reason"},
                "element": {
                    "type": "plain_text_input",
                    "action_id": REASON_INPUT,
                    "multiline": True,
                    "max_length": 500,
                },
            },
        ],
    )


def edit_modal(
    approval: Approval, action: ActionSpec, *, channel_id: str | None, message_ts: str | None
) -> dict[str, Any]:
    """The modal to change the parameters (one input per parameter)."""
    blocks: list[dict[str, Any]] = []
    for spec in action.params:
        current = approval.params.get(spec.name)
        element: dict[str, Any] = {"type": "plain_text_input", "action_id": PARAM_INPUT}
        if current is not None:
            element["initial_value"] = (
                str(current).lower() if isinstance(current, bool) else str(current)
            )
        hint = ", ".join(spec.choices) if spec.choices else spec.description
        block: dict[str, Any] = {
            "type": "input",
            "block_id": f"{PARAM_BLOCK_PREFIX}{spec.name}",
            "label": {"type": "plain_text", "text": spec.name},
            "element": element,
            "optional": not spec.required,
        }
        if hint:
            block["hint"] = {"type": "plain_text", "text": hint[:150]}
        blocks.append(block)
    return _modal(
        EDIT_MODAL,
        approval,
        channel_id=channel_id,
        message_ts=message_ts,
        title="Edit parameters",
        submit="Save",
        blocks=blocks,
    )
