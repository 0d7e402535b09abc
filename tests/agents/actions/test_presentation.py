"""Presenting a run's output: fields and templates over the JSON body, the default rendering,
the size cap, missing paths, bodies that are not JSON, and secrets never shown."""

from __future__ import annotations

import json

import pytest

from agents.actions.presentation import (
    MISSING,
    ResultFormat,
    lookup,
    present,
    template_paths,
    template_problems,
)

HEALTH = json.dumps(
    {
        "status": {"state": "green", "since": "2026-01-02T03:04:05Z"},
        "nodes": {"ready": 5, "total": 6, "names": ["n1", "n2"]},
        "maintenance": False,
        "owner": None,
    }
)
GITHUB = "ghp_" + "a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8"


def test_fields_show_each_label_with_the_value_at_its_path() -> None:
    """Strings as themselves, numbers, booleans and null as JSON, a digit indexes a list."""
    fmt = ResultFormat(
        fields=(
            ("State", "status.state"),
            ("Nodes ready", "nodes.ready"),
            ("First node", "nodes.names.0"),
            ("Maintenance", "maintenance"),
            ("Owner", "owner"),
            ("Nodes", "nodes.names"),
        )
    )
    output = present(HEALTH, fmt)
    assert output is not None
    assert output.kind == "fields" and not output.truncated and output.note is None
    assert output.fields == (
        ("State", "green"),
        ("Nodes ready", "5"),
        ("First node", "n1"),
        ("Maintenance", "false"),
        ("Owner", "null"),
        ("Nodes", '["n1", "n2"]'),
    )
    assert output.text.splitlines()[:2] == ["State: green", "Nodes ready: 5"]


def test_a_path_that_is_not_in_the_document_shows_missing() -> None:
    """A missing key, an index past the end and a key into a number are all missing."""
    fmt = ResultFormat(
        fields=(("Zone", "status.zone"), ("Third", "nodes.names.2"), ("Deep", "nodes.ready.x"))
    )
    output = present(HEALTH, fmt)
    assert output is not None
    assert [value for _, value in output.fields] == [MISSING] * 3


def test_a_template_takes_the_values_at_its_placeholders() -> None:
    """``{path}`` placeholders are filled; other braces stay; a missing path says so."""
    fmt = ResultFormat(template="{status.state} ({nodes.ready}/{nodes.total} ready) {zone} { x }")
    output = present(HEALTH, fmt)
    assert output is not None and output.kind == "template"
    assert output.text == f"green (5/6 ready) {MISSING} {{ x }}"


def test_without_a_format_a_json_body_is_one_compact_line() -> None:
    """The default rendering is the document as JSON on one line."""
    output = present('{\n  "status": "ok",\n  "replicas": 2\n}', ResultFormat())
    assert output is not None and output.kind == "json"
    assert output.text == '{"status": "ok", "replicas": 2}'


def test_a_body_that_is_not_json_is_shown_as_text_and_a_format_says_why_it_did_not_apply() -> None:
    """Plain text is shown as itself (control characters dropped); with fields or a template
    configured the output notes that the response was not JSON."""
    body = "all good\x07\nload 0.5\n"
    plain = present(body, ResultFormat())
    assert plain is not None and (plain.kind, plain.text, plain.note) == (
        "text",
        "all good\nload 0.5",
        None,
    )
    fields = present("<html>502 Bad Gateway</html>", ResultFormat(fields=(("State", "s"),)))
    assert fields is not None and fields.kind == "text"
    assert fields.note == "the response is not JSON"
    assert fields.text == "<html>502 Bad Gateway</html>"


@pytest.mark.parametrize("body", [None, "", "  \n", "\x00\x01"])
def test_no_body_means_no_output(body: str | None) -> None:
    """Nothing to show is None, not an empty output."""
    assert present(body, ResultFormat()) is None


def test_every_rendering_stays_within_max_chars_and_says_it_was_cut() -> None:
    """A long JSON body, a long text, a long template value and many long fields are cut to
    ``max_chars`` (ending in an ellipsis) and marked truncated."""
    big = json.dumps({"log": "x" * 5000, "items": list(range(2000))})
    outputs = [
        present(big, ResultFormat(max_chars=200)),
        present("y" * 5000, ResultFormat(max_chars=200)),
        present(big, ResultFormat(template="log: {log}", max_chars=200)),
        present(
            big,
            ResultFormat(fields=tuple((f"F{n}", "log") for n in range(20)), max_chars=200),
        ),
    ]
    for output in outputs:
        assert output is not None
        assert len(output.text) <= 200 and output.truncated, output
    json_output, _, _, fields_output = outputs
    assert json_output is not None and json_output.text.endswith("…")
    assert fields_output is not None and 1 <= len(fields_output.fields) < 20


def test_a_body_the_executor_cut_is_marked_truncated() -> None:
    """The executor's own cut (the body did not fit its read limit) carries through; the
    cut JSON is no longer JSON and shows as text."""
    output = present('{"status": "ok", "items": [1, 2', ResultFormat(), truncated=True)
    assert output is not None and output.truncated and output.kind == "text"


def test_secrets_in_the_body_are_never_shown() -> None:
    """A token's shape anywhere, a field named like a secret (asked for by path or not), and
    a value that reads as a password once rendered with its label or template text: all
    redacted, in every rendering."""
    body = json.dumps(
        {
            "status": "ok",
            "note": f"deployed with {GITHUB}",
            "db": {"password": "hunter2hunter2", "pass": "s3cr3t-v4lue"},
        }
    )
    cases = [
        (ResultFormat(), (GITHUB, "hunter2hunter2")),
        (
            ResultFormat(template="{note} {db.password} password={db.pass}"),
            (GITHUB, "hunter2hunter2", "s3cr3t-v4lue"),
        ),
        (
            ResultFormat(fields=(("Note", "note"), ("DB", "db.password"), ("Password", "db.pass"))),
            (GITHUB, "hunter2hunter2", "s3cr3t-v4lue"),
        ),
    ]
    for fmt, secrets in cases:
        output = present(body, fmt)
        assert output is not None
        shown = output.text + repr(output.fields)
        for secret in secrets:
            assert secret not in shown, (secret, output)
        assert "[redacted:" in shown
    text = present(f"token {GITHUB}", ResultFormat())
    assert text is not None and GITHUB not in text.text and "[redacted:" in text.text


def test_a_secret_is_redacted_before_the_cap_so_no_half_of_it_shows() -> None:
    """A token straddling the cap is redacted first; its first half never shows."""
    body = "x" * 90 + f" {GITHUB}"
    output = present(body, ResultFormat(max_chars=100))
    assert output is not None and GITHUB[:8] not in output.text


def test_lookup_walks_objects_and_lists_and_raises_for_a_missing_path() -> None:
    """``lookup`` is the one path walk (the http executor's success check uses it too)."""
    document = {"a": [{"b": 1}, {"b": 2}]}
    assert lookup(document, "a.1.b") == 2
    with pytest.raises(KeyError):
        lookup(document, "a.2.b")
    with pytest.raises(KeyError):
        lookup(document, "a.x")


def test_template_problems_name_braced_words_that_are_not_paths() -> None:
    """Valid paths pass; ``{a b}`` is literal text; ``{state!r}`` and a template without any
    placeholder are reported."""
    assert template_paths("{status.state} on {nodes.0.name}") == ["status.state", "nodes.0.name"]
    assert template_problems("{status.state} ({a b})") == []
    assert template_problems("{state!r} now") == [
        "placeholder {state!r} is not a dotted JSON path such as status.state"
    ]
    assert template_problems("all good") == [
        "the template has no {path} placeholder, so it shows nothing of the result"
    ]
