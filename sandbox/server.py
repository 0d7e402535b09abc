"""The :class:`SlackSandbox`: a local Slack for tests, the demo and benchmarks.

It serves the Web API subset the bot uses (``/api/<method>``), response URLs
(``/response/<id>``) and Socket Mode (``/socket``) on one aiohttp server, and drives the bot
the way Slack does: signed Events API, slash command and interactivity deliveries over HTTP,
or envelopes over Socket Mode. Every Web API call is recorded and can be awaited; faults can
be injected per method.
"""

from __future__ import annotations

import asyncio
import ipaddress
from collections.abc import Callable, Iterable
from types import TracebackType

import structlog
from aiohttp import web

from sandbox.apicore import TokenKind
from sandbox.delivery import HttpDeliverer
from sandbox.deploy_api import DeployApi
from sandbox.driver import DEFAULT_SUBSCRIPTIONS, BotDriver
from sandbox.faults import Fault, FaultBook, HangGate
from sandbox.recorder import CallLog, Predicate
from sandbox.records import JSON, ApiCall, Via
from sandbox.signing import Signer
from sandbox.socket_mode import SocketHub
from sandbox.state import Channel, User
from sandbox.webapi import WebApi
from sandbox.workspace import Workspace

__all__ = ["DEFAULT_SUBSCRIPTIONS", "SlackSandbox", "serve"]

log = structlog.get_logger(__name__)


def _advertised(host: str) -> str:
    """The host to put in URLs: loopback when listening on every interface."""
    try:
        unspecified = not host or ipaddress.ip_address(host).is_unspecified
    except ValueError:  # a host name
        return host
    return "127.0.0.1" if unspecified else host


class SlackSandbox(BotDriver):
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
        workspace = Workspace.create(
            team_id=team_id,
            bot_user_id=bot_user_id,
            bot_id=bot_id,
            app_id=app_id,
            verification_token=verification_token,
            trigger_ttl=trigger_ttl,
        )
        super().__init__(
            workspace,
            http=HttpDeliverer(Signer(signing_secret), timeout=http_timeout),
            hub=SocketHub(app_id=app_id, ids=workspace.ids),
            request_url=request_url,
            delivery=delivery,
            subscriptions=subscriptions,
            echo_bot_messages=echo_bot_messages,
            socket_ack_timeout=socket_ack_timeout,
        )
        self._calls = CallLog()
        self._faults = FaultBook()
        self._gate = HangGate()
        tokens: dict[str, TokenKind] = {bot_token: "bot", app_token: "app"}
        self._api = WebApi(
            self.workspace,
            tokens=tokens,
            calls=self._calls,
            faults=self._faults,
            gate=self._gate,
            socket_url=self._hub.issue_url,
            on_events=self.echo,
        )
        self.deploy_api = DeployApi()
        self._runner: web.AppRunner | None = None
        self._port = 0
        self._base_url = ""

    # -- lifecycle -------------------------------------------------------------------------

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> SlackSandbox:
        """Serve on ``host:port`` (an ephemeral port by default); returns the sandbox.

        Raises:
            RuntimeError: already started, or closed.
        """
        if self._runner is not None or self._stopped:
            raise RuntimeError("a SlackSandbox starts once")
        app = web.Application()
        app.router.add_route("GET", "/api/{method}", self._api.api)
        app.router.add_route("POST", "/api/{method}", self._api.api)
        app.router.add_post("/response/{hook_id}", self._api.response_url)
        app.router.add_get("/socket", self._hub.handle)
        self.deploy_api.add_routes(app)
        runner = web.AppRunner(app, handle_signals=False, access_log=None, shutdown_timeout=1.0)
        await runner.setup()
        try:
            await web.TCPSite(runner, host, port).start()
        except OSError:  # the port is taken: leave nothing behind
            await runner.cleanup()
            raise
        self._runner = runner
        self._port = int(runner.addresses[0][1])
        self._base_url = f"http://{_advertised(host)}:{self._port}"
        self.workspace.base_url = self._base_url
        self._hub.ws_base = "ws" + self._base_url.removeprefix("http")
        await self._http.start()
        self._running = True
        log.info("sandbox_started", base_url=self._base_url)
        return self

    async def close(self) -> None:
        """Release hung requests, close sockets and sessions, stop the server. Idempotent."""
        if self._stopped:
            return
        self._gate.close()
        await self._stop_echoes()
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

    # -- workspace -------------------------------------------------------------------------

    @property
    def team_id(self) -> str:
        """The workspace id."""
        return self.workspace.directory.team_id

    @property
    def bot_user_id(self) -> str:
        """The bot's user id."""
        return self.workspace.directory.bot_user_id

    def add_user(
        self,
        user_id: str,
        name: str,
        *,
        real_name: str | None = None,
        email: str | None = None,
        is_admin: bool = False,
    ) -> User:
        """Add a human user (email ``<name>@sandbox.example`` unless given)."""
        return self.workspace.directory.add_user(
            user_id, name, real_name=real_name, email=email, is_admin=is_admin
        )

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

    def call_count(self, method: str) -> int:
        """How many calls of ``method`` so far (O(1), for benchmarks that poll)."""
        return self._calls.count(method)

    async def wait_for(
        self,
        method: str,
        *,
        where: Predicate | None = None,
        timeout: float = 5.0,
        count: int = 1,
    ) -> ApiCall:
        """The ``count``-th call of ``method`` matching ``where``, already made or to come.

        Raises:
            TimeoutError: not within ``timeout`` seconds; the message lists the calls seen.
        """
        return await self._calls.wait_for(method, where=where, timeout=timeout, count=count)

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


async def serve(
    *,
    host: str,
    port: int,
    signing_secret: str,
    bot_token: str = "xoxb-sandbox-token",  # noqa: S107 - a local test double
    app_token: str = "xapp-sandbox-token",  # noqa: S107
    request_url: str | None = None,
    delivery: Via = "http",
    echo_bot_messages: bool = False,
    on_ready: Callable[[SlackSandbox], None] | None = None,
) -> None:
    """Run a sandbox on ``host:port`` until cancelled.

    Args:
        host: Interface to listen on.
        port: Port to listen on (0 for an ephemeral one).
        signing_secret: The app's signing secret.
        bot_token: The bot token the Web API accepts.
        app_token: The app-level token for Socket Mode.
        request_url: The bot's endpoint for HTTP deliveries.
        delivery: How payloads reach the bot by default.
        echo_bot_messages: Deliver the events of the bot's own posts.
        on_ready: Called with the running sandbox (to learn its URLs).
    """
    sandbox = SlackSandbox(
        signing_secret=signing_secret,
        bot_token=bot_token,
        app_token=app_token,
        request_url=request_url,
        delivery=delivery,
        echo_bot_messages=echo_bot_messages,
    )
    await sandbox.start(host=host, port=port)
    try:
        if on_ready is not None:
            on_ready(sandbox)
        await asyncio.get_running_loop().create_future()
    finally:
        await sandbox.close()
