"""Building the chat models from provider settings: one per provider, the SDK an optional
extra, the key out of every repr."""

from __future__ import annotations

import sys

import pytest

from agents.kernel.errors import ConfigError
from bot.integrations.llm import ProviderSettings, build_chat_models, close_chat_models
from bot.integrations.llm.anthropic_messages import AnthropicChatModel
from bot.integrations.llm.openai_compat import OpenAIChatModel

OPENAI = ProviderSettings("openai", "openai", "http://127.0.0.1:9/v1", api_key="sk-live-123")
CLAUDE = ProviderSettings("claude", "anthropic", "http://127.0.0.1:9", api_key="sk-ant-456")


async def test_one_model_per_provider() -> None:
    """Each provider becomes a chat model of its kind, under its name."""
    models = build_chat_models([OPENAI, CLAUDE])
    try:
        assert set(models) == {"openai", "claude"}
        assert isinstance(models["openai"], OpenAIChatModel)
        assert isinstance(models["claude"], AnthropicChatModel)
        assert models["claude"].name == "claude"
    finally:
        await close_chat_models(models)


def test_duplicate_names_are_a_config_error() -> None:
    """Two providers with one name are refused."""
    with pytest.raises(ConfigError) as caught:
        build_chat_models([OPENAI, OPENAI])
    assert caught.value.setting == "providers.openai"


@pytest.mark.parametrize(
    ("settings", "module"), [(OPENAI, "openai"), (CLAUDE, "anthropic")], ids=["openai", "anthropic"]
)
def test_missing_sdk_is_a_config_error(
    settings: ProviderSettings, module: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without the provider's SDK installed, building says which extra to install."""
    monkeypatch.setitem(sys.modules, module, None)  # makes `import <module>` fail
    with pytest.raises(ConfigError) as caught:
        build_chat_models([settings])
    assert caught.value.setting == f"providers.{settings.name}"
    assert caught.value.message == f"needs the optional extra: pip install 'switchboard[{module}]'"


def test_no_providers_no_sdk_needed(monkeypatch: pytest.MonkeyPatch) -> None:
    """With no provider configured, neither SDK is imported."""
    monkeypatch.setitem(sys.modules, "openai", None)
    monkeypatch.setitem(sys.modules, "anthropic", None)
    assert build_chat_models([]) == {}


def test_key_and_headers_stay_out_of_repr() -> None:
    """The resolved key and the default headers (Azure's ``api-key``) never show in a repr."""
    settings = ProviderSettings(
        "azure", "openai", "https://example.invalid/v1", "sk-9", default_headers={"api-key": "k-7"}
    )
    assert "sk-9" not in repr(settings) and "k-7" not in repr(settings)
    assert "azure" in repr(settings)


@pytest.mark.parametrize(
    "overrides",
    [{"max_attempts": 0}, {"max_attempts": 4}, {"timeout": 0}, {"breaker_threshold": 0}],
)
def test_settings_are_bounded(overrides: dict[str, float]) -> None:
    """At most three attempts, a positive timeout, a threshold of at least one."""
    with pytest.raises(ValueError, match="provider 'x'"):
        ProviderSettings("x", "openai", "http://127.0.0.1:9/v1", None, **overrides)  # type: ignore[arg-type]


async def test_keyless_local_server() -> None:
    """A provider without a key (a local vLLM or Ollama) still builds."""
    models = build_chat_models([ProviderSettings("local", "openai", "http://127.0.0.1:9/v1", None)])
    assert models["local"].name == "local"
    await close_chat_models(models)
