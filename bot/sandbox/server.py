"""The :class:`SlackSandbox`: a local Slack for tests, the demo and benchmarks.

It serves the Web API subset the bot uses (``/api/<method>``), response URLs
(``/response/<id>``) and Socket Mode (``/socket``) on one aiohttp server, and drives the bot
the way Slack does: signed Events API, slash command and interactivity deliveries over HTTP,
or envelopes over Socket Mode. Every Web API call is recorded and can be awaited; faults can
be injected per method.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Callable, Iterable, Mapping
from types import TracebackType
from typing import Any
from urllib.parse import urlencode

import structlog
from aiohttp import web

from bot.sandbox.apicore import TokenKind
from bot.sandbox.delivery import HttpDeliverer
from bot.sandbox.envelopes import SocketKind, action_payload, find_action
from bot.sandbox.faults import Fault, FaultBook, HangGate
from bot.sandbox.recorder import CallLog, Predicate
from bot.sandbox.records import JSON, ApiCall, Delivery, SentMessage, SignatureMode, Via
from bot.sandbox.richtext import mentions
from bot.sandbox.signing import Signer
from bot.sandbox.socket_mode import SocketHub
from bot.sandbox.state import Channel, User
from bot.sandbox.webapi import WebApi
from bot.sandbox.workspace import Workspace

__all__ = ["DEFAULT_SUBSCRIPTIONS", "SlackSandbox", "serve"]

log = structlog.get_logger(__name__)

DEFAULT_SUBSCRIPTIONS = frozenset(
    {"app_mention", "message.channels", "message.groups", "message.im"}
)
"""The bot events Switchboard subscribes to."""

_MESSAGE_SUBSCRIPTION = {
    "public": "message.channels",
    "private": "message.groups",
    "im": "message.im",
    "mpim": "message.mpim",
}
_FORM = "application/x-www-form-urlencoded"
_DEFAULT_CHALLENGE = "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P"


class SlackSandbox:
    """A local, Slack-compatible server for one workspace and one app.

    Args:
        signing_secret: The app's signing secret (deliveries are signed with it).
        bot_token: The bot token the Web API accepts.
        app_token: The app-level token ``apps.connections.open`` accepts.
        team_id: The workspace id.
        bot_user_id: The bot's user id.
        bot_id: The bot's bot id.
        app_id: The app's id.
        echo_bot_messages: Deliver the ``message`` event of the bot's own posts (and the
            ``message_changed`` of its edits), as Slack does, after answering the call.
        subscriptions: The bot events the app subscribes to.
        request_url: The bot's endpoint for HTTP deliveries (settable later).
        delivery: How payloads reach the bot when a call does not say (``via``).
        verification_token: The legacy ``token`` field of every payload.
        http_timeout: Seconds to wait for the bot's HTTP answer (Slack waits 3).
        socket_ack_timeout: Seconds to wait for a Socket Mode ack.
        trigger_ttl: Seconds a trigger id stays valid (Slack: 3).
    """

    def __init__(
        self,
        *,
        signing_secret: str = "sandbox-signing-secret",  # noqa: S107 - a local test double
        bot_token: str = "xoxb-sandbox-token",  # noqa: S107
        app_token: str = "xapp-sandbox-token",  # noqa: S107
        team_id: str = "T0SANDBOX",
        bot_user_id: str = "U0BOT",
        bot_id: str = "B0BOT",
        app_id: str = "A0SWITCH",
        echo_bot_messages: bool = False,
        subscriptions: Iterable[str] = DEFAULT_SUBSCRIPTIONS,
        request_url: str | None = None,
        delivery: Via = "http",
        verification_token: str = "SaNdBoXvErIfIcAtIoNtOkEn",  # noqa: S107
        http_timeout: float = 3.0,
        socket_ack_timeout: float = 5.0,
        trigger_ttl: float = 3.0,
    ) -> None:
        self.signing_secret = signing_secret
        self.bot_token = bot_token
        self.app_token = app_token
        self.echo_bot_messages = echo_bot_messages
        self.subscriptions = frozenset(subscriptions)
        self.request_url = request_url
        self.delivery: Via = delivery
        self.socket_ack_timeout = socket_ack_timeout
        self.workspace = Workspace.create(
            team_id=team_id,
            bot_user_id=bot_user_id,
            bot_id=bot_id,
            app_id=app_id,
            verification_token=verification_token,
            trigger_ttl=trigger_ttl,
        )
        self._calls = CallLog()
        self._faults = FaultBook()
        self._gate = HangGate()
        self._hub = SocketHub(app_id=app_id, ids=self.workspace.ids)
        self._http = HttpDeliverer(Signer(signing_secret), timeout=http_timeout)
        tokens: dict[str, TokenKind] = {bot_token: "bot", app_token: "app"}
        self._api = WebApi(
            self.workspace,
            tokens=tokens,
            calls=self._calls,
            faults=self._faults,
            gate=self._gate,
            socket_url=self._hub.issue_url,
            on_events=self._on_events,
        )
        self._deliveries: list[Delivery] = []
        self._tasks: set[asyncio.Task[None]] = set()
        self._runner: web.AppRunner | None = None
        self._port = 0
        self._base_url = ""
        self._closed = False

    # -- lifecycle -------------------------------------------------------------------------

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> SlackSandbox:
        """Serve on ``host:port`` (an ephemeral port by default); returns the sandbox.

        Raises:
            RuntimeError: already started, or closed.
        """
        if self._runner is not None or self._closed:
            raise RuntimeError("a SlackSandbox starts once")
        app = web.Application()
        app.router.add_route("GET", "/api/{method}", self._api.api)
        app.router.add_route("POST", "/api/{method}", self._api.api)
        app.router.add_post("/response/{hook_id}", self._api.response_url)
        app.router.add_get("/socket", self._hub.handle)
        runner = web.AppRunner(app, handle_signals=False, access_log=None, shutdown_timeout=1.0)
        await runner.setup()
        site = web.TCPSite(runner, host, port)
        await site.start()
        self._runner = runner
        self._port = int(runner.addresses[0][1])
        advertised = "127.0.0.1" if host in {"", "0.0.0.0", "::"} else host  # noqa: S104
        self._base_url = f"http://{advertised}:{self._port}"
        self.workspace.base_url = self._base_url
        self._hub.ws_base = "ws" + self._base_url.removeprefix("http")
        await self._http.start()
        log.info("sandbox_started", base_url=self._base_url)
        return self

    async def close(self) -> None:
        """Release hung requests, close sockets and sessions, stop the server. Idempotent."""
        if self._closed:
            return
        self._closed = True
        self._gate.close()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self._hub.close()
        await self._http.close()
        if self._runner is not None:
            await self._runner.cleanup()
            log.info("sandbox_stopped", base_url=self._base_url)

    async def __aenter__(self) -> SlackSandbox:
        return await self.start()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:PORT`` (after :meth:`start`)."""
        self._require_started()
        return self._base_url

    @property
    def api_url(self) -> str:
        """The Web API base URL for ``AsyncWebClient(base_url=...)``."""
        return self.base_url + "/api/"

    @property
    def port(self) -> int:
        """The port served on."""
        self._require_started()
        return self._port

    def _require_started(self) -> None:
        if self._runner is None or self._closed:
            raise RuntimeError("the sandbox is not running: call start() first")

    # -- workspace -------------------------------------------------------------------------

    @property
    def team_id(self) -> str:
        """The workspace id."""
        return self.workspace.directory.team_id

    @property
    def bot_user_id(self) -> str:
        """The bot's user id."""
        return self.workspace.directory.bot_user_id

    def add_user(self, user_id: str, name: str, **fields: Any) -> User:
        """Add a user (see :meth:`Directory.add_user` for the fields)."""
        return self.workspace.directory.add_user(user_id, name, **fields)

    def add_channel(
        self, channel_id: str, name: str, *, private: bool = False, members: Iterable[str] = ()
    ) -> Channel:
        """Add a public (or private) channel with the given member user ids."""
        return self.workspace.directory.add_channel(
            channel_id, name, private=private, members=members
        )

    def add_usergroup(self, group_id: str, handle: str, users: Iterable[str]) -> JSON:
        """Add a user group (``S...``) with the given members."""
        return self.workspace.directory.add_usergroup(group_id, handle, users)

    def messages(self, channel: str) -> list[JSON]:
        """The channel's top-level messages, oldest first (copies)."""
        return [dict(m) for m in self.workspace.store.timeline(self.workspace.channel(channel).id)]

    def thread(self, channel: str, ts: str) -> list[JSON]:
        """The thread ``ts`` belongs to: parent, then replies, oldest first (copies)."""
        channel_id = self.workspace.channel(channel).id
        return [dict(m) for m in self.workspace.store.thread(channel_id, ts)]

    def ephemeral_messages(self, channel: str, *, user: str | None = None) -> list[JSON]:
        """Ephemeral messages in the channel (for ``user`` only, if given), oldest first."""
        stored = self.workspace.store.ephemeral(self.workspace.channel(channel).id)
        return [dict(m) for m in stored if user is None or m.get("visible_to") == user]

    # -- recording -------------------------------------------------------------------------

    @property
    def calls(self) -> list[ApiCall]:
        """Every Web API call (and response_url post) so far, in order."""
        return self._calls.all()

    def calls_for(self, method: str) -> list[ApiCall]:
        """The calls of one method so far, in order."""
        return self._calls.for_method(method)

    async def wait_for(
        self,
        method: str,
        *,
        where: Predicate | None = None,
        timeout: float = 5.0,  # noqa: ASYNC109 - the public API takes a plain timeout
        count: int = 1,
    ) -> ApiCall:
        """The ``count``-th call of ``method`` matching ``where``, already made or to come.

        Raises:
            TimeoutError: not within ``timeout`` seconds; the message lists the calls seen.
        """
        return await self._calls.wait_for(method, where=where, timeout=timeout, count=count)

    @property
    def deliveries(self) -> list[Delivery]:
        """Every delivery to the bot so far (echoes included), in order."""
        return list(self._deliveries)

    # -- faults ----------------------------------------------------------------------------

    def inject(self, method: str, fault: Fault) -> None:
        """Make the next ``fault.times`` calls of ``method`` (or ``response_url``) fail."""
        self._faults.inject(method, fault)

    def clear_faults(self, method: str | None = None) -> None:
        """Forget injected faults (of ``method``, or all)."""
        self._faults.clear(method)

    def release_hangs(self) -> int:
        """Drop every hanging request's connection; returns how many were hanging."""
        return self._gate.release()

    # -- Socket Mode -----------------------------------------------------------------------

    @property
    def socket_connected(self) -> bool:
        """Whether a Socket Mode client is connected (and not asked to refresh)."""
        return self._hub.connected

    @property
    def socket_connections_total(self) -> int:
        """How many Socket Mode connections were ever accepted."""
        return self._hub.connections_total

    async def wait_socket_connected(self, timeout: float = 5.0) -> None:  # noqa: ASYNC109 - API
        """Return once a Socket Mode client is connected and deliverable.

        Raises:
            TimeoutError: none within ``timeout`` seconds.
        """
        await self._hub.wait_connected(timeout)

    async def disconnect_socket(self, reason: str = "refresh_requested") -> int:
        """Send Slack's ``disconnect`` to every client; returns how many were asked."""
        return await self._hub.disconnect(reason)

    # -- delivering ------------------------------------------------------------------------

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
            envelope = self.workspace.envelopes.socket_envelope(
                kind, payload, retry_attempt=retry_attempt, retry_reason=retry_reason
            )
            ack = await self._hub.send(envelope, ack_timeout=self.socket_ack_timeout)
            delivery = Delivery(
                None, ack.raw, {}, ack.acked, ack.payload, ack.elapsed, event_id, ack.error
            )
        else:
            if self.request_url is None:
                raise RuntimeError("set request_url (the bot's endpoint) before delivering")
            body, content_type = encode()
            delivery = await self._http.post(
                self.request_url,
                body,
                content_type=content_type,
                signature=signature,
                timestamp=timestamp,
                extra_headers=headers,
                event_id=event_id,
            )
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
        """
        envelope = self.workspace.envelopes.event_callback(
            event, event_id=event_id, event_time=event_time
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
        payload = self.workspace.envelopes.url_verification(challenge)
        return await self._deliver(
            "events_api",
            payload,
            lambda: (json.dumps(payload).encode(), "application/json"),
            via="http",
        )

    def _events_for_human(self, message: JSON, channel: Channel) -> list[JSON]:
        directory = self.workspace.directory
        if directory.bot_user_id not in channel.members:
            return []
        envelopes = self.workspace.envelopes
        events = []
        if _MESSAGE_SUBSCRIPTION[channel.kind] in self.subscriptions:
            events.append(envelopes.message_event(message, channel))
        mentioned = directory.bot_user_id in mentions(str(message.get("text", "")))
        if mentioned and channel.kind != "im" and "app_mention" in self.subscriptions:
            events.append(envelopes.app_mention_event(message, channel))
        return events

    async def user_says(
        self,
        text: str,
        *,
        user: str = "U0ALICE",
        channel: str = "C0GENERAL",
        thread_ts: str | None = None,
        via: Via | None = None,
    ) -> SentMessage:
        """A human posts ``text``: store it and deliver the events Slack would send the bot.

        Raises:
            ValueError: unknown user or channel, the user is not a member, or ``thread_ts``
                is not a message in the channel.
        """
        ws = self.workspace
        target = ws.channel(channel)
        if user not in ws.directory.users or user not in target.members:
            raise ValueError(f"user {user!r} is not a member of {target.id!r}")
        root = None
        if thread_ts is not None:
            root = ws.store.thread_root(target.id, thread_ts)
            if root is None:
                raise ValueError(f"no message {thread_ts!r} in {target.id!r}")
        stored = ws.store.add(target.id, ws.human_message(user=user, text=text), thread_ts=root)
        deliveries = [
            await self.send_event(event, via=via)
            for event in self._events_for_human(stored, target)
        ]
        return SentMessage(str(stored["ts"]), target.id, root, tuple(deliveries))

    async def send_command(
        self,
        command: str = "/ops",
        text: str = "",
        *,
        user: str = "U0ALICE",
        channel: str = "C0GENERAL",
        via: Via | None = None,
    ) -> Delivery:
        """A human runs a slash command: deliver Slack's form, with a live response_url."""
        ws = self.workspace
        target = ws.channel(channel)
        if user not in ws.directory.users:
            raise ValueError(f"unknown user {user!r}")
        hook = ws.hooks.issue(channel=target.id, user=user)
        fields = ws.envelopes.slash_command(
            command=command,
            text=text,
            user=user,
            channel=target,
            response_url=f"{self.base_url}/response/{hook.id}",
            trigger_id=ws.triggers.issue(user),
        )
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

    def block_action(
        self,
        message_ts: str,
        action_id: str,
        *,
        value: str | None = None,
        user: str = "U0ALICE",
        channel: str = "C0GENERAL",
        block_id: str | None = None,
    ) -> JSON:
        """A ``block_actions`` payload for ``user`` clicking ``action_id`` in a stored message.

        Args:
            message_ts: The ts of the (channel or ephemeral) message holding the element.
            action_id: The element's ``action_id``.
            value: The value sent (default: the element's own; for selects, the option).
            user: Who clicks.
            channel: Where the message is.
            block_id: Narrow the search to one block.

        Raises:
            ValueError: no such message or element.
        """
        ws = self.workspace
        target = ws.channel(channel)
        message = ws.store.get(target.id, message_ts)
        ephemeral = message is None
        if message is None:
            found = [m for m in ws.store.ephemeral(target.id) if m.get("ts") == message_ts]
            if not found:
                raise ValueError(f"no message {message_ts!r} in {target.id!r}")
            message = found[0]
        found_block_id, element = find_action(message, action_id, block_id=block_id)
        action = action_payload(
            element, block_id=found_block_id, value=value, action_ts=ws.ids.action_ts()
        )
        hook = ws.hooks.issue(
            channel=target.id, user=user, message_ts=message_ts, ephemeral=ephemeral
        )
        return ws.envelopes.block_actions(
            user=user,
            channel=target,
            message=message,
            action=action,
            response_url=f"{self.base_url}/response/{hook.id}",
            trigger_id=ws.triggers.issue(user),
            is_ephemeral=ephemeral,
        )

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
        """Build a :meth:`block_action` payload and deliver it."""
        payload = self.block_action(message_ts, action_id, value=value, user=user, channel=channel)
        return await self.send_interaction(payload, via=via)

    def view_submission(
        self, view_id: str, values: JSON | None = None, *, user: str = "U0ALICE"
    ) -> JSON:
        """A ``view_submission`` payload for an opened view, with state ``values``.

        Raises:
            ValueError: no such view.
        """
        ws = self.workspace
        view = ws.views.find(view_id=view_id)
        if view is None:
            raise ValueError(f"no view {view_id!r}")
        return ws.envelopes.view_submission(
            user=user, view=view, values=values or {}, trigger_id=ws.triggers.issue(user)
        )

    # -- echoes ----------------------------------------------------------------------------

    def _on_events(self, events: list[tuple[JSON, Channel]]) -> None:
        if not self.echo_bot_messages or self._closed:
            return
        bot = self.workspace.directory.bot_user_id
        for event, channel in events:
            if bot in channel.members and _MESSAGE_SUBSCRIPTION[channel.kind] in self.subscriptions:
                task = asyncio.get_running_loop().create_task(self._echo(event))
                self._tasks.add(task)
                task.add_done_callback(self._tasks.discard)

    async def _echo(self, event: JSON) -> None:
        try:
            await self.send_event(event)
        except RuntimeError as exc:
            log.warning("echo_delivery_skipped", reason=str(exc))


async def serve(
    *,
    host: str,
    port: int,
    signing_secret: str,
    on_ready: Callable[[SlackSandbox], None] | None = None,
    **options: Any,
) -> None:
    """Run a sandbox on ``host:port`` until cancelled.

    Args:
        host: Interface to listen on.
        port: Port to listen on (0 for an ephemeral one).
        signing_secret: The app's signing secret.
        on_ready: Called with the running sandbox (to learn its URLs).
        **options: Further :class:`SlackSandbox` arguments (tokens, ``request_url``, ...).
    """
    sandbox = SlackSandbox(signing_secret=signing_secret, **options)
    await sandbox.start(host=host, port=port)
    try:
        if on_ready is not None:
            on_ready(sandbox)
        await asyncio.get_running_loop().create_future()
    finally:
        with contextlib.suppress(Exception):
            await sandbox.close()
