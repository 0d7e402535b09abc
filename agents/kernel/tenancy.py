"""Which workspace the work at hand is done for: the tenant every outbound call acts as.

Whatever knows the workspace of the work it starts (a Slack request, the worker claiming an
approved job, a sweep re-delivering a reply) binds it with :func:`acting_for`; the edge that
calls Slack reads :func:`acting_workspace` to pick that workspace's token. Tasks started
inside the block inherit the binding (``contextvars``), and nothing outside it sees it, so
two workspaces' work never shares a token. Unbound work in a multi-workspace bot is refused
at the edge rather than sent with some other workspace's token.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

__all__ = ["Tenant", "acting_for", "acting_workspace", "bind_workspace"]


@dataclass(frozen=True, slots=True)
class Tenant:
    """A workspace, within its Enterprise Grid organization when it has one.

    Attributes:
        team_id: the workspace (``T…``); for an org-wide install, the workspace the event
            came from, if any.
        enterprise_id: the organization (``E…``), or None outside Enterprise Grid.
        is_enterprise_install: the app is installed org-wide: the organization's token serves.
    """

    team_id: str | None
    enterprise_id: str | None = None
    is_enterprise_install: bool = False


_ACTING: ContextVar[Tenant | None] = ContextVar("switchboard_acting_workspace", default=None)


def acting_workspace() -> Tenant | None:
    """The workspace the current work acts for (None: nobody bound one)."""
    return _ACTING.get()


def bind_workspace(tenant: Tenant | None) -> None:
    """Bind ``tenant`` for the rest of the current context (a request's handling)."""
    _ACTING.set(tenant)


@contextmanager
def acting_for(team_id: str | None, *, enterprise_id: str | None = None) -> Iterator[None]:
    """Act for ``team_id`` inside the block (restored after it). Keeps the organization of
    a binding already in place for the same workspace, or for its whole organization (an
    org-wide install's request names no workspace)."""
    current = _ACTING.get()
    if enterprise_id is None and current is not None and current.team_id in (None, team_id):
        tenant = Tenant(team_id, current.enterprise_id, current.is_enterprise_install)
    else:
        tenant = Tenant(team_id, enterprise_id)
    token = _ACTING.set(tenant)
    try:
        yield
    finally:
        _ACTING.reset(token)
