"""The sandbox's whole Slack-side state, bundled for the Web API handlers and the driver."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from sandbox.assistant import AssistantBook
from sandbox.envelopes import EnvelopeBuilder
from sandbox.ids import IdFactory
from sandbox.interactivity import HookBook, TriggerBook, ViewBook
from sandbox.messages import MessageStore
from sandbox.oauth import InstallPlan, OAuthBook
from sandbox.records import JSON
from sandbox.richtext import rich_text_blocks
from sandbox.state import Channel, Directory
from sandbox.streams import DEFAULT_TTL, StreamBook

__all__ = ["Workspace"]


@dataclass(slots=True)
class Workspace:
    """Directory, messages, streams, the AI-app state, interactivity and payload builders of
    one sandbox workspace."""

    directory: Directory
    ids: IdFactory
    envelopes: EnvelopeBuilder
    triggers: TriggerBook
    views: ViewBook
    hooks: HookBook
    streams: StreamBook
    assistant: AssistantBook
    oauth: OAuthBook
    store: MessageStore = field(default_factory=MessageStore)
    base_url: str = ""

    @classmethod
    def create(
        cls,
        *,
        team_id: str,
        bot_user_id: str,
        bot_id: str,
        app_id: str,
        verification_token: str,
        trigger_ttl: float = 3.0,
        stream_ttl: float = DEFAULT_TTL,
        clock: Callable[[], float] = time.time,
    ) -> Workspace:
        """A seeded workspace (alice, bob, carol, #general, #random, a private channel, DMs)."""
        directory = Directory(
            team_id=team_id, bot_user_id=bot_user_id, bot_id=bot_id, app_id=app_id
        )
        directory.seed()
        ids = IdFactory(clock=clock)
        return cls(
            directory=directory,
            ids=ids,
            envelopes=EnvelopeBuilder(directory, ids, verification_token=verification_token),
            triggers=TriggerBook(ids, ttl=trigger_ttl),
            views=ViewBook(ids, team_id=team_id, app_id=app_id, bot_id=bot_id),
            hooks=HookBook(ids),
            streams=StreamBook(ids.now, ttl=stream_ttl),
            assistant=AssistantBook(ids.now),
            oauth=OAuthBook(
                clock=clock,
                app_id=app_id,
                bot_user_id=bot_user_id,
                default_plan=InstallPlan(team_id, directory.team_name),
            ),
        )

    def human_message(self, *, user: str, text: str) -> JSON:
        """A new message from a human, shaped as Slack stores it (not stored yet)."""
        return {
            "user": user,
            "type": "message",
            "ts": self.ids.ts(),
            "client_msg_id": self.ids.uuid(),
            "text": text,
            "team": self.directory.team_id,
            "blocks": rich_text_blocks(text, block_id=self.ids.block_id()),
        }

    def bot_message(
        self,
        *,
        text: str,
        blocks: list[JSON] | None = None,
        attachments: list[JSON] | None = None,
        metadata: JSON | None = None,
    ) -> JSON:
        """A new message from the app's bot user, shaped as Slack stores it (not stored yet)."""
        d = self.directory
        message: JSON = {
            "user": d.bot_user_id,
            "type": "message",
            "ts": self.ids.ts(),
            "bot_id": d.bot_id,
            "app_id": d.app_id,
            "text": text,
            "team": d.team_id,
            "bot_profile": d.bot_profile(),
        }
        if blocks:
            message["blocks"] = blocks
        elif text and not attachments:
            message["blocks"] = rich_text_blocks(text, block_id=self.ids.block_id())
        if attachments:
            message["attachments"] = attachments
        if metadata is not None:
            message["metadata"] = metadata
        return message

    def channel(self, channel_id: str) -> Channel:
        """A channel by id or name.

        Raises:
            ValueError: no such channel.
        """
        channel = self.directory.resolve_channel(channel_id)
        if channel is None:
            raise ValueError(f"unknown channel {channel_id!r}")
        return channel

    def permalink(self, channel: str, ts: str, *, thread_ts: str | None = None) -> str:
        """The permalink of a message (with ``thread_ts`` and ``cid`` for a reply)."""
        link = f"{self.directory.url}archives/{channel}/p{ts.replace('.', '')}"
        if thread_ts and thread_ts != ts:
            link += f"?thread_ts={thread_ts}&cid={channel}"
        return link
