"""The config file (``SWITCHBOARD_CONFIG``, YAML): actions, who may run and approve them, and
their executors.

``load_config`` returns the domain's :class:`~agents.actions.spec.ActionSpec` values plus each
action's executor configuration, or raises :class:`ConfigFileError` listing every problem as
``file:line: field.path: message``. Modules, in pipeline order: ``yamlsource`` (YAML with
positions), ``models`` (pydantic shapes), ``checks`` (rules across fields, with
``templates`` and ``credentials``), ``convert`` (to domain values), ``loader``, ``commands``.
"""

from __future__ import annotations

from bot.config_file.commands import check_command, config_json_schema, schema_command
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
    "check_command",
    "config_json_schema",
    "load_config",
    "parse_config",
    "schema_command",
]
