"""The canonical action: what an approval is consent to, and its digest.

An approver consents to one run: this action, by this executor, reaching this resolved target
(the HTTP method and URL with the parameters substituted, the argv, the Python callable) with
these parameters. That is serialised canonically (JSON with sorted keys, no spaces) and hashed
with SHA-256. The digest is stored on the approval when it is requested (and again on an
edit), shown on the card in short form, and recomputed from the current configuration right
before the executor is called: if they differ, the action is not run.

The canonical form never holds a secret: targets are resolved by the edge
(:class:`TargetResolver`) from the config's templates, where ``${ENV_VAR}`` references are kept
by name and never resolved.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal, Protocol, get_args

from agents.actions.spec import ActionSpec, ParamValue

__all__ = [
    "SHORT_DIGEST",
    "CanonicalAction",
    "ExecutorKind",
    "TargetResolver",
    "canonical_action",
    "short_digest",
]

ExecutorKind = Literal["http", "shell", "python", "mcp", "pagerduty"]
_KINDS: tuple[ExecutorKind, ...] = get_args(ExecutorKind)

SHORT_DIGEST = 12
"""Hex digits of the digest shown on a card (48 bits: enough for a person to compare)."""


class TargetResolver(Protocol):
    """Resolves an action's executor target for given parameters (implemented at the edge,
    from the config file, with the same rendering the executor uses)."""

    def resolve(self, action: ActionSpec, params: Mapping[str, ParamValue]) -> Mapping[str, object]:
        """The target the executor would reach with ``params``: JSON values only, no secret
        (header values and environment variables by name, never resolved)."""
        ...


@dataclass(frozen=True, slots=True)
class CanonicalAction:
    """One run of an action as an approver consents to it.

    Attributes:
        executor: the executor kind.
        target: the resolved, secret-free target (JSON values).
        params: the validated parameter values.
    """

    action: str
    executor: ExecutorKind
    target: Mapping[str, object]
    params: Mapping[str, ParamValue]

    def as_json(self) -> str:
        """The canonical serialisation: sorted keys, no insignificant whitespace, UTF-8 text.

        Raises:
            TypeError: the target holds something that is not a JSON value.
        """
        document = {
            "action": self.action,
            "executor": self.executor,
            "target": dict(self.target),
            "params": dict(self.params),
        }
        return json.dumps(
            document, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
        )

    @property
    def digest(self) -> str:
        """SHA-256 of :meth:`as_json`, in hex."""
        return hashlib.sha256(self.as_json().encode("utf-8")).hexdigest()

    @classmethod
    def from_json(cls, text: str) -> CanonicalAction:
        """Read back what :meth:`as_json` wrote.

        Raises:
            ValueError: ``text`` is not a canonical action.
        """
        data = json.loads(text)
        if not isinstance(data, dict) or set(data) != {"action", "executor", "target", "params"}:
            raise ValueError("not a canonical action")
        action, executor, target, params = (
            data["action"],
            data["executor"],
            data["target"],
            data["params"],
        )
        if not isinstance(action, str) or executor not in _KINDS or not isinstance(target, dict):
            raise ValueError("not a canonical action")
        if not isinstance(params, dict) or not all(
            isinstance(value, str | int | bool) for value in params.values()
        ):
            raise ValueError("malformed canonical parameters")
        kind: ExecutorKind = next(k for k in _KINDS if k == executor)
        return cls(action, kind, target, params)


def canonical_action(
    action: ActionSpec, params: Mapping[str, ParamValue], *, targets: TargetResolver
) -> CanonicalAction:
    """The canonical form of running ``action`` with ``params`` as configured now."""
    return CanonicalAction(
        action=action.name,
        executor=action.executor.kind,
        target=targets.resolve(action, params),
        params=dict(params),
    )


def short_digest(digest: str) -> str:
    """The first :data:`SHORT_DIGEST` hex digits, as shown to people."""
    return digest[:SHORT_DIGEST]
