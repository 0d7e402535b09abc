"""The http executor: one templated request per run, with bounded, jittered retries.

Every attempt of a run carries the same ``Idempotency-Key`` (the request's), so the target can
recognise a retry; that is what makes retrying a non-idempotent call acceptable. Header values
are resolved from the injected environment at run time and never logged or summarised.
A timeout or a dropped connection after the request may have been sent ends a
non-idempotent run as ``unknown``: it may have happened.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Mapping

import aiohttp
import structlog
from pydantic import JsonValue
from yarl import URL

from agents.actions.execution import ExecutionRequest, ExecutionResult
from bot.config_file import HttpExecutorConfig, JsonFieldCheck
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
_TRANSIENT_STATUS = frozenset({408, 429, 500, 502, 503, 504})
_MISSING = object()


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
                payload = await _read_capped(response) if self._needs_body(status) else None
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

    def _needs_body(self, status: int) -> bool:
        return self._config.success.json_field is not None and status in self._config.success.status

    def _maybe_happened(self, number: int, exc: BaseException) -> ExecutorAttempt:
        if isinstance(exc, TimeoutError):
            what = f"no response from {self._target} within {self._timeout:g}s"
        else:
            what = f"connection to {self._target} lost ({type(exc).__name__})"
        return interrupted(what, number, idempotent=self._config.idempotent)

    def _judge(
        self, number: int, status: int, retry_after: float | None, payload: bytes | None
    ) -> ExecutorAttempt:
        said = f"HTTP {status} from {self._target}"
        success = self._config.success
        if status in success.status:
            problem = _json_field_problem(success.json_field, payload)
            if problem is None:
                return Attempt(ExecutionResult("succeeded", f"{said} (attempt {number})"))
            return Attempt(ExecutionResult("failed", f"{said}, but {problem} (attempt {number})"))
        result = ExecutionResult("failed", f"{said} (attempt {number})")
        if status in _TRANSIENT_STATUS:
            return Attempt(result, transient=True, retry_after=retry_after)
        return Attempt(result)

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


async def _read_capped(response: aiohttp.ClientResponse) -> bytes | None:
    """The body, or ``None`` if it is larger than :data:`MAX_RESPONSE_BYTES`."""
    chunks: list[bytes] = []
    size = 0
    async for chunk in response.content.iter_chunked(64 * 1024):
        size += len(chunk)
        if size > MAX_RESPONSE_BYTES:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


def _retry_after(value: str | None) -> float | None:
    """Seconds from a ``Retry-After`` header in its delta-seconds form (dates are ignored)."""
    if value is None:
        return None
    try:
        seconds = float(value.strip())
    except ValueError:
        return None
    return seconds if seconds >= 0 else None


def _json_field_problem(check: JsonFieldCheck | None, payload: bytes | None) -> str | None:
    """Why the response fails the ``json_field`` check, or ``None`` if it passes."""
    if check is None:
        return None
    if payload is None:
        return "the response body is too large to check"
    try:
        document: object = json.loads(payload)
    except ValueError:
        return "the response body is not JSON"
    value: object = document
    for key in check.path.split("."):
        if isinstance(value, dict):
            value = value.get(key, _MISSING)
        elif isinstance(value, list) and key.isdigit() and int(key) < len(value):
            value = value[int(key)]
        else:
            value = _MISSING
        if value is _MISSING:
            return f"the response has no field {check.path!r}"
    if value != check.equals or type(value) is not type(check.equals):
        return f"{check.path} is not {json.dumps(check.equals)}"
    return None
