"""``switchboard demo --model``: choosing the provider, and the config the agents get."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from bot.cli.demo.model import (
    MODEL_AGENTS,
    DemoModel,
    ModelChoiceError,
    parse_model,
    with_model,
)
from bot.config_file import parse_config

EXAMPLE = Path(__file__).resolve().parents[3] / "examples" / "switchboard.yaml"


def test_a_hosted_provider_takes_its_key_from_the_environment() -> None:
    model = parse_model("openai:gpt-4o-mini", base_url=None, environ={"OPENAI_API_KEY": "k"})
    assert (model.kind, model.model, model.base_url, model.key_env) == (
        "openai",
        "gpt-4o-mini",
        "https://api.openai.com/v1",
        "OPENAI_API_KEY",
    )
    anthropic = parse_model("anthropic:claude-x", base_url=None, environ={"ANTHROPIC_API_KEY": "k"})
    assert (anthropic.kind, anthropic.key_env) == ("anthropic", "ANTHROPIC_API_KEY")


def test_a_missing_key_is_refused_with_the_variable_to_set() -> None:
    with pytest.raises(ModelChoiceError, match="set OPENAI_API_KEY"):
        parse_model("openai:gpt-4o-mini", base_url=None, environ={})


@pytest.mark.parametrize(
    ("choice", "base_url", "message"),
    [
        ("mistral:large", None, "unknown provider 'mistral'"),
        ("openai", None, "name the model"),
        ("local:llama", None, "needs --base-url"),
        ("local:llama", "ftp://host/v1", "must be an http"),
    ],
)
def test_unusable_choices_say_why(choice: str, base_url: str | None, message: str) -> None:
    with pytest.raises(ModelChoiceError, match=message):
        parse_model(choice, base_url=base_url, environ={})


def test_local_servers_need_no_key() -> None:
    ollama = parse_model("ollama:llama3.1", base_url=None, environ={})
    assert (ollama.kind, ollama.base_url, ollama.key_env) == (
        "openai",
        "http://127.0.0.1:11434/v1",
        None,
    )
    served = parse_model("local:qwen", base_url="http://127.0.0.1:8080/v1", environ={})
    assert (served.base_url, served.key_env) == ("http://127.0.0.1:8080/v1", None)
    # A base URL of one's own for a hosted kind: the key only if it is set.
    own = parse_model("openai:m", base_url="http://127.0.0.1:8000/v1", environ={})
    assert own.key_env is None
    keyed = parse_model("local:m", base_url="http://h:1/v1", environ={"OPENAI_API_KEY": "k"})
    assert keyed.key_env == "OPENAI_API_KEY"


def test_the_example_config_with_a_model_is_valid_and_keeps_each_agents_block() -> None:
    model = DemoModel("openai", "m1", "http://127.0.0.1:9/v1", "OPENAI_API_KEY", "openai:m1")
    document = with_model(yaml.safe_load(EXAMPLE.read_text()), model)
    config = parse_config(yaml.safe_dump(document))
    (provider,) = config.providers
    assert (provider.name, provider.kind, provider.api_key_env) == (
        "demo",
        "openai",
        "OPENAI_API_KEY",
    )
    profiles = config.planning.profiles
    for agent in MODEL_AGENTS:
        settings = profiles[agent].model
        assert settings is not None and settings.model == "m1"
    assert profiles["deploy"].context_budget == 4000  # the example's own setting stays
    assert "help" not in profiles or profiles["help"].model is None


def test_a_free_model_is_priced_at_zero_for_its_agents_alone() -> None:
    model = DemoModel("openai", "tour", "http://h:1/v1", None, "t", agents=("deploy",), free=True)
    document = with_model({"agents": [], "actions": []}, model)
    assert [a["name"] for a in document["agents"]] == ["deploy"]
    assert document["providers"][0]["prices"] == {"tour": {"input": 0.0, "output": 0.0}}
    assert "api_key_env" not in document["providers"][0]
