"""Configs for the LLM scenarios: the approvals actions plus an LLM-planned deploy agent."""

from __future__ import annotations

from typing import Any

from bot.config_file import LoadedConfig, parse_config
from tests.e2e.approvals_config import approvals_config

LLM_SECTIONS = """
agents:
  - name: deploy
    keywords: [deploy, rollback, ship]
    system_prompt: You ship services for the team.
    model: {{providers: [{providers}], model: test-model, max_steps: 3, max_tool_calls: 3}}
    {daily_budget}
  - name: oncall
    keywords: [on call, pager]
providers:
  - name: primary
    kind: {kind}
    base_url: {primary_url}
    api_key_env: PRIMARY_LLM_KEY
    timeout: {timeout}
    breaker: {{failures: 5, cooldown: 30s}}
    prices: {{test-model: {{input: 1.0, output: 2.0}}}}
  - name: backup
    kind: openai
    base_url: {backup_url}
    timeout: {timeout}
    prices: {{test-model: {{input: 1.0, output: 2.0}}}}
"""

LLM_KEY = "sk-test-" + "0123456789abcdef"
"""The primary provider's API key (the scripted server checks it; logs must not show it)."""


def llm_config(deploy_api: str, **options: Any) -> LoadedConfig:
    """The approvals actions with an LLM-planned deploy agent (options: see
    :func:`llm_config_text`)."""
    return parse_config(llm_config_text(deploy_api, **options))


def llm_config_text(
    deploy_api: str,
    *,
    primary_url: str,
    backup_url: str = "http://127.0.0.1:9/v1",
    kind: str = "openai",
    providers: str = "primary",
    timeout: str = "2s",
    daily_budget_usd: float | None = None,
) -> str:
    """The YAML text of :func:`llm_config` (for a bot in another process)."""
    sections = LLM_SECTIONS.format(
        providers=providers,
        kind=kind,
        primary_url=primary_url,
        backup_url=backup_url,
        timeout=timeout,
        daily_budget=(
            f"daily_budget_usd: {daily_budget_usd}" if daily_budget_usd is not None else ""
        ),
    )
    return approvals_config(deploy_api) + sections
