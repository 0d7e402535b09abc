"""One configured LLM provider: where it is, how to authenticate, how patient to be."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

from bot.integrations.resilience import MAX_ATTEMPTS

__all__ = ["KEYLESS", "MAX_ATTEMPTS_LIMIT", "ProviderKind", "ProviderSettings"]

ProviderKind = Literal["openai", "anthropic"]

MAX_ATTEMPTS_LIMIT = MAX_ATTEMPTS
"""No provider call is tried more than this many times (the bound of every retry policy)."""

KEYLESS = "no-key"
"""Sent as the key to a server configured without one (the SDKs insist on a key; local
OpenAI-compatible servers ignore it)."""


@dataclass(frozen=True, slots=True)
class ProviderSettings:
    """A provider as the config file names it, with its secret already resolved.

    Attributes:
        name: the provider's name in the config file (``openai``, ``local-vllm``).
        kind: the wire format it speaks: OpenAI-compatible chat completions or Anthropic
            Messages.
        base_url: e.g. ``https://api.openai.com/v1`` or ``http://127.0.0.1:8000/v1``.
        api_key: the resolved key; ``None`` for a local server that needs none. Never logged
            and kept out of ``repr``.
        timeout: seconds one attempt may wait: for its answer; for a streamed one, for the
            response's headers and then for each next event (an idle limit, so a long answer
            that keeps flowing is not cut).
        max_attempts: attempts per call, 1 to :data:`MAX_ATTEMPTS_LIMIT`.
        breaker_threshold: consecutive failed calls that open the circuit.
        breaker_cooldown: seconds the circuit stays open before one trial call.
        default_headers: sent with every request (kept out of ``repr``: an Azure ``api-key``
            header is a secret too).
    """

    name: str
    kind: ProviderKind
    base_url: str
    api_key: str | None = field(repr=False)
    timeout: float = 30.0
    max_attempts: int = 3
    breaker_threshold: int = 5
    breaker_cooldown: float = 30.0
    default_headers: Mapping[str, str] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        if not 1 <= self.max_attempts <= MAX_ATTEMPTS_LIMIT:
            raise ValueError(
                f"provider {self.name!r}: max_attempts must be 1..{MAX_ATTEMPTS_LIMIT}, "
                f"got {self.max_attempts}"
            )
        if self.timeout <= 0:
            raise ValueError(f"provider {self.name!r}: timeout must be > 0")
        if self.breaker_threshold < 1 or self.breaker_cooldown < 0:
            raise ValueError(
                f"provider {self.name!r}: breaker_threshold must be >= 1 and breaker_cooldown >= 0"
            )
