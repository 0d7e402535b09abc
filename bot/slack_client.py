"""The Slack Web API client: pointed at the configured base URL, with the SDK's retry handlers.

Retries are slack_sdk's built-in handlers (named here, in one place): a 429 waits for
``Retry-After``; a 5xx or a dropped connection is retried with jittered backoff. Posting a
reply twice is prevented one level up (replies carry their trace id in message metadata and
recovery looks for it), which is what makes retrying ``chat.postMessage`` acceptable.
"""

from __future__ import annotations

from dataclasses import dataclass

import aiohttp
from slack_sdk.http_retry.async_handler import AsyncRetryHandler
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
    AsyncServerErrorRetryHandler,
)
from slack_sdk.web.async_client import AsyncWebClient

__all__ = ["RATE_LIMIT_RETRIES", "SlackConnection", "build_web_client", "retry_handlers"]

RATE_LIMIT_RETRIES = 3
SERVER_ERROR_RETRIES = 2
CONNECTION_ERROR_RETRIES = 2
WEB_API_TIMEOUT_SECONDS = 10


def retry_handlers() -> list[AsyncRetryHandler]:
    """The retry policies every Web API call goes through."""
    return [
        AsyncRateLimitErrorRetryHandler(max_retry_count=RATE_LIMIT_RETRIES),
        AsyncServerErrorRetryHandler(max_retry_count=SERVER_ERROR_RETRIES),
        AsyncConnectionErrorRetryHandler(max_retry_count=CONNECTION_ERROR_RETRIES),
    ]


def build_web_client(
    *, token: str, base_url: str, session: aiohttp.ClientSession, retry: bool = True
) -> AsyncWebClient:
    """An ``AsyncWebClient`` for ``base_url`` sharing ``session``, with the policies above
    (``retry`` False: none, for calls whose failure has a better answer than waiting)."""
    return AsyncWebClient(
        token=token,
        base_url=base_url,
        session=session,
        timeout=WEB_API_TIMEOUT_SECONDS,
        retry_handlers=retry_handlers() if retry else [],
    )


@dataclass(frozen=True, slots=True)
class SlackConnection:
    """A running bot's way to Slack: one HTTP session and two Web API clients over it.

    Attributes:
        client: every call that must reach Slack (retried on a 429, a 5xx, a dropped
            connection).
        live: what a person watches while a turn works (status, streamed text): never
            retried, because a status that waits for a rate limit is worse than none and a
            stream Slack refused falls back to posting the answer.
    """

    session: aiohttp.ClientSession
    client: AsyncWebClient
    live: AsyncWebClient

    @classmethod
    def open(
        cls,
        *,
        token: str,
        base_url: str,
        trace_configs: list[aiohttp.TraceConfig] | None = None,
    ) -> SlackConnection:
        """A session (its calls observed by ``trace_configs``) and a client for ``base_url``."""
        session = aiohttp.ClientSession(trace_configs=trace_configs)
        return cls(
            session,
            build_web_client(token=token, base_url=base_url, session=session),
            build_web_client(token=token, base_url=base_url, session=session, retry=False),
        )
