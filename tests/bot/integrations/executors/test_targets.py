"""ConfigTargets: each action's resolved target, as the executor will reach it, with no
secret in it."""

from __future__ import annotations

from urllib.parse import urlsplit

import aiohttp
import pytest

from agents.actions.canonical import canonical_action
from agents.actions.execution import ExecutionRequest
from agents.actions.spec import ActionSpec
from bot.config_file import HttpExecutorConfig, parse_config
from bot.integrations.executors import ConfigTargets, HttpExecutor, UnknownExecutor

from .conftest import RecordingSleep
from .fake_api import FakeApi, Scripted

SECRET = "s3cr3t-deploy-token-value"

CONFIG = """
version: 1
actions:
  - name: scale
    agent: deploy
    description: Scale a service
    risk: read
    params:
      service: {type: str}
      replicas: {type: int}
    executor:
      http:
        method: PUT
        url: "https://deploy.example/services/{service}/scale?by={replicas}"
        headers: {Authorization: "Bearer ${DEPLOY_TOKEN}", X-Env: prod}
        body: {replicas: "{replicas}", note: "scale {service}"}
  - name: restart
    agent: deploy
    description: Restart a unit
    risk: read
    params:
      unit: {type: str}
    executor:
      shell:
        argv: [/usr/bin/systemctl, restart, "{unit}"]
        executable_allowlist: [/usr/bin/systemctl]
        cwd: /srv
        env_allowlist: [DEPLOY_TOKEN, PATH]
  - name: report
    agent: deploy
    description: Write a report
    risk: read
    executor:
      python: {entrypoint: "reports.daily:write"}
"""


@pytest.fixture
def targets() -> tuple[ConfigTargets, dict[str, ActionSpec]]:
    config = parse_config(CONFIG)
    return ConfigTargets(config.executors), {a.name: a for a in config.actions}


def test_http_target_is_method_url_body_and_unresolved_headers(
    targets: tuple[ConfigTargets, dict[str, ActionSpec]],
) -> None:
    """Parameters are substituted as the executor substitutes them (URL-encoded, typed in
    the body); header values stay templates, ``${DEPLOY_TOKEN}`` unresolved."""
    resolver, actions = targets
    target = resolver.resolve(actions["scale"], {"service": "a b/..", "replicas": 3})
    assert target == {
        "method": "PUT",
        "url": "https://deploy.example/services/a%20b%2F../scale?by=3",
        "body": {"replicas": 3, "note": "scale a b/.."},
        "headers": {"Authorization": "Bearer ${DEPLOY_TOKEN}", "X-Env": "prod"},
    }


def test_shell_target_is_the_argv_cwd_and_variable_names(
    targets: tuple[ConfigTargets, dict[str, ActionSpec]],
) -> None:
    """Each argv element is one argument with the value in it; variables only by name."""
    resolver, actions = targets
    target = resolver.resolve(actions["restart"], {"unit": "api; rm -rf /"})
    assert target == {
        "argv": ["/usr/bin/systemctl", "restart", "api; rm -rf /"],
        "cwd": "/srv",
        "env": ["DEPLOY_TOKEN", "PATH"],
    }


def test_python_target_is_the_callable(
    targets: tuple[ConfigTargets, dict[str, ActionSpec]],
) -> None:
    """The entrypoint names what runs."""
    resolver, actions = targets
    assert resolver.resolve(actions["report"], {}) == {"callable": "reports.daily:write"}


def test_an_action_the_config_has_no_executor_for_is_an_error(
    targets: tuple[ConfigTargets, dict[str, ActionSpec]],
) -> None:
    """A catalog and config that disagree fail loudly, naming the action."""
    resolver, actions = targets
    empty = ConfigTargets({})
    with pytest.raises(UnknownExecutor, match="scale"):
        empty.resolve(actions["scale"], {})
    assert resolver.resolve(actions["report"], {})


def test_the_canonical_form_holds_no_secret_whatever_the_environment(
    targets: tuple[ConfigTargets, dict[str, ActionSpec]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The resolver reads no environment: the canonical action names ``${DEPLOY_TOKEN}`` and
    never its value, even with the variable set."""
    monkeypatch.setenv("DEPLOY_TOKEN", SECRET)
    resolver, actions = targets
    for name, params in (("scale", {"service": "api", "replicas": 2}), ("restart", {"unit": "x"})):
        text = canonical_action(actions[name], params, targets=resolver).as_json()
        assert SECRET not in text
        assert "DEPLOY_TOKEN" in text


async def test_the_http_executor_requests_the_resolved_url(
    api: FakeApi, session: aiohttp.ClientSession, sleep: RecordingSleep
) -> None:
    """What the digest covers is what is sent: the executor's request line and body are the
    resolved target's URL and body."""
    url = api.script("/services/a b/scale", Scripted(200)).replace("a b", "{service}")
    config = HttpExecutorConfig.model_validate(
        {"method": "PUT", "url": url, "body": {"replicas": "{replicas}"}}
    )
    params = {"service": "a b", "replicas": 4}
    resolved = ConfigTargets({"scale": config})
    spec = parse_config(CONFIG).actions[0]
    target = resolved.resolve(spec, params)
    run = HttpExecutor(
        config,
        action="scale",
        target=urlsplit(url).netloc,
        session=session,
        environ={},
        sleep=sleep,
    )
    result = await run.run(ExecutionRequest("scale", params, "k", "t", "U0ALICE"))
    assert result.outcome == "succeeded"
    (seen,) = api.seen
    assert seen.method == target["method"]
    assert api.base_url + seen.raw_path == target["url"]
    assert seen.json() == target["body"]
