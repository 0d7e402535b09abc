"""The installation store (slack_sdk's AsyncInstallationStore on our tables) and the used OAuth
states, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from cryptography.fernet import Fernet
from slack_sdk.oauth.installation_store.models.installation import Installation

from agents.kernel.errors import StorageError
from storage import Database
from storage.installations import SqlInstallationStore, SqlUsedStates, TokenSeal

KEY = Fernet.generate_key().decode()


def _installation(
    team: str | None,
    *,
    user: str = "U1",
    token: str = "xoxb-1",  # noqa: S107 - a test double's token
    **more: Any,
) -> Installation:
    return Installation(
        app_id="A1",
        team_id=team,
        user_id=user,
        bot_token=token,
        bot_id="B1",
        bot_user_id="UBOT",
        bot_scopes="chat:write",
        **more,
    )


def _store(
    database: Database, *, key: str | None = KEY, client: str = "C1"
) -> SqlInstallationStore:
    return SqlInstallationStore(database.engine, client_id=client, seal=TokenSeal(key))


async def test_saved_installation_is_found_and_its_token_sealed(database: Database) -> None:
    """A saved installation is found by workspace (bot and installation alike); its token is
    nowhere in the row's text."""
    store = _store(database)
    await store.async_save(_installation("T1", token="xoxb-secret-one"))
    found = await store.async_find_installation(enterprise_id=None, team_id="T1")
    bot = await store.async_find_bot(enterprise_id=None, team_id="T1")
    assert found is not None and found.bot_token == "xoxb-secret-one"
    assert bot is not None and bot.bot_token == "xoxb-secret-one" and bot.bot_user_id == "UBOT"
    assert await store.async_find_bot(enterprise_id=None, team_id="T2") is None
    async with database.engine.connect() as conn:
        (secrets,) = (await conn.execute(sa.text("SELECT secrets FROM slack_installations"))).one()
    assert "xoxb-secret-one" not in secrets


async def test_a_reinstall_replaces_and_another_app_never_reads(database: Database) -> None:
    """The same person installing again replaces the row; another client id sees nothing."""
    store = _store(database)
    await store.async_save(_installation("T1", token="xoxb-old"))
    await store.async_save(_installation("T1", token="xoxb-new"))
    bot = await store.async_find_bot(enterprise_id=None, team_id="T1")
    assert bot is not None and bot.bot_token == "xoxb-new"
    assert (
        await _store(database, client="C2").async_find_bot(enterprise_id=None, team_id="T1") is None
    )


async def test_org_wide_install_is_kept_for_the_organization(database: Database) -> None:
    """An org-wide install is found for the organization, not as a workspace's own."""
    store = _store(database)
    await store.async_save(
        _installation(None, enterprise_id="E1", is_enterprise_install=True, token="xoxb-org")
    )
    org = await store.async_find_bot(enterprise_id="E1", team_id=None, is_enterprise_install=True)
    assert org is not None and org.bot_token == "xoxb-org"
    assert await store.async_find_bot(enterprise_id="E1", team_id="T9") is None
    await store.async_delete_all(enterprise_id="E1", team_id=None)
    assert (
        await store.async_find_bot(enterprise_id="E1", team_id=None, is_enterprise_install=True)
        is None
    )


async def test_refreshed_bot_is_saved_and_deleting_forgets_the_workspace(
    database: Database,
) -> None:
    """save_bot writes a rotated token into the installation; delete_bot forgets it."""
    store = _store(database)
    await store.async_save(
        _installation("T1", bot_refresh_token="xoxe-1-a", bot_token_expires_in=60)
    )
    bot = await store.async_find_bot(enterprise_id=None, team_id="T1")
    assert bot is not None
    bot.bot_token, bot.bot_refresh_token = "xoxe.xoxb-2", "xoxe-1-b"
    await store.async_save_bot(bot)
    fresh = await store.async_find_bot(enterprise_id=None, team_id="T1")
    assert fresh is not None and (fresh.bot_token, fresh.bot_refresh_token) == (
        "xoxe.xoxb-2",
        "xoxe-1-b",
    )
    await store.async_delete_bot(enterprise_id=None, team_id="T1")
    assert await store.async_find_installation(enterprise_id=None, team_id="T1") is None


async def test_sealed_rows_need_their_key(database: Database) -> None:
    """Rows sealed with a key cannot be read without it, or with another (StorageError)."""
    await _store(database).async_save(_installation("T1"))
    for key in (None, Fernet.generate_key().decode()):
        with pytest.raises(StorageError):
            await _store(database, key=key).async_find_bot(enterprise_id=None, team_id="T1")


async def test_plain_rows_stay_readable_once_a_key_is_set(database: Database) -> None:
    """Saved before a key was configured: still read after (and resealed on the next save)."""
    await _store(database, key=None).async_save(_installation("T1", token="xoxb-plain"))
    bot = await _store(database).async_find_bot(enterprise_id=None, team_id="T1")
    assert bot is not None and bot.bot_token == "xoxb-plain"


async def test_a_state_is_used_once(database: Database) -> None:
    """The first use of a state digest counts; the second is a replay; expired ones go."""
    used = SqlUsedStates(database.engine)
    now = datetime.now(UTC)
    assert await used.use("d1", expires_at=now + timedelta(minutes=5), now=now)
    assert not await used.use("d1", expires_at=now + timedelta(minutes=5), now=now)
    later = now + timedelta(minutes=10)
    assert await used.use("d2", expires_at=later + timedelta(minutes=5), now=later)
    async with database.engine.connect() as conn:
        kept = (await conn.execute(sa.text("SELECT digest FROM oauth_states_used"))).all()
    assert [row[0] for row in kept] == ["d2"]


async def test_a_workspaces_organization_is_recorded_and_updated(database: Database) -> None:
    """The organization a workspace was seen in is found again (by a new store over the same
    database: another process), the newest sighting wins, and an organization lists its
    workspaces; a workspace never seen in one has none."""
    from storage.org_workspaces import SqlOrgWorkspaces

    now = datetime.now(UTC)
    first = SqlOrgWorkspaces(database.engine)
    await first.seen("T1", "E1", now=now)
    await first.seen("T2", "E1", now=now)
    await first.seen("T3", "E9", now=now)
    await first.seen("T3", "E1", now=now + timedelta(seconds=1))  # moved organizations
    again = SqlOrgWorkspaces(database.engine)
    assert await again.organization_of("T1") == "E1"
    assert await again.organization_of("T4") is None
    assert await again.workspaces_of("E1") == ["T1", "T2", "T3"]
    assert await again.workspaces_of("E9") == []


async def test_a_workspace_that_left_its_organization_is_forgotten_there_only(
    database: Database,
) -> None:
    """``left`` deletes the workspace's record in that organization (once: a second call
    finds nothing), and never the record of a workspace since seen in another."""
    from storage.org_workspaces import SqlOrgWorkspaces

    now = datetime.now(UTC)
    store = SqlOrgWorkspaces(database.engine)
    await store.seen("T1", "E1", now=now)
    await store.seen("T2", "E2", now=now)
    assert await store.left("T1", "E1") is True
    assert await store.left("T1", "E1") is False
    assert await store.left("T2", "E1") is False
    assert await store.organization_of("T1") is None
    assert await store.organization_of("T2") == "E2"
