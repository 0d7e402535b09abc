"""An error event in a stream, read by its type into the domain's failure kinds."""

from __future__ import annotations

import pytest

from agents.kernel.errors import ProviderFailure
from bot.integrations.llm.failures import stream_error


@pytest.mark.parametrize(
    ("body", "kind"),
    [
        ({"type": "error", "error": {"type": "overloaded_error", "message": "m"}}, "server"),
        ({"type": "error", "error": {"type": "rate_limit_error", "message": "m"}}, "rate_limited"),
        ({"type": "error", "error": {"type": "authentication_error"}}, "auth"),
        ({"type": "error", "error": {"type": "invalid_request_error"}}, "bad_request"),
        ({"message": "m", "type": "server_error", "code": None}, "server"),
        ({"message": "m", "type": "requests", "code": "rate_limit_exceeded"}, "rate_limited"),
        ({"message": "m", "type": "invalid_request_error", "code": "invalid_api_key"}, "auth"),
        ({"message": "m", "type": "brand_new_error"}, "server"),
        ("not even JSON", "server"),
    ],
    ids=[
        "anthropic-overloaded",
        "anthropic-rate-limit",
        "anthropic-auth",
        "anthropic-invalid",
        "openai-server",
        "openai-rate-limit",
        "openai-key-code-wins",
        "unknown",
        "text",
    ],
)
def test_error_event_kinds(body: object, kind: ProviderFailure) -> None:
    """Anthropic's ``error.type`` and OpenAI's ``code`` (else ``type``) decide the kind; an
    unknown error is the server's failure."""
    assert stream_error("p", body, secret=None).kind == kind


def test_the_key_never_reaches_the_detail() -> None:
    """An error event echoing the key is scrubbed."""
    body = {"type": "error", "error": {"type": "api_error", "message": "bad key sk-live-1"}}
    error = stream_error("p", body, secret="sk-live-1")
    assert "sk-live-1" not in str(error) and "[redacted]" in error.detail
