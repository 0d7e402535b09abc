"""The aiohttp server: Bolt's endpoint for events, interactivity and commands, health,
readiness and metrics.

Every request to the Slack endpoint passes :func:`bot.edge.admit` before Bolt sees it, so a
signed but malformed body gets a 4xx, never a 500 (which Slack would retry). A well-formed
request no listener handles is acked with an empty 200, as Slack expects of things an app
ignores. Each refused request gets one structured log line, without its body.
"""

from __future__ import annotations

import time

import structlog
from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.app.async_app import AsyncApp

from agents.kernel.errors import StorageError
from bot.distribution import INSTALL_PATH, REDIRECT_PATH
from bot.edge import MAX_BODY, Rejection, SignatureCheck, admit
from bot.health import Readiness
from bot.metrics import CONTENT_TYPE_LATEST
from bot.pagerduty_webhook import PAGERDUTY_WEBHOOK_PATH
from bot.runtime import Runtime
from storage.backlog import read_backlog

__all__ = ["SLACK_EVENTS_PATH", "Endpoints", "build_web_app"]

log = structlog.get_logger(__name__)

SLACK_EVENTS_PATH = "/slack/events"
_UNHANDLED = 404
"""Bolt's status for a request no listener matched (its error handler logged it)."""


class Endpoints:
    """The HTTP endpoints of a running bot, each a method (testable alone)."""

    def __init__(self, runtime: Runtime) -> None:
        self._runtime = runtime
        self._app: AsyncApp = runtime.app
        self._metrics = runtime.metrics
        secret = runtime.settings.slack_signing_secret
        self._signed = SignatureCheck(None if secret is None else secret.get_secret_value())
        self._readiness = Readiness(runtime.database, slack_auth=runtime.reach_slack)

    async def slack_events(self, request: web.Request) -> web.StreamResponse:
        """``POST /slack/events``: Bolt's dispatch, timed as the ack."""
        started = time.perf_counter()
        try:
            return await self._dispatch(request, started)
        finally:
            self._metrics.ack_seconds.observe(time.perf_counter() - started)

    async def _dispatch(self, request: web.Request, started: float) -> web.StreamResponse:
        try:
            raw = await request.read()
        except web.HTTPRequestEntityTooLarge:
            return self._rejected(Rejection("too_large", 413))
        admitted = admit(
            raw,
            content_type=request.content_type,
            query=request.query_string,
            headers=request.headers,
            signed=self._signed,
        )
        if isinstance(admitted, Rejection):
            return self._rejected(admitted)
        response = await self._app.async_dispatch(admitted)
        if response.status == _UNHANDLED:
            return web.Response(status=200)
        if response.status >= 400:
            reason = "invalid_signature" if response.status == 401 else "unhandled"
            log.warning(
                "slack_request_rejected",
                reason=reason,
                status=response.status,
                elapsed_ms=round((time.perf_counter() - started) * 1000, 2),
            )
            self._metrics.rejected.labels(reason).inc()
        return await to_aiohttp_response(response)

    def _rejected(self, rejection: Rejection) -> web.Response:
        log.warning("slack_request_rejected", reason=rejection.reason, status=rejection.status)
        self._metrics.rejected.labels(rejection.reason).inc()
        return web.Response(status=rejection.status)

    async def oauth(self, request: web.Request) -> web.StreamResponse:
        """``GET /slack/install`` and ``GET /slack/oauth_redirect``: Bolt's OAuth flow (the
        install page with its ``state`` cookie; the callback checks cookie and ``state``,
        exchanges the code and stores the installation)."""
        flow = self._app.oauth_flow
        if flow is None:
            return web.Response(status=404)
        bolt_request = await to_bolt_request(request)
        if request.path == flow.install_path:
            response = await flow.handle_installation(bolt_request)
        else:
            response = await flow.handle_callback(bolt_request)
        log.info("oauth_request", path=request.path, status=response.status)
        return await to_aiohttp_response(response)

    async def healthz(self, _request: web.Request) -> web.Response:
        """``GET /healthz``: the process answers and reaches its database."""
        try:
            await self._runtime.database.ping()
            ok = True
        except StorageError:
            ok = False
        return web.json_response(
            {
                "ok": ok,
                "database": "ok" if ok else "unreachable",
                "turns_in_flight": self._runtime.runner.in_flight,
            },
            status=200 if ok else 503,
        )

    async def readyz(self, _request: web.Request) -> web.Response:
        """``GET /readyz``: database, migrations at head and Slack auth, each with a verdict;
        and each MCP server, ``ok`` or unavailable (being retried), which does not make the
        bot unready."""
        report = await self._readiness.check()
        body: dict[str, object] = {
            "ok": report.ok,
            "database": report.database,
            "migrations": report.migrations,
            "slack": report.slack,
        }
        mcp = self._runtime.mcp
        if mcp is not None:  # told, not judged: a server that is down only lacks its tools
            body["mcp"] = {
                name: "ok" if up else f"unavailable, retrying: {mcp.unavailable.get(name, '')}"
                for name, up in mcp.states().items()
            }
        return web.json_response(body, status=200 if report.ok else 503)

    async def metrics(self, _request: web.Request) -> web.Response:
        """``GET /metrics``: the Prometheus exposition, with the backlog gauges read from the
        database first (left as they were, and logged, when it cannot be read)."""
        try:
            backlog = await read_backlog(self._runtime.database.engine)
        except StorageError as exc:
            log.warning("metrics_backlog_unreadable", error=str(exc))
        else:
            self._metrics.waiting(
                events=backlog.events,
                oldest_age=backlog.oldest_age(self._runtime.clock.now()),
                approvals=backlog.approvals_pending,
            )
        return web.Response(
            body=self._metrics.exposition(), headers={"Content-Type": CONTENT_TYPE_LATEST}
        )


def build_web_app(runtime: Runtime, *, slack: bool = True) -> web.Application:
    """The aiohttp application serving ``POST /slack/events`` (unless ``slack`` is False:
    Socket Mode), the OAuth install endpoints (many workspaces), ``GET /healthz``,
    ``GET /readyz``, ``GET /metrics``, and ``POST /pagerduty/webhooks`` when PagerDuty's
    webhooks are configured."""
    endpoints = Endpoints(runtime)
    web_app = web.Application(client_max_size=MAX_BODY)
    if slack:
        web_app.router.add_post(SLACK_EVENTS_PATH, endpoints.slack_events)
    if runtime.distribution is not None:
        web_app.router.add_get(INSTALL_PATH, endpoints.oauth)
        web_app.router.add_get(REDIRECT_PATH, endpoints.oauth)
    web_app.router.add_get("/healthz", endpoints.healthz)
    web_app.router.add_get("/readyz", endpoints.readyz)
    web_app.router.add_get("/metrics", endpoints.metrics)
    if runtime.pagerduty_webhook is not None:
        web_app.router.add_post(PAGERDUTY_WEBHOOK_PATH, runtime.pagerduty_webhook.receive)
    return web_app
