"""structlog set-up: one pipeline for our events and for stdlib loggers (Bolt, slack_sdk).

JSON off a terminal, pretty on one. Context (team, channel, user, trace id) is bound per
request with contextvars by the handlers' middleware. A last processor masks any value under
a key that names a secret, so a careless ``log.info(..., token=...)`` cannot leak one.
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import MutableMapping
from typing import Any, Literal

import structlog

from agents.kernel.redaction import redact

__all__ = ["configure_logging", "redact_secrets"]

_SECRET_KEY = re.compile(r"token|secret|password|authorization|signature|cookie", re.I)


def redact_secrets(
    _logger: Any, _method: str, event_dict: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    """Mask values whose key names a secret, and any recognised secret inside string values
    (the same :func:`~agents.kernel.redaction.redact` that guards storage and models)."""
    for key, value in list(event_dict.items()):
        if _SECRET_KEY.search(key) and value is not None:
            event_dict[key] = "[redacted]"
        elif isinstance(value, str):
            event_dict[key] = redact(value)
    return event_dict


_SDK_CLIENT_LOGGERS = ("slack_sdk.web.async_base_client", "slack_sdk.web.base_client")


def configure_logging(
    *, fmt: Literal["json", "console"], level: str = "info", stream: Any = None
) -> None:
    """Configure structlog and route the stdlib root logger through the same renderer."""
    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    renderer: Any = (
        structlog.processors.JSONRenderer()
        if fmt == "json"
        else structlog.dev.ConsoleRenderer(colors=False)
    )
    numeric = logging.getLevelName(level.upper())
    structlog.configure(
        processors=[
            *shared,
            structlog.processors.format_exc_info,  # before redaction: tracebacks quote values
            redact_secrets,
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.make_filtering_bound_logger(numeric),
        cache_logger_on_first_use=True,
    )
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=[*shared, redact_secrets],
            processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, renderer],
        )
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(numeric)
    # The SDKs log whole request bodies at debug level: keep them at warning unless asked.
    # slack_sdk's Web API client formats those bodies whenever its own logger's level (not
    # the effective one) is at most DEBUG, as an unset level (0) is: about 40 µs a call for
    # lines no handler takes (benchmarks/README.md, issue 19). So its module logger gets a
    # level of its own.
    for noisy in ("slack_sdk", "slack_bolt", "aiohttp.access", "alembic", *_SDK_CLIENT_LOGGERS):
        logging.getLogger(noisy).setLevel(max(numeric, logging.WARNING))
