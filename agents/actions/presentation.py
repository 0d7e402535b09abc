"""What a run's output looks like to people and to a model: the action's ``result`` format
applied to the body its executor kept (a JSON document, or text), redacted and capped.

A format names ``fields`` (a label per dotted JSON path), or a ``template`` whose ``{path}``
placeholders take the values at those paths; without either the body is shown compactly (JSON
on one line, or the text). A path that is not in the document shows :data:`MISSING`. Every
string is redacted (:func:`~agents.kernel.redaction.redact_json`: secret shapes, and fields
named like secrets, whole) before anything is cut to ``max_chars``, so a cut never leaves
half a secret behind. The output is data for people and models to read, never instructions.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Literal

from agents.kernel.redaction import redact, redact_json

__all__ = [
    "DEFAULT_MAX_CHARS",
    "MISSING",
    "OutputKind",
    "ResultFormat",
    "RunOutput",
    "lookup",
    "present",
    "template_paths",
    "template_problems",
]

DEFAULT_MAX_CHARS = 1500
MISSING = "(missing)"
"""What a field or placeholder whose path is not in the document shows."""
_ABSENT = object()
_PATH = r"[A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]+)*"
_PLACEHOLDER = re.compile(r"\{(" + _PATH + r")\}")
_BRACED = re.compile(r"\{([^{}\s]+)\}")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
_ELLIPSIS = "…"
_MIN_VALUE_CHARS = 40

OutputKind = Literal["fields", "template", "json", "text"]


@dataclass(frozen=True, slots=True)
class ResultFormat:
    """How an action's result is presented (its ``result:`` block in the config file).

    Attributes:
        fields: ``(label, path)`` pairs: each label shows the JSON value at the dotted path
            (a digit indexes a list: ``nodes.0.name``).
        template: text whose ``{path}`` placeholders are replaced by those values.
        max_chars: the most characters people and the model are shown of the output.
        given: a ``result:`` block was written (else this is the default rendering).
    """

    fields: tuple[tuple[str, str], ...] = ()
    template: str | None = None
    max_chars: int = DEFAULT_MAX_CHARS
    given: bool = False


@dataclass(frozen=True, slots=True)
class RunOutput:
    """A run's output as presented: redacted, and at most the format's ``max_chars``.

    Attributes:
        text: the presentation as plain text (for fields, one ``Label: value`` per line).
        kind: made by the action's ``fields`` or ``template``, or the default rendering of a
            JSON body (one line of JSON) or of a text body.
        fields: the ``(label, value)`` pairs of a fields format, as shown in ``text``.
        truncated: something was cut: the body at the executor's limit, or the presentation.
        note: why the configured format could not be applied (the body was not JSON).
    """

    text: str
    kind: OutputKind
    fields: tuple[tuple[str, str], ...] = ()
    truncated: bool = False
    note: str | None = None


def lookup(document: object, path: str) -> object:
    """The value at a dotted ``path`` in a parsed JSON document.

    Raises:
        KeyError: the path is not in the document.
    """
    value = document
    for key in path.split("."):
        if isinstance(value, dict):
            value = value.get(key, _ABSENT)
        elif isinstance(value, list) and key.isdigit() and int(key) < len(value):
            value = value[int(key)]
        else:
            value = _ABSENT
        if value is _ABSENT:
            raise KeyError(path)
    return value


def template_paths(template: str) -> list[str]:
    """The dotted paths a result template's ``{path}`` placeholders name, in order."""
    return _PLACEHOLDER.findall(template)


def template_problems(template: str) -> list[str]:
    """What is wrong with a result template: a braced word that is not a dotted path (it
    would stay in the text literally), or no placeholder at all."""
    problems = [
        f"placeholder {{{match.group(1)}}} is not a dotted JSON path such as status.state"
        for match in _BRACED.finditer(template)
        if _PLACEHOLDER.fullmatch(match.group(0)) is None
    ]
    if not template_paths(template) and not problems:
        problems.append("the template has no {path} placeholder, so it shows nothing of the result")
    return problems


def present(body: str | None, fmt: ResultFormat, *, truncated: bool = False) -> RunOutput | None:
    """The output of a run whose executor kept ``body`` (``truncated``: cut at its limit),
    presented as ``fmt`` says; None when there is no body to show."""
    if body is None or not body.strip():
        return None
    try:
        document: object = json.loads(body)
    except ValueError:
        configured = bool(fmt.fields or fmt.template)
        note = "the response is not JSON" if configured else None
        return _text(body, fmt.max_chars, truncated=truncated, note=note)
    document = redact_json(document)
    if fmt.fields:
        return _fields(document, fmt, truncated=truncated)
    if fmt.template is not None:
        # the whole line again: "password={db.pass}" reads as a secret only once rendered
        text, cut = _clip(redact(_render(fmt.template, document)), fmt.max_chars)
        return RunOutput(text, "template", truncated=truncated or cut)
    text, cut = _clip(redact(_value_text(document)), fmt.max_chars)
    return RunOutput(text, "json", truncated=truncated or cut)


def _text(body: str, limit: int, *, truncated: bool, note: str | None) -> RunOutput | None:
    cleaned = _CONTROL.sub("", body).strip()
    if not cleaned:
        return None
    text, cut = _clip(redact(cleaned), limit)
    return RunOutput(text, "text", truncated=truncated or cut, note=note)


def _fields(document: object, fmt: ResultFormat, *, truncated: bool) -> RunOutput:
    per_value = max(_MIN_VALUE_CHARS, fmt.max_chars // len(fmt.fields))
    shown: list[tuple[str, str]] = []
    cut = False
    used = 0
    for label, path in fmt.fields:
        # redacted with its label: "Password: hunter22" reads as a secret, "hunter22" does not
        value = redact(f"{label}: {_at(document, path)}").removeprefix(f"{label}: ")
        value, clipped = _clip(value, per_value)
        line = len(label) + 2 + len(value) + (1 if shown else 0)
        if used + line > fmt.max_chars:
            cut = True
            break
        shown.append((label, value))
        used += line
        cut = cut or clipped
    text = "\n".join(f"{label}: {value}" for label, value in shown)
    return RunOutput(text, "fields", fields=tuple(shown), truncated=truncated or cut)


def _render(template: str, document: object) -> str:
    return _PLACEHOLDER.sub(lambda match: _at(document, match.group(1)), template)


def _at(document: object, path: str) -> str:
    try:
        return _value_text(lookup(document, path))
    except KeyError:
        return MISSING


def _value_text(value: object) -> str:
    """A JSON value as people read it: a string as itself, anything else as JSON."""
    if isinstance(value, str):
        return _CONTROL.sub("", value)
    return json.dumps(value, ensure_ascii=False, separators=(", ", ": "))


def _clip(text: str, limit: int) -> tuple[str, bool]:
    """``text`` cut to ``limit`` characters (ending in an ellipsis), and whether it was."""
    if len(text) <= limit:
        return text, False
    return text[: max(limit - 1, 0)] + _ELLIPSIS, True
