"""An OAuth-protected front for the sandbox MCP server (``--http`` with
``SANDBOX_MCP_OAUTH_CLIENT=client_id:client_secret``), written from the MCP authorization spec,
RFC 9728 (protected resource metadata), RFC 8414 (authorization server metadata) and RFC 6749
§4.4 (client credentials grant). The server is its own authorization server:

- ``GET /.well-known/oauth-protected-resource[/mcp]``: the resource (``…/mcp``) and its
  authorization server (this origin);
- ``GET /.well-known/oauth-authorization-server``: the issuer (this origin), the token
  endpoint, ``client_credentials`` as the grant, ``client_secret_basic``/``_post``;
- ``POST /oauth/token`` (and ``/other/token``, advertised nowhere: for a configured
  ``token_url``): ``grant_type=client_credentials`` with the client's credentials in HTTP
  Basic or the form; answers a Bearer access token good for ``SANDBOX_MCP_TOKEN_TTL`` seconds
  (default 3600), or 401 ``invalid_client`` / 400 ``unsupported_grant_type``;
- every other request needs ``Authorization: Bearer <a token issued and not expired>``, else
  401 with ``WWW-Authenticate: Bearer resource_metadata="…"`` (RFC 9728 §5.1).

Tokens issued before the control file's ``token_epoch`` changed are no longer accepted (a
test's way to expire them at once). Each token issued is appended to the file named by
``SANDBOX_MCP_TOKEN_LOG`` (if set) as ``{"client_id": …, "at": path}`` (never the token),
each request refused for want of a valid token as ``{"refused": path}``.
"""

from __future__ import annotations

import base64
import json
import os
import secrets
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs, unquote

__all__ = ["oauth_protected"]

_TOKEN_PATH = "/oauth/token"  # noqa: S105 (a path, not a password)
_OTHER_TOKEN_PATH = "/other/token"  # noqa: S105 (not advertised: for a configured token_url)


def oauth_protected(app: Any, client: str, epoch: Callable[[], object]) -> Any:
    """``app`` behind the OAuth front (``client``: ``client_id:client_secret``; ``epoch``: the
    control file's ``token_epoch`` now)."""
    client_id, _, client_secret = client.partition(":")
    ttl = int(os.environ.get("SANDBOX_MCP_TOKEN_TTL", "3600"))
    issued: dict[str, tuple[float, object]] = {}

    async def front(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await app(scope, receive, send)
            return
        headers = {k.decode().lower(): v.decode() for k, v in scope["headers"]}
        origin = f"http://{headers.get('host', '127.0.0.1')}"
        path = scope["path"]
        if path.startswith("/.well-known/oauth-protected-resource"):
            body = {"resource": f"{origin}/mcp", "authorization_servers": [origin]}
            await _json(send, 200, body)
        elif path == "/.well-known/oauth-authorization-server":
            await _json(send, 200, _metadata(origin))
        elif path in (_TOKEN_PATH, _OTHER_TOKEN_PATH) and scope["method"] == "POST":
            form = parse_qs((await _body(receive)).decode())
            given = _credentials(headers, form)
            if form.get("grant_type") != ["client_credentials"]:
                await _json(send, 400, {"error": "unsupported_grant_type"})
            elif given != (client_id, client_secret):
                extra = [(b"www-authenticate", b'Basic realm="sandbox"')]
                await _json(send, 401, {"error": "invalid_client"}, extra)
            else:
                token = secrets.token_urlsafe(24)
                issued[token] = (time.monotonic() + ttl, epoch())
                _log({"client_id": client_id, "at": path})
                answer = {"access_token": token, "token_type": "Bearer", "expires_in": ttl}
                await _json(send, 200, answer)
        elif _valid(headers.get("authorization", ""), issued, epoch()):
            await app(scope, receive, send)
        else:
            _log({"refused": path})
            where = f"{origin}/.well-known/oauth-protected-resource/mcp"
            challenge = f'Bearer resource_metadata="{where}"'
            extra = [(b"www-authenticate", challenge.encode())]
            await _json(send, 401, {"error": "invalid_token"}, extra)

    return front


def _metadata(origin: str) -> dict[str, object]:
    return {
        "issuer": origin,
        "authorization_endpoint": f"{origin}/oauth/authorize",  # not served: no browser flow
        "token_endpoint": f"{origin}{_TOKEN_PATH}",
        "grant_types_supported": ["client_credentials"],
        "response_types_supported": ["code"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
    }


def _credentials(headers: dict[str, str], form: dict[str, list[str]]) -> tuple[str, str]:
    """The client's id and secret: HTTP Basic (RFC 6749 §2.3.1, form-encoded) or the form."""
    basic = headers.get("authorization", "")
    if basic.lower().startswith("basic "):
        try:
            decoded = base64.b64decode(basic[6:]).decode()
        except ValueError:
            return "", ""
        user, _, password = decoded.partition(":")
        return unquote(user), unquote(password)
    return (form.get("client_id") or [""])[0], (form.get("client_secret") or [""])[0]


def _valid(authorization: str, issued: dict[str, tuple[float, object]], epoch: object) -> bool:
    if not authorization.startswith("Bearer "):
        return False
    found = issued.get(authorization[7:])
    return found is not None and found[0] > time.monotonic() and found[1] == epoch


def _log(entry: dict[str, str]) -> None:
    path = os.environ.get("SANDBOX_MCP_TOKEN_LOG")
    if path:
        with open(path, "a", encoding="utf-8") as log:
            log.write(json.dumps(entry) + "\n")


async def _body(receive: Any) -> bytes:
    chunks: list[bytes] = []
    while True:
        message = await receive()
        chunks.append(message.get("body", b""))
        if not message.get("more_body"):
            return b"".join(chunks)


async def _json(
    send: Any, status: int, body: object, extra: list[tuple[bytes, bytes]] | None = None
) -> None:
    headers = [(b"content-type", b"application/json"), *(extra or [])]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": json.dumps(body).encode()})
