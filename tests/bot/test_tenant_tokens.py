"""Each workspace's bot token: found in the installation store, refreshed before it expires,
refused when there is none (no workspace bound, not installed, refresh failed)."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.oauth.installation_store.models.bot import Bot
from slack_sdk.oauth.installation_store.models.installation import Installation
from slack_sdk.oauth.token_rotation.async_rotator import AsyncTokenRotator

from agents.kernel.tenancy import Tenant, acting_for, acting_workspace, bind_workspace
from bot.tenant_tokens import NoToken, TenantTokens


class MemoryStore:
    """Just the lookups TenantTokens makes, over a dict."""

    def __init__(self) -> None:
        self.bots: dict[tuple[str | None, str | None, bool], Bot] = {}
        self.saved: list[Bot] = []
        self.finds = 0

    def add(
        self, team: str | None, token: str, *, enterprise: str | None = None, **more: Any
    ) -> None:
        org = team is None
        installation = Installation(
            app_id="A1",
            enterprise_id=enterprise,
            team_id=team,
            user_id="U1",
            bot_token=token,
            bot_id="B1",
            bot_user_id="UB",
            is_enterprise_install=org,
            **more,
        )
        self.bots[(enterprise if org else None, team, org)] = installation.to_bot()

    async def async_find_bot(
        self, *, enterprise_id: str | None, team_id: str | None, is_enterprise_install: bool = False
    ) -> Bot | None:
        self.finds += 1
        key = (
            enterprise_id if is_enterprise_install else None,
            team_id,
            bool(is_enterprise_install),
        )
        return self.bots.get(key)

    async def async_save_bot(self, bot: Bot) -> None:
        self.saved.append(bot)
        self.bots[(None, bot.team_id, False)] = bot


class ScriptedRotator(AsyncTokenRotator):
    """Refreshes as slack_sdk's rotator would, without the network (or fails)."""

    def __init__(self, *, fail: bool = False) -> None:
        super().__init__(client_id="c", client_secret="s")
        self.fail = fail
        self.calls = 0

    async def perform_bot_token_rotation(  # type: ignore[override]
        self, *, bot: Bot, minutes_before_expiration: int = 120
    ) -> Bot | None:
        if (
            bot.bot_token_expires_at is None
            or bot.bot_token_expires_at > time.time() + minutes_before_expiration * 60
        ):
            return None
        self.calls += 1
        if self.fail:
            raise SlackApiError("refresh failed", {"ok": False, "error": "invalid_refresh_token"})  # type: ignore[no-untyped-call]
        fresh = Bot(**bot.to_dict_for_copying())
        fresh.bot_token, fresh.bot_token_expires_at = (
            f"xoxe.xoxb-{self.calls}",
            int(time.time()) + 43200,
        )
        return fresh


class MemoryOrganizations:
    """Workspace -> organization over a dict (the table outlives a TenantTokens)."""

    def __init__(self) -> None:
        self.of: dict[str, str] = {}
        self.writes = 0

    async def seen(self, team_id: str, enterprise_id: str, *, now: datetime) -> None:
        self.writes += 1
        self.of[team_id] = enterprise_id

    async def organization_of(self, team_id: str) -> str | None:
        return self.of.get(team_id)

    async def left(self, team_id: str, enterprise_id: str) -> bool:
        return self.of.pop(team_id, None) is not None


class _Clock:
    def now(self) -> datetime:
        return datetime.now(UTC)

    def monotonic(self) -> float:
        return time.monotonic()


def _tokens(
    store: MemoryStore,
    rotator: AsyncTokenRotator | None = None,
    *,
    organizations: MemoryOrganizations | None = None,
) -> TenantTokens:
    return TenantTokens(
        store,  # type: ignore[arg-type]
        organizations=organizations or MemoryOrganizations(),
        clock=_Clock(),
        rotator=rotator,
        minutes_before_expiration=120,
    )


async def test_no_workspace_bound_gets_no_token() -> None:
    """Work that bound no workspace is refused, never given some workspace's token."""
    with pytest.raises(NoToken) as refused:
        await _tokens(MemoryStore()).bot_token(None)
    assert refused.value.reason == "unbound"


async def test_each_workspace_gets_its_own_token_and_others_none() -> None:
    """A and B get their own tokens; C, not installed, gets none."""
    store = MemoryStore()
    store.add("TA", "xoxb-a")
    store.add("TB", "xoxb-b")
    tokens = _tokens(store)
    assert await tokens.bot_token(Tenant("TA")) == "xoxb-a"
    assert await tokens.bot_token(Tenant("TB")) == "xoxb-b"
    with pytest.raises(NoToken) as refused:
        await tokens.bot_token(Tenant("TC"))
    assert refused.value.reason == "not_installed"


async def test_a_token_expiring_soon_is_refreshed_once_and_saved() -> None:
    """Within the window the token is refreshed before use, the refreshed bot saved, and the
    new token used from then on without refreshing again."""
    store = MemoryStore()
    store.add("TA", "xoxe.xoxb-0", bot_refresh_token="xoxe-1-r", bot_token_expires_in=600)
    rotator = ScriptedRotator()
    tokens = _tokens(store, rotator)
    assert await tokens.bot_token(Tenant("TA")) == "xoxe.xoxb-1"
    assert await tokens.bot_token(Tenant("TA")) == "xoxe.xoxb-1"
    assert rotator.calls == 1 and [b.bot_token for b in store.saved] == ["xoxe.xoxb-1"]


async def test_a_failed_refresh_gives_no_token() -> None:
    """Slack refusing the refresh (revoked refresh token) is refused, not the stale token."""
    store = MemoryStore()
    store.add("TA", "xoxe.xoxb-0", bot_refresh_token="xoxe-1-r", bot_token_expires_in=600)
    with pytest.raises(NoToken) as refused:
        await _tokens(store, ScriptedRotator(fail=True)).bot_token(Tenant("TA"))
    assert refused.value.reason == "refresh_failed"


async def test_forgetting_a_workspace_reads_the_store_again() -> None:
    """A remembered token is dropped by forget (the workspace was removed)."""
    store = MemoryStore()
    store.add("TA", "xoxb-a")
    tokens = _tokens(store)
    await tokens.bot_token(Tenant("TA"))
    del store.bots[(None, "TA", False)]
    tokens.forget(Tenant("TA"))
    with pytest.raises(NoToken):
        await tokens.bot_token(Tenant("TA"))


async def test_a_grid_workspace_uses_its_organizations_token() -> None:
    """Org-wide install: a request's workspace acts with the organization's token, and so
    does later work that knows only the workspace, once a request taught the organization."""
    store = MemoryStore()
    store.add(None, "xoxb-org", enterprise="E1")
    tokens = _tokens(store)
    assert await tokens.bot_token(Tenant("TG", "E1", is_enterprise_install=True)) == "xoxb-org"
    with pytest.raises(NoToken):
        await tokens.bot_token(Tenant("TG"))
    await tokens.learn(Tenant("TG", "E1", is_enterprise_install=True))
    assert await tokens.bot_token(Tenant("TG")) == "xoxb-org"


async def test_a_learned_organization_outlives_the_process() -> None:
    """The organization a request taught is recorded once per process; a new process (a
    restart, another replica) finds the org-wide token for the workspace alone from the
    record, without any request of its own."""
    store = MemoryStore()
    store.add(None, "xoxb-org", enterprise="E1")
    organizations = MemoryOrganizations()
    first = _tokens(store, organizations=organizations)
    for _ in range(3):
        await first.learn(Tenant("TG", "E1", is_enterprise_install=True))
    await first.learn(Tenant("TX"))  # outside a Grid: nothing to record
    assert organizations.of == {"TG": "E1"} and organizations.writes == 1
    restarted = _tokens(store, organizations=organizations)
    assert await restarted.bot_token(Tenant("TG")) == "xoxb-org"
    with pytest.raises(NoToken):
        await restarted.bot_token(Tenant("TX"))


async def test_forgetting_an_organization_drops_its_workspaces_tokens() -> None:
    """The org-wide install removed: the token remembered for a workspace that reached it
    through the organization is dropped too."""
    store = MemoryStore()
    store.add(None, "xoxb-org", enterprise="E1")
    organizations = MemoryOrganizations()
    organizations.of["TG"] = "E1"
    tokens = _tokens(store, organizations=organizations)
    assert await tokens.bot_token(Tenant("TG")) == "xoxb-org"
    store.bots.clear()
    tokens.forget(Tenant("TH", "E1", is_enterprise_install=True))
    with pytest.raises(NoToken):
        await tokens.bot_token(Tenant("TG"))


def test_acting_for_keeps_the_organization_and_restores() -> None:
    """Binding a workspace inside an org-wide request keeps the organization; leaving the
    block restores what was bound before."""
    bind_workspace(Tenant(None, "E1", is_enterprise_install=True))
    with acting_for("TG"):
        assert acting_workspace() == Tenant("TG", "E1", is_enterprise_install=True)
        with acting_for("TX", enterprise_id="E2"):
            assert acting_workspace() == Tenant("TX", "E2")
    assert acting_workspace() == Tenant(None, "E1", is_enterprise_install=True)
    bind_workspace(None)


async def test_the_client_sends_each_call_with_the_bound_workspaces_token() -> None:
    """The multi-workspace Web API client: a call acting for A carries A's token, for B B's;
    an unbound call or one for a workspace not installed fails as invalid_auth without
    reaching Slack."""
    import aiohttp
    from slack_sdk.errors import SlackApiError

    from bot.slack_client import build_web_client
    from bot.slack_gate import SlackGate
    from sandbox import SlackSandbox
    from sandbox.oauth import InstallPlan

    async with SlackSandbox() as sandbox, aiohttp.ClientSession() as session:
        store = MemoryStore()
        for team in ("TA", "TB"):
            grant = sandbox.oauth.issue(InstallPlan(team), "chat:write", rotating=False)
            store.add(team, grant.token)
        client = build_web_client(
            token=None,
            base_url=sandbox.api_url,
            session=session,
            gate=SlackGate(),
            tokens=_tokens(store),
        )
        for team in ("TB", "TA"):
            with acting_for(team):
                assert (await client.auth_test())["team_id"] == team
        for tenant in (None, "TC"):
            with acting_for(tenant), pytest.raises(SlackApiError) as refused:
                await client.auth_test()
            assert refused.value.response["error"] == "invalid_auth"
        assert [c.token for c in sandbox.calls.all()] == [
            store.bots[(None, team, False)].bot_token for team in ("TB", "TA")
        ]


async def test_a_workspace_that_left_the_org_install_finds_no_token() -> None:
    """Its record deleted and this process told ``left``: work for the workspace alone
    finds no token here, nor on another replica that had recorded its organization too
    (and is told nothing); a workspace with its own install keeps its own."""
    store = MemoryStore()
    store.add(None, "xoxb-org", enterprise="E1")
    store.add("TO", "xoxb-own", enterprise="E1")
    organizations = MemoryOrganizations()
    tokens = _tokens(store, organizations=organizations)
    other = _tokens(store, organizations=organizations)  # another replica
    for replica in (tokens, other):
        for team in ("TG", "TO"):
            await replica.learn(Tenant(team, "E1", is_enterprise_install=True))
    assert await tokens.bot_token(Tenant("TG")) == "xoxb-org"
    await organizations.left("TG", "E1")
    tokens.left("TG")
    await organizations.left("TO", "E1")
    tokens.left("TO")
    for replica in (tokens, other):
        with pytest.raises(NoToken):
            await replica.bot_token(Tenant("TG"))
        assert await replica.bot_token(Tenant("TO")) == "xoxb-own"
