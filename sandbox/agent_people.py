"""What people do on an agent app's AI surface, delivered to the bot as Slack would: open the
agent's DM, open an assistant thread, look at another channel, click Stop on a working
session, click a native feedback button.

Payloads come from :mod:`sandbox.agent_events` and :func:`sandbox.humans.give_feedback`;
:class:`AgentPeople` is the part of :class:`sandbox.people.People` that sends them.
"""

from __future__ import annotations

from collections.abc import Callable

from sandbox import agent_events, humans
from sandbox.driver import BotDriver
from sandbox.records import JSON, Delivery, SentMessage, Via
from sandbox.workspace import Workspace

__all__ = ["AgentPeople"]


class AgentPeople:
    """The AI-surface actions of :class:`sandbox.people.People` (same defaults: ``U0ALICE``,
    ``C0GENERAL``, the driver's delivery)."""

    _workspace: Workspace
    _driver: BotDriver

    async def open_agent_dm(
        self, *, user: str = "U0ALICE", context_channel: str | None = None, via: Via | None = None
    ) -> Delivery:
        """``user`` opens the agent's DM (its Messages tab) while viewing
        ``context_channel``: deliver ``app_home_opened`` with ``tab: "messages"``."""
        return await self._dm_event(
            agent_events.app_home_messages_opened, user, context_channel, via
        )

    async def _dm_event(
        self,
        build: Callable[..., JSON],
        user: str,
        context_channel: str | None,
        via: Via | None,
    ) -> Delivery:
        """Deliver the event ``build`` makes for ``user``'s DM with the agent and what they
        view (``context_channel``)."""
        ws = self._workspace
        event = build(
            user=user,
            channel=ws.directory.add_im(user).id,
            context=agent_events.entities_context(ws.directory.team_id, context_channel),
            event_ts=ws.ids.action_ts(),
        )
        return await self._driver.send_event(event, via=via)

    async def start_assistant_thread(
        self, *, user: str = "U0ALICE", context_channel: str | None = None, via: Via | None = None
    ) -> SentMessage:
        """``user`` opens a new assistant thread in the split view: Slack starts the thread
        in their DM with the app and delivers ``assistant_thread_started``.

        Returns:
            The thread's root (``ts``) in the DM and the delivery.
        """
        ws = self._workspace
        dm = ws.directory.add_im(user)
        root = ws.human_message(user=user, text="")
        root.update(subtype="assistant_app_thread", assistant_app_thread={"title": ""})
        root.pop("blocks", None)
        ws.store.add(dm.id, root)
        delivery = await self._send_thread_event(
            "assistant_thread_started", user, dm.id, str(root["ts"]), context_channel, via
        )
        return SentMessage(str(root["ts"]), dm.id, None, (delivery,))

    async def change_thread_context(
        self,
        thread_ts: str,
        context_channel: str | None,
        *,
        user: str = "U0ALICE",
        via: Via | None = None,
    ) -> Delivery:
        """``user`` views ``context_channel`` while the assistant thread ``thread_ts`` is
        open: deliver ``assistant_thread_context_changed``."""
        dm = self._workspace.directory.add_im(user)
        return await self._send_thread_event(
            "assistant_thread_context_changed", user, dm.id, thread_ts, context_channel, via
        )

    async def _send_thread_event(
        self,
        kind: str,
        user: str,
        channel: str,
        thread_ts: str,
        context_channel: str | None,
        via: Via | None,
    ) -> Delivery:
        ws = self._workspace
        event = agent_events.assistant_thread_event(
            kind,
            user=user,
            channel=channel,
            thread_ts=thread_ts,
            team_id=ws.directory.team_id,
            context_channel=context_channel,
            event_ts=ws.ids.action_ts(),
        )
        return await self._driver.send_event(event, via=via)

    async def change_app_context(
        self, context_channel: str | None, *, user: str = "U0ALICE", via: Via | None = None
    ) -> Delivery:
        """What ``user`` views changes while the agent is visible (``agent_view``): deliver
        ``app_context_changed`` (an empty context when ``context_channel`` is None)."""
        return await self._dm_event(agent_events.app_context_changed, user, context_channel, via)

    async def stop(
        self,
        thread_ts: str,
        *,
        user: str = "U0ALICE",
        channel: str = "C0GENERAL",
        via: Via | None = None,
    ) -> Delivery:
        """``user`` clicks Stop on the thread's agent session: Slack stops the thread's
        streams (appends are then ``stopped_by_user``) and delivers ``agent_session_stopped``
        listing them. The session's status stays as it is: the app moves it on.

        Raises:
            ValueError: no such thread, or its session is not ``processing`` (Slack shows
                the Stop button only then; the app sets it with agents.sessions.setStatus).
        """
        ws = self._workspace
        target = ws.channel(channel)
        root = ws.store.thread_root(target.id, thread_ts)
        if root is None:
            raise ValueError(f"no thread {thread_ts!r} in {target.id!r}")
        session = ws.assistant.session(target.id, root)
        if session is None or session.status != "processing":
            state = "no agent session" if session is None else f"session {session.status!r}"
            raise ValueError(f"no Stop button in thread {root!r} of {target.id!r}: {state}")
        stopped = ws.streams.stop_by_user(target.id, root, user)
        event = agent_events.agent_session_stopped(
            user=user,
            channel=target.id,
            thread_ts=root,
            streaming=stopped,
            event_ts=ws.ids.action_ts(),
        )
        return await self._driver.send_event(event, via=via)

    async def give_feedback(
        self,
        message_ts: str,
        *,
        positive: bool,
        user: str = "U0ALICE",
        channel: str = "C0GENERAL",
        action_id: str | None = None,
        value: str | None = None,
        via: Via | None = None,
    ) -> Delivery:
        """``user`` clicks 👍 (``positive``) or 👎 on a message's native feedback buttons:
        deliver the ``block_actions`` payload with the button's value (``value``: a forged
        one instead).

        Raises:
            ValueError: no such message, or it has no feedback buttons.
        """
        payload: JSON = humans.give_feedback(
            self._workspace,
            message_ts=message_ts,
            positive=positive,
            user=user,
            channel=channel,
            action_id=action_id,
            value=value,
        )
        return await self._driver.send_interaction(payload, via=via)
