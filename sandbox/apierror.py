"""The Web API's error answer, shared by the method handlers and the argument checkers they use
(blocks, chunks) without pulling in the workspace."""

from __future__ import annotations

from sandbox.records import JSON

__all__ = ["ApiError", "missing"]


class ApiError(Exception):
    """A Slack Web API error answer (HTTP 200, ``ok: false``).

    Args:
        error: Slack's error code (``channel_not_found``).
        messages: Lines for ``response_metadata.messages`` (``invalid_arguments`` details).
        extra: More top-level keys for the answer (``needed``, ``provided``).
    """

    def __init__(
        self, error: str, *, messages: list[str] | None = None, extra: JSON | None = None
    ) -> None:
        super().__init__(error)
        self.error = error
        self.messages = messages
        self.extra = extra or {}

    def body(self) -> JSON:
        """The answer body."""
        body: JSON = {"ok": False, "error": self.error, **self.extra}
        if self.messages:
            body["response_metadata"] = {"messages": self.messages}
        return body


def missing(name: str) -> ApiError:
    """The ``invalid_arguments`` error Slack answers for a missing required argument."""
    return ApiError("invalid_arguments", messages=[f"[ERROR] missing required field: {name}"])
