"""Templates are filled with values as data: encoded in URLs, typed in JSON, whole in argv."""

from __future__ import annotations

import pytest
from pydantic import JsonValue

from bot.integrations.executors.render import (
    MissingEnvironmentVariable,
    render_argv,
    render_json,
    render_url,
    resolve_env,
)


def test_url_values_are_percent_encoded_including_dot_segments() -> None:
    """Slashes, query characters and '..' cannot change the URL's structure."""
    url = "http://h/s/{a}/x?q={b}"
    assert (
        render_url(url, {"a": "..", "b": "1&admin=true"})
        == "http://h/s/%2E%2E/x?q=1%26admin%3Dtrue"
    )


def test_json_exact_placeholder_keeps_the_type() -> None:
    """ "{n}" alone becomes 3 and "{f}" becomes true; mixed text stays text; absent is null."""
    template: JsonValue = {
        "n": "{n}",
        "f": "{f}",
        "msg": "scale to {n}",
        "opt": "{missing}",
        "keep": 1,
    }
    rendered = render_json(template, {"n": 3, "f": True})
    assert rendered == {"n": 3, "f": True, "msg": "scale to 3", "opt": None, "keep": 1}


def test_literal_braces_are_left_alone() -> None:
    """Only {lower_case} names are placeholders; no str.format, no attribute access."""
    assert render_argv(["/x", "{0.__class__}", "{Env}", "{n}"], {"n": 1}) == [
        "/x",
        "{0.__class__}",
        "{Env}",
        "1",
    ]


def test_env_references_resolve_or_name_the_missing_variable() -> None:
    """${NAME} comes from the given mapping; a missing one raises with its name."""
    assert resolve_env("Bearer ${TOKEN}", {"TOKEN": "abc"}) == "Bearer abc"
    with pytest.raises(MissingEnvironmentVariable) as caught:
        resolve_env("Bearer ${TOKEN}", {})
    assert caught.value.name == "TOKEN"
