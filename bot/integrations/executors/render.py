"""Filling the config file's templates with a request's (already validated) values.

Only ``{param}`` placeholders are replaced (see :mod:`bot.config_file.templates`); a value is
inserted as data, never parsed again: URL components are percent-encoded, a JSON body string
that is exactly ``"{p}"`` takes the typed value, and an argv element stays one argument.
"""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import quote

from pydantic import JsonValue

from agents.actions.spec import ParamValue
from bot.config_file.templates import PLACEHOLDER, MissingEnvironmentVariable, resolve_env

__all__ = [
    "MissingEnvironmentVariable",
    "render_argv",
    "render_json",
    "render_text",
    "render_url",
    "resolve_env",
]

Params = Mapping[str, ParamValue]


def _text(value: ParamValue | None) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def render_text(template: str, params: Params) -> str:
    """Replace each ``{param}`` by its value as text (an absent optional param: empty)."""
    return PLACEHOLDER.sub(lambda m: _text(params.get(m.group(1))), template)


def _url_component(value: ParamValue | None) -> str:
    text = quote(_text(value), safe="")
    # "." and ".." would be dot-segments that walk up the path; encode them
    return text.replace(".", "%2E") if text in {".", ".."} else text


def render_url(template: str, params: Params) -> str:
    """Replace each ``{param}`` by its percent-encoded value (``/``, ``?``, ``#`` included)."""
    return PLACEHOLDER.sub(lambda m: _url_component(params.get(m.group(1))), template)


def render_json(template: JsonValue, params: Params) -> JsonValue:
    """Render a JSON template: ``"{p}"`` alone becomes the typed value (``null`` if absent),
    other strings are text templates; keys are literal."""
    if isinstance(template, str):
        whole = PLACEHOLDER.fullmatch(template)
        if whole is not None:
            return params.get(whole.group(1))
        return render_text(template, params)
    if isinstance(template, dict):
        return {key: render_json(item, params) for key, item in template.items()}
    if isinstance(template, list):
        return [render_json(item, params) for item in template]
    return template


def render_argv(argv: list[str], params: Params) -> list[str]:
    """One output element per template element, whatever the values contain."""
    return [render_text(element, params) for element in argv]
