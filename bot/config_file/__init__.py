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

Only :class:`LoadedConfig` (:mod:`.loaded`, no pydantic model) is imported with the package;
the other names are imported when first asked for, so a bot without a config file never
builds the sections' models (issue 19).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from bot.config_file.loaded import LoadedConfig

if TYPE_CHECKING:
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

# Where each name lives, imported on first use (PEP 562).
_EXECUTORS = "sections.executors"
_LAZY = {
    "ConfigFileError": "errors",
    "ConfigIssue": "errors",
    "load_config": "loader",
    "parse_config": "loader",
    "TicketSettings": "sections.incidents",
    "McpServerModel": "sections.mcp",
    "ProviderModel": "sections.providers",
    "ExecutorConfig": _EXECUTORS,
    "HttpExecutorConfig": _EXECUTORS,
    "JsonFieldCheck": _EXECUTORS,
    "McpEndpoint": _EXECUTORS,
    "McpExecutorConfig": _EXECUTORS,
    "McpOAuth": _EXECUTORS,
    "PagerDutyExecutorConfig": _EXECUTORS,
    "PythonExecutorConfig": _EXECUTORS,
    "ShellExecutorConfig": _EXECUTORS,
    "SuccessModel": _EXECUTORS,
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


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
