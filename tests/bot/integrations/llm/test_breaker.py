"""The provider's circuit breaker, over loopback: it opens after consecutive failed calls,
refuses without a request while open, and lets one trial through after the cooldown (the
clock is the test's)."""

from __future__ import annotations

import pytest
from structlog.testing import capture_logs

from agents.kernel.errors import ProviderError
from agents.llm.chat import ChatMessage, ChatRequest
from bot.integrations.llm import ProviderKind
from sandbox.llm_server import ScriptedLLMServer
from sandbox.llm_steps import error, reply

from .conftest import FakeClock, ModelFactory

REQUEST = ChatRequest(model="test-model", messages=(ChatMessage("user", "hello"),))


async def test_opens_after_threshold_then_recovers(
    kind: ProviderKind, llm: ScriptedLLMServer, make_model: ModelFactory, clock: FakeClock
) -> None:
    """Two failed calls (three attempts each, one vote each) open the circuit; the next call
    is refused as ``circuit_open`` without a request; after the cooldown a trial call goes
    through and closes it."""
    model = make_model(kind, breaker_threshold=2, breaker_cooldown=30)
    llm.script(*[error(500)] * 6)
    with capture_logs() as logs:
        for _ in range(2):
            with pytest.raises(ProviderError, match="server"):
                await model.complete(REQUEST)
        assert len(llm.requests) == 6
        with pytest.raises(ProviderError) as refused:
            await model.complete(REQUEST)
        assert refused.value.kind == "circuit_open"
        assert len(llm.requests) == 6

        clock.now += 29
        with pytest.raises(ProviderError, match="circuit_open"):
            await model.complete(REQUEST)
        clock.now += 1
        llm.script(reply("back"))
        assert (await model.complete(REQUEST)).text == "back"
        assert len(llm.requests) == 7
    events = [entry["event"] for entry in logs if entry["event"].startswith("llm_breaker")]
    assert events == ["llm_breaker_opened", "llm_breaker_closed"]


async def test_failed_trial_reopens(
    kind: ProviderKind, llm: ScriptedLLMServer, make_model: ModelFactory, clock: FakeClock
) -> None:
    """A trial call that fails opens the circuit again for another cooldown."""
    model = make_model(kind, breaker_threshold=1, breaker_cooldown=10, max_attempts=1)
    llm.script(error(500), error(500))
    with pytest.raises(ProviderError, match="server"):
        await model.complete(REQUEST)
    clock.now += 10
    with pytest.raises(ProviderError, match="server"):
        await model.complete(REQUEST)
    with pytest.raises(ProviderError, match="circuit_open"):
        await model.complete(REQUEST)
    assert len(llm.requests) == 2


async def test_success_resets_the_count(
    kind: ProviderKind, llm: ScriptedLLMServer, make_model: ModelFactory
) -> None:
    """Only consecutive failures count: a success in between starts the count again."""
    model = make_model(kind, breaker_threshold=2, max_attempts=1)
    llm.script(error(500), reply("ok"), error(500), reply("still up"))
    with pytest.raises(ProviderError):
        await model.complete(REQUEST)
    await model.complete(REQUEST)
    with pytest.raises(ProviderError):
        await model.complete(REQUEST)
    assert (await model.complete(REQUEST)).text == "still up"


async def test_refused_requests_do_not_open_the_circuit(
    kind: ProviderKind, llm: ScriptedLLMServer, make_model: ModelFactory
) -> None:
    """A 400 means the provider is up: bad requests never open the circuit."""
    model = make_model(kind, breaker_threshold=1)
    llm.script(error(400), error(400), reply("fine"))
    for _ in range(2):
        with pytest.raises(ProviderError, match="bad_request"):
            await model.complete(REQUEST)
    assert (await model.complete(REQUEST)).text == "fine"
