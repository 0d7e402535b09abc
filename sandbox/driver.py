"""Slack's side of the conversation with the bot: delivering events, slash commands and
interactions over HTTP (signed) or Socket Mode, and echoing the bot's own posts.

What the workspace's people do (post, click, submit) is :mod:`sandbox.people`; it builds
the payloads and hands them to this driver.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from urllib.parse import urlencode

import structlog

from sandbox import humans
from sandbox.delivery import HttpDeliverer
from sandbox.envelopes import SocketKind
from sandbox.records import JSON, Delivery, SignatureMode, Via
from sandbox.socket_mode import SocketHub
from sandbox.state import Channel
from sandbox.workspace import Workspace

__all__ = ["DEFAULT_SUBSCRIPTIONS", "BotDriver"]

log = structlog.get_logger(__name__)

DEFAULT_SUBSCRIPTIONS = frozenset(
    {
        "app_mention",
        "message.channels",
        "message.groups",
        "message.im",
        "reaction_added",
        "pin_added",
    }
)
"""The bot events Switchboard subscribes to."""

_FORM = "application/x-www-form-urlencoded"
_DEFAULT_CHALLENGE = "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P"


class BotDriver:
    """Delivers to the bot what Slack would, and reports what became of each delivery.

    Args:
        workspace: The Slack-side state payloads are built from.
        http: Posts signed payloads to ``request_url`` (the driver opens and closes it).
        socket: The Socket Mode server side, for Socket Mode deliveries (its owner, the
            sandbox, closes it).
        request_url: The bot's endpoint for HTTP deliveries (settable later).
        delivery: How payloads reach the bot when a call does not say (``via``).
        subscriptions: The bot events the app subscribes to.
        echo_bot_messages: Deliver the events of the bot's own posts and edits.
        socket_ack_timeout: Seconds to wait for a Socket Mode ack.
    """

    def __init__(
        self,
        workspace: Workspace,
        *,
        http: HttpDeliverer,
        socket: SocketHub,
        request_url: str | None = None,
        delivery: Via = "http",
        subscriptions: Iterable[str] = DEFAULT_SUBSCRIPTIONS,
        echo_bot_messages: bool = False,
        socket_ack_timeout: float = 5.0,
    ) -> None:
        self._workspace = workspace
        self.request_url = request_url
        self.delivery: Via = delivery
        self.subscriptions = frozenset(subscriptions)
        self.echo_bot_messages = echo_bot_messages
        self.socket_ack_timeout = socket_ack_timeout
        self._http = http
        self._socket = socket
        self._deliveries: list[Delivery] = []
        self._tasks: set[asyncio.Task[None]] = set()
        self._running = False
        self._stopped = False
        self.replica_urls: list[str] = []
        self._fan_out = 1
        self._next_replica = 0

    def deliver_to_replicas(self, urls: Sequence[str], *, fan_out: int = 2) -> None:
        """Scale-out mode: every HTTP delivery goes to ``fan_out`` of ``urls`` at once (taken
        in turn), as when Slack's retry or a load balancer hands one event to two replicas.
        The first answer is returned; every one is recorded in :attr:`deliveries`."""
        self.replica_urls = list(urls)
        self._fan_out = max(1, min(fan_out, len(self.replica_urls)))

    def _targets(self) -> list[str]:
        if not self.replica_urls:
            if self.request_url is None:
                raise RuntimeError("set request_url (the bot's endpoint) before delivering")
            return [self.request_url]
        start = self._next_replica
        self._next_replica = (start + 1) % len(self.replica_urls)
        count = len(self.replica_urls)
        return [self.replica_urls[(start + n) % count] for n in range(self._fan_out)]

    async def start(self) -> None:
        """Open the HTTP client; deliveries are refused before this and after :meth:`close`."""
        await self._http.start()
        self._running = True

    async def close(self) -> None:
        """Cancel echo deliveries still under way, refuse new ones and close the HTTP client.
        Idempotent."""
        self._stopped = True
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self._http.close()

    def _require_started(self) -> None:
        if not self._running or self._stopped:
            raise RuntimeError("the sandbox is not running: call start() first")

    # -- delivering ------------------------------------------------------------------------

    @property
    def deliveries(self) -> list[Delivery]:
        """Every delivery to the bot so far (echoes included), in order."""
        return list(self._deliveries)

    async def _deliver(
        self,
        kind: SocketKind,
        payload: JSON,
        encode: Callable[[], tuple[bytes, str]],
        *,
        via: Via | None,
        event_id: str | None = None,
        signature: SignatureMode = "valid",
        timestamp: int | None = None,
        headers: Mapping[str, str] | None = None,
        retry_attempt: int = 0,
        retry_reason: str = "",
    ) -> Delivery:
        self._require_started()
        if (via or self.delivery) == "socket":
            envelope = self._workspace.envelopes.socket_envelope(
                kind, payload, retry_attempt=retry_attempt, retry_reason=retry_reason
            )
            ack = await self._socket.send(envelope, ack_timeout=self.socket_ack_timeout)
            delivery = Delivery(
                None, ack.raw, {}, ack.acked, ack.payload, ack.elapsed, event_id, ack.error
            )
        else:
            body, content_type = encode()
            answers = await asyncio.gather(
                *(
                    self._http.post(
                        url,
                        body,
                        content_type=content_type,
                        signature=signature,
                        timestamp=timestamp,
                        extra_headers=headers,
                        event_id=event_id,
                    )
                    for url in self._targets()
                )
            )
            self._deliveries.extend(answers[1:])
            delivery = answers[0]
        self._deliveries.append(delivery)
        return delivery

    async def send_event(
        self,
        event: JSON,
        *,
        event_id: str | None = None,
        event_time: int | None = None,
        retry_num: int | None = None,
        retry_reason: str = "http_timeout",
        signature: SignatureMode = "valid",
        timestamp: int | None = None,
        via: Via | None = None,
        org_level: bool = False,
    ) -> Delivery:
        """Deliver ``event`` in an ``event_callback`` envelope, as Slack does.

        Args:
            event: The inner event (``{"type": "app_mention", ...}``).
            event_id: The envelope's ``event_id`` (default: a fresh one).
            event_time: The envelope's ``event_time`` (default: now).
            retry_num: Deliver as Slack's retry number N (``X-Slack-Retry-Num`` over HTTP,
                ``retry_attempt`` over Socket Mode).
            retry_reason: The retry's reason (``X-Slack-Retry-Reason``).
            signature: ``valid``, ``forged`` or ``missing`` (HTTP only).
            timestamp: The signed request timestamp (default: now).
            via: ``http`` or ``socket`` (default: the sandbox's ``delivery``).
            org_level: An event of the organization, naming no workspace.
        """
        envelope = self._workspace.envelopes.event_callback(
            event, event_id=event_id, event_time=event_time, org_level=org_level
        )
        headers = {}
        if retry_num is not None:
            headers = {"X-Slack-Retry-Num": str(retry_num), "X-Slack-Retry-Reason": retry_reason}
        return await self._deliver(
            "events_api",
            envelope,
            lambda: (json.dumps(envelope).encode(), "application/json"),
            via=via,
            event_id=envelope["event_id"],
            signature=signature,
            timestamp=timestamp,
            headers=headers,
            retry_attempt=retry_num or 0,
            retry_reason=retry_reason if retry_num else "",
        )

    async def post_raw(
        self,
        body: bytes,
        *,
        content_type: str = "application/json",
        signature: SignatureMode = "valid",
        timestamp: int | None = None,
    ) -> Delivery:
        """POST arbitrary bytes to the request URL, signed over exactly those bytes."""
        return await self._deliver(
            "events_api",
            {},
            lambda: (body, content_type),
            via="http",
            signature=signature,
            timestamp=timestamp,
        )

    async def verify_url(self, challenge: str = _DEFAULT_CHALLENGE) -> Delivery:
        """Send the ``url_verification`` handshake; the bot should echo the challenge."""
        payload = self._workspace.envelopes.url_verification(challenge)
        return await self._deliver(
            "events_api",
            payload,
            lambda: (json.dumps(payload).encode(), "application/json"),
            via="http",
        )

    async def send_command(self, fields: Mapping[str, str], *, via: Via | None = None) -> Delivery:
        """Deliver a slash command's form fields (see :func:`sandbox.humans.run_command`)."""
        return await self._deliver(
            "slash_commands", dict(fields), lambda: (urlencode(fields).encode(), _FORM), via=via
        )

    async def send_interaction(self, payload: JSON, *, via: Via | None = None) -> Delivery:
        """Deliver an interactivity payload (``payload=<json>`` form over HTTP)."""
        return await self._deliver(
            "interactive",
            payload,
            lambda: (urlencode({"payload": json.dumps(payload)}).encode(), _FORM),
            via=via,
        )

    # -- echoes ----------------------------------------------------------------------------

    def echo(self, events: list[tuple[JSON, Channel]]) -> None:
        """Deliver, in the background, the events a Web API call caused (if echoing)."""
        if not self.echo_bot_messages or self._stopped:
            return
        for event, channel in events:
            if humans.subscribed(self._workspace, channel, self.subscriptions):
                task = asyncio.get_running_loop().create_task(self._echo(event))
                self._tasks.add(task)
                task.add_done_callback(self._tasks.discard)

    async def _echo(self, event: JSON) -> None:
        try:
            await self.send_event(event)
        except RuntimeError as exc:
            log.warning("echo_delivery_skipped", reason=str(exc))
