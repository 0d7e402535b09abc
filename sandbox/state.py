"""The workspace directory: team, users, channels and who is a member of what."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Literal

from sandbox.records import JSON

__all__ = ["Channel", "ChannelKind", "Directory", "User"]

ChannelKind = Literal["public", "private", "im", "mpim"]

_CHANNEL_TYPE: dict[ChannelKind, str] = {
    "public": "channel",
    "private": "group",
    "im": "im",
    "mpim": "mpim",
}
_CREATED = 1_700_000_000  # a fixed epoch so seeded objects look alike from run to run
_AVATAR = "https://a.slack-edge.com/80588/img/avatars/ava_0001-{}.png"


@dataclass(slots=True)
class User:
    """A workspace member (a human or the bot user)."""

    id: str
    name: str
    real_name: str
    is_bot: bool = False
    bot_id: str | None = None
    app_id: str | None = None
    email: str | None = None
    tz: str = "Europe/London"
    is_admin: bool = False
    deleted: bool = False

    def to_json(self, team_id: str) -> JSON:
        """The user object ``users.info`` answers with."""
        first, _, last = self.real_name.partition(" ")
        profile: JSON = {
            "title": "",
            "phone": "",
            "skype": "",
            "real_name": self.real_name,
            "real_name_normalized": self.real_name,
            "display_name": self.name,
            "display_name_normalized": self.name,
            "fields": None,
            "status_text": "",
            "status_emoji": "",
            "status_emoji_display_info": [],
            "status_expiration": 0,
            "avatar_hash": "g" + self.id[-10:].lower().rjust(10, "0"),
            "first_name": first,
            "last_name": last,
            "status_text_canonical": "",
            "team": team_id,
        }
        for size in (24, 32, 48, 72, 192, 512):
            profile[f"image_{size}"] = _AVATAR.format(size)
        if self.email is not None:
            profile["email"] = self.email
        if self.is_bot:
            profile["bot_id"] = self.bot_id
            profile["api_app_id"] = self.app_id
            profile["always_active"] = True
        return {
            "id": self.id,
            "team_id": team_id,
            "name": self.name,
            "deleted": self.deleted,
            "color": "9f69e7",
            "real_name": self.real_name,
            "tz": self.tz,
            "tz_label": "Greenwich Mean Time",
            "tz_offset": 0,
            "profile": profile,
            "is_admin": self.is_admin,
            "is_owner": False,
            "is_primary_owner": False,
            "is_restricted": False,
            "is_ultra_restricted": False,
            "is_bot": self.is_bot,
            "is_app_user": False,
            "updated": _CREATED,
            "is_email_confirmed": self.email is not None,
            "who_can_share_contact_card": "EVERYONE",
        }


@dataclass(slots=True)
class Channel:
    """A conversation: public or private channel, DM (im) or group DM (mpim)."""

    id: str
    name: str
    kind: ChannelKind
    members: set[str] = field(default_factory=set)
    creator: str = ""
    im_user: str | None = None
    is_general: bool = False
    is_archived: bool = False
    topic: str = ""
    purpose: str = ""

    @property
    def channel_type(self) -> str:
        """The ``channel_type`` of message events here (channel, group, im, mpim)."""
        return _CHANNEL_TYPE[self.kind]

    def to_json(self, *, team_id: str, viewer: str, num_members: bool = False) -> JSON:
        """The conversation object ``conversations.info`` answers with, as ``viewer`` sees it."""
        if self.kind == "im":
            return {
                "id": self.id,
                "created": _CREATED,
                "is_archived": False,
                "is_im": True,
                "is_org_shared": False,
                "context_team_id": team_id,
                "updated": _CREATED * 1000,
                "user": self.im_user,
                "is_user_deleted": False,
                "priority": 0,
                "last_read": "0000000000.000000",
            }
        legacy_group = self.kind == "private" and self.id.startswith("G")
        info: JSON = {
            "id": self.id,
            "name": self.name,
            "is_channel": not legacy_group and self.kind != "mpim",
            "is_group": legacy_group,
            "is_im": False,
            "is_mpim": self.kind == "mpim",
            "is_private": self.kind != "public",
            "created": _CREATED,
            "is_archived": self.is_archived,
            "is_general": self.is_general,
            "unlinked": 0,
            "name_normalized": self.name,
            "is_shared": False,
            "is_org_shared": False,
            "is_pending_ext_shared": False,
            "pending_shared": [],
            "context_team_id": team_id,
            "updated": _CREATED * 1000,
            "parent_conversation": None,
            "creator": self.creator,
            "is_ext_shared": False,
            "shared_team_ids": [team_id],
            "pending_connected_team_ids": [],
            "is_member": viewer in self.members,
            "last_read": "0000000000.000000",
            "topic": {"value": self.topic, "creator": "", "last_set": 0},
            "purpose": {"value": self.purpose, "creator": "", "last_set": 0},
            "previous_names": [],
        }
        if num_members:
            info["num_members"] = len(self.members)
        return info


class Directory:
    """Users, channels and user groups of the one sandbox workspace.

    Args:
        team_id: The workspace id.
        bot_user_id: The bot's user id.
        bot_id: The bot's bot id (``B...``).
        app_id: The app's id (``A...``).
        team_name: The workspace's display name.
        team_domain: The workspace's subdomain (``sandbox`` for ``sandbox.slack.com``).
    """

    def __init__(
        self,
        *,
        team_id: str,
        bot_user_id: str,
        bot_id: str,
        app_id: str,
        team_name: str = "Switchboard Sandbox",
        team_domain: str = "sandbox",
    ) -> None:
        self.team_id = team_id
        self.enterprise_id: str | None = None
        """The Enterprise Grid organization deliveries name (None: no Grid)."""
        self.org_wide = False
        """Deliveries say the app is installed org-wide."""
        self.team_name = team_name
        self.team_domain = team_domain
        self.bot_user_id = bot_user_id
        self.bot_id = bot_id
        self.app_id = app_id
        self.users: dict[str, User] = {}
        self.channels: dict[str, Channel] = {}
        self.usergroups: dict[str, JSON] = {}
        self._by_name: dict[str, str] = {}
        self._ims: dict[str, str] = {}
        bot = self.add_user(bot_user_id, "switchboard", real_name="Switchboard", is_bot=True)
        bot.bot_id, bot.app_id = bot_id, app_id

    @property
    def url(self) -> str:
        """The workspace URL (``https://sandbox.slack.com/``)."""
        return f"https://{self.team_domain}.slack.com/"

    def seed(self) -> None:
        """Create the standard workspace: alice, bob, carol; general, random, a private
        channel, and a DM between each of alice and bob and the bot."""
        humans = [("U0ALICE", "alice", "Alice Archer"), ("U0BOB", "bob", "Bob Baker")]
        humans.append(("U0CAROL", "carol", "Carol Chen"))
        for user_id, name, real_name in humans:
            self.add_user(user_id, name, real_name=real_name)
        everyone = [user_id for user_id, _, _ in humans]
        self.add_channel(
            "C0GENERAL", "general", members=[*everyone, self.bot_user_id], is_general=True
        )
        self.add_channel("C0RANDOM", "random", members=everyone)
        private_members = ["U0ALICE", self.bot_user_id]
        self.add_channel("G0PRIVATE", "private", private=True, members=private_members)
        self.add_im("U0ALICE", channel_id="D0ALICE")
        self.add_im("U0BOB", channel_id="D0BOB")

    def add_user(
        self,
        user_id: str,
        name: str,
        *,
        real_name: str | None = None,
        is_bot: bool = False,
        email: str | None = None,
        is_admin: bool = False,
    ) -> User:
        """Add (or replace) a user. Humans get ``<name>@sandbox.example`` as email by default."""
        if email is None and not is_bot:
            email = f"{name}@sandbox.example"
        user = User(
            id=user_id,
            name=name,
            real_name=real_name or name.title(),
            is_bot=is_bot,
            email=email,
            is_admin=is_admin,
        )
        self.users[user_id] = user
        return user

    def add_channel(
        self,
        channel_id: str,
        name: str,
        *,
        private: bool = False,
        members: Iterable[str] = (),
        is_general: bool = False,
    ) -> Channel:
        """Add (or replace) a public or private channel with the given members."""
        member_set = set(members)
        unknown = sorted(member_set - self.users.keys())
        if unknown:
            raise ValueError(f"unknown members {unknown!r} for channel {channel_id!r}")
        channel = Channel(
            id=channel_id,
            name=name,
            kind="private" if private else "public",
            members=member_set,
            creator=next(iter(sorted(member_set)), ""),
            is_general=is_general,
        )
        self.channels[channel_id] = channel
        self._by_name[name] = channel_id
        return channel

    def add_im(self, user_id: str, *, channel_id: str | None = None) -> Channel:
        """The DM between ``user_id`` and the bot, created if it does not exist yet."""
        existing = self._ims.get(user_id)
        if existing is not None:
            return self.channels[existing]
        if user_id not in self.users:
            raise ValueError(f"unknown user {user_id!r}")
        channel_id = channel_id or "D0" + user_id.removeprefix("U0").removeprefix("U")
        channel = Channel(
            id=channel_id,
            name=user_id,
            kind="im",
            members={user_id, self.bot_user_id},
            creator=user_id,
            im_user=user_id,
        )
        self.channels[channel_id] = channel
        self._ims[user_id] = channel_id
        return channel

    def add_usergroup(self, group_id: str, handle: str, users: Iterable[str]) -> JSON:
        """Add (or replace) a user group (``S...``) with the given members."""
        group: JSON = {
            "id": group_id,
            "team_id": self.team_id,
            "is_usergroup": True,
            "is_subteam": True,
            "name": handle.title(),
            "description": "",
            "handle": handle,
            "is_external": False,
            "date_create": _CREATED,
            "date_update": _CREATED,
            "date_delete": 0,
            "auto_type": None,
            "auto_provision": False,
            "enterprise_subteam_id": "",
            "created_by": "U0ALICE",
            "updated_by": "U0ALICE",
            "deleted_by": None,
            "prefs": {"channels": [], "groups": []},
            "users": list(users),
            "user_count": 0,
        }
        group["user_count"] = len(group["users"])
        self.usergroups[group_id] = group
        return group

    def resolve_channel(self, ref: str) -> Channel | None:
        """A channel by id, by name (``general`` or ``#general``), or a user id's DM."""
        channel = self.channels.get(ref)
        if channel is not None:
            return channel
        by_name = self._by_name.get(ref.removeprefix("#"))
        if by_name is not None:
            return self.channels[by_name]
        if ref in self.users and ref != self.bot_user_id:
            return self.add_im(ref)
        return None

    def bot_profile(self) -> JSON:
        """The ``bot_profile`` object Slack attaches to the app's messages."""
        return {
            "id": self.bot_id,
            "deleted": False,
            "name": self.users[self.bot_user_id].real_name,
            "updated": _CREATED,
            "app_id": self.app_id,
            "icons": {
                "image_36": _AVATAR.format(36),
                "image_48": _AVATAR.format(48),
                "image_72": _AVATAR.format(72),
            },
            "team_id": self.team_id,
            "user_id": self.bot_user_id,
        }
