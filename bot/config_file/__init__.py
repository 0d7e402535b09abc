"""The config file (``SWITCHBOARD_CONFIG``, YAML): actions, who may run and approve them, and
their executors.

``load_config`` returns the domain's :class:`~agents.core.actions.ActionSpec` values plus each
action's executor configuration, or raises :class:`ConfigFileError` listing every problem as
``file:line: field.path: message``. Modules, in pipeline order: ``yamlsource`` (YAML with
positions), ``models`` (pydantic shapes), ``checks`` (rules across fields, with
``templates`` and ``credentials``), ``convert`` (to domain values), ``loader``. The
``switchboard config`` command is :mod:`bot.cli.config`.
"""

from __future__ import annotations

from bot.config_file.errors import ConfigFileError, ConfigIssue
from bot.config_file.loader import LoadedConfig, load_config, parse_config
from bot.config_file.models import (
    ExecutorConfig,
    HttpExecutorConfig,
    JsonFieldCheck,
    PythonExecutorConfig,
    ShellExecutorConfig,
    SuccessModel,
)

__all__ = [
    "ConfigFileError",
    "ConfigIssue",
    "ExecutorConfig",
    "HttpExecutorConfig",
    "JsonFieldCheck",
    "LoadedConfig",
    "PythonExecutorConfig",
    "ShellExecutorConfig",
    "SuccessModel",
    "load_config",
    "parse_config",
]
