"""The two vendors' wire formats: a step rendered as an OpenAI chat completion or an Anthropic
message, an error in each vendor's shape, and the checks the real APIs make on a request."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator, Mapping
from typing import Literal

from aiohttp import web

from sandbox.llm_steps import ErrorStep, Reply, ScriptedCall, ToolCalls
from sandbox.records import JSON

__all__ = [
    "Flavour",
    "anthropic_body",
    "arguments_object",
    "arguments_text",
    "error_body",
    "error_response",
    "invalid",
    "openai_body",
    "tool_id",
]

Flavour = Literal["openai", "anthropic"]

_OPENAI_ERRORS: dict[int, tuple[str, str | None]] = {
    400: ("invalid_request_error", None),
    401: ("invalid_request_error", "invalid_api_key"),
    403: ("permission_denied", None),
    404: ("invalid_request_error", "model_not_found"),
    429: ("requests", "rate_limit_exceeded"),
}
_ANTHROPIC_ERRORS = {
    400: "invalid_request_error",
    401: "authentication_error",
    403: "permission_error",
    404: "not_found_error",
    413: "request_too_large",
    429: "rate_limit_error",
    529: "overloaded_error",
}


def openai_body(step: Reply | ToolCalls, *, model: str, ids: Iterator[int]) -> JSON:
    """``step`` as an OpenAI chat completion (ids drawn from ``ids``)."""
    message: JSON = {"role": "assistant", "content": step.text or None, "refusal": None}
    if isinstance(step, ToolCalls):
        message["tool_calls"] = [
            {
                "id": tool_id("openai", c, ids),
                "type": "function",
                "function": {"name": c.name, "arguments": arguments_text(c.arguments)},
            }
            for c in step.calls
        ]
        finish = "tool_calls"
    else:
        finish = step.finish
    prompt, completion = step.usage
    return {
        "id": f"chatcmpl-{next(ids):06d}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [{"index": 0, "message": message, "finish_reason": finish, "logprobs": None}],
        "usage": {
            "prompt_tokens": prompt,
            "completion_tokens": completion,
            "total_tokens": prompt + completion,
        },
    }


def anthropic_body(step: Reply | ToolCalls, *, model: str, ids: Iterator[int]) -> JSON:
    """``step`` as an Anthropic message (ids drawn from ``ids``)."""
    content: list[JSON] = [{"type": "text", "text": step.text}] if step.text else []
    if isinstance(step, ToolCalls):
        content.extend(
            {
                "type": "tool_use",
                "id": tool_id("anthropic", c, ids),
                "name": c.name,
                "input": arguments_object(c.arguments),
            }
            for c in step.calls
        )
        stop = "tool_use"
    else:
        stop = "end_turn" if step.finish == "stop" else "max_tokens"
    prompt, completion = step.usage
    return {
        "id": f"msg_{next(ids):06d}",
        "type": "message",
        "role": "assistant",
        "model": model,
        "content": content,
        "stop_reason": stop,
        "stop_sequence": None,
        "usage": {
            "input_tokens": prompt,
            "output_tokens": completion,
            "cache_creation_input_tokens": 0,
            "cache_read_input_tokens": 0,
        },
    }


def error_response(flavour: Flavour, step: ErrorStep, *, ids: Iterator[int]) -> web.Response:
    """``step`` as the vendor's error (its body, or the vendor's error shape and request id)."""
    headers: dict[str, str] = {}
    if step.retry_after is not None:
        value = step.retry_after
        headers["Retry-After"] = f"{value:g}" if isinstance(value, int | float) else str(value)
    request_id = f"req_{next(ids):06d}"
    if step.body is not None:
        text = step.body if isinstance(step.body, str) else json.dumps(step.body)
    elif flavour == "openai":
        text = json.dumps(error_body(flavour, step.status, step.message))
        headers["x-request-id"] = request_id
    else:
        body = error_body(flavour, step.status, step.message)
        text = json.dumps({**body, "request_id": request_id})
        headers["request-id"] = request_id
    return web.Response(
        status=step.status, text=text, content_type="application/json", headers=headers
    )


def error_body(flavour: Flavour, status: int, message: str) -> JSON:
    """The vendor's error object for ``status`` (also what an in-stream error carries)."""
    if flavour == "openai":
        kind, code = _OPENAI_ERRORS.get(status, ("server_error", None))
        return {"error": {"message": message, "type": kind, "param": None, "code": code}}
    anthropic_kind = _ANTHROPIC_ERRORS.get(status, "api_error")
    return {"type": "error", "error": {"type": anthropic_kind, "message": message}}


def tool_id(flavour: Flavour, scripted: ScriptedCall, ids: Iterator[int]) -> str:
    """The call's scripted id, or one made up in the vendor's style."""
    if scripted.id:
        return scripted.id
    return f"call_{next(ids):06d}" if flavour == "openai" else f"toolu_{next(ids):06d}"


def invalid(flavour: Flavour, body: JSON | None, headers: Mapping[str, str]) -> str | None:
    """Why the real API would refuse this request (the checks an adapter bug would trip)."""
    if body is None:
        return "the body must be a JSON object"
    if not isinstance(body.get("model"), str):
        return "model: field required"
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        return "messages: a non-empty list is required"
    if flavour == "anthropic":
        if "anthropic-version" not in headers:
            return "anthropic-version: header is required"
        if not isinstance(body.get("max_tokens"), int):
            return "max_tokens: field required"
        roles = [m.get("role") if isinstance(m, dict) else None for m in messages]
        if any(role not in ("user", "assistant") for role in roles):
            return "messages: roles must be 'user' or 'assistant' (system goes in 'system')"
    return None


def arguments_text(arguments: Mapping[str, object] | str) -> str:
    """OpenAI's ``arguments``: JSON text (a scripted string verbatim)."""
    return arguments if isinstance(arguments, str) else json.dumps(dict(arguments))


def arguments_object(arguments: Mapping[str, object] | str) -> object:
    """Anthropic's ``input`` is an object; a string that is not one is sent as it is (a
    protocol violation, which is what a test of a broken server wants)."""
    if not isinstance(arguments, str):
        return dict(arguments)
    try:
        decoded = json.loads(arguments)
    except ValueError:
        return arguments
    return decoded if isinstance(decoded, dict) else arguments
