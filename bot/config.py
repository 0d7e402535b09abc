"""Settings: the only place that reads the environment.

A missing or malformed setting raises :class:`ConfigError` naming the variable; the CLI turns
it into one line on stderr and exit code 2, never a traceback.
"""

from __future__ import annotations

import base64
import binascii
import os
import re
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, SecretStr, ValidationError, ValidationInfo, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from agents.kernel.errors import ConfigError

__all__ = [
    "DEFAULT_DATABASE_URL",
    "SLACK_API_URL",
    "Settings",
    "load_settings",
    "process_environment",
]

SLACK_API_URL = "https://slack.com/api/"
DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///var/switchboard.db"

_FERNET_KEY_BYTES = 32

_HOST = re.compile(r"[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)+")

# Slack's token prefixes tell a bot token from a user or app-level one pasted by mistake.
_TOKEN_SHAPES = {
    "slack_bot_token": ("xoxb-", "must be a bot token starting with 'xoxb-'"),
    "slack_app_token": ("xapp-", "must be an app-level token starting with 'xapp-'"),
}


class Settings(BaseSettings):
    """Everything Switchboard reads from its environment.

    Each field's alias is its environment variable, the one place that names it; messages
    name the variable, never the field. Tokens and secrets are ``SecretStr``: their values
    never appear in a repr or a log line.
    """

    model_config = SettingsConfigDict(extra="ignore", frozen=True)

    slack_bot_token: SecretStr | None = Field(default=None, alias="SLACK_BOT_TOKEN")
    slack_signing_secret: SecretStr | None = Field(default=None, alias="SLACK_SIGNING_SECRET")
    slack_app_token: SecretStr | None = Field(default=None, alias="SLACK_APP_TOKEN")
    slack_api_url: str = Field(default=SLACK_API_URL, alias="SWITCHBOARD_SLACK_API_URL")
    # Many workspaces (OAuth v2 install, docs/distribute.md): set the client id to turn it on.
    slack_client_id: str | None = Field(default=None, alias="SLACK_CLIENT_ID")
    slack_client_secret: SecretStr | None = Field(default=None, alias="SLACK_CLIENT_SECRET")
    slack_state_secret: SecretStr | None = Field(default=None, alias="SLACK_STATE_SECRET")
    slack_token_encryption_key: SecretStr | None = Field(
        default=None, alias="SLACK_TOKEN_ENCRYPTION_KEY"
    )
    slack_redirect_uri: str | None = Field(default=None, alias="SLACK_REDIRECT_URI")
    slack_token_rotation_minutes: int = Field(
        default=120, ge=1, le=720, alias="SLACK_TOKEN_ROTATION_MINUTES"
    )
    pagerduty_api_token: SecretStr | None = Field(default=None, alias="PAGERDUTY_API_TOKEN")
    database_url: str = Field(default=DEFAULT_DATABASE_URL, alias="DATABASE_URL")
    config_file: Path | None = Field(default=None, alias="SWITCHBOARD_CONFIG")
    log_format: Literal["json", "console"] | None = Field(
        default=None, alias="SWITCHBOARD_LOG_FORMAT"
    )
    log_level: Literal["debug", "info", "warning", "error"] = Field(
        default="info", alias="SWITCHBOARD_LOG_LEVEL"
    )
    job_lease_seconds: float = Field(default=120.0, gt=0, alias="SWITCHBOARD_JOB_LEASE_SECONDS")
    event_lease_seconds: float = Field(default=60.0, gt=0, alias="SWITCHBOARD_EVENT_LEASE_SECONDS")
    # Kept, not overflow: an overflow connection is closed when returned and opened again at
    # the next burst (a backend started, the hot statements prepared again; issue 19).
    db_pool_size: int = Field(default=15, ge=1, le=200, alias="SWITCHBOARD_DB_POOL_SIZE")
    db_max_overflow: int = Field(default=0, ge=0, le=200, alias="SWITCHBOARD_DB_MAX_OVERFLOW")
    db_statement_timeout_ms: int | None = Field(
        default=30_000, ge=1, alias="SWITCHBOARD_DB_STATEMENT_TIMEOUT_MS"
    )
    link_allowlist: Annotated[tuple[str, ...], NoDecode] = Field(
        default=(), alias="SWITCHBOARD_LINK_ALLOWLIST"
    )
    otel_endpoint: str | None = Field(default=None, alias="OTEL_EXPORTER_OTLP_ENDPOINT")
    otel_traces_endpoint: str | None = Field(
        default=None, alias="OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"
    )

    @field_validator("slack_bot_token", "slack_app_token")
    @classmethod
    def _token_shape(cls, value: SecretStr | None, info: ValidationInfo) -> SecretStr | None:
        prefix, problem = _TOKEN_SHAPES[str(info.field_name)]
        if value is not None and not value.get_secret_value().startswith(prefix):
            raise ValueError(problem)
        return value

    @field_validator("slack_signing_secret")
    @classmethod
    def _secret_not_blank(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not value.get_secret_value().strip():
            raise ValueError("must not be empty")
        return value

    @field_validator("slack_token_encryption_key")
    @classmethod
    def _fernet_key(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None:
            try:
                raw = base64.urlsafe_b64decode(value.get_secret_value().encode())
            except (ValueError, binascii.Error):
                raw = b""
            if len(raw) != _FERNET_KEY_BYTES:
                raise ValueError("must be a Fernet key: 32 bytes, url-safe base64 (44 characters)")
        return value

    @field_validator("slack_api_url")
    @classmethod
    def _api_url_shape(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("must be an http(s) URL such as https://slack.com/api/")
        return value if value.endswith("/") else value + "/"

    @field_validator("link_allowlist", mode="before")
    @classmethod
    def _hosts(cls, value: object) -> object:
        if not isinstance(value, str):
            return value
        hosts = tuple(h.lower() for h in re.split(r"[,\s]+", value) if h)
        for host in hosts:
            if not _HOST.fullmatch(host):
                raise ValueError(f"{host!r} is not a host name (write docs.example.com, no scheme)")
        return hosts

    @field_validator("config_file")
    @classmethod
    def _config_exists(cls, value: Path | None) -> Path | None:
        if value is not None and not value.is_file():
            raise ValueError(f"no such file: {str(value)!r}")
        return value

    @property
    def effective_log_format(self) -> Literal["json", "console"]:
        """``console`` on a terminal, ``json`` elsewhere, unless set explicitly."""
        if self.log_format is not None:
            return self.log_format
        return "console" if sys.stderr.isatty() else "json"

    @property
    def multi_workspace(self) -> bool:
        """``SLACK_CLIENT_ID`` is set: installed by OAuth in many workspaces, one token each
        (else the one workspace of ``SLACK_BOT_TOKEN``)."""
        return self.slack_client_id is not None

    @property
    def tracing_requested(self) -> bool:
        """An OTLP endpoint is set: export spans (the SDK reads the other ``OTEL_*``)."""
        return bool(self.otel_endpoint or self.otel_traces_endpoint)

    def require(self, *names: str) -> None:
        """Raise :class:`ConfigError` for the first of ``names`` (field names) that is unset."""
        for name in names:
            if getattr(self, name) is None:
                raise _unset(name)

    def secret(self, name: str) -> str:
        """The value of a required secret field (after :meth:`require`)."""
        value = getattr(self, name)
        if not isinstance(value, SecretStr):
            raise _unset(name)
        return value.get_secret_value()


def _variable(name: str) -> str:
    """The environment variable behind a field (its alias); other names are returned as they
    are (pydantic already reports a field by its alias)."""
    field = Settings.model_fields.get(name)
    return field.alias if field is not None and field.alias else name


def _unset(name: str) -> ConfigError:
    return ConfigError(_variable(name), "is required for this command but not set")


def process_environment() -> Mapping[str, str]:
    """The live process environment, for resolving ``${VAR}`` secrets when an action runs.

    Executors read it at run time (never at start-up) so a rotated secret is picked up, and
    nothing stores or logs the values.
    """
    return os.environ


def load_settings() -> Settings:
    """Read and validate the settings from the process environment.

    Raises:
        ConfigError: naming the first variable that is missing or malformed.
    """
    try:
        return Settings()
    except ValidationError as exc:
        first = exc.errors()[0]
        variable = _variable(str(first["loc"][0])) if first["loc"] else "settings"
        message = str(first["msg"]).removeprefix("Value error, ")
        raise ConfigError(variable, message) from None
