"""What interactivity leaves behind: trigger ids, open views and response_url hooks."""

from __future__ import annotations

from dataclasses import dataclass

from sandbox.ids import IdFactory
from sandbox.records import JSON

__all__ = ["Hook", "HookBook", "TriggerBook", "ViewBook"]

HOOK_USES = 5  # Slack accepts five posts to one response_url ...
HOOK_TTL = 30 * 60.0  # ... within thirty minutes


class TriggerBook:
    """Trigger ids the sandbox issued, each valid once and for ``ttl`` seconds.

    Args:
        ids: Where trigger ids and the clock come from.
        ttl: Seconds a trigger id stays valid (Slack: 3).
    """

    def __init__(self, ids: IdFactory, *, ttl: float = 3.0) -> None:
        self._ids = ids
        self.ttl = ttl
        self._issued: dict[str, float] = {}  # trigger id -> when issued
        self._used: set[str] = set()

    def issue(self) -> str:
        """A new trigger id (for a slash command or an interaction)."""
        trigger_id = self._ids.trigger_id()
        self._issued[trigger_id] = self._ids.now()
        return trigger_id

    def redeem(self, trigger_id: str) -> str | None:
        """Use a trigger id; returns Slack's error for a bad one, or None when it is good."""
        issued = self._issued.pop(trigger_id, None)
        if issued is None:
            return "exchanged_trigger_id" if trigger_id in self._used else "invalid_trigger_id"
        self._used.add(trigger_id)
        if self._ids.now() - issued > self.ttl:
            return "expired_trigger_id"
        return None


class ViewBook:
    """Views opened or published by the app, by id and by external id."""

    def __init__(self, ids: IdFactory, *, team_id: str, app_id: str, bot_id: str) -> None:
        self._ids = ids
        self._team_id = team_id
        self._app_id = app_id
        self._bot_id = bot_id
        self.views: dict[str, JSON] = {}
        self._external: dict[str, str] = {}
        self.home: dict[str, str] = {}  # user id -> their App Home view id

    def store(
        self,
        spec: JSON,
        *,
        view_id: str | None = None,
        root: str | None = None,
        team_id: str | None = None,
    ) -> JSON:
        """Store ``spec`` as a new view (or as a new version of ``view_id``) and return it;
        ``team_id``: the workspace whose token made the call (default: the sandbox's)."""
        view_id = view_id or self._ids.view_id()
        team_id = team_id or self._team_id
        previous = self.views.get(view_id)
        view: JSON = {
            "id": view_id,
            "team_id": team_id,
            "type": spec.get("type"),
            "blocks": spec.get("blocks", []),
            "private_metadata": spec.get("private_metadata", ""),
            "callback_id": spec.get("callback_id", ""),
            "state": {"values": {}},
            "hash": f"{int(self._ids.now())}.{self._ids.token(4)}",
            "title": spec.get("title"),
            "clear_on_close": bool(spec.get("clear_on_close", False)),
            "notify_on_close": bool(spec.get("notify_on_close", False)),
            "close": spec.get("close"),
            "submit": spec.get("submit"),
            "previous_view_id": None,
            "root_view_id": root or (previous or {}).get("root_view_id") or view_id,
            "app_id": self._app_id,
            "external_id": spec.get("external_id", ""),
            "app_installed_team_id": team_id,
            "bot_id": self._bot_id,
        }
        self.views[view_id] = view
        if view["external_id"]:
            self._external[view["external_id"]] = view_id
        return view

    def home_view(self, user: str) -> JSON | None:
        """The App Home view last published for ``user``, if any."""
        view_id = self.home.get(user)
        return None if view_id is None else self.views.get(view_id)

    def find(self, *, view_id: str | None = None, external_id: str | None = None) -> JSON | None:
        """A stored view by id or external id."""
        if view_id:
            return self.views.get(view_id)
        if external_id:
            found = self._external.get(external_id)
            return None if found is None else self.views.get(found)
        return None


@dataclass(slots=True)
class Hook:
    """A response_url the sandbox issued, and what posting to it acts upon.

    Attributes:
        id: The last part of its URL.
        channel: Where the interaction happened.
        user: Who interacted (sees the ephemeral answers).
        message_ts: The message whose button was clicked (for ``replace_original``).
        ephemeral: Whether that message is ephemeral.
        created: Clock seconds when issued.
        uses: Posts so far.
        last_ephemeral_ts: The ts of the last ephemeral answer posted through it.
    """

    id: str
    channel: str
    user: str
    message_ts: str | None = None
    ephemeral: bool = False
    created: float = 0.0
    uses: int = 0
    last_ephemeral_ts: str | None = None


class HookBook:
    """The response_url hooks the sandbox issued."""

    def __init__(self, ids: IdFactory) -> None:
        self._ids = ids
        self._hooks: dict[str, Hook] = {}

    def issue(
        self, *, channel: str, user: str, message_ts: str | None = None, ephemeral: bool = False
    ) -> Hook:
        """A new hook for an interaction by ``user`` in ``channel``."""
        hook = Hook(
            id=self._ids.token(12),
            channel=channel,
            user=user,
            message_ts=message_ts,
            ephemeral=ephemeral,
            created=self._ids.now(),
        )
        self._hooks[hook.id] = hook
        return hook

    def use(self, hook_id: str) -> Hook | str:
        """Count one post to a hook; returns it, or Slack's error for a bad one."""
        hook = self._hooks.get(hook_id)
        if hook is None or self._ids.now() - hook.created > HOOK_TTL:
            return "expired_url"
        if hook.uses >= HOOK_USES:
            return "used_url"
        hook.uses += 1
        return hook
