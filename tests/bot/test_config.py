"""Settings come from the environment only; a bad one names its variable."""

from __future__ import annotations

import pytest

from agents.kernel.errors import ConfigError
from bot.config import DEFAULT_DATABASE_URL, SLACK_API_URL, load_settings

VARS = (
    "SLACK_BOT_TOKEN",
    "SLACK_SIGNING_SECRET",
    "SLACK_APP_TOKEN",
    "SWITCHBOARD_SLACK_API_URL",
    "DATABASE_URL",
    "SWITCHBOARD_CONFIG",
    "SWITCHBOARD_LOG_FORMAT",
    "SWITCHBOARD_LOG_LEVEL",
    "SWITCHBOARD_LINK_ALLOWLIST",
)


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in VARS:
        monkeypatch.delenv(name, raising=False)


def test_defaults_need_no_environment() -> None:
    """With nothing set: Slack's API URL and a SQLite file under var/."""
    settings = load_settings()
    assert settings.slack_api_url == SLACK_API_URL
    assert settings.database_url == DEFAULT_DATABASE_URL
    assert settings.slack_bot_token is None


def test_secrets_never_show_in_repr(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tokens are SecretStr: a repr or a log of the settings shows no token."""
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-123-secretvalue")
    settings = load_settings()
    assert "secretvalue" not in repr(settings)
    assert settings.secret("slack_bot_token") == "xoxb-123-secretvalue"


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("SLACK_BOT_TOKEN", "xoxp-user-token", "xoxb-"),
        ("SLACK_APP_TOKEN", "xoxb-not-an-app-token", "xapp-"),
        ("SLACK_SIGNING_SECRET", "   ", "empty"),
        ("SWITCHBOARD_SLACK_API_URL", "slack.com/api", "http"),
        ("SWITCHBOARD_LOG_FORMAT", "xml", "json"),
        ("SWITCHBOARD_CONFIG", "/no/such/switchboard.yaml", "no such file"),
        ("SWITCHBOARD_LINK_ALLOWLIST", "https://docs.example.com", "not a host name"),
        ("SWITCHBOARD_LINK_ALLOWLIST", "docs.example.com, localhost", "'localhost'"),
    ],
)
def test_malformed_setting_names_the_variable(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str, message: str
) -> None:
    """Each malformed variable raises ConfigError naming it and saying what is wrong."""
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError) as info:
        load_settings()
    assert info.value.setting == name
    assert message in str(info.value)
    if name.startswith("SLACK_") and value.strip():
        assert value not in str(info.value)  # a rejected token is not echoed back


def test_the_link_allowlist_is_a_list_of_host_names(monkeypatch: pytest.MonkeyPatch) -> None:
    """Commas or spaces separate the hosts; they are lower-cased; unset, none is allowed."""
    assert load_settings().link_allowlist == ()
    monkeypatch.setenv("SWITCHBOARD_LINK_ALLOWLIST", "Docs.Example.com, grafana.corp.example ")
    assert load_settings().link_allowlist == ("docs.example.com", "grafana.corp.example")


def test_api_url_gets_a_trailing_slash(monkeypatch: pytest.MonkeyPatch) -> None:
    """The SDK joins method names onto the base URL, so it must end with a slash."""
    monkeypatch.setenv("SWITCHBOARD_SLACK_API_URL", "http://127.0.0.1:9/api")
    assert load_settings().slack_api_url == "http://127.0.0.1:9/api/"


def test_require_names_the_missing_variable() -> None:
    """A command that needs a token says which variable is missing."""
    with pytest.raises(ConfigError, match="SLACK_SIGNING_SECRET"):
        load_settings().require("slack_signing_secret")


@pytest.mark.parametrize(
    ("field", "variable"),
    [
        ("slack_bot_token", "SLACK_BOT_TOKEN"),
        ("slack_app_token", "SLACK_APP_TOKEN"),
        ("config_file", "SWITCHBOARD_CONFIG"),
        ("log_format", "SWITCHBOARD_LOG_FORMAT"),
        ("otel_endpoint", "OTEL_EXPORTER_OTLP_ENDPOINT"),
    ],
)
def test_require_names_each_fields_variable(field: str, variable: str) -> None:
    """Whichever unset field a command requires, the error names its environment variable."""
    with pytest.raises(ConfigError) as info:
        load_settings().require(field)
    assert info.value.setting == variable


def test_many_workspaces_need_the_client_secret_and_state_secret(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """SLACK_CLIENT_ID turns many workspaces on; then the bot token is not required but the
    client secret and the state secret are, each named by its variable."""
    from bot.foundation import require_slack

    monkeypatch.setenv("SLACK_CLIENT_ID", "1111.2222")
    monkeypatch.setenv("SLACK_SIGNING_SECRET", "s")
    settings = load_settings()
    assert settings.multi_workspace
    with pytest.raises(ConfigError, match="SLACK_CLIENT_SECRET"):
        require_slack(settings, socket_mode=False)
    monkeypatch.setenv("SLACK_CLIENT_SECRET", "c")
    with pytest.raises(ConfigError, match="SLACK_STATE_SECRET"):
        require_slack(load_settings(), socket_mode=False)
    monkeypatch.setenv("SLACK_STATE_SECRET", "st")
    require_slack(load_settings(), socket_mode=False)


def test_the_token_encryption_key_must_be_a_fernet_key(monkeypatch: pytest.MonkeyPatch) -> None:
    """A key that is not 32 url-safe base64 bytes is refused, naming the variable (and not
    echoing the value)."""
    monkeypatch.setenv("SLACK_TOKEN_ENCRYPTION_KEY", "not-a-key-at-all")
    with pytest.raises(ConfigError) as info:
        load_settings()
    assert info.value.setting == "SLACK_TOKEN_ENCRYPTION_KEY"
    assert "not-a-key" not in str(info.value)


def test_a_variable_is_read_whatever_the_case_of_its_name(monkeypatch: pytest.MonkeyPatch) -> None:
    """As pydantic-settings read them (case-insensitive names), now without it (issue 19)."""
    monkeypatch.setenv("switchboard_log_level", "debug")
    assert load_settings().log_level == "debug"
