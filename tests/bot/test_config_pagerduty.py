"""The ``pagerduty:`` section: the paging actions it declares, and its rules."""

from __future__ import annotations

import pytest

from bot.config_file import ConfigFileError, PagerDutyExecutorConfig, parse_config

BASE = """
version: 1
pagerduty:
  services:
    checkout: {id: PSVC001, routing_key_env: PD_KEY_CHECKOUT}
    billing: {id: PSVC009}
"""


def _problems(text: str) -> list[tuple[str, str]]:
    with pytest.raises(ConfigFileError) as caught:
        parse_config(text)
    return [(issue.field_path, issue.message) for issue in caught.value.issues]


def test_a_service_with_a_routing_key_gets_three_approved_paging_actions() -> None:
    """Trigger, acknowledge and resolve: write risk, approval by Bob (ack and resolve follow
    the trigger's block unless they have their own), idempotent, owned by `incident`; only
    services with a routing key can be paged, every service answers on-call."""
    config = parse_config(
        BASE
        + "  approval: {approvers: {users: [U0BOB]}}\n"
        + "  resolve_approval: {required: false}\n"
    )
    names = [a.name for a in config.actions]
    assert names == ["pagerduty_trigger", "pagerduty_acknowledge", "pagerduty_resolve"]
    trigger, ack, resolve = config.actions
    assert trigger.agent == "incident" and trigger.risk == "write"
    assert trigger.executor.kind == "pagerduty" and trigger.executor.idempotent
    assert trigger.needs_approval and trigger.approval.approvers.users == {"U0BOB"}
    assert ack.approval.approvers.users == {"U0BOB"} and not resolve.needs_approval
    service = trigger.param("service")
    assert service is not None and service.choices == ("checkout",)
    executor = config.executors["pagerduty_trigger"]
    assert isinstance(executor, PagerDutyExecutorConfig)
    assert executor.routing_keys == {"checkout": "PD_KEY_CHECKOUT"}
    assert config.pagerduty is not None
    assert dict(config.pagerduty.service_ids) == {"checkout": "PSVC001", "billing": "PSVC009"}
    assert config.pagerduty.pageable == ("checkout",)


def test_paging_without_approvers_is_refused() -> None:
    """Triggering needs approval by default: no approval block is a problem, and so is one
    that names nobody."""
    assert _problems(BASE) == [
        ("pagerduty.approval", "paging needs approvers (or approval: {required: false})")
    ]
    problems = _problems(BASE + "  approval: {quorum: 1}\n")
    assert problems == [
        ("pagerduty.approval.approvers", "name at least one approver user or group")
    ]


def test_paging_can_be_configured_to_run_without_approval() -> None:
    """`approval: {required: false}` is the explicit opt-out."""
    config = parse_config(BASE + "  approval: {required: false}\n")
    assert not any(action.needs_approval for action in config.actions)


def test_on_call_only_services_declare_no_actions() -> None:
    """No routing key anywhere: on-call from PagerDuty, nothing to page, no approval needed."""
    config = parse_config("version: 1\npagerduty:\n  services:\n    billing: {id: PSVC009}\n")
    assert config.actions == () and config.pagerduty is not None


def test_an_unknown_owner_and_a_clashing_action_name_are_reported() -> None:
    """The owner must be an agent; a declared action may not take a paging action's name."""
    text = (
        BASE
        + "  agent: pager\n  approval: {required: false}\n"
        + """actions:
  - name: pagerduty_trigger
    agent: deploy
    description: mine
    risk: read
    executor: {http: {method: GET, url: "http://127.0.0.1:1/x"}}
"""
    )
    problems = _problems(text)
    assert ("pagerduty.agent", "unknown agent 'pager'") in problems
    assert ("actions[0].name", "'pagerduty_trigger' is the pagerduty section's") in problems


def test_webhooks_take_secret_references_and_a_max_age() -> None:
    """`${VAR}` references (one, or two while rotating), never a literal; a positive
    max_age; services to be about."""
    config = parse_config(
        BASE
        + "  approval: {approvers: {users: [U0BOB]}}\n"
        + '  webhooks: {secrets: ["${PD_HOOK}", "${PD_HOOK_NEXT}"], max_age: 30m}\n'
    )
    assert config.pagerduty is not None
    assert config.pagerduty.webhook_secret_envs == ("PD_HOOK", "PD_HOOK_NEXT")
    assert config.pagerduty.webhook_max_age.total_seconds() == 1800
    literal = _problems(BASE + '  webhooks: {secrets: ["whsec-literal"]}\n')
    assert [path for path, _ in literal] == ["pagerduty.webhooks.secrets[0]"]
    zero = _problems(
        BASE
        + "  approval: {approvers: {users: [U0BOB]}}\n"
        + '  webhooks: {secrets: ["${PD_HOOK}"], max_age: 0s}\n'
    )
    assert zero == [("pagerduty.webhooks.max_age", "must be longer than zero")]
    alone = _problems('version: 1\npagerduty:\n  webhooks: {secrets: ["${PD_HOOK}"]}\n')
    assert alone == [("pagerduty.webhooks", "webhooks need the services they are about")]
