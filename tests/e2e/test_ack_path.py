"""The ack's path (issue 19): the global middleware and the authorization Bolt runs on every
request are Bolt's own classes, called directly, and a claimed message event is started and
acked by the claim's middleware, without Bolt's listener stage; what they decide stays the
same."""

from __future__ import annotations

import asyncio
import sys
from typing import Any

import pytest
import sqlalchemy as sa
from slack_bolt.kwargs_injection import async_utils

from sandbox import SlackSandbox
from tests.e2e.conftest import Bot


def _mention(ts: str) -> dict[str, Any]:
    return {
        "type": "app_mention",
        "user": "U0ALICE",
        "text": "<@U0BOT> help",
        "ts": ts,
        "channel": "C0GENERAL",
    }


async def _count(bot: Bot, table: str) -> int:
    async with bot.runtime.database.engine.connect() as conn:
        return int((await conn.execute(sa.text(f"SELECT count(*) FROM {table}"))).scalar_one())  # noqa: S608


async def test_a_mention_is_acked_without_bolts_argument_injection(
    sandbox: SlackSandbox, bot: Bot, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A mention passes every global middleware (log context, the identity, the claim) and
    is started and acked without Bolt building injected arguments for a middleware, a
    listener matcher or a listener, and is still answered."""
    built: list[str] = []
    original = async_utils.build_async_required_kwargs

    def counting(**kwargs: Any) -> dict[str, Any]:
        built.append(str(kwargs.get("this_func")))
        return original(**kwargs)

    for name, module in list(sys.modules.items()):
        if name.startswith("slack_bolt") and hasattr(module, "build_async_required_kwargs"):
            monkeypatch.setattr(module, "build_async_required_kwargs", counting)
    delivery = await sandbox.driver.send_event(_mention("1700000000.000100"))
    assert delivery.status == 200
    await sandbox.calls.wait_for("chat.postMessage")
    await bot.idle()
    assert built == []
    assert await _count(bot, "events") == 1


async def test_the_bots_identity_is_learned_once_for_many_deliveries(
    sandbox: SlackSandbox, bot: Bot
) -> None:
    """``auth.test`` is called for the first delivery only; later ones are authorized from
    the remembered answer, and each is answered."""
    first = await sandbox.driver.send_event(_mention("1700000000.000100"))
    assert first.status == 200
    learned = sandbox.calls.count("auth.test")
    assert learned >= 1
    for n in range(2, 5):
        assert (await sandbox.driver.send_event(_mention(f"1700000000.00{n}00"))).status == 200
    await bot.idle()
    assert sandbox.calls.count("auth.test") == learned
    assert sandbox.calls.count("chat.postMessage") == 4


async def test_a_forged_signature_is_refused_once_the_identity_is_known(
    sandbox: SlackSandbox, bot: Bot
) -> None:
    """With the identity remembered (no Slack call left to make before authorizing), a
    forged or missing signature is still a 401 that claims and answers nothing."""
    assert (await sandbox.driver.send_event(_mention("1700000000.000100"))).status == 200
    await sandbox.calls.wait_for("chat.postMessage")
    await bot.idle()
    for signature in ("forged", "missing"):
        refused = await sandbox.driver.send_event(
            _mention("1700000000.000200"),
            event_id=f"Ev0{signature.upper()}",
            signature=signature,  # type: ignore[arg-type]
        )
        assert refused.status == 401
    await bot.idle()
    assert await _count(bot, "events") == 1
    assert sandbox.calls.count("chat.postMessage") == 1


async def test_a_delivery_and_its_retry_at_once_are_acked_both_and_answered_once(
    sandbox: SlackSandbox, bot: Bot
) -> None:
    """The same event_id delivered twice concurrently (the two claims may share one
    commit): both acked, one claim stored, one turn, one reply."""
    event = _mention("1700000000.000300")
    first, again = await asyncio.gather(
        sandbox.driver.send_event(event, event_id="Ev0TWICE"),
        sandbox.driver.send_event(event, event_id="Ev0TWICE", retry_num=1),
    )
    assert first.status == 200 and again.status == 200
    await sandbox.calls.wait_for("chat.postMessage")
    await bot.idle()
    assert await _count(bot, "events") == 1
    assert await _count(bot, "traces") == 1
    assert sandbox.calls.count("chat.postMessage") == 1
