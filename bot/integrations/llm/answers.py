"""Reading what a provider answered: a whole 2xx body, or the events of a stream, validated
with pydantic as the fields we read (the SDKs accept anything they are given). A failure says
where the answer went wrong, never what it said (it may hold conversation content).
"""

from __future__ import annotations

from typing import TypeVar

from pydantic import BaseModel, ValidationError

from agents.kernel.errors import ProviderError

__all__ = ["invalid_event", "invalid_response", "read_answer", "read_event"]

_Answer = TypeVar("_Answer", bound=BaseModel)


def read_answer(provider: str, schema: type[_Answer], body: bytes) -> _Answer:
    """A raw 2xx body validated as ``schema`` (the fields of an answer we read).

    Raises:
        ProviderError: ``bad_response`` when the body does not fit.
    """
    try:
        return schema.model_validate_json(body)
    except ValidationError as exc:
        raise invalid_response(provider, exc) from exc


def read_event(provider: str, schema: type[_Answer], event: object) -> _Answer:
    """An event an SDK parsed from a stream, read as ``schema`` by its attributes (the SDKs
    build events without checking them).

    Raises:
        ProviderError: ``bad_response`` when the event does not fit.
    """
    try:
        return schema.model_validate(event, from_attributes=True)
    except ValidationError as exc:
        raise invalid_response(provider, exc) from exc


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


def invalid_event(provider: str, *, events: int) -> ProviderError:
    """The error for a stream with no event at all (``events == 0``: the server did not
    stream), or one whose data is not JSON."""
    if events == 0:
        return ProviderError(provider, "bad_response", "the answer has no events of a stream")
    return ProviderError(provider, "bad_response", "an event of the stream is not JSON")
