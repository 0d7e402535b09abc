"""What a failed provider call means, in the domain's words (:class:`ProviderError`).

Each adapter names its SDK's exception classes in an :class:`SdkErrors` (its error map);
:func:`sdk_failure` reads the facts from a caught one (an HTTP status and its headers, a
transport failure) so both providers classify failures the same way:

| the provider / transport                    | ``ProviderError.kind`` |
| ------------------------------------------- | ---------------------- |
| 429                                         | ``rate_limited`` (with ``retry_after``) |
| 408, or the SDK's timeout                   | ``timeout``            |
| 5xx (Anthropic's 529 ``overloaded`` too)    | ``server``             |
| 401, 403                                    | ``auth``               |
| any other 4xx, or a request we cannot build | ``bad_request``        |
| no connection, or it dropped                | ``connection``         |
| a 2xx that is not the expected JSON         | ``bad_response``       |
| anything else the SDK raises                | ``bad_request``        |

A streamed answer can also fail after its status (200) was sent:

| the stream                                      | ``ProviderError.kind``  |
| ----------------------------------------------- | ----------------------- |
| an error event, by its type: rate limit         | ``rate_limited``        |
| ... overloaded, server or unknown error         | ``server``              |
| ... authentication, permission                  | ``auth``                |
| ... invalid request, not found, too large       | ``bad_request``         |
| the connection dropped mid-stream               | ``connection``          |
| no event within the timeout                     | ``timeout``             |
| ended cleanly before its final event            | ``connection``          |
| had no event at all, or one that is not JSON    | ``bad_response``        |

The key never reaches a message: :func:`scrub` removes it from anything a provider echoes.
"""

from __future__ import annotations

import email.utils
from collections.abc import Mapping
from dataclasses import dataclass
from types import ModuleType
from typing import Protocol

from agents.kernel.errors import ProviderError, ProviderFailure

__all__ = [
    "SdkErrors",
    "StatusError",
    "connection_failed",
    "idle_timeout",
    "parse_retry_after",
    "scrub",
    "sdk_failure",
    "status_failed",
    "stream_cut",
    "stream_error",
    "timed_out",
]

_DETAIL_LIMIT = 300


class _Response(Protocol):
    @property
    def headers(self) -> Mapping[str, str]: ...


class _ApiError(Protocol):
    @property
    def body(self) -> object: ...


class StatusError(Protocol):
    """What both SDKs' HTTP-status exceptions carry."""

    @property
    def status_code(self) -> int: ...

    @property
    def response(self) -> _Response: ...

    @property
    def body(self) -> object: ...


@dataclass(frozen=True, slots=True)
class SdkErrors:
    """An SDK's exception classes, by what they mean (an adapter's error map).

    Attributes:
        status: an HTTP error status; its code decides the kind.
        timeout: no answer in time (checked before ``connection``: both SDKs derive it).
        connection: no connection, or it dropped.
        rejected_answer: the SDK could not read a 2xx answer.
        api_error: the SDK's base of API errors; one that is none of the above is an error
            event in a stream (OpenAI's ``data: {"error": ...}``).
        transport_timeout: the HTTP library's timeout, and
        transport: its other failures, which escape some SDKs' streams unwrapped.
        refused: the SDK's root error: anything else it raises (it refused the call).
    """

    status: type[StatusError]
    timeout: type[Exception]
    connection: type[Exception]
    rejected_answer: type[Exception]
    api_error: type[_ApiError]
    transport_timeout: type[Exception]
    transport: type[Exception]
    refused: type[Exception]

    @classmethod
    def of(cls, sdk: ModuleType, *, root: type[Exception], http: ModuleType) -> SdkErrors:
        """The map of an SDK generated the way both vendors' are: the same exception names
        (``APIStatusError``, ``APITimeoutError``...) under its own root error; ``http`` is
        the HTTP library it reads with."""
        return cls(
            status=sdk.APIStatusError,
            timeout=sdk.APITimeoutError,
            connection=sdk.APIConnectionError,
            rejected_answer=sdk.APIResponseValidationError,
            api_error=sdk.APIError,
            transport_timeout=http.TimeoutException,
            transport=http.TransportError,
            refused=root,
        )


def scrub(text: str, secret: str | None) -> str:
    """``text`` without ``secret`` in it, cut to a loggable length."""
    if secret:
        text = text.replace(secret, "[redacted]")
    return text if len(text) <= _DETAIL_LIMIT else text[: _DETAIL_LIMIT - 1] + "…"


def parse_retry_after(headers: Mapping[str, str], *, now: float) -> float | None:
    """Seconds the provider asked us to wait: ``retry-after-ms``, else ``Retry-After`` as
    seconds or an HTTP date (``now`` is the wall clock, in epoch seconds)."""
    millis = headers.get("retry-after-ms")
    if millis is not None:
        try:
            return max(float(millis) / 1000, 0.0)
        except ValueError:
            pass
    value = headers.get("retry-after")
    if value is None:
        return None
    try:
        return max(float(value), 0.0)
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(when.timestamp() - now, 0.0)


def _status_kind(status: int) -> ProviderFailure:
    if status == 429:
        return "rate_limited"
    if status == 408:
        return "timeout"
    if status >= 500:
        return "server"
    if status in (401, 403):
        return "auth"
    return "bad_request"


def _error_message(body: object) -> str:
    """The provider's own words from an error body (both vendors nest a ``message``)."""
    if isinstance(body, Mapping):
        inner = body.get("error", body)
        if isinstance(inner, Mapping) and isinstance(inner.get("message"), str):
            return str(inner["message"])
    return "" if body is None else str(body)


def status_failed(
    provider: str,
    status: int,
    *,
    headers: Mapping[str, str],
    body: object,
    secret: str | None,
    now: float,
) -> ProviderError:
    """The error for an HTTP error status."""
    kind = _status_kind(status)
    message = _error_message(body)
    detail = scrub(f"HTTP {status}" + (f": {message}" if message else ""), secret)
    retry_after = (
        parse_retry_after(headers, now=now) if kind in ("rate_limited", "server") else None
    )
    return ProviderError(provider, kind, detail, retry_after=retry_after)


def timed_out(provider: str, *, timeout: float) -> ProviderError:
    """The error for an attempt that got no answer in time."""
    return ProviderError(provider, "timeout", f"no response within {timeout:g}s")


def idle_timeout(provider: str, *, timeout: float) -> ProviderError:
    """The error for a stream that sent no event within ``timeout`` seconds."""
    return ProviderError(provider, "timeout", f"no event of the stream within {timeout:g}s")


def stream_cut(provider: str) -> ProviderError:
    """The error for a stream that ended cleanly before its final event (a proxy closing
    it, a server going away between events)."""
    return ProviderError(provider, "connection", "the stream ended before the answer was complete")


_STREAM_ERRORS: dict[str, ProviderFailure] = {
    "rate_limit_error": "rate_limited",
    "rate_limit_exceeded": "rate_limited",
    "overloaded_error": "server",
    "api_error": "server",
    "server_error": "server",
    "timeout_error": "timeout",
    "authentication_error": "auth",
    "permission_error": "auth",
    "invalid_api_key": "auth",
    "invalid_request_error": "bad_request",
    "not_found_error": "bad_request",
    "request_too_large": "bad_request",
}
"""In-stream error types (Anthropic's ``error.type``, OpenAI's ``code`` or ``type``)."""


def stream_error(provider: str, body: object, *, secret: str | None) -> ProviderError:
    """The error for an error event in a stream, by its type; an unknown type is the
    server's failure (it broke off an answer it had accepted)."""
    inner = body.get("error", body) if isinstance(body, Mapping) else None
    names = (inner.get("code"), inner.get("type")) if isinstance(inner, Mapping) else ()
    kinds = [
        _STREAM_ERRORS[name] for name in names if isinstance(name, str) and name in _STREAM_ERRORS
    ]
    message = _error_message(body)
    detail = scrub("error event" + (f": {message}" if message else ""), secret)
    return ProviderError(provider, kinds[0] if kinds else "server", detail)


def connection_failed(provider: str, exc: BaseException, *, secret: str | None) -> ProviderError:
    """The error for a connection that could not be made or dropped; the SDKs wrap the cause
    (``Connection error.``), so its own words are kept: they say why."""
    cause = exc.__cause__ or exc.__context__
    said = f"{type(cause).__name__}: {cause}" if cause is not None else type(exc).__name__
    return ProviderError(provider, "connection", scrub(f"connection failed ({said})", secret))


def sdk_failure(
    provider: str,
    exc: Exception,
    errors: SdkErrors,
    *,
    timeout: float,
    secret: str | None,
    now: float,
) -> ProviderError | None:
    """The error for an exception an SDK raised, by the adapter's error map; ``None`` for one
    that is not the SDK's (a bug of ours, left to propagate)."""
    if isinstance(exc, errors.status) and 200 <= exc.status_code < 300:
        return stream_error(provider, exc.body, secret=secret)  # an error event after a 200
    if isinstance(exc, errors.status):
        return status_failed(
            provider,
            exc.status_code,
            headers=exc.response.headers,
            body=exc.body,
            secret=secret,
            now=now,
        )
    if isinstance(exc, errors.timeout):
        return timed_out(provider, timeout=timeout)
    if isinstance(exc, errors.connection):
        return connection_failed(provider, exc, secret=secret)
    if isinstance(exc, errors.rejected_answer):
        return ProviderError(provider, "bad_response", "the SDK rejected the answer")
    if isinstance(exc, errors.api_error):
        return stream_error(provider, exc.body, secret=secret)
    if isinstance(exc, errors.transport_timeout):
        return timed_out(provider, timeout=timeout)
    if isinstance(exc, errors.transport):
        return connection_failed(provider, exc, secret=secret)
    if isinstance(exc, errors.refused):
        detail = f"the SDK refused the call ({type(exc).__name__})"
        return ProviderError(provider, "bad_request", detail)
    return None
