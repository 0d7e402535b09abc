"""The http executor against a real local server: retries, timeouts, success rules, secrets."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import aiohttp
from structlog.testing import capture_logs

from agents.actions.execution import BODY_LIMIT, ExecutionRequest
from agents.actions.spec import ParamValue
from bot.config_file import HttpExecutorConfig
from bot.integrations.executors import HttpExecutor

from .conftest import RecordingSleep
from .fake_api import FakeApi, Scripted

SECRET = "s3cr3t-deploy-token-value"


def request(**params: ParamValue) -> ExecutionRequest:
    return ExecutionRequest(
        action="deploy",
        params=params or {"service": "api", "replicas": 3},
        idempotency_key="approval-42",
        trace_id="trace-1",
        requester="U0ALICE",
    )


def executor(
    url: str,
    session: aiohttp.ClientSession,
    sleep: RecordingSleep,
    *,
    environ: dict[str, str] | None = None,
    **overrides: Any,
) -> HttpExecutor:
    config = HttpExecutorConfig.model_validate(
        {
            "url": url,
            "headers": {"Authorization": "Bearer ${DEPLOY_TOKEN}"},
            "body": {"service": "{service}", "replicas": "{replicas}"},
            "timeout": "2s",
            **overrides,
        }
    )
    return HttpExecutor(
        config,
        action="deploy",
        target=urlsplit(url).netloc,
        session=session,
        environ={"DEPLOY_TOKEN": SECRET} if environ is None else environ,
        sleep=sleep,
    )


async def test_transient_500s_are_retried_with_one_idempotency_key(
    api: FakeApi, session: aiohttp.ClientSession, sleep: RecordingSleep
) -> None:
    """500, 500, 201: succeeded on attempt 3, every attempt with the same Idempotency-Key."""
    url = api.script("/deploys", Scripted(500), Scripted(500), Scripted(201, {"id": 1}))
    result = await executor(url, session, sleep).run(request())
    assert result.outcome == "succeeded"
    assert result.summary == f"HTTP 201 from {urlsplit(url).netloc} (attempt 3)"
    assert [seen.headers["Idempotency-Key"] for seen in api.seen] == ["approval-42"] * 3
    assert len(sleep.waits) == 2


async def test_429_retry_after_is_honoured(
    api: FakeApi, session: aiohttp.ClientSession, sleep: RecordingSleep
) -> None:
    """A 429 with Retry-After: 1 waits at least one second before the next attempt."""
    url = api.script("/deploys", Scripted(429, headers={"Retry-After": "1"}), Scripted(200))
    result = await executor(url, session, sleep).run(request())
    assert result.outcome == "succeeded"
    assert sleep.waits == [1.0]


async def test_retry_after_is_capped_by_the_total_budget(
    api: FakeApi, session: aiohttp.ClientSession, sleep: RecordingSleep
) -> None:
    """A Retry-After beyond the 20 s budget is cut to what is left of it."""
    url = api.script("/deploys", Scripted(503, headers={"Retry-After": "3600"}), Scripted(200))
    await executor(url, session, sleep).run(request())
    assert 19 < sleep.waits[0] <= 20


async def test_timeout_of_a_non_idempotent_call_is_unknown(
    api: FakeApi, session: aiohttp.ClientSession, sleep: RecordingSleep
) -> None:
    """No response within the timeout after sending: outcome unknown (it may have happened)."""
    url = api.script("/deploys", Scripted(201, delay=2))
    result = await executor(url, session, sleep, timeout="0.2s", retries=1).run(request())
    assert result.outcome == "unknown"
    assert "no response" in result.summary and "may have happened" in result.summary


async def test_timeout_of_an_idempotent_call_stays_unknown_after_retrying(
    api: FakeApi, session: aiohttp.ClientSession, sleep: RecordingSleep
) -> None:
    """An idempotent call that times out is retried; timing out again, it is ``unknown`` (the
    target may have applied it), never ``failed``."""
    url = api.script("/deploys", Scripted(200, delay=2))
    run = executor(url, session, sleep, timeout="0.2s", retries=2, idempotent=True)
    result = await run.run(request())
    assert result.outcome == "unknown"
    assert len(api.seen) == 2 and "(attempt 2)" in result.summary


async def test_timeout_then_refusals_of_an_idempotent_call_is_unknown(
    api: FakeApi, session: aiohttp.ClientSession, sleep: RecordingSleep
) -> None:
    """Chaos seed 28: the target applied the call and answered too late, then refused the
    retries with 503. The run is ``unknown`` (not ``failed``), naming the timeout and the
    last refusal, so a person checks before running it again."""
    url = api.script("/deploys", Scripted(200, delay=2), Scripted(503), Scripted(503))
    run = executor(url, session, sleep, timeout="0.2s", retries=3, idempotent=True)
    result = await run.run(request())
    assert result.outcome == "unknown"
    assert len(api.seen) == 3
    assert "may have happened" in result.summary and "HTTP 503" in result.summary


async def test_timeout_then_success_of_an_idempotent_call_succeeds(
    api: FakeApi, session: aiohttp.ClientSession, sleep: RecordingSleep
) -> None:
    """A retry that succeeds settles an earlier timeout: the run succeeded."""
    url = api.script("/deploys", Scripted(200, delay=2), Scripted(200, {"ok": True}))
    run = executor(url, session, sleep, timeout="0.2s", retries=3, idempotent=True)
    result = await run.run(request())
    assert result.outcome == "succeeded" and len(api.seen) == 2


async def test_400_is_not_retried(
    api: FakeApi, session: aiohttp.ClientSession, sleep: RecordingSleep
) -> None:
    """A client error is final: one attempt, failed, no wait."""
    url = api.script("/deploys", Scripted(400, {"error": "bad"}))
    result = await executor(url, session, sleep).run(request())
    assert result.outcome == "failed"
    assert result.summary.startswith("HTTP 400 from")
    assert len(api.seen) == 1 and sleep.waits == []


async def test_json_field_must_match_for_success(
    api: FakeApi, session: aiohttp.ClientSession, sleep: RecordingSleep
) -> None:
    """A listed status with the wrong JSON field value is a failure, the right one a success."""
    success = {"status": [200], "json_field": {"path": "data.state", "equals": "ok"}}
    url = api.script("/a", Scripted(200, {"data": {"state": "pending"}}))
    failed = await executor(url, session, sleep, success=success).run(request())
    assert failed.outcome == "failed"
    assert 'data.state is not "ok"' in failed.summary
    url = api.script("/b", Scripted(200, {"data": {"state": "ok"}}))
    succeeded = await executor(url, session, sleep, success=success).run(request())
    assert succeeded.outcome == "succeeded"


async def test_secret_header_is_resolved_and_never_logged_or_summarised(
    api: FakeApi, session: aiohttp.ClientSession, sleep: RecordingSleep
) -> None:
    """The ${DEPLOY_TOKEN} header reaches the server; no log line or summary contains it."""
    url = api.script("/deploys", Scripted(500), Scripted(502), Scripted(504))
    with capture_logs() as logs:
        result = await executor(url, session, sleep).run(request())
    assert api.seen[0].headers["Authorization"] == f"Bearer {SECRET}"
    assert result.outcome == "failed"
    assert SECRET not in result.summary
    assert logs and SECRET not in repr(logs)
    assert {entry["event"] for entry in logs} >= {"http_attempt", "action_executed"}


async def test_missing_environment_variable_names_only_the_variable(
    api: FakeApi, session: aiohttp.ClientSession, sleep: RecordingSleep
) -> None:
    """An unset ${VAR} fails the run before any request, naming the variable."""
    url = api.script("/deploys", Scripted(201))
    result = await executor(url, session, sleep, environ={}).run(request())
    assert result.outcome == "failed"
    assert result.summary == "missing environment variable DEPLOY_TOKEN"
    assert api.seen == []


async def test_url_placeholders_are_encoded_and_body_values_typed(
    api: FakeApi, session: aiohttp.ClientSession, sleep: RecordingSleep
) -> None:
    """A value with / and spaces stays inside its path segment; "{replicas}" stays an int."""
    url = api.script("/services/api/scale", Scripted(200))
    template = url.replace("/services/api/", "/services/{service}/")
    run = executor(template, session, sleep)
    await run.run(request(service="a b/../x", replicas=3, force=True))
    assert api.seen[-1].raw_path == "/services/a%20b%2F..%2Fx/scale"
    assert api.seen[-1].json() == {"service": "a b/../x", "replicas": 3}


async def test_refused_connection_fails_after_retries(
    session: aiohttp.ClientSession, sleep: RecordingSleep
) -> None:
    """Nothing listening: three attempts, then failed with 'could not connect'."""
    result = await executor("http://127.0.0.1:9/x", session, sleep).run(request())
    assert result.outcome == "failed"
    assert result.summary == "could not connect to 127.0.0.1:9 (attempt 3)"
    assert len(sleep.waits) == 2


async def test_a_success_keeps_the_body_with_our_secret_scrubbed(
    api: FakeApi, session: aiohttp.ClientSession, sleep: RecordingSleep
) -> None:
    """The response body comes back as text for the result's presentation; a target that
    echoes the header's secret back does not get it past the executor."""
    echoed = {"status": "ok", "seen_auth": f"Bearer {SECRET}", "replicas": 3}
    url = api.script("/status", Scripted(200, echoed))
    result = await executor(url, session, sleep).run(request())
    assert result.outcome == "succeeded" and result.body is not None
    assert SECRET not in result.body and not result.body_truncated
    assert '"seen_auth": "Bearer [redacted:env]"' in result.body
    assert SECRET not in repr(result)  # the body is left out of the repr as well


async def test_a_body_past_the_limit_is_cut_and_marked(
    api: FakeApi, session: aiohttp.ClientSession, sleep: RecordingSleep
) -> None:
    """Only BODY_LIMIT bytes of a larger body are kept, and the result says it was cut."""
    url = api.script("/logs", Scripted(200, text="x" * (BODY_LIMIT + 5000)))
    result = await executor(url, session, sleep).run(request())
    assert result.outcome == "succeeded" and result.body is not None
    assert len(result.body) == BODY_LIMIT and result.body_truncated


async def test_a_json_field_is_checked_on_a_body_larger_than_the_kept_part(
    api: FakeApi, session: aiohttp.ClientSession, sleep: RecordingSleep
) -> None:
    """The success check reads up to 1 MiB, so a 100 KiB document still passes it; what is
    kept for showing is cut at BODY_LIMIT."""
    document = {"state": "ok", "log": "y" * 100_000}
    success = {"status": [200], "json_field": {"path": "state", "equals": "ok"}}
    url = api.script("/big", Scripted(200, document))
    result = await executor(url, session, sleep, success=success).run(request())
    assert result.outcome == "succeeded" and result.body_truncated


async def test_a_failed_run_keeps_no_body(
    api: FakeApi, session: aiohttp.ClientSession, sleep: RecordingSleep
) -> None:
    """An error status's body is not kept: only successes are presented."""
    url = api.script("/deploys", Scripted(400, {"error": "bad", "detail": "x"}))
    result = await executor(url, session, sleep).run(request())
    assert result.outcome == "failed" and result.body is None
