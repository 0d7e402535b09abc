"""The one exception tree of Switchboard.

Every error raised on purpose by our code derives from :class:`SwitchboardError`::

    SwitchboardError
    ├── ConfigError        a setting or config file is missing or malformed (start-up stops)
    ├── DatasetError       an evaluation dataset or baseline file is malformed (eval stops)
    ├── StorageError       the database failed or answered something impossible
    ├── SlackApiFailure    a Slack Web API call failed after the retry policy gave up
    ├── AgentFailure       an agent raised while handling a turn (the turn is answered politely)
    ├── ProviderError      an LLM provider failed for good (the planner falls back)
    └── UserFacingError    safe to show the person who asked, verbatim

Expected outcomes (no agent matched, duplicate delivery, needs approval) are return values,
never exceptions. Third-party exceptions are translated at the seam that calls the library
(``raise StorageError(...) from exc``), so callers catch ours only.
"""

from __future__ import annotations

from typing import Literal

__all__ = [
    "AgentFailure",
    "ConfigError",
    "DatasetError",
    "ProviderError",
    "ProviderFailure",
    "SlackApiFailure",
    "StorageError",
    "SwitchboardError",
    "UserFacingError",
]


class SwitchboardError(Exception):
    """Root of every error Switchboard raises on purpose."""


class ConfigError(SwitchboardError):
    """A setting or the config file is missing or malformed.

    Attributes:
        setting: the environment variable or config field at fault.
    """

    def __init__(self, setting: str, message: str) -> None:
        super().__init__(f"{setting}: {message}")
        self.setting = setting
        self.message = message


class DatasetError(SwitchboardError):
    """An evaluation dataset (JSONL) or its baseline file is malformed.

    Attributes:
        where: the place at fault, ``file:line`` for a dataset line, else the file.
        message: what is wrong there.
    """

    def __init__(self, where: str, message: str) -> None:
        super().__init__(f"{where}: {message}")
        self.where = where
        self.message = message


class StorageError(SwitchboardError):
    """The database failed, or an invariant of the stored data was broken."""


class SlackApiFailure(SwitchboardError):
    """A Slack Web API call failed for good (after the SDK's retry handlers).

    Attributes:
        method: the Web API method, e.g. ``chat.postMessage``.
        error: Slack's error code (``channel_not_found``) or a transport description.
    """

    def __init__(self, method: str, error: str) -> None:
        super().__init__(f"{method} failed: {error}")
        self.method = method
        self.error = error


class AgentFailure(SwitchboardError):
    """An agent raised while it handled a turn."""

    def __init__(self, agent: str, cause: BaseException) -> None:
        super().__init__(f"agent {agent!r} failed: {type(cause).__name__}")
        self.agent = agent


ProviderFailure = Literal[
    "rate_limited",
    "server",
    "timeout",
    "connection",
    "auth",
    "bad_request",
    "bad_response",
    "circuit_open",
]
"""Why a provider call failed: the first four are transient (retried at the edge)."""


class ProviderError(SwitchboardError):
    """An LLM provider call failed after the adapter's retries, or its circuit is open.

    Attributes:
        provider: the provider's name in the config file.
        kind: what went wrong.
        retry_after: seconds the provider asked us to wait, when it said so.
    """

    def __init__(
        self, provider: str, kind: ProviderFailure, detail: str, *, retry_after: float | None = None
    ) -> None:
        super().__init__(f"provider {provider!r} {kind}: {detail}")
        self.provider = provider
        self.kind = kind
        self.detail = detail
        self.retry_after = retry_after


class UserFacingError(SwitchboardError):
    """An error whose message is written for, and safe to show to, the person who asked."""

    def __init__(self, user_message: str) -> None:
        super().__init__(user_message)
        self.user_message = user_message
