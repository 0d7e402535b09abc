"""The HTTP edge of the Web API: reading every encoding the SDK sends, authenticating,
injecting faults, enforcing rate limits, recording each call and answering like Slack."""

from __future__ import annotations

import json
import secrets
import time
from collections.abc import Callable
from typing import Any

from aiohttp import web

from sandbox.api_assistant import ASSISTANT_METHODS
from sandbox.api_chat import CHAT_METHODS
from sandbox.api_conversations import CONVERSATION_METHODS
from sandbox.api_misc import MISC_METHODS
from sandbox.api_stream import STREAM_METHODS
from sandbox.apicore import ApiContext, ApiError, Method, TokenKind
from sandbox.faults import FaultBook, HangGate
from sandbox.oauth import Grant, basic_credentials
from sandbox.oauth_api import OAUTH_METHODS
from sandbox.ratelimits import RateLimiter
from sandbox.recorder import CallLog
from sandbox.records import JSON, ApiCall
from sandbox.response_url import post_to_hook
from sandbox.state import Channel
from sandbox.workspace import Workspace

__all__ = ["METHODS", "WebApi"]

METHODS: dict[str, Method] = {
    **CHAT_METHODS,
    **STREAM_METHODS,
    **ASSISTANT_METHODS,
    **CONVERSATION_METHODS,
    **MISC_METHODS,
    **OAUTH_METHODS,
}
"""Every Web API method the sandbox speaks."""

# Arguments that form and query encodings carry as JSON strings, and the error for bad JSON.
_JSON_ARGS = {
    "blocks": "invalid_blocks_format",
    "attachments": "invalid_attachments",
    "metadata": "invalid_metadata_format",
    "view": "invalid_arguments",
    "chunks": "invalid_chunks",
    "prompts": "invalid_arguments",
    "loading_messages": "invalid_arguments",
}
_FORMS = {"application/x-www-form-urlencoded", "multipart/form-data"}
_BOT_SCOPES = (
    "app_mentions:read,channels:history,channels:join,channels:read,chat:write,commands,"
    "groups:history,groups:read,im:history,im:read,im:write,reactions:write,usergroups:read,"
    "users:read,users:read.email"
)

Outcome = tuple[int, JSON]
EventSink = Callable[[list[tuple[JSON, Channel]]], None]


async def read_args(request: web.Request) -> tuple[JSON, str | None]:
    """The call's arguments (query string, then JSON or form body) and its token.

    Raises:
        ApiError: ``invalid_json`` for a body that is not a JSON object, or the argument's
            error for a JSON-string argument that is not JSON.
    """
    args: JSON = dict(request.query)
    if request.method == "POST" and request.body_exists:
        if request.content_type == "application/json":
            try:
                body: Any = json.loads(await request.read())
            except (ValueError, UnicodeDecodeError):
                raise ApiError("invalid_json") from None
            if not isinstance(body, dict):
                raise ApiError("invalid_json")
            args.update(body)
        elif request.content_type in _FORMS:
            form = await request.post()
            args.update((key, value) for key, value in form.items() if isinstance(value, str))
    for name, error in _JSON_ARGS.items():
        value = args.get(name)
        if isinstance(value, str) and value:
            try:
                args[name] = json.loads(value)
            except ValueError:
                raise ApiError(error) from None
    token = args.pop("token", None)
    authorization = request.headers.get("Authorization", "")
    if authorization.startswith("Bearer "):
        token = authorization.removeprefix("Bearer ").strip()
    client = basic_credentials(authorization)
    if client is not None:  # the OAuth methods' client id and secret (HTTP Basic)
        args.setdefault("client_id", client[0])
        args.setdefault("client_secret", client[1])
    if token is not None and method_takes_client(request):
        args["token"] = token  # oauth.v2.exchange: the token to exchange, not a credential
        token = None
    return args, token if isinstance(token, str) and token else None


def method_takes_client(request: web.Request) -> bool:
    """The method is one of the OAuth methods, which take the client's credentials."""
    entry = METHODS.get(request.match_info.get("method", ""))
    return entry is not None and entry.accepts == "client"


def _drop(request: web.Request) -> web.StreamResponse:
    """Close the connection without an answer."""
    if request.transport is not None:
        request.transport.abort()
    return web.Response(status=500)


class WebApi:
    """Serves ``/api/<method>`` and ``/response/<id>`` for one sandbox.

    Args:
        workspace: The state the calls act on.
        tokens: The accepted tokens and their kinds.
        calls: Where every call is recorded.
        faults: The injected faults.
        gate: Where hung requests wait.
        limits: The rate limits calls are admitted by.
        socket_url: Issues a Socket Mode URL (for ``apps.connections.open``).
        on_events: Receives the events each successful call caused.
    """

    def __init__(
        self,
        workspace: Workspace,
        *,
        tokens: dict[str, TokenKind],
        calls: CallLog,
        faults: FaultBook,
        gate: HangGate,
        limits: RateLimiter,
        socket_url: Callable[[], str],
        on_events: EventSink,
    ) -> None:
        self._ws = workspace
        self._tokens = tokens
        self._calls = calls
        self._faults = faults
        self._gate = gate
        self._limits = limits
        self._socket_url = socket_url
        self._on_events = on_events

    def _record(self, method: str, args: JSON, token: str | None, status: int, body: JSON) -> None:
        self._calls.record(ApiCall(method, args, token, status, body, time.monotonic()))

    def _team_of(self, token: str | None) -> str | None:
        """The workspace an installed app's token acts for (an org-wide one: its
        organization); None for the sandbox's own tokens."""
        grant = self._ws.oauth.grants.get(token) if token is not None else None
        if grant is None:
            return None
        return grant.plan.team_id or grant.plan.enterprise_id

    def _context(self, kind: TokenKind) -> ApiContext:
        return ApiContext(self._ws, kind, self._socket_url)

    def _dispatch(self, method: str, args: JSON, token: str | None) -> Outcome:
        entry = METHODS.get(method)
        if entry is None:
            return 200, {"ok": False, "error": "unknown_method", "req_method": method}
        grant: Grant | None = None
        if entry.accepts == "client":
            kind: TokenKind | None = "client"
        elif token is None:
            return 200, {"ok": False, "error": "not_authed"}
        else:
            kind = self._tokens.get(token)
            issued = self._ws.oauth.check(token) if kind is None else None
            if isinstance(issued, str):
                return 200, {"ok": False, "error": issued}
            if issued is not None:
                kind, grant = "bot", issued
        if kind is None:
            return 200, {"ok": False, "error": "invalid_auth"}
        if kind != entry.accepts:
            return 200, {"ok": False, "error": "not_allowed_token_type"}
        ctx = self._context(kind)
        ctx.grant = grant
        try:
            body = {"ok": True, **entry.handler(ctx, args)}
        except ApiError as exc:
            return 200, exc.body()
        if ctx.events:
            self._on_events(ctx.events)
        return 200, body

    def _answer_hook(self, hook_id: str, args: JSON) -> Outcome:
        hook = self._ws.hooks.use(hook_id)
        if isinstance(hook, str):
            return 404, {"ok": False, "error": hook}
        ctx = self._context("bot")
        try:
            body = post_to_hook(ctx, hook, args)
        except ApiError as exc:
            return 400, exc.body()
        if ctx.events:
            self._on_events(ctx.events)
        return 200, body

    async def _run(
        self,
        request: web.Request,
        method: str,
        args: JSON,
        token: str | None,
        apply: Callable[[], Outcome],
    ) -> web.StreamResponse:
        headers = {"X-Slack-Req-Id": secrets.token_hex(16)}
        if token is not None and self._tokens.get(token) == "bot":
            headers["X-OAuth-Scopes"] = _BOT_SCOPES
        fault = self._faults.take(method, team_id=self._team_of(token))
        if fault is not None and fault.kind == "delay":
            await self._gate.sleep(fault.delay)
        elif fault is not None and fault.kind in ("hang", "drop"):
            self._record(method, args, token, 0, {})
            if fault.kind == "hang":
                await self._gate.hold()
            return _drop(request)
        elif fault is not None and fault.kind == "status":
            body = fault.body()
            self._record(method, args, token, fault.status, body)
            headers.update(fault.headers())
            return web.json_response(body, status=fault.status, headers=headers)
        retry_after = self._limits.admit(method, args)
        if retry_after is not None:
            limited: JSON = {"ok": False, "error": "ratelimited"}
            self._record(method, args, token, 429, limited)
            headers["Retry-After"] = str(retry_after)
            return web.json_response(limited, status=429, headers=headers)
        status, body = apply()
        self._record(method, args, token, status, body)
        if fault is not None and fault.kind == "apply_then_hang":
            await self._gate.hold()
            return _drop(request)
        return web.json_response(body, status=status, headers=headers)

    async def api(self, request: web.Request) -> web.StreamResponse:
        """Handle ``GET|POST /api/<method>``."""
        method = request.match_info["method"]
        try:
            args, token = await read_args(request)
        except ApiError as exc:
            error = exc.body()
            return await self._run(request, method, {}, None, lambda: (200, error))
        return await self._run(
            request, method, args, token, lambda: self._dispatch(method, args, token)
        )

    async def response_url(self, request: web.Request) -> web.StreamResponse:
        """Handle ``POST /response/<id>`` (recorded as method ``response_url``)."""
        hook_id = request.match_info["hook_id"]
        try:
            body: Any = json.loads(await request.read())
        except (ValueError, UnicodeDecodeError):
            body = None
        if not isinstance(body, dict):
            invalid: JSON = {"ok": False, "error": "invalid_payload"}
            return await self._run(request, "response_url", {}, None, lambda: (400, invalid))
        args: JSON = body
        return await self._run(
            request, "response_url", args, None, lambda: self._answer_hook(hook_id, args)
        )
