"""Building the payloads Slack sends an app: Events API envelopes, message and app_mention
events, slash command forms, interactivity payloads and Socket Mode envelopes."""

from __future__ import annotations

import base64
import json
from typing import Literal

from sandbox.ids import IdFactory
from sandbox.records import JSON
from sandbox.state import Channel, Directory

__all__ = ["EnvelopeBuilder", "SocketKind", "action_payload", "find_action"]

SocketKind = Literal["events_api", "slash_commands", "interactive"]

# Keys of a stored message that its message event carries, in Slack's order.
_EVENT_KEYS = (
    "subtype",
    "user",
    "bot_id",
    "app_id",
    "type",
    "ts",
    "client_msg_id",
    "text",
    "team",
    "bot_profile",
    "thread_ts",
    "parent_user_id",
    "root",
    "blocks",
    "attachments",
    "metadata",
    "edited",
)
# Thread bookkeeping that a message event does not carry (it describes later replies).
_THREAD_STATE = ("reply_count", "reply_users", "reply_users_count", "latest_reply", "reactions")


class EnvelopeBuilder:
    """Builds Slack's payloads for the sandbox's workspace.

    Args:
        directory: The workspace's users and channels.
        ids: Where event ids and trigger ids come from.
        verification_token: The legacy ``token`` field of every payload.
    """

    def __init__(self, directory: Directory, ids: IdFactory, *, verification_token: str) -> None:
        self._dir = directory
        self._ids = ids
        self.verification_token = verification_token

    def _event_context(self, event: JSON) -> str:
        context = {
            "et": event.get("type"),
            "tid": self._dir.team_id,
            "aid": self._dir.app_id,
            "cid": event.get("channel"),
        }
        encoded = base64.urlsafe_b64encode(json.dumps(context, separators=(",", ":")).encode())
        return "4-" + encoded.decode().rstrip("=")

    def event_callback(
        self,
        event: JSON,
        *,
        event_id: str | None = None,
        event_time: int | None = None,
        org_level: bool = False,
    ) -> JSON:
        """Wrap ``event`` in an ``event_callback`` envelope, as Slack POSTs it
        (``org_level``: an event of the organization, to its org-wide install, naming no
        workspace, as ``team_access_granted`` is)."""
        d = self._dir
        grid = {} if d.enterprise_id is None else {"enterprise_id": d.enterprise_id}
        team = None if org_level else d.team_id
        return {
            "token": self.verification_token,
            **grid,
            "team_id": team,
            "context_team_id": team,
            "context_enterprise_id": d.enterprise_id,
            "api_app_id": d.app_id,
            "event": event,
            "type": "event_callback",
            "event_id": event_id or self._ids.event_id(),
            "event_time": int(self._ids.now()) if event_time is None else event_time,
            "authorizations": [
                {
                    "enterprise_id": d.enterprise_id,
                    "team_id": None if d.org_wide or org_level else d.team_id,
                    "user_id": d.bot_user_id,
                    "is_bot": True,
                    "is_enterprise_install": d.org_wide or org_level,
                }
            ],
            "is_ext_shared_channel": False,
            "event_context": self._event_context(event),
        }

    def url_verification(self, challenge: str) -> JSON:
        """The ``url_verification`` handshake body."""
        return {
            "token": self.verification_token,
            "challenge": challenge,
            "type": "url_verification",
        }

    @staticmethod
    def message_event(message: JSON, channel: Channel) -> JSON:
        """The ``message`` event for a newly stored message in ``channel``."""
        event = {key: message[key] for key in _EVENT_KEYS if key in message}
        event["channel"] = channel.id
        event["event_ts"] = message["ts"]
        event["channel_type"] = channel.channel_type
        return event

    @staticmethod
    def app_mention_event(message: JSON, channel: Channel) -> JSON:
        """The ``app_mention`` event for a stored message that mentions the bot."""
        event: JSON = {"type": "app_mention"}
        for key in ("user", "ts", "client_msg_id", "text", "team", "thread_ts", "blocks"):
            if key in message:
                event[key] = message[key]
        event["channel"] = channel.id
        event["event_ts"] = message["ts"]
        return event

    def message_changed_event(self, before: JSON, after: JSON, channel: Channel) -> JSON:
        """The ``message_changed`` event for an edited message."""

        def strip(message: JSON) -> JSON:
            return {k: v for k, v in message.items() if k not in _THREAD_STATE}

        stamp = self._ids.ts()
        return {
            "type": "message",
            "subtype": "message_changed",
            "message": strip(after),
            "previous_message": strip(before),
            "channel": channel.id,
            "hidden": True,
            "ts": stamp,
            "event_ts": stamp,
            "channel_type": channel.channel_type,
        }

    def slash_command(
        self,
        *,
        command: str,
        text: str,
        user: str,
        channel: Channel,
        response_url: str,
        trigger_id: str,
    ) -> dict[str, str]:
        """The form fields of a slash command invocation, in Slack's order."""
        d = self._dir
        if channel.kind == "im":
            channel_name = "directmessage"
        elif channel.kind == "mpim":
            channel_name = "mpdm"
        else:
            channel_name = channel.name
        return {
            "token": self.verification_token,
            "team_id": d.team_id,
            "team_domain": d.team_domain,
            "channel_id": channel.id,
            "channel_name": channel_name,
            "user_id": user,
            "user_name": d.users[user].name,
            "command": command,
            "text": text,
            "api_app_id": d.app_id,
            **self._command_grid(),
            "response_url": response_url,
            "trigger_id": trigger_id,
        }

    def _user_ref(self, user: str) -> JSON:
        name = self._dir.users[user].name
        return {"id": user, "username": name, "name": name, "team_id": self._dir.team_id}

    def _team_ref(self) -> JSON:
        team: JSON = {"id": self._dir.team_id, "domain": self._dir.team_domain}
        if self._dir.enterprise_id is not None:
            team["enterprise_id"] = self._dir.enterprise_id
        return team

    def _grid(self) -> JSON:
        """An interactivity payload's organization and org-wide install (Enterprise Grid)."""
        enterprise = self._dir.enterprise_id
        return {
            "enterprise": None if enterprise is None else {"id": enterprise, "name": enterprise},
            "is_enterprise_install": self._dir.org_wide,
        }

    def _command_grid(self) -> dict[str, str]:
        """A slash command's organization fields (form fields are strings)."""
        enterprise = self._dir.enterprise_id
        grid = {"is_enterprise_install": "true" if self._dir.org_wide else "false"}
        if enterprise is not None:
            grid |= {"enterprise_id": enterprise, "enterprise_name": enterprise}
        return grid

    def block_actions(
        self,
        *,
        user: str,
        channel: Channel,
        message: JSON,
        action: JSON,
        response_url: str,
        trigger_id: str,
        is_ephemeral: bool = False,
    ) -> JSON:
        """A ``block_actions`` payload for a click on ``action`` in a message."""
        container: JSON = {
            "type": "message",
            "message_ts": message["ts"],
            "channel_id": channel.id,
            "is_ephemeral": is_ephemeral,
        }
        if "thread_ts" in message:
            container["thread_ts"] = message["thread_ts"]
        payload: JSON = {
            "type": "block_actions",
            "user": self._user_ref(user),
            "api_app_id": self._dir.app_id,
            "token": self.verification_token,
            "container": container,
            "trigger_id": trigger_id,
            "team": self._team_ref(),
            **self._grid(),
            "channel": {"id": channel.id, "name": channel.name},
        }
        if not is_ephemeral:
            payload["message"] = {k: v for k, v in message.items() if k != "metadata"}
        payload["state"] = {"values": {}}
        payload["response_url"] = response_url
        payload["actions"] = [action]
        return payload

    def view_block_actions(self, *, user: str, view: JSON, action: JSON, trigger_id: str) -> JSON:
        """A ``block_actions`` payload for a click on ``action`` in a view (App Home or modal):
        the container names the view, and there is no channel, message or response_url."""
        return {
            "type": "block_actions",
            "user": self._user_ref(user),
            "api_app_id": self._dir.app_id,
            "token": self.verification_token,
            "container": {"type": "view", "view_id": view["id"]},
            "trigger_id": trigger_id,
            "team": self._team_ref(),
            **self._grid(),
            "view": view,
            "state": {"values": {}},
            "actions": [action],
        }

    def app_home_opened_event(self, *, user: str, channel: str, view: JSON | None) -> JSON:
        """The ``app_home_opened`` event of ``user`` opening the app's Home tab."""
        event: JSON = {
            "type": "app_home_opened",
            "user": user,
            "channel": channel,
            "tab": "home",
            "event_ts": self._ids.action_ts(),
        }
        if view is not None:
            event["view"] = view
        return event

    def reaction_added_event(
        self, *, user: str, reaction: str, message: JSON, channel: str
    ) -> JSON:
        """The ``reaction_added`` event of ``user`` reacting to a stored message
        (https://docs.slack.dev/reference/events/reaction_added)."""
        return {
            "type": "reaction_added",
            "user": user,
            "reaction": reaction,
            "item_user": message.get("user") or message.get("bot_id") or "",
            "item": {"type": "message", "channel": channel, "ts": message["ts"]},
            "event_ts": self._ids.action_ts(),
        }

    def pin_added_event(self, *, user: str, message: JSON, channel: str) -> JSON:
        """The ``pin_added`` event of ``user`` pinning a stored message: the item carries
        the whole message (https://docs.slack.dev/reference/events/pin_added)."""
        stamp = self._ids.action_ts()
        return {
            "type": "pin_added",
            "user": user,
            "channel_id": channel,
            "item": {
                "type": "message",
                "channel": channel,
                "message": {k: v for k, v in message.items() if k != "metadata"},
                "created": int(float(stamp)),
                "created_by": user,
            },
            "item_user": message.get("user") or message.get("bot_id") or "",
            "pin_count": 1,
            "pinned_info": {"channel": channel, "pinned_by": user, "pinned_ts": int(float(stamp))},
            "event_ts": stamp,
        }

    def view_submission(self, *, user: str, view: JSON, values: JSON, trigger_id: str) -> JSON:
        """A ``view_submission`` payload for ``view`` submitted with state ``values``."""
        return {
            "type": "view_submission",
            "team": self._team_ref(),
            "user": self._user_ref(user),
            "api_app_id": self._dir.app_id,
            "token": self.verification_token,
            "trigger_id": trigger_id,
            "view": {**view, "state": {"values": values}},
            "response_urls": [],
            **self._grid(),
        }

    def socket_envelope(
        self,
        kind: SocketKind,
        payload: JSON,
        *,
        retry_attempt: int = 0,
        retry_reason: str = "",
    ) -> JSON:
        """Wrap ``payload`` in a Socket Mode envelope with a fresh ``envelope_id``."""
        accepts = kind == "slash_commands" or (
            kind == "interactive" and payload.get("type") in {"view_submission", "block_suggestion"}
        )
        envelope: JSON = {
            "envelope_id": self._ids.uuid(),
            "payload": payload,
            "type": kind,
            "accepts_response_payload": accepts,
        }
        if kind == "events_api":
            envelope["retry_attempt"] = retry_attempt
            envelope["retry_reason"] = retry_reason
        return envelope


def find_action(message: JSON, action_id: str, *, block_id: str | None = None) -> tuple[str, JSON]:
    """The block id and element of the interactive element ``action_id`` in ``message``.

    Looks in ``actions`` and ``context_actions`` blocks' elements, section accessories and
    input elements.

    Raises:
        ValueError: no such element.
    """
    for block in message.get("blocks") or []:
        if block_id is not None and block.get("block_id") != block_id:
            continue
        holds_elements = block.get("type") in {"actions", "context_actions"}
        candidates = list(block.get("elements") or []) if holds_elements else []
        for key in ("accessory", "element"):
            if isinstance(block.get(key), dict):
                candidates.append(block[key])
        for element in candidates:
            if isinstance(element, dict) and element.get("action_id") == action_id:
                return str(block.get("block_id", "")), element
    raise ValueError(f"no element with action_id {action_id!r} in message {message.get('ts')!r}")


def action_payload(element: JSON, *, block_id: str, value: str | None, action_ts: str) -> JSON:
    """The ``actions[0]`` entry of a ``block_actions`` payload for a click on ``element``."""
    kind = element.get("type", "button")
    action: JSON = {"action_id": element.get("action_id"), "block_id": block_id}
    if kind == "users_select":
        if not value:
            raise ValueError(f"pick a user for {element.get('action_id')!r} (value)")
        action["selected_user"] = value
    elif kind in {"static_select", "overflow", "radio_buttons"}:
        options = element.get("options") or []
        chosen = next((o for o in options if value is None or o.get("value") == value), None)
        if chosen is None:
            raise ValueError(f"no option {value!r} in {element.get('action_id')!r}")
        action["selected_option"] = chosen
    else:
        if "text" in element:
            action["text"] = element["text"]
        action["value"] = element.get("value") if value is None else value
        if "style" in element:
            action["style"] = element["style"]
    action["type"] = kind
    action["action_ts"] = action_ts
    return action
