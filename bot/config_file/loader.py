"""Load the config file: YAML with positions, pydantic shape checks, cross-field rules, and the
domain's :class:`ActionSpec` values. Every problem is collected and reported with its line.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from types import MappingProxyType

import yaml
from pydantic import ValidationError
from pydantic_core import ErrorDetails

from agents.actions.spec import ActionSpec
from agents.feedback.alerts import AlertSettings
from agents.feedback.values import ReviewSettings
from agents.incidents.rotation import IncidentSettings, Rotation
from agents.memory.knowledge import KnowledgeSettings
from agents.memory.retention import Retention
from agents.registry import BUILTIN_AGENTS
from agents.turns.profiles import PlanningSettings
from bot.config_file.agents_checks import check_agents
from bot.config_file.checks import check_action, check_unique_names
from bot.config_file.convert import to_action_spec, to_planning
from bot.config_file.document import ConfigDocument
from bot.config_file.errors import ConfigFileError, ConfigIssue
from bot.config_file.models import PATTERN_HINTS, ExecutorConfig, ProviderModel
from bot.config_file.ops_models import (
    ops_issues,
    to_alert_settings,
    to_incident_settings,
    to_review_settings,
    to_rotations,
)
from bot.config_file.parts import ActionParts
from bot.config_file.yamlsource import Loc, YamlSource, duplicate_keys, parse_yaml

__all__ = ["LoadedConfig", "Retention", "load_config", "parse_config"]

_PARAM_TYPES = "str, int, enum or bool"
_EMPTY_OR_NOT_A_MAPPING = "expected a mapping with 'version: 1' and 'actions:'"


@dataclass(frozen=True, slots=True)
class LoadedConfig:
    """A valid config file.

    Attributes:
        actions: the domain's view of every action, in file order.
        executors: the executor configuration of each action, by action name.
        source: where it was read from, for messages.
        planning: agent profiles, prices, budgets and router settings.
        providers: the LLM providers (built into clients at start, with their secrets).
        rotations: the on-call rotations.
        incident_settings: how incidents are declared.
        retention: days each memory tier is kept (None: forever).
        read_cache_ttl: how long a read-only action's result answers again (None: never).
        knowledge: how the knowledge agent cites and when it reports a miss.
        review: who reviews answers, and the App Home's window and queue size.
        alerts: where alerts go and when they fire.
    """

    actions: tuple[ActionSpec, ...]
    executors: Mapping[str, ExecutorConfig]
    source: str = field(default="<config>", compare=False)
    planning: PlanningSettings = field(default_factory=PlanningSettings)
    providers: tuple[ProviderModel, ...] = ()
    rotations: tuple[Rotation, ...] = ()
    incident_settings: IncidentSettings = field(default_factory=IncidentSettings)
    retention: Retention = field(default_factory=Retention)
    read_cache_ttl: timedelta | None = timedelta(seconds=15)
    knowledge: KnowledgeSettings = field(default_factory=KnowledgeSettings)
    review: ReviewSettings = field(default_factory=ReviewSettings)
    alerts: AlertSettings = field(default_factory=AlertSettings)

    def action(self, name: str) -> ActionSpec | None:
        """The action called ``name``, if declared."""
        return next((a for a in self.actions if a.name == name), None)


def load_config(path: Path) -> LoadedConfig:
    """Read and validate a config file.

    Raises:
        ConfigFileError: listing every problem, each with its line and field path.
    """
    source = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise ConfigFileError(
            source, [ConfigIssue(source, None, "", "is not UTF-8 text")]
        ) from None
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise ConfigFileError(
            source, [ConfigIssue(source, None, "", f"cannot read: {reason}")]
        ) from None
    return parse_config(text, source=source)


def parse_config(text: str, *, source: str = "<config>") -> LoadedConfig:
    """Validate config file text; ``source`` names it in messages.

    Raises:
        ConfigFileError: listing every problem, each with its line and field path.
    """
    try:
        yaml_source = parse_yaml(text)
    except yaml.YAMLError as exc:
        raise ConfigFileError(source, [_syntax_issue(source, exc)]) from None
    issues = [
        ConfigIssue(source, line, yaml_source.locate(loc)[1], message)
        for loc, line, message in duplicate_keys(yaml_source)
    ]
    document, parts = _validate(yaml_source, source, issues)
    for index, action in parts:
        for loc, message in check_action(action):
            issues.append(_issue(yaml_source, source, ("actions", index, *loc), message))
    names = (
        [(i, a.name) for i, a in enumerate(document.actions)] if document else _names(yaml_source)
    )
    for loc, message in check_unique_names(names):
        issues.append(_issue(yaml_source, source, loc, message))
    if document is not None:
        problems = [
            *check_agents(document, builtin=BUILTIN_AGENTS),
            *ops_issues(document.oncall, document.incidents),
        ]
        for loc, message in problems:
            issues.append(_issue(yaml_source, source, loc, message))
    if issues or document is None:
        issues.sort(key=lambda issue: issue.line or 0)
        raise ConfigFileError(source, issues)
    return LoadedConfig(
        actions=tuple(to_action_spec(action) for action in document.actions),
        executors=MappingProxyType({a.name: a.executor.config for a in document.actions}),
        source=source,
        planning=to_planning(document),
        providers=tuple(document.providers),
        rotations=to_rotations(document.oncall),
        incident_settings=to_incident_settings(document.incidents),
        retention=Retention(
            messages_days=document.memory.retention_days.messages,
            notes_days=document.memory.retention_days.notes,
            summaries_days=document.memory.retention_days.summaries,
            usage_days=document.memory.retention_days.usage,
            misses_days=document.memory.retention_days.misses,
        ),
        read_cache_ttl=document.memory.read_cache_ttl,
        knowledge=KnowledgeSettings(
            base_url=document.knowledge.base_url,
            min_coverage=document.knowledge.min_coverage,
            max_chunks=document.knowledge.max_chunks,
            owners=tuple(document.knowledge.owners.items()),
        ),
        review=to_review_settings(document.review),
        alerts=to_alert_settings(document.alerts),
    )


def _validate(
    yaml_source: YamlSource, source: str, issues: list[ConfigIssue]
) -> tuple[ConfigDocument | None, list[tuple[int, ActionParts]]]:
    """The document if valid, and the valid parts of every action (for the cross-field
    checks, which run even where some other part is broken)."""
    try:
        document = ConfigDocument.model_validate(yaml_source.data)
    except ValidationError as exc:
        errors = exc.errors(include_url=False, include_input=False)
        issues.extend(_pydantic_issue(yaml_source, source, error) for error in errors)
        return None, [
            (i, ActionParts.salvage(raw)) for i, raw in enumerate(_raw_actions(yaml_source))
        ]
    return document, [(i, ActionParts.of(action)) for i, action in enumerate(document.actions)]


def _raw_actions(yaml_source: YamlSource) -> list[object]:
    data = yaml_source.data
    actions = data.get("actions") if isinstance(data, dict) else None
    return actions if isinstance(actions, list) else []


def _names(yaml_source: YamlSource) -> list[tuple[int, str]]:
    return [
        (i, raw["name"])
        for i, raw in enumerate(_raw_actions(yaml_source))
        if isinstance(raw, dict) and isinstance(raw.get("name"), str)
    ]


def _pydantic_issue(yaml_source: YamlSource, source: str, error: ErrorDetails) -> ConfigIssue:
    loc: Loc = tuple(error["loc"])
    kind = error["type"]
    message = error["msg"].removeprefix("Value error, ")
    if kind == "missing":
        message = "required field is missing"
    elif kind == "extra_forbidden":
        message = "unknown field (check its spelling)"
    elif kind in {"model_type", "model_attributes_type", "dict_type"}:
        message = "must be a mapping (key: value lines)" if loc else _EMPTY_OR_NOT_A_MAPPING
    elif kind == "string_pattern_mismatch":
        message = PATTERN_HINTS.get(str(error.get("ctx", {}).get("pattern")), message)
    elif kind == "union_tag_not_found":
        message = f"a parameter needs a type: {_PARAM_TYPES}"
    elif kind == "union_tag_invalid":
        loc = (*loc, "type")
        message = f"unknown type {error.get('ctx', {}).get('tag')!r}; expected {_PARAM_TYPES}"
    return _issue(yaml_source, source, loc, message)


def _issue(yaml_source: YamlSource, source: str, loc: Loc, message: str) -> ConfigIssue:
    line, path = yaml_source.locate(loc)
    return ConfigIssue(source, line, path, message)


def _syntax_issue(source: str, exc: yaml.YAMLError) -> ConfigIssue:
    if isinstance(exc, yaml.MarkedYAMLError):
        mark = exc.problem_mark or exc.context_mark
        what = " ".join(part for part in (exc.context, exc.problem) if part)
        return ConfigIssue(
            source, mark.line + 1 if mark else None, "", f"YAML syntax error: {what}"
        )
    return ConfigIssue(source, None, "", f"YAML syntax error: {type(exc).__name__}")
