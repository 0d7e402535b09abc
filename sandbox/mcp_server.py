"""A tiny MCP server for tests and the demo, written with the official SDK, served over stdio
or over Streamable HTTP on loopback.

Tools: ``cluster_health`` (read-only), ``failover`` (destructive), ``slow_report`` (read-only,
answers after ``seconds``: for timeouts), ``flaky_check`` (read-only, always fails: for
breakers), ``crash`` (stops the server mid-call: for reconnection) and ``deploy``, whose input
schema is set at run time, as is one more tool, ``rollback``, offered or not. The test tools
are all annotated read-only (a config exposing every tool needs no approvers for them; a test
that wants ``deploy`` approved gives it an approval block).

Run-time changes come from the JSON control file named by ``SANDBOX_MCP_CONTROL`` (if set):
``{"deploy_schema": 1 or 2, "rollback": true or false}``. The server watches it; when it
changes, the tools change and every session is sent ``notifications/tools/list_changed``.
(Schema 1: ``deploy(service)``; schema 2: ``deploy(service, version)``.)

Each call is appended as one JSON line to the file named by ``SANDBOX_MCP_CALL_LOG`` (if set),
so a test can count how many times a tool really ran.

Run: ``python -m sandbox.mcp_server`` (stdio) or ``python -m sandbox.mcp_server --http
--port-file PATH`` (Streamable HTTP at ``http://127.0.0.1:PORT/mcp`` on an ephemeral port,
or ``--port N``, written to PATH once listening). Over HTTP, with ``SANDBOX_MCP_BEARER`` set,
every request must carry ``Authorization: Bearer <that value>`` (401 otherwise); with
``SANDBOX_MCP_OAUTH_CLIENT=id:secret`` set, it is an OAuth-protected resource and its own
authorization server, issuing tokens by the client credentials grant (:mod:`sandbox.mcp_oauth`).
"""

from __future__ import annotations

import argparse
import json
import os
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, Literal

import anyio
from mcp.server.mcpserver import MCPServer
from mcp.types import ToolAnnotations

__all__ = ["main", "server"]

_SESSIONS: dict[int, Any] = {}
"""Each connection's session, by the connection's identity (a request's session object is
made per request)."""
_STATE: dict[str, object] = {}
_WATCH_EVERY = 0.05


async def _remember(ctx: Any, call_next: Any) -> Any:
    """Middleware: remember each session that sent something, to tell it of tool changes."""
    session = getattr(ctx, "session", None)
    if session is not None:
        _SESSIONS[id(getattr(session, "_connection", session))] = session
    return await call_next(ctx)


@asynccontextmanager
async def _lifespan(_: MCPServer[Any]) -> AsyncIterator[dict[str, Any]]:
    _apply(_control())
    async with anyio.create_task_group() as tasks:
        tasks.start_soon(_watch)
        yield {}
        tasks.cancel_scope.cancel()


server: MCPServer[Any] = MCPServer("sandbox-ops", lifespan=_lifespan, middleware=[_remember])


def _record(tool: str, arguments: dict[str, object]) -> None:
    path = os.environ.get("SANDBOX_MCP_CALL_LOG")
    if path:
        with open(path, "a", encoding="utf-8") as log:
            log.write(json.dumps({"tool": tool, "arguments": arguments}) + "\n")


@server.tool(annotations=ToolAnnotations(read_only_hint=True))
def cluster_health(cluster: str) -> str:
    """Report the health of a database cluster."""
    _record("cluster_health", {"cluster": cluster})
    return f"cluster {cluster}: 3/3 nodes healthy, replication lag 0s"


@server.tool(annotations=ToolAnnotations(destructive_hint=True))
def failover(cluster: str, region: Literal["eu", "us"], force: bool = False) -> str:
    """Fail a database cluster over to another region."""
    _record("failover", {"cluster": cluster, "region": region, "force": force})
    return f"failover of {cluster} to {region} started"


@server.tool(annotations=ToolAnnotations(read_only_hint=True))
async def slow_report(seconds: int) -> str:
    """Answer after ``seconds`` seconds."""
    _record("slow_report", {"seconds": seconds})
    await anyio.sleep(seconds)
    return f"report after {seconds}s"


@server.tool(annotations=ToolAnnotations(read_only_hint=True))
def flaky_check(target: str) -> str:
    """Always fail (the tool's error is its result)."""
    _record("flaky_check", {"target": target})
    raise RuntimeError(f"check of {target} failed")


@server.tool(annotations=ToolAnnotations(read_only_hint=True))
def crash() -> str:
    """Stop the server at once, mid-call (for reconnection tests)."""
    _record("crash", {})
    os._exit(3)


def _deploy_v1(service: str) -> str:
    """Deploy a service."""
    _record("deploy", {"service": service})
    return f"deployed {service}"


def _deploy_v2(service: str, version: str) -> str:
    """Deploy a version of a service."""
    _record("deploy", {"service": service, "version": version})
    return f"deployed {service} {version}"


def _rollback(service: str) -> str:
    """Roll a service back to its previous version."""
    _record("rollback", {"service": service})
    return f"rolled back {service}"


def _control() -> dict[str, object]:
    path = os.environ.get("SANDBOX_MCP_CONTROL")
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8")) if path else {}
    except (OSError, ValueError):
        data = {}
    return data if isinstance(data, dict) else {}


def _apply(control: dict[str, object]) -> bool:
    """Offer the tools ``control`` asks for; whether anything changed."""
    wanted = {
        "deploy_schema": control.get("deploy_schema", 1),
        "rollback": bool(control.get("rollback")),
    }
    if wanted == _STATE:
        return False
    if _STATE:
        server.remove_tool("deploy")
        if _STATE["rollback"]:
            server.remove_tool("rollback")
    deploy = _deploy_v2 if wanted["deploy_schema"] == 2 else _deploy_v1
    read_only = ToolAnnotations(read_only_hint=True)
    server.add_tool(deploy, name="deploy", description=deploy.__doc__, annotations=read_only)
    if wanted["rollback"]:
        server.add_tool(
            _rollback, name="rollback", description=_rollback.__doc__, annotations=read_only
        )
    _STATE.clear()
    _STATE.update(wanted)
    return True


async def _watch() -> None:
    """Poll the control file; on a change, change the tools and tell every session."""
    while True:
        await anyio.sleep(_WATCH_EVERY)
        if _apply(_control()):
            for key, session in list(_SESSIONS.items()):
                try:
                    await session.send_tool_list_changed()
                except Exception:  # a session that went away
                    _SESSIONS.pop(key, None)


def _bearer_required(app: Any, token: str) -> Any:
    """An ASGI wrapper answering 401 to any HTTP request without the bearer token."""
    expected = f"Bearer {token}".encode()

    async def guarded(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http" and dict(scope["headers"]).get(b"authorization") != expected:
            await send({"type": "http.response.start", "status": 401, "headers": []})
            await send({"type": "http.response.body", "body": b"unauthorized"})
            return
        await app(scope, receive, send)

    return guarded


async def _serve_http(sock: socket.socket) -> None:
    import uvicorn

    app: Any = server.streamable_http_app()
    token = os.environ.get("SANDBOX_MCP_BEARER")
    if token:
        app = _bearer_required(app, token)
    client = os.environ.get("SANDBOX_MCP_OAUTH_CLIENT")
    if client:
        from sandbox.mcp_oauth import oauth_protected

        app = oauth_protected(app, client, lambda: _control().get("token_epoch", 0))
    config = uvicorn.Config(app, log_level="warning", lifespan="on")
    await uvicorn.Server(config).serve(sockets=[sock])


def main(argv: list[str] | None = None) -> None:
    """Serve over stdio, or Streamable HTTP with ``--http``."""
    parser = argparse.ArgumentParser(prog="python -m sandbox.mcp_server")
    parser.add_argument("--http", action="store_true", help="serve Streamable HTTP on loopback")
    parser.add_argument("--port-file", type=Path, help="where to write the port once listening")
    parser.add_argument("--port", type=int, default=0, help="the port (default: any free one)")
    args = parser.parse_args(argv)
    if args.http:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", args.port))
        sock.listen(64)  # connections wait in the backlog until the server accepts them
        if args.port_file is not None:
            args.port_file.write_text(str(sock.getsockname()[1]), encoding="utf-8")
        anyio.run(_serve_http, sock)
    else:
        server.run(transport="stdio")


if __name__ == "__main__":
    main()
