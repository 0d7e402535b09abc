"""The pieces of one action that are valid on their own, for the cross-field checks.

A pydantic error anywhere in an action discards the whole model, yet its other fields may
still break rules worth reporting in the same run (an undeclared placeholder, a literal
secret). :meth:`ActionParts.salvage` keeps every field that is valid by itself.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, TypeAdapter, ValidationError

from bot.config_file.models import ActionModel, ApprovalModel, ParamModel

__all__ = ["ActionParts", "HttpParts", "ShellParts"]

Risk = Literal["read", "write", "dangerous"]
_T = TypeVar("_T")
_M = TypeVar("_M", bound=BaseModel)

_RISK: TypeAdapter[Risk] = TypeAdapter(Risk)
_PARAM: TypeAdapter[ParamModel] = TypeAdapter(ParamModel)


@dataclass(frozen=True, slots=True)
class HttpParts:
    """The templated fields of an http executor."""

    method: str | None = None
    url: str | None = None
    headers: Mapping[str, str] = field(default_factory=dict)
    body: object = None


@dataclass(frozen=True, slots=True)
class ShellParts:
    """The argv template (with each element's index) and the allowlist."""

    argv: Sequence[tuple[int, str]] = ()
    allowlist: Sequence[str] | None = None


@dataclass(frozen=True, slots=True)
class ActionParts:
    """The parts of one action that are valid on their own (``None``: missing or invalid).

    Attributes:
        param_names: every declared parameter name, valid declaration or not, so that a
            placeholder naming a broken parameter is not also reported as undeclared.
        has_approval: whether an ``approval`` block was written at all.
    """

    risk: Risk | None
    param_names: frozenset[str]
    params: Mapping[str, ParamModel]
    formats: Sequence[tuple[int, str]]
    has_approval: bool
    approval: ApprovalModel | None
    http: HttpParts | None
    shell: ShellParts | None

    @classmethod
    def of(cls, action: ActionModel) -> ActionParts:
        """The parts of a fully valid action."""
        http, shell = action.executor.http, action.executor.shell
        return cls(
            risk=action.risk,
            param_names=frozenset(action.params),
            params=action.params,
            formats=list(enumerate(action.formats)),
            has_approval=action.approval is not None,
            approval=action.approval,
            http=HttpParts(http.method, http.url, http.headers, http.body) if http else None,
            shell=ShellParts(list(enumerate(shell.argv)), shell.executable_allowlist)
            if shell
            else None,
        )

    @classmethod
    def salvage(cls, raw: object) -> ActionParts:
        """The valid parts of an action that failed validation as a whole."""
        data = _mapping(raw)
        raw_params = _mapping(data.get("params"))
        executor = _mapping(data.get("executor"))
        return cls(
            risk=_valid(_RISK, data.get("risk")),
            param_names=frozenset(str(name) for name in raw_params),
            params={
                str(name): param
                for name, value in raw_params.items()
                if (param := _valid(_PARAM, value)) is not None
            },
            formats=_texts(data.get("formats")),
            has_approval=data.get("approval") is not None,
            approval=_valid_model(ApprovalModel, data.get("approval")),
            http=_http(executor["http"]) if "http" in executor else None,
            shell=_shell(executor["shell"]) if "shell" in executor else None,
        )


def _http(raw: object) -> HttpParts:
    data = _mapping(raw)
    method, url = data.get("method"), data.get("url")
    headers = {k: v for k, v in _mapping(data.get("headers")).items() if isinstance(v, str)}
    return HttpParts(
        method=method if isinstance(method, str) else None,
        url=url if isinstance(url, str) else None,
        headers=headers,
        body=data.get("body"),
    )


def _shell(raw: object) -> ShellParts:
    data = _mapping(raw)
    allowlist = data.get("executable_allowlist")
    valid_allowlist = isinstance(allowlist, list) and all(isinstance(p, str) for p in allowlist)
    return ShellParts(
        argv=_texts(data.get("argv")),
        allowlist=allowlist if valid_allowlist else None,
    )


def _mapping(value: object) -> Mapping[str, Any]:
    if not isinstance(value, dict):
        return {}
    return {key: item for key, item in value.items() if isinstance(key, str)}


def _texts(value: object) -> list[tuple[int, str]]:
    items = value if isinstance(value, list) else []
    return [(index, item) for index, item in enumerate(items) if isinstance(item, str)]


def _valid(adapter: TypeAdapter[_T], value: object) -> _T | None:
    try:
        return adapter.validate_python(value, strict=True)
    except ValidationError:
        return None


def _valid_model(model: type[_M], value: object) -> _M | None:
    if value is None:
        return None
    try:
        return model.model_validate(value)
    except ValidationError:
        return None
