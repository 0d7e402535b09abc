"""Refuse literal credentials in http headers: secrets belong in ``${ENV_VAR}`` references.

The checks are heuristics tuned to fail closed on the headers that carry credentials
(``Authorization``, ``*-Token``, ``*-Key``, ``Cookie``...) and to catch well-known token
shapes anywhere. Messages never repeat the offending value.
"""

from __future__ import annotations

import re

from bot.config_file.templates import strip_env_refs

__all__ = ["literal_secret_problem"]

_CREDENTIAL_HEADER = re.compile(
    r"authorization|token|secret|password|api[-_]?key|cookie|^key$", re.I
)
_SCHEMES = re.compile(r"^\s*(bearer|basic|token|digest|apikey|api-key)\b", re.I)
_KNOWN_TOKEN = re.compile(
    r"xox[abposre]-|xapp-|gh[pousr]_[A-Za-z0-9]|github_pat_|glpat-|sk-[A-Za-z0-9]{16}"
    r"|AKIA[0-9A-Z]{16}|AIza[0-9A-Za-z_-]{20}|eyJ[A-Za-z0-9_-]{10,}\."
)
_LONG_OPAQUE = re.compile(r"[A-Fa-f0-9]{32,}|[A-Za-z0-9+/_-]{32,}={0,2}")


def literal_secret_problem(header: str, value: str) -> str | None:
    """Why ``value`` (for header ``header``) looks like a literal secret, or ``None``.

    ``${NAME}`` references are removed first: ``Bearer ${DEPLOY_TOKEN}`` is fine,
    ``Bearer abc123`` is not.
    """
    literal = strip_env_refs(value)
    advice = f"use an environment variable reference such as {_example(header)!r}"
    if _KNOWN_TOKEN.search(literal):
        return f"looks like a literal token; {advice}"
    if _LONG_OPAQUE.search(literal):
        return f"looks like a literal secret (a long opaque string); {advice}"
    if _CREDENTIAL_HEADER.search(header):
        rest = _SCHEMES.sub("", literal).strip()
        if rest:
            return f"a credential header must not hold a literal value; {advice}"
    return None


def _example(header: str) -> str:
    if header.lower() in {"authorization", "proxy-authorization"}:
        return "Bearer ${API_TOKEN}"
    name = re.sub(r"[^A-Za-z0-9]+", "_", header).strip("_").upper() or "API_TOKEN"
    return f"${{{name}}}"
