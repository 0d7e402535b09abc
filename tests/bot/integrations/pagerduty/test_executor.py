"""The pagerduty executor against the stand-in: one event per run, a rerun harmless, the
incident linked, failures judged, and the canonical target an approval consents to."""

from __future__ import annotations

import json
from datetime import timedelta

import aiohttp
from structlog.testing import capture_logs

from agents.actions.execution import ExecutionRequest
from bot.config_file import PagerDutyExecutorConfig, parse_config
from bot.integrations.executors import ConfigTargets
from bot.integrations.executors.pagerduty import PagerDutyExecutor
from bot.integrations.pagerduty import PagerDutyClient
from sandbox.pagerduty_api import PagerDutyStandIn


async def _no_wait(_seconds: float) -> None:
    return None


def _executor(
    pd: PagerDutyStandIn,
    session: aiohttp.ClientSession,
    event: str = "trigger",
    *,
    token: str | None = "",
    timeout: float = 2.0,
    environ: dict[str, str] | None = None,
) -> PagerDutyExecutor:
    config = PagerDutyExecutorConfig(
        event_action=event,  # type: ignore[arg-type]
        events_url=pd.base_url,
        routing_keys={"checkout": "PD_KEY"},
        timeout=timedelta(seconds=timeout),
    )
    client = PagerDutyClient(
        session,
        api_url=pd.base_url,
        events_url=pd.base_url,
        token=pd.token if token == "" else token,
        timeout=timeout,
        sleep=_no_wait,
    )
    env = {"PD_KEY": pd.routing_keys["checkout"]} if environ is None else environ
    return PagerDutyExecutor(config, action=f"pagerduty_{event}", client=client, environ=env)


def _request(**params: str) -> ExecutionRequest:
    values = {"service": "checkout", "dedup_key": "switchboard-inc-1-checkout", **params}
    return ExecutionRequest("pagerduty_trigger", values, "idem-1", "trace-1", "U0ALICE")


TRIGGER = {"summary": "[sev1] Checkout down", "severity": "critical"}


async def test_a_trigger_is_sent_once_and_links_the_incident(
    pd: PagerDutyStandIn, session: aiohttp.ClientSession
) -> None:
    """The event carries the routing key from the environment and the approved dedup key;
    the summary and body link the incident PagerDuty opened; the key is never logged."""
    with capture_logs() as logs:
        result = await _executor(pd, session).run(_request(**TRIGGER))
    assert result.outcome == "succeeded"
    assert "incident #1 https://example.pagerduty.com/incidents/PINC0001" in result.summary
    assert json.loads(result.body or "{}")["dedup_key"] == "switchboard-inc-1-checkout"
    [event] = pd.events
    assert (
        event.routing_key == pd.routing_keys["checkout"] and event.payload["severity"] == "critical"
    )
    assert not any(pd.routing_keys["checkout"] in str(entry) for entry in logs)


async def test_a_rerun_after_a_crash_pages_nobody_twice(
    pd: PagerDutyStandIn, session: aiohttp.ClientSession
) -> None:
    """The same approved run twice (the worker reruns an idempotent action after a crash):
    PagerDuty deduplicates on the key, so there is still one incident."""
    executor = _executor(pd, session)
    await executor.run(_request(**TRIGGER))
    again = await executor.run(_request(**TRIGGER))
    assert again.outcome == "succeeded" and len(pd.incidents) == 1


async def test_acknowledge_and_resolve_reach_the_same_incident(
    pd: PagerDutyStandIn, session: aiohttp.ClientSession
) -> None:
    """Acknowledge then resolve with the trigger's key change that incident's status."""
    await _executor(pd, session).run(_request(**TRIGGER))
    await _executor(pd, session, "acknowledge").run(_request())
    assert pd.incidents[0].status == "acknowledged"
    resolved = await _executor(pd, session, "resolve").run(_request())
    assert resolved.outcome == "succeeded" and "resolve for checkout" in resolved.summary
    assert pd.incidents[0].status == "resolved"


async def test_without_a_rest_token_the_page_goes_out_unlinked(
    pd: PagerDutyStandIn, session: aiohttp.ClientSession
) -> None:
    """Events need only the routing key; the link needs the REST token."""
    result = await _executor(pd, session, token=None).run(_request(**TRIGGER))
    assert result.outcome == "succeeded" and "incident #" not in result.summary
    assert json.loads(result.body or "{}")["incident"] == "not open yet"


async def test_a_missing_routing_key_fails_without_sending(
    pd: PagerDutyStandIn, session: aiohttp.ClientSession
) -> None:
    """The variable is unset: failed, naming the variable (never a value)."""
    result = await _executor(pd, session, environ={}).run(_request(**TRIGGER))
    assert (result.outcome, result.summary) == ("failed", "missing environment variable PD_KEY")
    assert pd.requests == []


async def test_a_refused_event_fails_and_a_cut_off_one_is_unknown(
    pd: PagerDutyStandIn, session: aiohttp.ClientSession
) -> None:
    """400: it did not happen (failed). Every attempt timing out after sending: it may have
    happened (unknown)."""
    refused = await _executor(pd, session).run(_request(summary="x", severity="loud"))
    assert refused.outcome == "failed" and "HTTP 400" in refused.summary
    pd.delay_next(0.5, times=3)
    cut_off = await _executor(pd, session, timeout=0.1).run(_request(**TRIGGER))
    assert cut_off.outcome == "unknown" and "may have been delivered" in cut_off.summary


def test_the_canonical_target_names_the_variable_never_the_key() -> None:
    """What an approver consents to: the events URL, the action, the routing key's variable."""
    config = parse_config(
        """
version: 1
pagerduty:
  events_url: "https://events.pagerduty.com"
  services: {checkout: {id: PSVC001, routing_key_env: PD_KEY_CHECKOUT}}
  approval: {approvers: {users: [U0BOB]}}
"""
    )
    action = config.actions[0]
    target = ConfigTargets(config.executors).resolve(action, {"service": "checkout"})
    assert target == {
        "url": "https://events.pagerduty.com/v2/enqueue",
        "event_action": "trigger",
        "routing_key_env": "PD_KEY_CHECKOUT",
    }
