"""The outbound link guard: links only to allowed hosts, unfurls off on every post."""

from __future__ import annotations

import re
from types import MappingProxyType

import pytest

from handlers.links import _TLDS, LinkPolicy, _may_hold_link, host_of

POLICY = LinkPolicy.of(["docs.example.com"], ["https://wiki.example.org/runbooks"])


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("see https://evil.example/c?k=AKIA123 now", "see evil[.]example (link removed) now"),
        (
            "<https://evil.example/logs?d=x|api logs> are ready",
            "api logs (link to evil[.]example removed) are ready",
        ),
        ("<https://evil.example/x>", "evil[.]example (link removed)"),
        (
            "[dashboard](https://evil.example/d?t=1) here",
            "dashboard (link to evil[.]example removed) here",
        ),
        ("![status](https://evil.example/p.png?d=1)", "status (link to evil[.]example removed)"),
        (
            "upload to evil.example/upload?k=s3cret first",
            "upload to evil[.]example (link removed) first",
        ),
        ("visit evil.com.", "visit evil[.]com (link removed)."),
        ("go to www.evil.example/x", "go to www[.]evil[.]example (link removed)"),
        ("https://docs.example.com@evil.example/v?k=1", "evil[.]example (link removed)"),
        (
            "https://docs.example.com.evil.example/v",
            "docs[.]example[.]com[.]evil[.]example (link removed)",
        ),
        ("HXXPS://EVIL.EXAMPLE/x", "evil[.]example (link removed)"),
        ("http://203.0.113.7/q?d=1", "203[.]0[.]113[.]7 (link removed)"),
        ("cut <https://evil.example/x?d=1|api", "cut evil[.]example (link removed)|api"),
        (
            "`<https://evil.example/x|x>` and `a` b https://evil.example",
            "`x (link to evil[.]example removed)` and `a` b evil[.]example (link removed)",
        ),
        ("an open ` https://evil.example/x", "an open ` evil[.]example (link removed)"),
    ],
)
def test_links_to_other_hosts_become_plain_text_without_path_or_query(
    text: str, shown: str
) -> None:
    """Every link form Slack or Markdown renders, to a host not allowed, keeps only its label
    and its defanged host: the path and query (where a secret rides) are gone."""
    assert POLICY.defuse(text) == shown


@pytest.mark.parametrize(
    "text",
    [
        "<https://docs.example.com/runbooks/payments.md#rollback|runbooks/payments.md: Payments>",
        "[the runbook](https://docs.example.com/a.md)",
        "https://api.docs.example.com/x and https://wiki.example.org/runbooks/db.md",
        "https://sandbox.slack.com/archives/C0GENERAL/p1",
        "<@U0BOB> rejected `deploy`: freeze week <#C0GENERAL> <!here>",
        "HTTP 200 from deploy-api (attempt 1); v1.2.3 of switchboard.yaml",
        "mail <mailto:ana@corp.example|ana@corp.example> or ana@corp.example",
        "runbooks/setup.sh and payments.md",
        "*Target*\nPOST `http://127.0.0.1:3001/deploy-api/deploys`",
        "```\ncurl https://evil.example/x\n```",
    ],
)
def test_allowed_links_and_ordinary_text_are_left_alone(text: str) -> None:
    """Allowed hosts (and their subdomains), Slack's own, mentions, versions, file paths,
    e-mail addresses and bare URLs inside code (Slack links none there) pass unchanged."""
    assert POLICY.defuse(text) == text


def test_guard_turns_unfurls_off_on_posts_and_defuses_every_shown_string() -> None:
    """``chat.postMessage`` goes with unfurls off even when asked for them; texts in blocks
    and chunks are defused, a URL field to another host is dropped, ids and button values
    and metadata are left as they are."""
    arguments = {
        "channel": "C0GENERAL",
        "text": "see https://evil.example/a",
        "unfurl_links": True,
        "blocks": [
            {"type": "section", "text": {"type": "mrkdwn", "text": "<https://evil.example|x>"}},
            {
                "type": "actions",
                "elements": [
                    {
                        "type": "button",
                        "url": "https://evil.example/b",
                        "value": "https://v.example",
                    },
                    {"type": "button", "url": "https://docs.example.com/ok"},
                ],
            },
        ],
        "metadata": {"event_payload": {"note": "https://evil.example/m"}},
    }
    guarded = POLICY.guard("chat.postMessage", arguments)
    assert guarded["unfurl_links"] is False and guarded["unfurl_media"] is False
    assert guarded["text"] == "see evil[.]example (link removed)"
    assert guarded["blocks"][0]["text"]["text"] == "x (link to evil[.]example removed)"
    first, second = guarded["blocks"][1]["elements"]
    assert "url" not in first and first["value"] == "https://v.example"
    assert second["url"] == "https://docs.example.com/ok"
    assert guarded["metadata"] == arguments["metadata"]
    assert arguments["text"] == "see https://evil.example/a"  # the caller's copy is untouched


def test_guard_leaves_unfurl_flags_alone_where_slack_takes_none() -> None:
    """Methods that post no message (an update, a stream, a status line) get no unfurl
    flags, only their texts defused."""
    guarded = POLICY.guard(
        "chat.appendStream", {"chunks": [{"type": "markdown_text", "text": "evil.example/x"}]}
    )
    assert guarded == {
        "chunks": [{"type": "markdown_text", "text": "evil[.]example (link removed)"}]
    }


def test_the_policy_allows_slack_and_the_hosts_of_the_urls_it_is_given() -> None:
    """A URL counts for its host; blanks and malformed entries are ignored."""
    policy = LinkPolicy.of(["", "  ", "https://grafana.corp.example:3000/d"], [None])
    assert policy.hosts == frozenset({"slack.com", "grafana.corp.example"})
    assert host_of("https://[::1") == ""
    assert not policy.allows("not a link")


@pytest.mark.parametrize(
    "text",
    [
        "see evil.zip now",
        "EVIL.COM",
        "<HTTPS://evil.example|x>",
        "[x](WWW.evil.test)",
        "ftp://evil.internal/a",
        "a.b.c.d.ru/path",
        "`<https://evil.example|x>`",
    ],
)
def test_text_holding_any_link_is_not_skipped_by_the_quick_test(text: str) -> None:
    """The quick test before the patterns lets every link through, whatever its case."""
    assert "removed)" in LinkPolicy.of([]).defuse(text)


@pytest.mark.parametrize(
    "text",
    ["Lists what Switchboard can do. Ask for it.", "v1.2.3 is out", "e.g. x.y", "a.comma"],
)
def test_prose_with_dots_but_no_link_is_returned_as_is(text: str) -> None:
    assert LinkPolicy.of([]).defuse(text) == text


_REGEX_QUICK_TEST = re.compile(rf"://|www\.|\.(?:{_TLDS})\b", re.IGNORECASE)
"""The quick test as one regex, tried at every character (what it was before)."""


@pytest.mark.parametrize(
    "text",
    [
        "Lists what Switchboard can do. Ask for it.",
        "see evil.zip now",
        "EVIL.COM",
        "WwW.x",
        "ww.x and w.ww.x",
        ".www.",
        "www.",
        "x.co_1 and y.comma",
        "a.lin\u212a here",  # the Kelvin sign is a "k" to a regex ignoring case
        "run.\u017fh",  # the long s is an "s"
        "v1.2.3",
        "ends with a dot.",
        ".",
        "ftp://x",
        "e.g. x.y",
        "\u2022 help: Lists what Switchboard can do.\n\u2022 deploy: Deploys.",
    ],
)
def test_the_quick_test_answers_as_the_regex_it_replaced(text: str) -> None:
    """Looking at the dots only finds a link's mark exactly when the regex tried at every
    character does."""
    assert _may_hold_link(text) == (_REGEX_QUICK_TEST.search(text) is not None)


def test_guard_walks_any_mapping_and_sequence_as_it_walks_dicts_and_lists() -> None:
    """A read-only mapping and a tuple are guarded like a dict and a list; values that are
    not text (numbers, flags, None) go through as they are."""
    arguments = {
        "blocks": (
            MappingProxyType(
                {"type": "image", "image_url": "https://evil.example/i.png", "alt_text": "x"}
            ),
            {"type": "section", "text": {"type": "mrkdwn", "text": "evil.example/x"}, "n": 3},
        ),
        "reply_broadcast": True,
        "icon_url": "https://evil.example/top.png",  # a top-level argument is text, not a field
        "attachments": None,
    }
    guarded = POLICY.guard("chat.update", arguments)
    assert guarded == {
        "blocks": [
            {"type": "image", "alt_text": "x"},
            {
                "type": "section",
                "text": {"type": "mrkdwn", "text": "evil[.]example (link removed)"},
                "n": 3,
            },
        ],
        "reply_broadcast": True,
        "icon_url": "evil[.]example (link removed)",
        "attachments": None,
    }
