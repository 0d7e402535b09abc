"""The webhook edge's pure parts: PagerDuty's signature scheme and the V3 payload read."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from agents.incidents.pagerduty_news import PagerDutyNews
from bot.integrations.pagerduty.webhooks import (
    Ignored,
    Refused,
    read_news,
    sign,
    verify_signature,
)
from sandbox.pagerduty_webhooks import signature_of

NOW = datetime(2026, 12, 4, 10, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)


def _body(**event: object) -> bytes:
    fields: dict[str, object] = {
        "id": "5ac64822-4adc-4fda-ade0-410becf0de4f",
        "event_type": "incident.acknowledged",
        "resource_type": "incident",
        "occurred_at": "2026-12-04T09:45:22.169Z",
        "agent": {"id": "PLH1HKV", "type": "user_reference", "summary": "Tenex Engineer"},
        "client": {"name": "PagerDuty"},
        "data": {
            "id": "PGR0VU2",
            "type": "incident",
            "html_url": "https://acme.pagerduty.com/incidents/PGR0VU2",
            "number": 2,
            "status": "acknowledged",
            "incident_key": "switchboard-inc-1-checkout",
            "assignees": [{"id": "PTUXL6G", "type": "user_reference", "summary": "User 123"}],
        },
        **event,
    }
    return json.dumps({"event": fields}).encode()


def test_a_v1_signature_under_any_secret_is_authentic() -> None:
    """The sandbox signs as PagerDuty documents; the edge accepts any v1 signature under any
    configured secret, in any position, and refuses the rest."""
    body = _body()
    assert sign(body, "s1") == signature_of(body, ["s1"])
    assert verify_signature(body, signature_of(body, ["s1"]), ["s1"]) == "authentic"
    rotating = signature_of(body, ["old", "s1"])
    assert verify_signature(body, rotating, ["s1"]) == "authentic"
    assert verify_signature(body, signature_of(body, ["s2"]), ["s1", "s2"]) == "authentic"
    assert verify_signature(body, signature_of(body, ["nope"]), ["s1"]) == "forged"
    assert verify_signature(body + b" ", signature_of(body, ["s1"]), ["s1"]) == "forged"
    assert verify_signature(body, "v1=é", ["s1"]) == "forged"
    assert verify_signature(body, None, ["s1"]) == "missing"
    assert verify_signature(body, "v0=abc, sha256=abc", ["s1"]) == "missing"


def test_an_incident_event_becomes_news() -> None:
    """PagerDuty's documented example, read into the domain's news."""
    news = read_news(_body(), now=NOW, max_age=HOUR)
    assert news == PagerDutyNews(
        event_id="5ac64822-4adc-4fda-ade0-410becf0de4f",
        event_type="incident.acknowledged",
        occurred_at=datetime(2026, 12, 4, 9, 45, 22, 169000, tzinfo=UTC),
        incident_key="switchboard-inc-1-checkout",
        number=2,
        html_url="https://acme.pagerduty.com/incidents/PGR0VU2",
        agent="Tenex Engineer",
        assignees=("User 123",),
    )


def test_a_link_that_is_no_plain_https_url_is_dropped() -> None:
    """A link that could break out of Slack's <url|text> markup is not kept."""
    data = json.loads(_body())["event"]["data"]
    for bad in ("https://x|evil", "javascript:alert(1)", "https://a b"):
        news = read_news(_body(data={**data, "html_url": bad}), now=NOW, max_age=HOUR)
        assert isinstance(news, PagerDutyNews) and news.html_url is None


def test_replays_and_malformed_payloads_are_refused() -> None:
    """Older than max_age, or more than five minutes ahead: refused as replays. Not JSON,
    not an event, a bad data object: malformed."""
    assert read_news(_body(), now=NOW + HOUR, max_age=HOUR) == Refused("stale")
    ahead = read_news(_body(), now=NOW - timedelta(minutes=30), max_age=HOUR)
    assert ahead == Refused("from_the_future")
    naive = read_news(_body(occurred_at="2026-12-04T09:45:22"), now=NOW, max_age=HOUR)
    assert isinstance(naive, PagerDutyNews) and naive.occurred_at.tzinfo is UTC
    for body in (b"", b"\xff", b"[]", b'{"event": {}}', _body(id=""), _body(data={"number": "x"})):
        assert read_news(body, now=NOW, max_age=HOUR) == Refused("malformed_body")


def test_events_about_anything_else_are_ignored() -> None:
    """A service event, an incident event type not handled, an incident with no key."""
    service = _body(event_type="service.updated", resource_type="service")
    assert read_news(service, now=NOW, max_age=HOUR) == Ignored(
        "5ac64822-4adc-4fda-ade0-410becf0de4f", "service.updated"
    )
    assert isinstance(
        read_news(_body(event_type="incident.annotated"), now=NOW, max_age=HOUR), Ignored
    )
    assert isinstance(read_news(_body(data={"id": "P"}), now=NOW, max_age=HOUR), Ignored)
