"""The ``incidents:`` section: reminder intervals and follow-up tickets."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.config_file import ConfigFileError, parse_config


def test_reminder_intervals_default_can_be_set_or_turned_off() -> None:
    """Unset: sev1 30m and sev2 1h; set: as written; ``{}``: none."""
    default = parse_config("version: 1").incident_settings.update_intervals
    assert default == {"sev1": timedelta(minutes=30), "sev2": timedelta(hours=1)}
    written = parse_config("version: 1\nincidents: {update_intervals: {sev1: 15m, sev3: 4h}}")
    assert written.incident_settings.update_intervals == {
        "sev1": timedelta(minutes=15),
        "sev3": timedelta(hours=4),
    }
    off = parse_config("version: 1\nincidents: {update_intervals: {}}")
    assert off.incident_settings.update_intervals == {}


def test_tickets_are_converted_with_their_approval() -> None:
    """Repo, token variable, API root and labels; the approval block as an action's."""
    config = parse_config(
        """
version: 1
incidents:
  tickets:
    github: {repo: acme/shop, token_env: GITHUB_TOKEN, api_url: "https://ghe.example.com/api/v3/"}
    approval: {approvers: {users: [U0BOB], groups: [sre]}, quorum: 2}
"""
    )
    tickets = config.incident_tickets
    assert tickets is not None
    assert (tickets.repo, tickets.token_env, tickets.api_url, tickets.labels) == (
        "acme/shop",
        "GITHUB_TOKEN",
        "https://ghe.example.com/api/v3",
        ("incident-follow-up",),
    )
    assert tickets.approval.quorum == 2 and tickets.approval.approvers.groups == {"sre"}
    assert parse_config("version: 1").incident_tickets is None


def test_jira_tickets_are_converted() -> None:
    """The site, project, issue type, account, the token's variable (from its ${VAR}) and
    labels."""
    config = parse_config(
        """
version: 1
incidents:
  tickets:
    jira:
      url: https://acme.atlassian.net/
      project: OPS
      issue_type: Bug
      email: bot@acme.example
      token: "${JIRA_API_TOKEN}"
    approval: {approvers: {users: [U0BOB]}}
"""
    )
    tickets = config.incident_tickets
    assert tickets is not None and tickets.kind == "jira"
    assert (tickets.api_url, tickets.repo, tickets.issue_type, tickets.email) == (
        "https://acme.atlassian.net",
        "OPS",
        "Bug",
        "bot@acme.example",
    )
    assert tickets.token_env == "JIRA_API_TOKEN" and tickets.labels == ("incident-follow-up",)


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        ("update_intervals: {sev1: 0s}", "incidents.update_intervals.sev1"),
        ("update_intervals: {p1: 5m}", "incidents.update_intervals"),
        (
            "tickets: {github: {repo: acme/shop, token_env: GITHUB_TOKEN}, approval: {}}",
            "name at least one approver",
        ),
        (
            "tickets: {github: {repo: acme/shop, token_env: GITHUB_TOKEN}, "
            "approval: {required: false, approvers: {users: [U0BOB]}}}",
            "tickets are always approved",
        ),
        (
            "tickets: {github: {repo: acme, token_env: GITHUB_TOKEN}, "
            "approval: {approvers: {users: [U0BOB]}}}",
            "incidents.tickets.github.repo",
        ),
        (
            "tickets: {github: {repo: acme/shop, token_env: 'ghp_abc'}, "
            "approval: {approvers: {users: [U0BOB]}}}",
            "incidents.tickets.github.token_env",
        ),
        ("tickets: {approval: {approvers: {users: [U0BOB]}}}", "exactly one tracker"),
        (
            "tickets: {github: {repo: acme/shop, token_env: GITHUB_TOKEN}, jira: {url: "
            "'https://a.atlassian.net', project: OPS, email: a@b.c, token: '${T}'}, "
            "approval: {approvers: {users: [U0BOB]}}}",
            "exactly one tracker",
        ),
        (
            "tickets: {jira: {url: 'https://a.atlassian.net', project: OPS, email: a@b.c, "
            "token: 'ATATT-literal'}, approval: {approvers: {users: [U0BOB]}}}",
            "incidents.tickets.jira.token",
        ),
        (
            "tickets: {jira: {url: 'https://a.atlassian.net', project: OPS, email: a@b.c, "
            "token: '${T}', labels: ['has space']}, approval: {approvers: {users: [U0BOB]}}}",
            "incidents.tickets.jira.labels",
        ),
    ],
)
def test_bad_incident_settings_are_reported_with_their_place(body: str, problem: str) -> None:
    """Each mistake names its field."""
    with pytest.raises(ConfigFileError, match=problem.replace(".", r"\.")):
        parse_config(f"version: 1\nincidents: {{{body}}}")
