"""The canonical action and its digest: one serialisation whatever the order, a different
digest for any change of what would run, and nothing secret in it."""

from __future__ import annotations

import hashlib

import pytest

from agents.actions.canonical import (
    SHORT_DIGEST,
    CanonicalAction,
    canonical_action,
    short_digest,
)
from tests.agents.actions.test_operations import ACTIONS
from tests.agents.fakes import FakeTargets

_TARGET = {"method": "POST", "url": "https://deploy.example/deploys", "body": {"env": "prod"}}


def _action(**changes: object) -> CanonicalAction:
    values: dict[str, object] = {
        "action": "deploy",
        "executor": "http",
        "target": _TARGET,
        "params": {"service": "api", "env": "prod", "replicas": 3, "dry_run": False},
    }
    values.update(changes)
    return CanonicalAction(**values)  # type: ignore[arg-type]


def test_the_serialisation_is_sorted_compact_json_and_the_digest_its_sha256() -> None:
    """Keys sorted at every level, no spaces; the digest is SHA-256 of exactly that text."""
    canonical = _action()
    expected = (
        '{"action":"deploy","executor":"http",'
        '"params":{"dry_run":false,"env":"prod","replicas":3,"service":"api"},'
        '"target":{"body":{"env":"prod"},"method":"POST",'
        '"url":"https://deploy.example/deploys"}}'
    )
    assert canonical.as_json() == expected
    assert canonical.digest == hashlib.sha256(expected.encode()).hexdigest()
    assert len(canonical.digest) == 64


def test_the_digest_is_the_same_whatever_the_key_order() -> None:
    """Parameters and target given in another order digest the same."""
    reordered = _action(
        target={"body": {"env": "prod"}, "url": _TARGET["url"], "method": "POST"},
        params={"dry_run": False, "replicas": 3, "env": "prod", "service": "api"},
    )
    assert reordered.digest == _action().digest


@pytest.mark.parametrize(
    "change",
    [
        {"action": "rollback"},
        {"executor": "shell"},
        {"target": {**_TARGET, "url": "https://evil.example/deploys"}},
        {"target": {**_TARGET, "method": "DELETE"}},
        {"target": {**_TARGET, "body": {"env": "staging"}}},
        {"params": {"service": "api", "env": "staging", "replicas": 3, "dry_run": False}},
        {"params": {"service": "api", "env": "prod", "replicas": "3", "dry_run": False}},
        {"params": {"service": "api", "env": "prod", "replicas": 3}},
    ],
    ids=repr,
)
def test_any_change_of_what_would_run_changes_the_digest(change: dict[str, object]) -> None:
    """Another action, executor, URL, method, body, value, value type or parameter set."""
    assert _action(**change).digest != _action().digest


def test_it_reads_back_what_it_wrote() -> None:
    """from_json(as_json()) is the same canonical action, with the same digest."""
    canonical = _action()
    again = CanonicalAction.from_json(canonical.as_json())
    assert again == canonical
    assert again.digest == canonical.digest


@pytest.mark.parametrize(
    "text",
    [
        "[]",
        '{"action": "deploy"}',
        '{"action": 1, "executor": "http", "target": {}, "params": {}}',
        '{"action": "deploy", "executor": "ftp", "target": {}, "params": {}}',
        '{"action": "deploy", "executor": "http", "target": [], "params": {}}',
        '{"action": "deploy", "executor": "http", "target": {}, "params": {"a": [1]}}',
        "not json",
    ],
)
def test_malformed_text_is_refused(text: str) -> None:
    """Anything but a canonical action raises ValueError."""
    with pytest.raises(ValueError, match=r"canonical|Expecting"):
        CanonicalAction.from_json(text)


def test_a_target_that_is_not_json_is_refused() -> None:
    """A target holding a non-JSON value cannot be serialised (no silent repr)."""
    with pytest.raises(TypeError):
        _action(target={"url": object()}).as_json()


def test_built_from_the_action_the_params_and_the_resolver() -> None:
    """canonical_action takes the name and executor kind from the spec and the target from
    the resolver, given the parameters."""
    spec = next(action for action in ACTIONS if action.name == "deploy")
    targets = FakeTargets({"deploy": "https://deploy.example/services/{service}"})
    params = {"service": "api", "env": "prod"}
    canonical = canonical_action(spec, params, targets=targets)
    assert canonical == CanonicalAction(
        "deploy", "http", {"method": "POST", "url": "https://deploy.example/services/api"}, params
    )
    targets.urls["deploy"] = "https://elsewhere.example/services/{service}"
    assert canonical_action(spec, params, targets=targets) != canonical


def test_the_short_digest_is_its_first_twelve_hex_digits() -> None:
    """What a card shows."""
    digest = _action().digest
    assert SHORT_DIGEST == 12
    assert short_digest(digest) == digest[:12]
