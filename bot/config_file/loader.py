"""Load the config file: read it, parse YAML with positions, validate the document, apply the
rules beyond one field's shape and convert to the domain's values. Every problem is collected
and reported with its line; none stops the others from being found.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import ValidationError
from pydantic_core import ErrorDetails

from agents.registry import BUILTIN_AGENTS
from bot.config_file.document import (
    ConfigDocument,
    LoadedConfig,
    check_document,
    to_loaded_config,
)
from bot.config_file.errors import ConfigFileError, ConfigIssue
from bot.config_file.sections.base import PATTERN_HINTS
from bot.config_file.yamlsource import Loc, YamlSource, duplicate_keys, parse_yaml

if TYPE_CHECKING:
    import yaml

__all__ = ["load_config", "parse_config"]

_PARAM_TYPES = "str, int, enum or bool"
_EMPTY_OR_NOT_A_MAPPING = "expected a mapping with 'version: 1' and 'actions:'"


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
    import yaml  # here, not at import: a bot without a config file never loads PyYAML

    try:
        yaml_source = parse_yaml(text)
    except yaml.YAMLError as exc:
        raise ConfigFileError(source, [_syntax_issue(source, exc)]) from None
    issues = [
        ConfigIssue(source, line, yaml_source.locate(loc)[1], message)
        for loc, line, message in duplicate_keys(yaml_source)
    ]
    document = _validate(yaml_source, source, issues)
    for loc, message in check_document(document, yaml_source.data, builtin=BUILTIN_AGENTS):
        issues.append(_issue(yaml_source, source, loc, message))
    if issues or document is None:
        issues.sort(key=lambda issue: issue.line or 0)
        raise ConfigFileError(source, issues)
    return to_loaded_config(document, source=source)


def _validate(
    yaml_source: YamlSource, source: str, issues: list[ConfigIssue]
) -> ConfigDocument | None:
    """The document if valid; otherwise ``None``, with every shape problem in ``issues``."""
    try:
        return ConfigDocument.model_validate(yaml_source.data)
    except ValidationError as exc:
        errors = exc.errors(include_url=False, include_input=False)
        issues.extend(_pydantic_issue(yaml_source, source, error) for error in errors)
        return None


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
    import yaml

    if isinstance(exc, yaml.MarkedYAMLError):
        mark = exc.problem_mark or exc.context_mark
        what = " ".join(part for part in (exc.context, exc.problem) if part)
        return ConfigIssue(
            source, mark.line + 1 if mark else None, "", f"YAML syntax error: {what}"
        )
    return ConfigIssue(source, None, "", f"YAML syntax error: {type(exc).__name__}")
