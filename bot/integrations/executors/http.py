"""The http executor: one templated request per run, with bounded, jittered retries.

Every attempt of a run carries the same ``Idempotency-Key`` (the request's), so the target can
recognise a retry; that is what makes retrying a non-idempotent call acceptable. Header values
are resolved from the injected environment at run time and never logged or summarised.
A timeout or a dropped connection after the request may have been sent ends a
non-idempotent run as ``unknown``: it may have happened. A successful run keeps the response
body (at most :data:`~agents.actions.execution.BODY_LIMIT` bytes, with every secret value its
headers were resolved with replaced) for the result's presentation.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Mapping
from dataclasses import dataclass

import aiohttp
import structlog
from pydantic import JsonValue
from yarl import URL

from agents.actions.execution import BODY_LIMIT, ExecutionRequest, ExecutionResult
from agents.actions.presentation import lookup
from bot.config_file import HttpExecutorConfig, JsonFieldCheck
from bot.config_file.templates import env_refs
from bot.integrations.executors.attempts import ExecutorAttempt, interrupted, run_attempts
from bot.integrations.executors.render import (
    MissingEnvironmentVariable,
    render_json,
    render_url,
    resolve_env,
)
from bot.integrations.resilience import Attempt, Sleep

__all__ = ["MAX_RESPONSE_BYTES", "HttpExecutor"]

log = structlog.get_logger(__name__)

MAX_RESPONSE_BYTES = 1024 * 1024
"""The most of a body read to check a ``json_field`` (a larger one fails the check)."""
_TRANSIENT_STATUS = frozenset({408, 429, 500, 502, 503, 504})
_MIN_SECRET = 4  # shorter values would blank ordinary words of the body
_SCRUBBED = "[redacted:env]"


class HttpExecutor:
    """Runs one action as an HTTP request (see the module docstring)."""

    def __init__(
        self,
        config: HttpExecutorConfig,
        *,
        action: str,
        target: str,
        session: aiohttp.ClientSession,
        environ: Mapping[str, str],
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self._config = config
        self._action = action
        self._target = target
        self._session = session
        self._environ = environ
        self._sleep = sleep
        self._timeout = config.timeout.total_seconds()
        self._secrets = tuple(  # the values a response might echo back
            secret
            for value in config.headers.values()
            for name in env_refs(value)
            if len(secret := environ.get(name, "")) >= _MIN_SECRET
        )
        self._read_limit = MAX_RESPONSE_BYTES if config.success.json_field else BODY_LIMIT

    async def run(self, request: ExecutionRequest) -> ExecutionResult:
        """Send the request (retrying transient failures); never raises for one."""
        try:
            headers = {
                name: resolve_env(value, self._environ)
                for name, value in self._config.headers.items()
            }
        except MissingEnvironmentVariable as exc:
            log.error("http_env_missing", action=self._action, variable=exc.name)
            return ExecutionResult("failed", f"missing environment variable {exc.name}")
        headers["Idempotency-Key"] = request.idempotency_key
        headers["X-Request-Id"] = request.trace_id
        url = URL(render_url(self._config.url, request.params), encoded=True)
        body = render_json(self._config.body, request.params)
        return await run_attempts(
            lambda number: self._attempt(number, url, headers, body),
            action=self._action,
            target=self._target,
            safe_to_retry=True,  # every attempt carries the same Idempotency-Key
            sleep=self._sleep,
            attempts=self._config.retries,
        )

    async def _attempt(
        self, number: int, url: URL, headers: dict[str, str], body: JsonValue
    ) -> ExecutorAttempt:
        started = time.monotonic()
        status: int | None = None
        try:
            async with self._session.request(
                self._config.method,
                url,
                headers=headers,
                json=body,
                timeout=aiohttp.ClientTimeout(total=self._timeout),
                allow_redirects=False,
            ) as response:
                status = response.status
                retry_after = _retry_after(response.headers.get("Retry-After"))
                payload = (
                    await _read_capped(response, self._read_limit)
                    if status in self._config.success.status
                    else None
                )
        except (aiohttp.ClientConnectorError, aiohttp.ConnectionTimeoutError) as exc:
            self._log_attempt(number, started, error=type(exc).__name__)
            summary = f"could not connect to {self._target} (attempt {number})"
            return Attempt(ExecutionResult("failed", summary), transient=True)
        except (TimeoutError, aiohttp.ClientConnectionError, aiohttp.ClientPayloadError) as exc:
            self._log_attempt(number, started, status=status, error=type(exc).__name__)
            return self._maybe_happened(number, exc)
        except (aiohttp.ClientError, ValueError) as exc:
            # an invalid URL or header value: retrying cannot help; the message may hold one
            self._log_attempt(number, started, error=type(exc).__name__)
            summary = f"request to {self._target} failed ({type(exc).__name__})"
            return Attempt(ExecutionResult("failed", summary))
        self._log_attempt(number, started, status=status)
        return self._judge(number, status, retry_after, payload)

    def _maybe_happened(self, number: int, exc: BaseException) -> ExecutorAttempt:
        if isinstance(exc, TimeoutError):
            what = f"no response from {self._target} within {self._timeout:g}s"
        else:
            what = f"connection to {self._target} lost ({type(exc).__name__})"
        return interrupted(what, number, idempotent=self._config.idempotent)

    def _judge(
        self, number: int, status: int, retry_after: float | None, payload: _Payload | None
    ) -> ExecutorAttempt:
        said = f"HTTP {status} from {self._target}"
        success = self._config.success
        if status in success.status and payload is not None:
            problem = _json_field_problem(success.json_field, payload)
            if problem is None:
                return Attempt(self._succeeded(f"{said} (attempt {number})", payload))
            return Attempt(ExecutionResult("failed", f"{said}, but {problem} (attempt {number})"))
        result = ExecutionResult("failed", f"{said} (attempt {number})")
        if status in _TRANSIENT_STATUS:
            return Attempt(result, transient=True, retry_after=retry_after)
        return Attempt(result)

    def _succeeded(self, summary: str, payload: _Payload) -> ExecutionResult:
        """Success, with the body as text, cut at the limit and scrubbed of our secrets."""
        body = payload.data[:BODY_LIMIT].decode("utf-8", errors="replace")
        for secret in self._secrets:
            body = body.replace(secret, _SCRUBBED)
        truncated = not payload.complete or len(payload.data) > BODY_LIMIT
        return ExecutionResult("succeeded", summary, body=body, body_truncated=truncated)

    def _log_attempt(
        self, number: int, started: float, *, status: int | None = None, error: str | None = None
    ) -> None:
        log.info(
            "http_attempt",
            action=self._action,
            target=self._target,
            method=self._config.method,
            attempt=number,
            status=status,
            error=error,
            elapsed_ms=round((time.monotonic() - started) * 1000),
        )


@dataclass(frozen=True, slots=True)
class _Payload:
    """The start of a response body, and whether it is all of it."""

    data: bytes
    complete: bool


async def _read_capped(response: aiohttp.ClientResponse, limit: int) -> _Payload:
    """Up to ``limit`` bytes of the body (reading stops there)."""
    chunks: list[bytes] = []
    size = 0
    async for chunk in response.content.iter_chunked(64 * 1024):
        chunks.append(chunk)
        size += len(chunk)
        if size > limit:
            return _Payload(b"".join(chunks)[:limit], complete=False)
    return _Payload(b"".join(chunks), complete=True)


def _retry_after(value: str | None) -> float | None:
    """Seconds from a ``Retry-After`` header in its delta-seconds form (dates are ignored)."""
    if value is None:
        return None
    try:
        seconds = float(value.strip())
    except ValueError:
        return None
    return seconds if seconds >= 0 else None


def _json_field_problem(check: JsonFieldCheck | None, payload: _Payload) -> str | None:
    """Why the response fails the ``json_field`` check, or ``None`` if it passes."""
    if check is None:
        return None
    if not payload.complete:
        return "the response body is too large to check"
    try:
        document: object = json.loads(payload.data)
    except ValueError:
        return "the response body is not JSON"
    try:
        value = lookup(document, check.path)
    except KeyError:
        return f"the response has no field {check.path!r}"
    if value != check.equals or type(value) is not type(check.equals):
        return f"{check.path} is not {json.dumps(check.equals)}"
    return None
