"""What a failed provider call means, in the domain's words (:class:`ProviderError`).

Each adapter catches its SDK's exceptions at the seam and hands the facts (an HTTP status and
its headers, a transport failure) to these functions, so both providers classify failures the
same way:

| the provider / transport                    | ``ProviderError.kind`` |
| ------------------------------------------- | ---------------------- |
| 429                                         | ``rate_limited`` (with ``retry_after``) |
| 408, or the SDK's timeout                   | ``timeout``            |
| 5xx (Anthropic's 529 ``overloaded`` too)    | ``server``             |
| 401, 403                                    | ``auth``               |
| any other 4xx, or a request we cannot build | ``bad_request``        |
| no connection, or it dropped                | ``connection``         |
| a 2xx that is not the expected JSON         | ``bad_response``       |

The key never reaches a message: :func:`scrub` removes it from anything a provider echoes.
"""

from __future__ import annotations

import email.utils
from collections.abc import Mapping

from pydantic import ValidationError

from agents.kernel.errors import ProviderError, ProviderFailure

__all__ = [
    "connection_failed",
    "invalid_response",
    "parse_retry_after",
    "scrub",
    "status_failed",
    "timed_out",
]

_DETAIL_LIMIT = 300


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


def connection_failed(provider: str, exc: BaseException, *, secret: str | None) -> ProviderError:
    """The error for a connection that could not be made or dropped; the SDKs wrap the cause
    (``Connection error.``), so its own words are kept: they say why."""
    cause = exc.__cause__ or exc.__context__
    said = f"{type(cause).__name__}: {cause}" if cause is not None else type(exc).__name__
    return ProviderError(provider, "connection", scrub(f"connection failed ({said})", secret))


def invalid_response(provider: str, exc: ValidationError) -> ProviderError:
    """The error for a 2xx body that is not the expected JSON; says where, never what (the
    body may hold conversation content)."""
    errors = exc.errors(include_url=False, include_input=False)
    first = errors[0] if errors else None
    if first is not None and first["type"] == "json_invalid":
        return ProviderError(provider, "bad_response", "the answer is not JSON")
    where = ".".join(str(part) for part in first["loc"]) if first is not None else "?"
    what = first["type"] if first is not None else "invalid"
    detail = f"unexpected answer: {len(errors)} problem(s), first {what} at {where or 'top'}"
    return ProviderError(provider, "bad_response", detail)
