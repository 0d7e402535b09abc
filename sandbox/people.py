"""The workspace's people acting: each action is stored where Slack stores it and delivered
to the bot through the driver, as Slack would after a person posts, clicks or submits.

The payloads come from :mod:`sandbox.humans` (pure builders, usable alone to replay a
payload); delivery is the :class:`~sandbox.driver.BotDriver`'s job.
"""

from __future__ import annotations

from sandbox import humans
from sandbox.agent_people import AgentPeople
from sandbox.driver import BotDriver
from sandbox.records import JSON, Delivery, SentMessage, Via
from sandbox.workspace import Workspace

__all__ = ["People"]


class People(AgentPeople):
    """What alice, bob and the others do, delivered to the bot.

    Every action defaults to ``U0ALICE`` in ``C0GENERAL`` and to the driver's delivery
    (``via``: ``http`` or ``socket``). The AI-surface actions (open the agent DM, Stop,
    native feedback) come from :class:`sandbox.agent_people.AgentPeople`.

    Args:
        workspace: Where messages are stored and payloads are built from.
        driver: Delivers the resulting events and payloads.
    """

    def __init__(self, workspace: Workspace, driver: BotDriver) -> None:
        self._workspace = workspace
        self._driver = driver

    async def say(
        self,
        text: str,
        *,
        user: str = "U0ALICE",
        channel: str = "C0GENERAL",
        thread_ts: str | None = None,
        via: Via | None = None,
    ) -> SentMessage:
        """``user`` posts ``text``: store it and deliver the events Slack would send the bot.

        Raises:
            ValueError: unknown user or channel, the user is not a member, or ``thread_ts``
                is not a message in the channel.
        """
        posted = humans.post(
            self._workspace,
            text=text,
            user=user,
            channel=channel,
            thread_ts=thread_ts,
            subscriptions=self._driver.subscriptions,
        )
        deliveries = [await self._driver.send_event(event, via=via) for event in posted.events]
        ts = str(posted.message["ts"])
        return SentMessage(ts, posted.channel.id, posted.thread_ts, tuple(deliveries))

    async def run_command(
        self,
        command: str = "/ops",
        text: str = "",
        *,
        user: str = "U0ALICE",
        channel: str = "C0GENERAL",
        via: Via | None = None,
    ) -> Delivery:
        """``user`` runs a slash command: deliver Slack's form, with a live response_url.

        Raises:
            ValueError: unknown user or channel.
        """
        fields = humans.run_command(
            self._workspace, command=command, text=text, user=user, channel=channel
        )
        return await self._driver.send_command(fields, via=via)

    async def click(
        self,
        message_ts: str,
        action_id: str,
        *,
        value: str | None = None,
        user: str = "U0ALICE",
        channel: str = "C0GENERAL",
        via: Via | None = None,
    ) -> Delivery:
        """``user`` clicks ``action_id`` in a stored (channel or ephemeral) message: deliver
        the ``block_actions`` payload (``value``: default the element's own).

        Raises:
            ValueError: no such message or element.
        """
        payload = humans.click(
            self._workspace,
            message_ts=message_ts,
            action_id=action_id,
            value=value,
            user=user,
            channel=channel,
        )
        return await self._driver.send_interaction(payload, via=via)

    async def click_in_view(
        self,
        view_id: str,
        action_id: str,
        *,
        value: str | None = None,
        user: str = "U0ALICE",
        via: Via | None = None,
    ) -> Delivery:
        """``user`` clicks ``action_id`` in an opened or published view: deliver it.

        Raises:
            ValueError: no such view or element.
        """
        payload = humans.click_in_view(
            self._workspace, view_id=view_id, action_id=action_id, value=value, user=user
        )
        return await self._driver.send_interaction(payload, via=via)

    async def submit_view(
        self,
        view_id: str,
        values: JSON | None = None,
        *,
        user: str = "U0ALICE",
        via: Via | None = None,
    ) -> Delivery:
        """``user`` submits an opened view with state ``values``: deliver the
        ``view_submission`` payload (the bot's answer, e.g. ``response_action``, is the
        delivery's body).

        Raises:
            ValueError: no such view.
        """
        payload = humans.submit_view(self._workspace, view_id=view_id, values=values, user=user)
        return await self._driver.send_interaction(payload, via=via)

    async def react(
        self,
        message_ts: str,
        reaction: str = "pushpin",
        *,
        user: str = "U0ALICE",
        channel: str = "C0GENERAL",
        via: Via | None = None,
    ) -> Delivery | None:
        """``user`` adds ``reaction`` to a stored message: deliver ``reaction_added`` (None:
        Slack sends the app nothing, see :func:`sandbox.humans.react`).

        Raises:
            ValueError: unknown channel or message, or the user is not a member.
        """
        event = humans.react(
            self._workspace,
            message_ts=message_ts,
            reaction=reaction,
            user=user,
            channel=channel,
            subscriptions=self._driver.subscriptions,
        )
        return None if event is None else await self._driver.send_event(event, via=via)

    async def pin(
        self,
        message_ts: str,
        *,
        user: str = "U0ALICE",
        channel: str = "C0GENERAL",
        via: Via | None = None,
    ) -> Delivery | None:
        """``user`` pins a stored message: deliver ``pin_added`` (None: not subscribed).

        Raises:
            ValueError: unknown channel or message, or the user is not a member.
        """
        event = humans.pin(
            self._workspace,
            message_ts=message_ts,
            user=user,
            channel=channel,
            subscriptions=self._driver.subscriptions,
        )
        return None if event is None else await self._driver.send_event(event, via=via)

    async def open_home(self, *, user: str = "U0ALICE", via: Via | None = None) -> Delivery:
        """``user`` opens the app's Home tab: deliver ``app_home_opened`` (with the view
        last published for them, if any)."""
        channel = self._workspace.directory.add_im(user).id
        event = self._workspace.envelopes.app_home_opened_event(
            user=user, channel=channel, view=self._workspace.views.home_view(user)
        )
        return await self._driver.send_event(event, via=via)
