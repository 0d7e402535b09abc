"""One redaction function: secrets never reach storage, summaries, logs or a model.

Each pattern names what it found, so ``[redacted:slack-token]`` still tells a reader what was
there. The patterns are deliberately specific (a known prefix or shape): redacting ordinary
words would damage the conversation more than it protects. A parsed JSON document (a tool's
output) is redacted by :func:`redact_json`: its strings as text, and whatever a field named
like a secret (``token``, ``password``, ``apiKey``...) holds, whole, whatever its shape.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable

__all__ = ["SECRET_FIELD", "might_hold_secret", "redact", "redact_json"]

_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    (
        "private-key",
        re.compile(
            r"-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----.*?(?:-----END [A-Z0-9 ]*PRIVATE KEY-----|\Z)",
            re.DOTALL,
        ),
    ),
    ("slack-token", re.compile(r"\bx(?:ox[abposre]|app)-[A-Za-z0-9-]{10,}")),
    ("slack-webhook", re.compile(r"https://hooks\.slack\.com/services/[A-Za-z0-9/_-]+")),
    ("aws-access-key", re.compile(r"\b(?:AKIA|ASIA|AGPA|AIDA|AROA|ANPA)[A-Z0-9]{16}\b")),
    (
        "aws-secret-key",
        re.compile(
            r"(?i)(aws_?secret_?access_?key|secret_?access_?key)(\s*[:=]\s*[\"']?)"
            r"[A-Za-z0-9/+=]{40}"
        ),
    ),
    ("github-token", re.compile(r"\b(?:gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{40,})")),
    ("openai-key", re.compile(r"\bsk-(?:proj-|ant-)?[A-Za-z0-9_-]{20,}")),
    ("google-api-key", re.compile(r"\bAIza[0-9A-Za-z_-]{35}\b")),
    ("stripe-key", re.compile(r"\b[rs]k_(?:live|test)_[A-Za-z0-9]{16,}")),
    ("jwt", re.compile(r"\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}")),
    ("bearer", re.compile(r"(?i)\b(bearer|token)(\s+)[A-Za-z0-9._~+/=-]{16,}")),
    ("url-password", re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://[^\s:/@]+:)[^\s@/]+(@)")),
    (
        "password",
        re.compile(r"(?i)\b(password|passwd|pwd|secret|api[_-]?key)(\s*[:=]\s*)[^\s,;\"']{4,}"),
    ),
)
_ANY = re.compile(
    "|".join(f"(?:{p.pattern.removeprefix('(?i)')})" for _, p in _PATTERNS[1:]) + "|-----BEGIN ",
    re.IGNORECASE,
)
"""One pass that finds whether any pattern could match (most text has no secret at all)."""
_LITERALS = (
    *("-----begin", "xox", "xapp-", "://", "secret", "sk-", "aiza", "k_live_", "k_test_"),
    *("akia", "asia", "agpa", "aida", "aroa", "anpa", "eyj", "bearer", "token"),
    *("ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_", "password", "passwd", "pwd", "api"),
)
"""A piece of every pattern's fixed text, lower-cased: an ASCII text holding none of them
cannot match any pattern. Checking them is ten times cheaper than :data:`_ANY`'s pass."""
_GATED = tuple(
    (mark, tuple(literal for literal in _LITERALS if mark in literal)) for mark in ("_", "-")
)
_UNGATED = tuple(literal for literal in _LITERALS if "_" not in literal and "-" not in literal)
""":data:`_LITERALS` by a character they hold: a text without ``_`` holds none of the eight
that hold one (most prose), which is looked for once instead of eight times."""
_KEEP_PREFIX = {"aws-secret-key", "bearer", "url-password", "password"}


def _replacement(name: str) -> str | Callable[[re.Match[str]], str]:
    label = f"[redacted:{name}]"
    if name == "url-password":
        return lambda m: f"{m.group(1)}{label}{m.group(2)}"
    if name in _KEEP_PREFIX:
        return lambda m: f"{m.group(1)}{m.group(2)}{label}"
    return label


def redact(text: str) -> str:
    """``text`` with every recognised secret replaced by ``[redacted:<kind>]``."""
    if not text or not might_hold_secret(text) or _ANY.search(text) is None:
        return text
    for name, pattern in _PATTERNS:
        replacement = _replacement(name)
        text = pattern.sub(replacement, text)
    return text


_ASCII_TWINS = str.maketrans({"\u0130": "i", "\u0131": "i", "\u017f": "s", "\u212a": "k"})
"""The only letters beyond ASCII that a regex ignoring case matches as an ASCII letter (the
dotted capital I, the dotless i, the long s, the Kelvin sign), as that letter."""


def might_hold_secret(text: str) -> bool:
    """False only when no pattern can match ``text`` (a quick test before the regexes)."""
    if not text.isascii() and any(chr(twin) in text for twin in _ASCII_TWINS):
        text = text.translate(_ASCII_TWINS)
    lowered = text.lower()
    if any(literal in lowered for literal in _UNGATED):
        return True
    return any(mark in lowered and any(x in lowered for x in group) for mark, group in _GATED)


SECRET_FIELD = "[redacted:secret-field]"  # noqa: S105 - the placeholder, not a secret
"""What the value of a field named like a secret becomes (see :func:`redact_json`)."""
_SECRET_WORDS = frozenset(
    {"token", "secret", "password", "passwd", "pwd", "credential", "credentials", "apikey"}
)
_SECRET_PAIRS = frozenset({("api", "key"), ("private", "key"), ("access", "key")})
_CAMEL = re.compile(r"([a-z0-9])([A-Z])")
_WORD_BREAK = re.compile(r"[^a-z0-9]+")


def _secret_name(name: str) -> bool:
    """Whether a field name says it holds a secret (``access_token``, ``apiKey``, ``pwd``)."""
    words = [w for w in _WORD_BREAK.split(_CAMEL.sub(r"\1_\2", name).lower()) if w]
    if any(word in _SECRET_WORDS or word.endswith("token") for word in words):
        return True
    return any(pair in _SECRET_PAIRS for pair in itertools.pairwise(words))


def redact_json(document: object) -> object:
    """A parsed JSON document with every string (keys too) redacted by :func:`redact` and
    the value of every field named like a secret replaced whole by :data:`SECRET_FIELD`."""
    if isinstance(document, str):
        return redact(document)
    if isinstance(document, list):
        return [redact_json(item) for item in document]
    if isinstance(document, dict):
        return {
            redact(str(key)): SECRET_FIELD if _secret_name(str(key)) else redact_json(value)
            for key, value in document.items()
        }
    return document
