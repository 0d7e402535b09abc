"""The gate before every Web API call: 429 windows shared by workspace and method, one call
first after a window, and one probe at a time while Slack is unreachable."""

from __future__ import annotations

import asyncio
import time

import pytest

from bot.slack_gate import GateClosed, SlackGate

POST = "chat.postMessage"


async def test_a_window_holds_every_call_of_its_method_and_no_other() -> None:
    gate = SlackGate()
    gate.rate_limited(POST, 0.3)
    with pytest.raises(GateClosed) as refused:
        await gate.admit(POST, wait=False)
    assert refused.value.reason == "ratelimited"
    assert refused.value.response["error"] == "ratelimited"  # as Slack's own refusal reads
    other = await gate.admit("reactions.add", wait=False)  # another method is not limited
    gate.settle(other, "reached")
    started = time.monotonic()
    ticket = await gate.admit(POST)
    assert time.monotonic() - started >= 0.25 and ticket.first_after_window


async def test_a_window_holds_its_workspace_only() -> None:
    """Slack limits a method per workspace: A's 429 holds A's calls of that method, while
    B's calls of it (and the calls of a bot with no workspace named) go at once."""
    gate = SlackGate()
    gate.rate_limited(POST, 30, workspace="TA")
    with pytest.raises(GateClosed):
        await gate.admit(POST, workspace="TA", wait=False)
    assert gate.window(POST, workspace="TA") > 29 and gate.window(POST, workspace="TB") == 0
    for workspace in ("TB", None):
        ticket = await gate.admit(POST, workspace=workspace, wait=False)
        assert not ticket.first_after_window
        gate.settle(ticket, "reached")
    assert gate.window(POST, workspace="TA") > 29  # B reaching Slack does not open A


async def test_after_a_window_one_call_goes_first_and_the_rest_follow_it() -> None:
    gate = SlackGate()
    gate.rate_limited(POST, 0.1)
    first = await gate.admit(POST)
    second = asyncio.create_task(gate.admit(POST))
    await asyncio.sleep(0.2)
    assert not second.done()  # waits for the first call's verdict
    gate.settle(first, "rate_limited", retry_after=0.2)  # limited again: a new window
    await asyncio.sleep(0.1)
    assert not second.done()
    ticket = await asyncio.wait_for(second, timeout=2)
    assert ticket.first_after_window
    gate.settle(ticket, "reached")
    later = await gate.admit(POST, wait=False)  # the method is open again
    assert not later.first_after_window


async def test_while_slack_is_unreachable_one_probe_goes_and_its_success_opens_for_all() -> None:
    gate = SlackGate()
    first = await gate.admit(POST)
    gate.settle(first, "unreachable")
    assert not gate.reachable
    with pytest.raises(GateClosed) as refused:
        await gate.admit("assistant.threads.setStatus", wait=False)
    assert refused.value.reason == "slack_unreachable"
    waiting = [asyncio.create_task(gate.admit(POST)) for _ in range(5)]
    await asyncio.sleep(0.8)  # the first probe is due after about 0.5 s
    probes = [t.result() for t in waiting if t.done()]
    assert len(probes) == 1 and probes[0].probe  # one at a time
    gate.settle(probes[0], "reached")
    tickets = await asyncio.wait_for(asyncio.gather(*waiting), timeout=1)
    assert gate.reachable and sum(t.probe for t in tickets) == 1


async def test_a_failed_or_cancelled_probe_lets_the_next_one_go_later() -> None:
    gate = SlackGate()
    gate.settle(await gate.admit(POST), "unreachable")
    probe = await asyncio.wait_for(gate.admit(POST), timeout=2)
    assert probe.probe
    gate.settle(probe, "cancelled")  # no verdict: still unreachable, another may probe
    again = await asyncio.wait_for(gate.admit(POST), timeout=2)
    assert again.probe and not gate.reachable


async def test_a_call_waits_a_moment_for_slack_then_is_refused_and_hears_it_is_back() -> None:
    """While Slack is unreachable and another call probes, a call gives up after its
    ``outage_wait``; the probe's success calls whoever asked to know."""
    gate = SlackGate()
    heard: list[str] = []
    gate.when_reachable(lambda: heard.append("back"))
    gate.settle(await gate.admit(POST), "unreachable")
    probe = await asyncio.wait_for(gate.admit(POST), timeout=2)
    started = time.monotonic()
    with pytest.raises(GateClosed) as refused:
        await gate.admit(POST, outage_wait=0.2)
    assert refused.value.reason == "slack_unreachable"
    assert 0.15 <= time.monotonic() - started < 1
    gate.settle(probe, "reached")
    assert heard == ["back"]
