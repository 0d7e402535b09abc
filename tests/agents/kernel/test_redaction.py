"""Redaction: a table of real-looking secrets, each replaced; ordinary text untouched."""

from __future__ import annotations

import re
import sys

import pytest

from agents.kernel.redaction import (
    _ANY,
    _ASCII_TWINS,
    _LITERALS,
    SECRET_FIELD,
    might_hold_secret,
    redact,
    redact_json,
)

# Built from parts so that this file itself trips no secret scanner.
SLACK_BOT = "xox" + "b-1234567890-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx"
SLACK_APP = "xapp-1-A0123456789-1234567890123-" + "a" * 64
AWS_KEY = "AKIA" + "IOSFODNN7EXAMPLE"
AWS_SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCY" + "EXAMPLEKEY"
GITHUB = "ghp_" + "a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8"
OPENAI = "sk-proj-" + "Ab3dEf6hIj9kLm2nOp5qRs8tUv1wXy4z"
ANTHROPIC = "sk-ant-" + "api03-Ab3dEf6hIj9kLm2nOp5qRs8tUv1w"
GOOGLE = "AIza" + "SyA1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q"
STRIPE = "sk_live_" + "4eC39HqLyjWDarjtT1zdp7dc"
JWT = (
    "eyJhbGciOiJIUzI1NiJ9."
    + "eyJzdWIiOiIxMjM0NTY3ODkwIn0."
    + "dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U"
)
WEBHOOK = "https://hooks.slack.com/services/" + "T000/B000/abcdefghijklmnopqrstuvwx"
PRIVATE_KEY = (
    "-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEA1b2c3\nabcdef==\n"
    "-----END RSA PRIVATE KEY-----"
)

CASES = [
    (f"token is {SLACK_BOT} ok", "slack-token", SLACK_BOT),
    (f"app token {SLACK_APP}", "slack-token", SLACK_APP),
    (f"aws key {AWS_KEY} here", "aws-access-key", AWS_KEY),
    (f"aws_secret_access_key = {AWS_SECRET}", "aws-secret-key", AWS_SECRET),
    (f"use {GITHUB}", "github-token", GITHUB),
    (f"OPENAI_API_KEY {OPENAI}", "openai-key", OPENAI),
    (f"claude {ANTHROPIC}", "openai-key", ANTHROPIC),
    (f"maps {GOOGLE}", "google-api-key", GOOGLE),
    (f"stripe {STRIPE}", "stripe-key", STRIPE),
    (f"jwt {JWT}", "jwt", JWT),
    (f"post to {WEBHOOK}", "slack-webhook", WEBHOOK),
    (f"key:\n{PRIVATE_KEY}\nthanks", "private-key", "MIIEpAIBAAKCAQEA1b2c3"),
    ("Authorization: Bearer abcdefghijklmnop1234567890", "bearer", "abcdefghijklmnop1234567890"),
    ("postgres://admin:hunter2pass@db.internal:5432/app", "url-password", "hunter2pass"),
    ("the password: Tr0ub4dor&3 works", "password", "Tr0ub4dor&3"),
    ("api_key=abc123def456", "password", "abc123def456"),
]


@pytest.mark.parametrize(("text", "kind", "secret"), CASES)
def test_each_secret_is_replaced_by_its_kind(text: str, kind: str, secret: str) -> None:
    """The secret is gone and a labelled marker stands in its place."""
    redacted = redact(text)
    assert secret not in redacted
    assert f"[redacted:{kind}]" in redacted


def test_the_words_around_a_secret_stay() -> None:
    """Only the secret changes: the sentence, the URL's user and host remain."""
    text = "connect with postgres://admin:hunter2pass@db.internal:5432/app please"
    assert redact(text) == (
        "connect with postgres://admin:[redacted:url-password]@db.internal:5432/app please"
    )


@pytest.mark.parametrize(
    "text",
    [
        "deploy api v1.4.2 to prod",
        "the password policy changed yesterday",
        "see https://example.com/runbooks/payments#rollback",
        "ts 1700000000.123456 in C0GENERAL by <@U0ALICE>",
        "scale worker to 4 replicas",
        "",
    ],
)
def test_ordinary_text_is_untouched(text: str) -> None:
    """Nothing that is not a secret is changed."""
    assert redact(text) == text


def test_redaction_is_idempotent() -> None:
    """Redacting twice gives the same text as once."""
    text = " ".join(case[0] for case in CASES)
    once = redact(text)
    assert redact(once) == once


def test_a_json_document_loses_fields_named_like_secrets_whatever_they_hold() -> None:
    """``password``, ``apiKey``, ``access_token``, ``client_secret`` and ``private_key`` are
    replaced whole (an object too); ordinary fields, ``max_tokens`` included, stay."""
    document = {
        "status": "ok",
        "password": "hunter22",
        "apiKey": "abc",
        "auth": {"access_token": "t0k3n", "scheme": "bearer"},
        "client_secret": {"value": "x", "rotated": True},
        "private_key": ["a", "b"],
        "max_tokens": 512,
        "replicas": [1, 2],
    }
    assert redact_json(document) == {
        "status": "ok",
        "password": SECRET_FIELD,
        "apiKey": SECRET_FIELD,
        "auth": {"access_token": SECRET_FIELD, "scheme": "bearer"},
        "client_secret": SECRET_FIELD,
        "private_key": SECRET_FIELD,
        "max_tokens": 512,
        "replicas": [1, 2],
    }


def test_every_string_of_a_json_document_is_redacted_as_text() -> None:
    """A token inside an ordinary field (or a list, or a key) is found by its shape."""
    document = {"note": f"use {GITHUB}", "items": [f"bot {SLACK_BOT}"], JWT: 1, "n": None}
    redacted = redact_json(document)
    assert GITHUB not in str(redacted) and SLACK_BOT not in str(redacted)
    assert JWT not in str(redacted)
    assert redacted == {
        "note": "use [redacted:github-token]",
        "items": ["bot [redacted:slack-token]"],
        "[redacted:jwt]": 1,
        "n": None,
    }


@pytest.mark.parametrize(("text", "kind", "secret"), CASES)
def test_the_quick_test_lets_through_every_secret_in_any_case(
    text: str, kind: str, secret: str
) -> None:
    """The literal test before the regexes never skips a text a pattern matches: the secret
    alone (without the words around it), in its own, upper and lower case."""
    for variant in (secret, text, text.upper(), text.lower(), text.swapcase()):
        if _ANY.search(variant) is not None:
            assert might_hold_secret(variant), variant


@pytest.mark.parametrize(
    "text",
    ["the pa\u017f\u017fword: Tr0ub4dor&3 works", "ap\u0131_key=abc123def456"],
)
def test_non_ascii_letters_a_pattern_matches_as_ascii_still_redact(text: str) -> None:
    """The long s and the dotless i match "s" and "i" when case is ignored."""
    assert "[redacted:password]" in redact(text)


def test_the_letters_taken_for_ascii_are_exactly_those_the_quick_test_maps() -> None:
    """Every code point beyond ASCII that a case-ignoring regex matches as a-z, on this
    Python, is one the quick test turns into its ASCII letter first."""
    letter = re.compile("[a-z]", re.IGNORECASE)
    twins = {chr(c) for c in range(0x80, sys.maxunicode + 1) if letter.fullmatch(chr(c))}
    assert twins == {chr(c) for c in _ASCII_TWINS}


def test_text_without_any_fixed_piece_of_a_pattern_skips_the_regexes() -> None:
    assert not might_hold_secret("Lists what Switchboard can do and how to ask for it.")
    assert not might_hold_secret("• help: Lists what Switchboard can do, ✓")
    assert might_hold_secret("Lists what Switchboard can do. The API is up.")


@pytest.mark.parametrize(
    "text",
    [
        "Lists what Switchboard can do and how to ask for it.",
        "snake_case and kebab-case, no secret",
        "a k_live_ key",
        "GHP_ upper",
        "-----BEGIN nothing",
        "the sk-thing",
        "https://example.org",
        "ends with xapp-",
        "github_pat_",
        "the Api is up",
        "pa\u017f\u017fword",
        "",
    ],
)
def test_the_quick_test_finds_a_fixed_piece_exactly_when_one_is_there(text: str) -> None:
    """Grouping the fixed pieces by a character they hold changes no answer: the quick test
    is true exactly when the lower-cased text (its ASCII twins mapped) holds one of them."""
    lowered = text.translate(_ASCII_TWINS).lower()
    assert might_hold_secret(text) == any(piece in lowered for piece in _LITERALS)
