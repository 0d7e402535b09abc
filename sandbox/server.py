"""The :class:`SlackSandbox`: a local Slack for tests, the demo and benchmarks.

It serves the Web API subset the bot uses (``/api/<method>``), response URLs
(``/response/<id>``), Socket Mode (``/socket``) and a fake deploy API on one aiohttp server.
Its parts drive the bot the way Slack does (signed Events API, slash command and
interactivity deliveries over HTTP, or envelopes over Socket Mode), record every Web API
call so a test can await it, and inject faults per method.
"""

from __future__ import annotations

import asyncio
import ipaddress
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Literal

import structlog
from aiohttp import web

from sandbox.delivery import HttpDeliverer
from sandbox.deploy_api import DeployApi
from sandbox.driver import DEFAULT_SUBSCRIPTIONS, BotDriver
from sandbox.faults import FaultBook, HangGate
from sandbox.github_api import GithubIssuesApi
from sandbox.jira_api import JiraApi
from sandbox.people import People
from sandbox.ratelimits import Limit, RateLimiter
from sandbox.recorder import CallLog
from sandbox.records import Delivery, SignatureMode, Via
from sandbox.serving import LocalServer, serve_app
from sandbox.signing import Signer
from sandbox.socket_mode import SocketHub
from sandbox.streams import DEFAULT_TTL
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


class SlackSandbox(LocalServer):
    """A local, Slack-compatible server for one workspace and one app.

    It holds its parts, each with one job:

    - :attr:`workspace`: the Slack-side state (``directory`` of users, channels and groups;
      ``store`` of messages; views, triggers and response URLs),
    - :attr:`streams`: the streaming messages and their states (``expire(ts)`` ends one as
      Slack does after its time), also ``workspace.streams``,
    - :attr:`assistant`: each thread's status line, suggested prompts and title, and each
      agent session, also ``workspace.assistant``,
    - :attr:`rate_limits`: the Web API limits per method (``set(method, Limit(...))``),
    - :attr:`people`: what the workspace's people do (post, run a command, click, submit),
      delivered to the bot,
    - :attr:`driver`: Slack's side of the wire (signed HTTP or Socket Mode deliveries,
      the request URL, replicas, echoes of the bot's own posts),
    - :attr:`calls`: every Web API call the bot made, awaitable,
    - :attr:`faults` and :attr:`hangs`: injected failures, and the gate hung calls wait at,
    - :attr:`socket`: the Socket Mode server side (connections, refreshes),
    - :attr:`deploy_api`: a fake deploy API served on the same port.
    - :attr:`github`: a GitHub Issues stand-in served on the same port (under ``/github``).

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
        stream_ttl: Seconds after its start when a streaming message stops accepting appends.
        rate_limits: Limits replacing the defaults (:data:`sandbox.ratelimits.DEFAULT_LIMITS`)
            by method; None lifts a method's limit.
        clock: Wall-clock seconds for ts, expiries and rate windows (tests may pass their own).
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
        stream_ttl: float = DEFAULT_TTL,
        rate_limits: Mapping[str, Limit | None] | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.signing_secret = signing_secret
        self.bot_token = bot_token
        self.app_token = app_token
        self.workspace = Workspace.create(
            team_id=team_id,
            bot_user_id=bot_user_id,
            bot_id=bot_id,
            app_id=app_id,
            verification_token=verification_token,
            trigger_ttl=trigger_ttl,
            stream_ttl=stream_ttl,
            clock=clock,
        )
        self.streams = self.workspace.streams
        self.assistant = self.workspace.assistant
        self.rate_limits = RateLimiter(self.workspace.ids.now, rate_limits)
        self.socket = SocketHub(app_id=app_id, ids=self.workspace.ids)
        self.driver = BotDriver(
            self.workspace,
            http=HttpDeliverer(Signer(signing_secret), timeout=http_timeout),
            socket=self.socket,
            request_url=request_url,
            delivery=delivery,
            subscriptions=subscriptions,
            echo_bot_messages=echo_bot_messages,
            socket_ack_timeout=socket_ack_timeout,
        )
        self.people = People(self.workspace, self.driver)
        self.calls = CallLog()
        self.faults = FaultBook()
        self.hangs = HangGate()
        self.deploy_api = DeployApi()
        self.github = GithubIssuesApi()
        self.jira = JiraApi()
        self.oauth = self.workspace.oauth
        self._api = WebApi(
            self.workspace,
            tokens={bot_token: "bot", app_token: "app"},
            calls=self.calls,
            faults=self.faults,
            gate=self.hangs,
            limits=self.rate_limits,
            socket_url=self.socket.issue_url,
            on_events=self.driver.echo,
        )
        self._runner: web.AppRunner | None = None
        self._closed = False
        self._port = 0
        self._base_url = ""

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> SlackSandbox:
        """Serve on ``host:port`` (an ephemeral port by default); returns the sandbox.

        Raises:
            RuntimeError: already started, or closed.
            OSError: the port is taken.
        """
        if self._runner is not None or self._closed:
            raise RuntimeError("a SlackSandbox starts once")
        app = web.Application()
        app.router.add_route("GET", "/api/{method}", self._api.api)
        app.router.add_route("POST", "/api/{method}", self._api.api)
        app.router.add_post("/response/{hook_id}", self._api.response_url)
        app.router.add_get("/socket", self.socket.handle)
        app.router.add_get("/oauth/v2/authorize", self._authorize)
        self.deploy_api.add_routes(app)
        self.github.add_routes(app)
        self.jira.add_routes(app)
        self._runner, self._port = await serve_app(app, host, port)
        self._base_url = f"http://{_advertised(host)}:{self._port}"
        self.workspace.base_url = self._base_url
        self.github.base_url = self._base_url + "/github"  # html_url on the API's host
        self.jira.base_url = self._base_url + "/jira"
        self.socket.ws_base = "ws" + self._base_url.removeprefix("http")
        await self.driver.start()
        log.info("sandbox_started", base_url=self._base_url)
        return self

    async def close(self) -> None:
        """Release hung requests, stop deliveries, close sockets, stop the server.
        Idempotent."""
        if self._closed:
            return
        self._closed = True
        self.hangs.close()
        await self.driver.close()
        await self.socket.close()
        if self._runner is not None:
            await self._runner.cleanup()
            log.info("sandbox_stopped", base_url=self._base_url)

    async def _authorize(self, request: web.Request) -> web.Response:
        """``GET /oauth/v2/authorize``: the person allows at once (see :mod:`sandbox.oauth`)."""
        status, answer = self.oauth.authorize(dict(request.query))
        if status == 302:
            raise web.HTTPFound(answer)
        return web.Response(status=status, text=answer)

    @contextmanager
    def as_team(
        self, team_id: str, *, enterprise_id: str | None = None, org_wide: bool = False
    ) -> Iterator[None]:
        """Deliver as workspace ``team_id`` (of organization ``enterprise_id``) inside the
        block: events, commands and clicks name it; users and channels are the sandbox's."""
        d = self.workspace.directory
        before = (d.team_id, d.enterprise_id, d.org_wide)
        d.team_id, d.enterprise_id, d.org_wide = team_id, enterprise_id, org_wide
        try:
            yield
        finally:
            d.team_id, d.enterprise_id, d.org_wide = before

    async def remove_app(
        self, team_id: str, *, enterprise_id: str | None = None, org_wide: bool = False
    ) -> Delivery:
        """The workspace uninstalls the app: its tokens die, ``app_uninstalled`` is sent."""
        self.oauth.revoke_workspace(
            team_id=None if org_wide else team_id, enterprise_id=enterprise_id
        )
        with self.as_team(team_id, enterprise_id=enterprise_id, org_wide=org_wide):
            return await self.driver.send_event({"type": "app_uninstalled"})

    async def revoke_bot_token(self, token: str, *, team_id: str | None = None) -> Delivery:
        """An admin revokes the bot's token: it dies, ``tokens_revoked`` names the bot. An
        org-wide token's event comes through a workspace of the organization (``team_id``)."""
        grant = self.oauth.grants[token]
        self.oauth.revoke(token)
        event = {
            "type": "tokens_revoked",
            "tokens": {"oauth": [], "bot": [self.workspace.directory.bot_user_id]},
        }
        plan = grant.plan
        team = team_id or plan.team_id
        if team is None:
            raise ValueError("an org-wide token's revocation comes through a workspace: team_id")
        with self.as_team(team, enterprise_id=plan.enterprise_id, org_wide=plan.org_wide):
            return await self.driver.send_event(event)

    async def team_access(
        self,
        kind: Literal["team_access_granted", "team_access_revoked"],
        team_ids: Sequence[str],
        *,
        enterprise_id: str,
        event_id: str | None = None,
        signature: SignatureMode = "valid",
    ) -> Delivery:
        """An admin of ``enterprise_id`` adds workspaces to (removes them from) the org-wide
        install: Slack tells the organization's app, naming the workspaces in ``team_ids``
        (``event_id``: the same again, a duplicate delivery)."""
        event = {"type": kind, "team_ids": list(team_ids), "event_ts": f"{time.time():.6f}"}
        with self.as_team("", enterprise_id=enterprise_id, org_wide=True):
            return await self.driver.send_event(
                event, event_id=event_id, signature=signature, org_level=True
            )

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:PORT`` (after :meth:`start`)."""
        self._require_serving()
        return self._base_url

    @property
    def api_url(self) -> str:
        """The Web API base URL for ``AsyncWebClient(base_url=...)``."""
        return self.base_url + "/api/"

    @property
    def port(self) -> int:
        """The port served on."""
        self._require_serving()
        return self._port

    def _require_serving(self) -> None:
        if self._runner is None or self._closed:
            raise RuntimeError("the sandbox is not running: call start() first")


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
