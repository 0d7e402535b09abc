"""Rules beyond one field's shape: placeholders, defaults, approval by risk, URLs, headers.

They run on :class:`~bot.config_file.parts.ActionParts` (the fields of an action that are valid
on their own), so an action with a broken ``executor.http.retries`` still gets its formats,
approval and headers checked. Each check yields every problem as ``(location, message)``,
relative to the action (``('params', 'env', 'default')``).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from urllib.parse import urlsplit

from bot.config_file.convert import to_param_spec
from bot.config_file.credentials import literal_secret_problem
from bot.config_file.models import EnumParam, ParamModel
from bot.config_file.parts import ActionParts, HttpParts, ShellParts
from bot.config_file.templates import (
    malformed_env_refs,
    placeholders,
    undeclared_placeholders,
)
from bot.config_file.yamlsource import Loc, format_path

__all__ = ["Problem", "check_action", "check_unique_names"]

Problem = tuple[Loc, str]


def check_action(parts: ActionParts) -> Iterator[Problem]:
    """Every cross-field problem found in the valid parts of one action."""
    declared = parts.param_names
    for index, template in parts.formats:
        for message in undeclared_placeholders(template, declared):
            yield ("formats", index), message
    yield from _defaults(parts.params)
    yield from _approval(parts)
    if parts.http is not None:
        yield from _http(parts.http, declared)
    if parts.shell is not None:
        yield from _shell(parts.shell, declared)


def check_unique_names(names: Sequence[tuple[int, str]]) -> Iterator[Problem]:
    """Action names must be unique across the file (locations are absolute here)."""
    first: dict[str, int] = {}
    for index, name in names:
        if name in first:
            where = format_path(("actions", first[name]))
            yield ("actions", index, "name"), f"duplicate action name {name!r} (see {where})"
        else:
            first[name] = index


def _defaults(params: Mapping[str, ParamModel]) -> Iterator[Problem]:
    for name, param in params.items():
        if param.default is None:
            continue
        try:
            to_param_spec(name, param).coerce(param.default)
        except ValueError as exc:
            if isinstance(param, EnumParam):
                message = f"{param.default!r} is not one of {', '.join(param.choices)}"
            else:
                message = str(exc)
            yield ("params", name, "default"), message


def _approval(parts: ActionParts) -> Iterator[Problem]:
    risk, policy = parts.risk, parts.approval
    if not parts.has_approval:
        if risk == "write":
            yield ("approval",), "write actions need approvers (or approval: {required: false})"
        elif risk == "dangerous":
            yield ("approval",), "dangerous actions need an approval block with approvers"
        return
    if policy is None:
        return
    if risk == "dangerous" and policy.required is False:
        yield ("approval", "required"), "dangerous actions always need approval"
    if risk == "dangerous" and policy.self_approval:
        yield ("approval", "self_approval"), "must be false for dangerous actions"
    approvers = policy.approvers
    if policy.required is not False or risk == "dangerous":
        if not (approvers.users or approvers.groups):
            yield ("approval", "approvers"), "name at least one approver user or group"
        elif not approvers.groups and policy.quorum > len(set(approvers.users)):
            yield (
                ("approval", "quorum"),
                f"quorum {policy.quorum} needs at least {policy.quorum} approvers, but only "
                f"{len(set(approvers.users))} users and no groups are named",
            )


def _http(http: HttpParts, declared: frozenset[str]) -> Iterator[Problem]:
    base: Loc = ("executor", "http")
    if http.url is not None:
        yield from _url(http.url, declared)
    for header, value in http.headers.items():
        where = (*base, "headers", header)
        for fragment in malformed_env_refs(value):
            yield where, f"{fragment!r} is not a well-formed ${{UPPER_CASE_NAME}} reference"
        if placeholders(value):
            yield where, "header values cannot hold {param} placeholders, only ${ENV_VAR}"
        secret = literal_secret_problem(header, value)
        if secret is not None:
            yield where, secret
    if http.method == "GET" and http.body is not None:
        yield (*base, "body"), "a GET request takes no body"
    yield from _body(http.body, declared, (*base, "body"))


def _url(url: str, declared: frozenset[str]) -> Iterator[Problem]:
    where: Loc = ("executor", "http", "url")
    try:
        parts = urlsplit(url)
        valid_port = parts.port is not None or ":" not in parts.netloc.rpartition("@")[2]
    except ValueError:
        parts, valid_port = None, False
    if parts is None or parts.scheme not in {"http", "https"} or not parts.hostname:
        yield where, "must be an http:// or https:// URL with a host"
        return
    if "{" in parts.netloc or not valid_port:
        yield where, "the scheme, host and port must be literal (placeholders go in the path)"
    if "$" in url:
        yield where, "${ENV_VAR} is resolved only in header values, not in the URL"
    if parts.username or parts.password:
        yield where, "credentials in the URL are not allowed; use a header with ${ENV_VAR}"
    for message in undeclared_placeholders(url, declared):
        yield where, message


def _body(value: object, declared: frozenset[str], where: Loc) -> Iterator[Problem]:
    if isinstance(value, str):
        for message in undeclared_placeholders(value, declared):
            yield where, message
        if malformed_env_refs(value) or "${" in value:
            yield where, "${ENV_VAR} is resolved only in header values, not in the body"
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _body(item, declared, (*where, str(key)))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _body(item, declared, (*where, index))


def _shell(shell: ShellParts, declared: frozenset[str]) -> Iterator[Problem]:
    where: Loc = ("executor", "shell", "argv")
    for index, element in shell.argv:
        if index == 0:
            yield from _executable(element, shell.allowlist)
        else:
            for message in undeclared_placeholders(element, declared):
                yield (*where, index), message


def _executable(executable: str, allowlist: Sequence[str] | None) -> Iterator[Problem]:
    where: Loc = ("executor", "shell", "argv", 0)
    if "{" in executable:
        yield where, "the executable (argv[0]) must be literal, not a placeholder"
    elif not executable.startswith("/"):
        yield where, f"the executable {executable!r} must be an absolute path"
    elif allowlist is not None and executable not in allowlist:
        yield where, f"{executable!r} is not in executable_allowlist"
