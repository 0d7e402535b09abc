"""The ``providers:`` section: LLM providers (built into clients at start, with their
secrets) and their prices for the domain. Their names are unique: the document checks that
with :func:`~bot.config_file.sections.base.duplicate_names`, as it does agents'."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Literal

from pydantic import Field, field_validator

from agents.llm.budgets import Price
from bot.config_file.sections.base import (
    Duration,
    EnvName,
    Name,
    Strict,
    Usd,
    duration_default,
)

__all__ = [
    "BreakerModel",
    "PriceModel",
    "ProviderModel",
    "to_prices",
]


class PriceModel(Strict):
    """What a model costs, in US dollars per million tokens."""

    input: Usd
    output: Usd


class BreakerModel(Strict):
    """When a provider's circuit opens, and how long it stays open."""

    failures: int = Field(5, ge=1, description="consecutive failed calls that open it")
    cooldown: Duration = duration_default("30s")


class ProviderModel(Strict):
    """An LLM provider: OpenAI-compatible chat completions or the Anthropic Messages API."""

    name: Name
    kind: Literal["openai", "anthropic"]
    base_url: str = Field(description="e.g. http://127.0.0.1:8000/v1 for vLLM")
    api_key_env: EnvName | None = Field(None, description="environment variable with the key")
    timeout: Duration = duration_default("30s", description="per attempt")
    max_attempts: int = Field(3, ge=1, le=3, description="attempts per call (at most 3)")
    breaker: BreakerModel = BreakerModel()
    prices: dict[str, PriceModel] = Field({}, description="by model name")

    @field_validator("base_url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if not re.match(r"^https?://[^/\s]+", value):
            raise ValueError("must be an http(s) URL")
        return value


def to_prices(providers: Sequence[ProviderModel]) -> dict[tuple[str, str], Price]:
    """Each model's price, by ``(provider, model)``."""
    return {
        (provider.name, model): Price(price.input, price.output)
        for provider in providers
        for model, price in provider.prices.items()
    }
