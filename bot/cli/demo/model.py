"""``switchboard demo --model PROVIDER:MODEL``: the model the demo's agents plan with.

Without ``--model`` the demo's deploy agent plans with a scripted model (:mod:`.tour`); with
it, the deploy agent plans and the knowledge agent composes its answers with the named model,
the rules planner remaining their fallback (the other agents answer with rules). The example
config is the demo's only config: with ``SWITCHBOARD_CONFIG`` set, declare providers in that
file instead.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

__all__ = ["MODEL_AGENTS", "DemoModel", "ModelChoiceError", "parse_model", "with_model"]

MODEL_AGENTS = ("deploy", "knowledge")
"""The agents that use ``--model`` (the others answer with rules: docs/agents.md)."""

PROVIDER_NAME = "demo"


@dataclass(frozen=True, slots=True)
class _Vendor:
    kind: Literal["openai", "anthropic"]
    base_url: str | None  # None: --base-url is required
    key_env: str | None  # None: no key needed


_VENDORS: dict[str, _Vendor] = {
    "openai": _Vendor("openai", "https://api.openai.com/v1", "OPENAI_API_KEY"),
    "anthropic": _Vendor("anthropic", "https://api.anthropic.com", "ANTHROPIC_API_KEY"),
    "ollama": _Vendor("openai", "http://127.0.0.1:11434/v1", None),
    "local": _Vendor("openai", None, None),
}


class ModelChoiceError(ValueError):
    """``--model`` (or ``--base-url``) cannot be used as given; the message says why."""


@dataclass(frozen=True, slots=True)
class DemoModel:
    """A provider and model for the demo's agents.

    Attributes:
        kind: the wire format (OpenAI-compatible chat completions or Anthropic Messages).
        model: the model's name as the provider knows it.
        base_url: where the provider listens.
        key_env: the environment variable holding its key (None: the provider needs none).
        label: how the demo names it to the person, e.g. ``openai:gpt-4o-mini``.
        agents: the agents that plan with it.
        free: its calls cost nothing (the scripted model); else the price is unknown.
    """

    kind: Literal["openai", "anthropic"]
    model: str
    base_url: str
    key_env: str | None
    label: str
    agents: tuple[str, ...] = MODEL_AGENTS
    free: bool = False


def parse_model(choice: str, *, base_url: str | None, environ: Mapping[str, str]) -> DemoModel:
    """``PROVIDER:MODEL`` as a :class:`DemoModel`.

    PROVIDER is ``openai`` or ``anthropic`` (the key from ``OPENAI_API_KEY`` or
    ``ANTHROPIC_API_KEY``), ``ollama`` (on its default port) or ``local`` (an
    OpenAI-compatible server such as llama.cpp or vLLM, named by ``base_url``). ``base_url``
    replaces any provider's address; an OpenAI-compatible server found there needs no key
    unless ``OPENAI_API_KEY`` is set.

    Raises:
        ModelChoiceError: an unknown provider, no model name, no address for ``local``, or a
            hosted provider's key missing from the environment.
    """
    provider, _, model = choice.partition(":")
    provider = provider.strip().lower()
    model = model.strip()
    vendor = _VENDORS.get(provider)
    if vendor is None:
        raise ModelChoiceError(
            f"--model {choice!r}: unknown provider {provider!r}; use one of "
            f"{', '.join(_VENDORS)} (e.g. openai:gpt-4o-mini, ollama:llama3.1)"
        )
    if not model:
        raise ModelChoiceError(f"--model {choice!r}: name the model after the colon")
    url = base_url or vendor.base_url
    if url is None:
        raise ModelChoiceError(
            f"--model {choice!r}: a local server needs --base-url "
            "(e.g. http://127.0.0.1:8080/v1 for llama.cpp)"
        )
    if not url.startswith(("http://", "https://")):
        raise ModelChoiceError(f"--base-url {url!r}: must be an http(s) URL")
    key_env = vendor.key_env
    if base_url is not None and key_env is not None and not environ.get(key_env):
        key_env = None  # a server of one's own, without a key
    elif key_env is None and vendor.kind == "openai" and environ.get("OPENAI_API_KEY"):
        key_env = "OPENAI_API_KEY"
    if key_env is not None and not environ.get(key_env):
        raise ModelChoiceError(
            f"--model {choice!r}: set {key_env} to the provider's key (it is read from the "
            "environment, never from a flag), or give --base-url for a local server"
        )
    return DemoModel(vendor.kind, model, url, key_env, f"{provider}:{model}")


def with_model(document: Mapping[str, Any], model: DemoModel) -> dict[str, Any]:
    """The config ``document`` (as read from YAML) with ``model`` as its one provider and
    its agents planning with it; the rest of each agent's block is kept."""
    provider: dict[str, Any] = {
        "name": PROVIDER_NAME,
        "kind": model.kind,
        "base_url": model.base_url,
        "timeout": "60s",
        "max_attempts": 2,
    }
    if model.key_env is not None:
        provider["api_key_env"] = model.key_env
    if model.free:
        provider["prices"] = {model.model: {"input": 0.0, "output": 0.0}}
    planning = {"providers": [PROVIDER_NAME], "model": model.model, "max_tokens": 1024}
    blocks = [dict(block) for block in document.get("agents") or []]
    for name in model.agents:
        block = next((b for b in blocks if b.get("name") == name), None)
        if block is None:
            block = {"name": name}
            blocks.append(block)
        block["model"] = planning
    return {**document, "agents": blocks, "providers": [provider]}
