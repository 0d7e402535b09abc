"""The two template languages of the config file: ``{param}`` placeholders and ``${ENV_VAR}``.

``{param}`` names a declared parameter and is replaced by its (already validated) value; any
other brace is literal text, so there is no ``str.format`` and no attribute access.
``${ENV_VAR}`` is allowed only in http header values (of actions and MCP servers) and is
resolved from the environment (:func:`resolve_env`) when it is used, which keeps secrets out of
the file.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

__all__ = [
    "ENV_REF",
    "PLACEHOLDER",
    "MissingEnvironmentVariable",
    "env_refs",
    "malformed_env_refs",
    "placeholders",
    "resolve_env",
    "strip_env_refs",
    "undeclared_placeholders",
]

PLACEHOLDER = re.compile(r"\{([a-z_][a-z0-9_]*)\}")
ENV_REF = re.compile(r"\$\{([A-Z_][A-Z0-9_]*)\}")
_ANY_BRACED = re.compile(r"\{([^{}\s]*)\}")
_ANY_ENV = re.compile(r"\$(?:\{[^}]*\}?|[A-Za-z_][A-Za-z0-9_]*)")
_ENV_REF_LIKE = re.compile(r"\$\{[^}]*\}")


def placeholders(template: str) -> list[str]:
    """The parameter names a template refers to, in order."""
    return PLACEHOLDER.findall(_ENV_REF_LIKE.sub("", template))


def undeclared_placeholders(template: str, declared: set[str] | frozenset[str]) -> list[str]:
    """Messages for ``{name}`` placeholders that name no declared parameter.

    A braced word that is not a valid parameter name (``{Service}``) is reported too, since it
    would otherwise stay in the text literally, which is almost never what was meant.
    """
    problems: list[str] = []
    for match in _ANY_BRACED.finditer(_ENV_REF_LIKE.sub("", template)):
        name = match.group(1)
        if PLACEHOLDER.fullmatch(match.group(0)) is None:
            if name and (name[0].isalpha() or name[0] == "_"):
                problems.append(f"placeholder {{{name}}} is not a valid parameter name")
            continue
        if name not in declared:
            problems.append(f"placeholder {{{name}}} is not a declared parameter")
    return problems


def strip_env_refs(text: str) -> str:
    """``text`` without its ``${...}`` references, well-formed or not."""
    return _ENV_REF_LIKE.sub("", text)


def env_refs(text: str) -> list[str]:
    """The environment variable names referenced as ``${NAME}``."""
    return ENV_REF.findall(text)


def malformed_env_refs(text: str) -> list[str]:
    """``${...}`` fragments that are not a well-formed ``${UPPER_CASE_NAME}``."""
    return [m.group(0) for m in _ANY_ENV.finditer(text) if ENV_REF.fullmatch(m.group(0)) is None]


class MissingEnvironmentVariable(LookupError):
    """A ``${NAME}`` reference whose variable is not set (``name`` is safe to show)."""

    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.name = name


def resolve_env(text: str, environ: Mapping[str, str]) -> str:
    """Replace each ``${NAME}`` by its value from ``environ`` (the caller never logs it).

    Raises:
        MissingEnvironmentVariable: for the first variable that is not set.
    """

    def value(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in environ:
            raise MissingEnvironmentVariable(name)
        return environ[name]

    return ENV_REF.sub(value, text)
