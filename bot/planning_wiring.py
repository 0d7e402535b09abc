"""Build the planning pieces from the config file: LLM clients, the planner, the classifier.

Kept apart from :mod:`bot.runtime` so that the runtime reads as the list of parts it wires.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from agents.kernel.clock import Clock
from agents.kernel.errors import ConfigError
from agents.llm.chat import ChatModel
from agents.llm.spending import Spending
from agents.llm.usage import UsageStore
from agents.memory.compose import Composer
from agents.turns.classify import Classifier
from agents.turns.llm_planner import LlmPlanner
from bot.config_file import LoadedConfig

if TYPE_CHECKING:
    from bot.config_file import ProviderModel
    from bot.integrations.llm import ProviderSettings

__all__ = ["Planning", "build_composer", "build_planning", "provider_settings"]


@dataclass(frozen=True, slots=True)
class Planning:
    """The LLM side of a running bot; both ``None`` when no provider is configured."""

    models: Mapping[str, ChatModel]
    llm: LlmPlanner | None
    classifier: Classifier | None


def provider_settings(model: ProviderModel, environ: Mapping[str, str]) -> ProviderSettings:
    """One provider's client settings, its API key read from the named variable.

    Raises:
        ConfigError: the variable is named but not set.
    """
    key: str | None = None
    if model.api_key_env is not None:
        key = environ.get(model.api_key_env)
        if not key:
            raise ConfigError(
                f"providers.{model.name}.api_key_env",
                f"environment variable {model.api_key_env} is not set",
            )
    from bot.integrations.llm import ProviderSettings  # only with a provider configured

    return ProviderSettings(
        name=model.name,
        kind=model.kind,
        base_url=model.base_url,
        api_key=key,
        timeout=model.timeout.total_seconds(),
        max_attempts=model.max_attempts,
        breaker_threshold=model.breaker.failures,
        breaker_cooldown=model.breaker.cooldown.total_seconds(),
    )


def build_planning(
    config: LoadedConfig,
    *,
    usage: UsageStore,
    clock: Clock,
    environ: Mapping[str, str],
    wrap: Callable[[ChatModel, str], ChatModel] | None = None,
) -> Planning:
    """Clients for the configured providers, the LLM planner and the router's classifier.

    ``wrap(model, kind)`` may decorate each provider's client (tracing spans).
    """
    if not config.providers:
        return Planning(models={}, llm=None, classifier=None)
    from bot.integrations.llm import build_chat_models  # only with a provider configured

    models = build_chat_models([provider_settings(p, environ) for p in config.providers])
    if wrap is not None:
        kinds = {p.name: p.kind for p in config.providers}
        models = {name: wrap(model, kinds[name]) for name, model in models.items()}
    planning = config.planning
    llm = LlmPlanner(
        models, usage=usage, prices=planning.prices, budgets=planning.budgets, clock=clock
    )
    router = planning.router
    classifier = None
    if router.classifier_provider is not None and router.classifier_model is not None:
        classifier = Classifier(
            models[router.classifier_provider],
            model_name=router.classifier_model,
            spending=Spending(usage, prices=planning.prices, budgets=planning.budgets, clock=clock),
        )
    return Planning(models=models, llm=llm, classifier=classifier)


def build_composer(
    config: LoadedConfig, planning: Planning, *, usage: UsageStore, clock: Clock
) -> Composer | None:
    """The knowledge agent's composer: its first configured provider, when it has a model."""
    profile = config.planning.profiles.get("knowledge")
    if profile is None or profile.model is None:
        return None
    provider = next((p for p in profile.model.providers if p in planning.models), None)
    if provider is None:
        return None
    return Composer(
        planning.models[provider],
        model_name=profile.model.model,
        usage=usage,
        prices=config.planning.prices,
        clock=clock,
    )
