"""The config file (``SWITCHBOARD_CONFIG``, YAML): actions, who may run and approve them, and
their executors; agents, LLM providers, routing and budgets; on-call, incidents, memory,
knowledge, review and alerts.

``load_config`` returns the domain's values (:class:`LoadedConfig`), or raises
:class:`ConfigFileError` listing every problem as ``file:line: field.path: message``. Modules,
in pipeline order: ``yamlsource`` (YAML with positions), ``sections`` (one module per section:
its pydantic shapes, its rules across fields with ``templates`` and ``credentials``, and its
conversion to domain values), ``document`` (the sections composed into the whole file),
``loader`` (reading, validation and error reporting). The ``switchboard config`` command is
:mod:`bot.cli.config`.
"""

from __future__ import annotations

from bot.config_file.document import LoadedConfig
from bot.config_file.errors import ConfigFileError, ConfigIssue
from bot.config_file.loader import load_config, parse_config
from bot.config_file.sections.executors import (
    ExecutorConfig,
    HttpExecutorConfig,
    JsonFieldCheck,
    McpEndpoint,
    McpExecutorConfig,
    McpOAuth,
    PagerDutyExecutorConfig,
    PythonExecutorConfig,
    ShellExecutorConfig,
    SuccessModel,
)
from bot.config_file.sections.incidents import TicketSettings
from bot.config_file.sections.mcp import McpServerModel
from bot.config_file.sections.providers import ProviderModel

__all__ = [
    "ConfigFileError",
    "ConfigIssue",
    "ExecutorConfig",
    "HttpExecutorConfig",
    "JsonFieldCheck",
    "LoadedConfig",
    "McpEndpoint",
    "McpExecutorConfig",
    "McpOAuth",
    "McpServerModel",
    "PagerDutyExecutorConfig",
    "ProviderModel",
    "PythonExecutorConfig",
    "ShellExecutorConfig",
    "SuccessModel",
    "TicketSettings",
    "load_config",
    "parse_config",
]
