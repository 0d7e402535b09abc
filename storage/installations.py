"""Slack app installations on SQL: slack_sdk's ``AsyncInstallationStore`` over the project's
engine, and the used-once record of OAuth ``state`` values.

An installation is one row per installing user of a workspace (or, for an org-wide
Enterprise Grid install, of an organization: enterprise id set, team id none). Its tokens are
kept only in ``secrets``, the installation as JSON, sealed with Fernet when a key is
configured (:class:`TokenSeal`); nothing here logs a token. Lookups follow slack_sdk's own
stores: without a user, the newest installation of the workspace (or organization).

Switchboard asks for bot scopes only, so every installation carries the bot; removing the bot
(``tokens_revoked`` for the bot) removes the workspace's installations.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from slack_sdk.oauth.installation_store.async_installation_store import AsyncInstallationStore
from slack_sdk.oauth.installation_store.models.bot import Bot
from slack_sdk.oauth.installation_store.models.installation import Installation
from sqlalchemy import ColumnElement, and_, delete, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from agents.kernel.errors import StorageError
from storage._seam import SqlStore, count_changed, execute, fetch_first, insert, translated
from storage.tables import oauth_states_used, slack_installations

if TYPE_CHECKING:
    from cryptography.fernet import Fernet

__all__ = ["SqlInstallationStore", "SqlUsedStates", "TokenSeal"]

_PLAIN = "plain:"
_SEALED = "fernet:"
_BOT_FIELDS = (
    "bot_token",
    "bot_id",
    "bot_user_id",
    "bot_scopes",
    "bot_refresh_token",
    "bot_token_expires_at",
)


class TokenSeal:
    """Seals an installation's JSON at rest with Fernet (``key`` None: kept as it is, marked
    plain, so a key added later still reads the rows written before it).

    ``cryptography`` (about 7 MiB of a process's memory) is imported only with a key."""

    def __init__(self, key: str | None) -> None:
        self._fernet: Fernet | None = None
        if key:
            from cryptography.fernet import Fernet

            self._fernet = Fernet(key.encode())

    def seal(self, text: str) -> str:
        """``text`` as stored."""
        if self._fernet is None:
            return _PLAIN + text
        return _SEALED + self._fernet.encrypt(text.encode()).decode()

    def open(self, stored: str) -> str:
        """The text ``stored`` holds.

        Raises:
            StorageError: sealed with another key, or sealed while no key is configured.
        """
        if stored.startswith(_PLAIN):
            return stored.removeprefix(_PLAIN)
        if self._fernet is None:
            raise StorageError("an installation is sealed but no token encryption key is set")
        from cryptography.fernet import InvalidToken

        try:
            return self._fernet.decrypt(stored.removeprefix(_SEALED).encode()).decode()
        except InvalidToken:
            raise StorageError("an installation is sealed with another key") from None


def _json_value(value: object) -> object:
    if isinstance(value, datetime):
        return value.timestamp()
    raise TypeError(f"not JSON: {type(value).__name__}")


def _installation(values: dict[str, Any]) -> Installation:
    expires = values.get("bot_token_expires_at")
    if isinstance(expires, float):
        values["bot_token_expires_at"] = int(expires)
    user_expires = values.get("user_token_expires_at")
    if isinstance(user_expires, float):
        values["user_token_expires_at"] = int(user_expires)
    return Installation(**values)


def _key(
    enterprise_id: str | None, team_id: str | None, is_enterprise_install: bool | None
) -> ColumnElement[bool]:
    """The rows of one workspace, or of one organization for an org-wide install."""
    table = slack_installations.c
    if is_enterprise_install or (enterprise_id is not None and team_id is None):
        return and_(table.enterprise_id == enterprise_id, table.is_enterprise_install.is_(True))
    owner = table.team_id == team_id
    if enterprise_id is not None:
        owner = and_(owner, table.enterprise_id == enterprise_id)
    return and_(owner, table.is_enterprise_install.is_(False))


class SqlInstallationStore(SqlStore, AsyncInstallationStore):
    """slack_sdk's ``AsyncInstallationStore`` on the ``slack_installations`` table.

    Args:
        engine: the project's engine.
        client_id: the Slack app's client id (rows of another app are never read).
        seal: how the tokens are kept at rest.
    """

    def __init__(self, engine: AsyncEngine, *, client_id: str, seal: TokenSeal) -> None:
        super().__init__(engine)
        self._client_id = client_id
        self._seal = seal

    def _mine(self, where: ColumnElement[bool]) -> ColumnElement[bool]:
        return and_(slack_installations.c.client_id == self._client_id, where)

    async def async_save(self, installation: Installation) -> None:
        """Store ``installation``, replacing that user's earlier one in the same place."""
        values = installation.to_dict()
        secrets = self._seal.seal(json.dumps(values, default=_json_value))
        where = self._mine(
            and_(
                _key(
                    installation.enterprise_id,
                    installation.team_id,
                    installation.is_enterprise_install,
                ),
                slack_installations.c.user_id == installation.user_id,
            )
        )
        with translated("save an installation"):
            async with self._db.write.begin() as connection:
                await connection.execute(delete(slack_installations).where(where))
                await connection.execute(
                    slack_installations.insert().values(
                        client_id=self._client_id,
                        enterprise_id=installation.enterprise_id,
                        team_id=None
                        if installation.is_enterprise_install
                        else installation.team_id,
                        is_enterprise_install=bool(installation.is_enterprise_install),
                        user_id=installation.user_id,
                        bot_user_id=installation.bot_user_id,
                        bot_token_expires_at=values.get("bot_token_expires_at"),
                        installed_at=datetime.fromtimestamp(installation.installed_at, UTC),
                        secrets=secrets,
                    )
                )

    async def async_save_bot(self, bot: Bot) -> None:
        """Write a refreshed bot (token rotation) into the newest installation it belongs to."""
        where = self._mine(_key(bot.enterprise_id, bot.team_id, bot.is_enterprise_install))
        row = await self._newest(where)
        if row is None:
            return
        values = json.loads(self._seal.open(row.secrets))
        fresh = bot.to_dict()
        values.update({name: fresh.get(name) for name in _BOT_FIELDS})
        statement = (
            update(slack_installations)
            .where(slack_installations.c.id == row.id)
            .values(
                secrets=self._seal.seal(json.dumps(values, default=_json_value)),
                bot_token_expires_at=fresh.get("bot_token_expires_at"),
            )
        )
        await execute(self._db.write, statement, action="save a refreshed bot")

    async def _newest(self, where: ColumnElement[bool]) -> Any:
        statement = (
            select(slack_installations)
            .where(where)
            .order_by(slack_installations.c.installed_at.desc(), slack_installations.c.id.desc())
            .limit(1)
        )
        return await fetch_first(self._db.read, statement, action="find an installation")

    async def async_find_installation(
        self,
        *,
        enterprise_id: str | None,
        team_id: str | None,
        user_id: str | None = None,
        is_enterprise_install: bool | None = False,
    ) -> Installation | None:
        """The newest installation of the workspace (organization), or of ``user_id`` there."""
        where = self._mine(_key(enterprise_id, team_id, is_enterprise_install))
        if user_id is not None:
            where = and_(where, slack_installations.c.user_id == user_id)
        row = await self._newest(where)
        if row is None:
            return None
        return _installation(json.loads(self._seal.open(row.secrets)))

    async def async_find_bot(
        self,
        *,
        enterprise_id: str | None,
        team_id: str | None,
        is_enterprise_install: bool | None = False,
    ) -> Bot | None:
        """The bot of the newest installation of the workspace (organization)."""
        installation = await self.async_find_installation(
            enterprise_id=enterprise_id,
            team_id=team_id,
            is_enterprise_install=is_enterprise_install,
        )
        if installation is None or installation.bot_token is None:
            return None
        return installation.to_bot()

    async def async_delete_bot(self, *, enterprise_id: str | None, team_id: str | None) -> None:
        """Forget the bot, which is every installation of the workspace (bot scopes only)."""
        await self.async_delete_all(enterprise_id=enterprise_id, team_id=team_id)

    async def async_delete_installation(
        self, *, enterprise_id: str | None, team_id: str | None, user_id: str | None = None
    ) -> None:
        """Forget the installations of ``user_id`` there (every one when None)."""
        where = self._mine(_key(enterprise_id, team_id, None))
        if user_id is not None:
            where = and_(where, slack_installations.c.user_id == user_id)
        await count_changed(
            self._db.write,
            delete(slack_installations).where(where),
            action="delete an installation",
        )

    async def async_delete_all(self, *, enterprise_id: str | None, team_id: str | None) -> None:
        """Forget every installation of the workspace (organization)."""
        await self.async_delete_installation(enterprise_id=enterprise_id, team_id=team_id)


class SqlUsedStates(SqlStore):
    """The digests of OAuth states already used, each kept until its state expires."""

    async def use(self, digest: str, *, expires_at: datetime, now: datetime) -> bool:
        """Record ``digest`` as used; False if it was used before (a replay)."""
        statement = (
            insert(self._db.dialect, oauth_states_used)
            .values(digest=digest, expires_at=expires_at)
            .on_conflict_do_nothing(index_elements=["digest"])
        )
        with translated("record a used OAuth state"):
            async with self._db.write.begin() as connection:
                await connection.execute(
                    delete(oauth_states_used).where(oauth_states_used.c.expires_at < now)
                )
                result = await connection.execute(statement)
                return bool(result.rowcount)
