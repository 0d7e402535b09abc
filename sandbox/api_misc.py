"""Web API methods beyond chat and conversations: auth, users, user groups, reactions,
views and the Socket Mode connection."""

from __future__ import annotations

from typing import Any

from sandbox.apicore import ApiContext, ApiError, Method, missing, readable_channel, str_arg
from sandbox.records import JSON

__all__ = ["MISC_METHODS"]


def auth_test(ctx: ApiContext, args: JSON) -> JSON:
    """``auth.test``: who the bot token belongs to (an installed token: its workspace)."""
    d = ctx.workspace.directory
    answer: JSON = {
        "url": d.url,
        "team": d.team_name,
        "user": d.users[d.bot_user_id].name,
        "team_id": d.team_id,
        "user_id": d.bot_user_id,
        "bot_id": d.bot_id,
        "is_enterprise_install": False,
    }
    if ctx.grant is not None:
        plan = ctx.grant.plan
        answer.update(
            team_id=plan.team_id, team=plan.team_name, is_enterprise_install=plan.org_wide
        )
        if plan.enterprise_id is not None:
            answer["enterprise_id"] = plan.enterprise_id
    return answer


def api_test(ctx: ApiContext, args: JSON) -> JSON:
    """``api.test``: Slack answers (needs no token), echoing the arguments."""
    return {"args": dict(args)} if args else {}


def users_info(ctx: ApiContext, args: JSON) -> JSON:
    """``users.info``: one user's profile."""
    d = ctx.workspace.directory
    user = d.users.get(str_arg(args, "user") or "")
    if user is None:
        raise ApiError("user_not_found")
    return {"user": user.to_json(d.team_id)}


def users_lookup_by_email(ctx: ApiContext, args: JSON) -> JSON:
    """``users.lookupByEmail``: a user by email address."""
    d = ctx.workspace.directory
    email = str_arg(args, "email", required=True)
    for user in d.users.values():
        if user.email is not None and user.email.lower() == (email or "").lower():
            return {"user": user.to_json(d.team_id)}
    raise ApiError("users_not_found")


def usergroups_list(ctx: ApiContext, args: JSON) -> JSON:
    """``usergroups.list``: the workspace's user groups."""
    groups = ctx.workspace.directory.usergroups.values()
    return {"usergroups": [dict(group) for group in groups]}


def usergroups_users_list(ctx: ApiContext, args: JSON) -> JSON:
    """``usergroups.users.list``: the members of one user group."""
    group = ctx.workspace.directory.usergroups.get(str_arg(args, "usergroup") or "")
    if group is None:
        raise ApiError("no_such_subteam")
    return {"users": list(group["users"])}


def _reaction(ctx: ApiContext, args: JSON) -> tuple[str, str, str, str]:
    """(channel id, message ts, reaction name, bot user id) of a reactions.* call."""
    channel = readable_channel(ctx, args)
    ts = str_arg(args, "timestamp")
    if ts is None or ctx.workspace.store.get(channel.id, ts) is None:
        raise ApiError("message_not_found")
    name = (str_arg(args, "name") or "").strip(":")
    if not name:
        raise ApiError("invalid_name")
    return channel.id, ts, name, ctx.workspace.directory.bot_user_id


def reactions_add(ctx: ApiContext, args: JSON) -> JSON:
    """``reactions.add``: the bot reacts to a message."""
    if not ctx.workspace.store.add_reaction(*_reaction(ctx, args)):
        raise ApiError("already_reacted")
    return {}


def reactions_remove(ctx: ApiContext, args: JSON) -> JSON:
    """``reactions.remove``: the bot takes its reaction back (``no_reaction`` if none)."""
    if not ctx.workspace.store.remove_reaction(*_reaction(ctx, args)):
        raise ApiError("no_reaction")
    return {}


def _view_arg(args: JSON, *, kind: str | None) -> JSON:
    view: Any = args.get("view")
    if view is None or view == "":
        raise missing("view")
    if not isinstance(view, dict) or not isinstance(view.get("blocks", []), list):
        raise ApiError(
            "invalid_arguments", messages=["[ERROR] failed to match all allowed schemas"]
        )
    if kind is not None and view.get("type") != kind:
        raise ApiError("invalid_arguments", messages=[f"[ERROR] view type must be {kind!r}"])
    return view


def _team(ctx: ApiContext) -> str | None:
    """The workspace an installed token acts for (None: the sandbox's own)."""
    return ctx.grant.plan.team_id if ctx.grant is not None else None


def _redeem(ctx: ApiContext, args: JSON) -> None:
    trigger_id = str_arg(args, "trigger_id")
    if trigger_id is None:
        raise missing("trigger_id")
    error = ctx.workspace.triggers.redeem(trigger_id)
    if error is not None:
        raise ApiError(error)


def views_open(ctx: ApiContext, args: JSON) -> JSON:
    """``views.open``: open a modal for a fresh trigger id."""
    spec = _view_arg(args, kind="modal")
    _redeem(ctx, args)
    return {"view": dict(ctx.workspace.views.store(spec, team_id=_team(ctx)))}


def views_push(ctx: ApiContext, args: JSON) -> JSON:
    """``views.push``: push a modal onto the stack, for a fresh trigger id."""
    spec = _view_arg(args, kind="modal")
    _redeem(ctx, args)
    return {"view": dict(ctx.workspace.views.store(spec, team_id=_team(ctx)))}


def views_update(ctx: ApiContext, args: JSON) -> JSON:
    """``views.update``: replace an open view, by ``view_id`` or ``external_id``."""
    spec = _view_arg(args, kind=None)
    view_id, external_id = str_arg(args, "view_id"), str_arg(args, "external_id")
    if view_id is None and external_id is None:
        raise missing("view_id")
    current = ctx.workspace.views.find(view_id=view_id, external_id=external_id)
    if current is None:
        raise ApiError("not_found")
    stored_hash = str_arg(args, "hash")
    if stored_hash is not None and stored_hash != current["hash"]:
        raise ApiError("hash_conflict")
    stored = ctx.workspace.views.store(spec, view_id=current["id"], team_id=_team(ctx))
    return {"view": dict(stored)}


def views_publish(ctx: ApiContext, args: JSON) -> JSON:
    """``views.publish``: set a user's App Home view."""
    user = str_arg(args, "user_id")
    if user is None:
        raise missing("user_id")
    if user not in ctx.workspace.directory.users:
        raise ApiError("user_not_found")
    spec = _view_arg(args, kind="home")
    views = ctx.workspace.views
    view = views.store(spec, view_id=views.home.get(user), team_id=_team(ctx))
    views.home[user] = view["id"]
    return {"view": dict(view)}


def connections_open(ctx: ApiContext, args: JSON) -> JSON:
    """``apps.connections.open``: a fresh Socket Mode URL (app-level token only)."""
    return {"url": ctx.socket_url()}


MISC_METHODS: dict[str, Method] = {
    "api.test": Method(api_test, accepts="client"),
    "auth.test": Method(auth_test),
    "users.info": Method(users_info),
    "users.lookupByEmail": Method(users_lookup_by_email),
    "usergroups.list": Method(usergroups_list),
    "usergroups.users.list": Method(usergroups_users_list),
    "reactions.add": Method(reactions_add),
    "reactions.remove": Method(reactions_remove),
    "views.open": Method(views_open),
    "views.push": Method(views_push),
    "views.update": Method(views_update),
    "views.publish": Method(views_publish),
    "apps.connections.open": Method(connections_open, accepts="app"),
}
