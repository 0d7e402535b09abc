"""A small fake deploy API served by the sandbox, so the demo and tests can run real actions.

Endpoints (JSON in, JSON out), all under ``/deploy-api``:

- ``POST /deploys`` ``{service, env, version?}`` → 201 ``{"status": "ok", "id", ...}``
- ``POST /rollbacks`` ``{service, env}`` → 201
- ``POST /restarts`` ``{service, env}`` → 201
- ``POST /scale`` ``{service, env, replicas}`` → 200
- ``GET /services/{service}/status`` → 200 ``{"status": "ok", "service", "version", "replicas",
  "healthy"}`` plus whatever ``status_extra`` holds (a test's large or secret-bearing body)

Writes honour ``Idempotency-Key``: a repeated key returns the first answer without applying the
operation again, like a careful real API. ``applied`` counts operations really applied, so a
test can prove an action ran exactly once (``applied_keys`` says under which idempotency key
each was applied). Faults: ``fail_next(status, times, retry_after)``, ``delay_next(seconds,
times)`` (wait, then apply) and ``answer_late_next(seconds, times)`` (apply, then wait: a
caller that gives up first cannot know the operation happened).
"""

from __future__ import annotations

import asyncio
import itertools
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

__all__ = ["DeployApi", "DeployRequest"]

PREFIX = "/deploy-api"


@dataclass(frozen=True, slots=True)
class DeployRequest:
    """One request the fake API received."""

    method: str
    path: str
    body: dict[str, Any]
    idempotency_key: str | None
    authorization: str | None
    status: int


@dataclass
class _Fault:
    status: int = 0
    retry_after: int | None = None
    delay: float = 0.0
    times: int = 0
    after_apply: bool = False


@dataclass
class DeployApi:
    """State and handlers of the fake deploy API."""

    requests: list[DeployRequest] = field(default_factory=list)
    applied: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    applied_keys: list[str | None] = field(default_factory=list)
    versions: dict[str, str] = field(default_factory=lambda: defaultdict(lambda: "v1.0.0"))
    replicas: dict[str, int] = field(default_factory=lambda: defaultdict(lambda: 2))
    status_extra: dict[str, Any] = field(default_factory=dict)
    _answers: dict[str, tuple[int, dict[str, Any]]] = field(default_factory=dict)
    _faults: list[_Fault] = field(default_factory=list)
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _held: int = 0
    _gate: asyncio.Event = field(default_factory=asyncio.Event)
    _arrivals: asyncio.Condition = field(default_factory=asyncio.Condition)
    arrived: int = 0

    def add_routes(self, app: web.Application) -> None:
        """Serve the endpoints on ``app``."""
        app.router.add_post(PREFIX + "/{operation}", self._write)
        app.router.add_get(PREFIX + "/services/{service}/status", self._status)

    def fail_next(self, status: int, *, times: int = 1, retry_after: int | None = None) -> None:
        """Answer the next ``times`` requests with ``status`` (without applying them)."""
        self._faults.append(_Fault(status=status, retry_after=retry_after, times=times))

    def delay_next(self, seconds: float, *, times: int = 1) -> None:
        """Hold the next ``times`` requests for ``seconds`` before answering normally."""
        self._faults.append(_Fault(delay=seconds, times=times))

    def answer_late_next(self, seconds: float, *, times: int = 1) -> None:
        """Apply the next ``times`` write requests, then answer each ``seconds`` later."""
        self._faults.append(_Fault(delay=seconds, times=times, after_apply=True))

    def hold_next(self, times: int = 1) -> None:
        """Hold the next ``times`` write requests (after they arrived) until :meth:`release`."""
        self._held += times
        self._gate.clear()

    def release(self) -> None:
        """Let held requests go on (they are then applied as usual)."""
        self._held = 0
        self._gate.set()

    async def wait_for_arrivals(self, count: int, *, timeout: float = 10.0) -> None:
        """Await until ``count`` write requests have arrived (held or not)."""
        async with asyncio.timeout(timeout), self._arrivals:
            await self._arrivals.wait_for(lambda: self.arrived >= count)

    def applied_count(self, operation: str | None = None) -> int:
        """How many operations were really applied (optionally of one kind)."""
        return sum(1 for op, _ in self.applied if operation is None or op == operation)

    async def _fault(self, *, write: bool = False) -> _Fault | None:
        while self._faults and self._faults[0].times <= 0:
            self._faults.pop(0)
        if not self._faults or (self._faults[0].after_apply and not write):
            return None
        fault = self._faults[0]
        fault.times -= 1
        if fault.after_apply:
            return fault
        if fault.delay:
            await asyncio.sleep(fault.delay)
            return None
        return fault

    async def _write(self, request: web.Request) -> web.Response:
        operation = request.match_info["operation"]
        try:
            body = await request.json()
        except ValueError:
            body = None
        async with self._arrivals:
            self.arrived += 1
            self._arrivals.notify_all()
        if self._held > 0:
            self._held -= 1
            await self._gate.wait()
        key = request.headers.get("Idempotency-Key")
        auth = request.headers.get("Authorization")
        fault = await self._fault(write=True)
        late = fault.delay if fault is not None and fault.after_apply else 0.0
        if fault is not None and not fault.after_apply:
            return self._record(
                request,
                body or {},
                key,
                auth,
                fault.status,
                {"error": "injected"},
                retry_after=fault.retry_after,
            )
        if operation not in {"deploys", "rollbacks", "restarts", "scale"}:
            return self._record(request, body or {}, key, auth, 404, {"error": "not_found"})
        if not isinstance(body, dict) or not body.get("service"):
            return self._record(request, body or {}, key, auth, 400, {"error": "service required"})
        if key is not None and key in self._answers:
            status, answer = self._answers[key]
            return self._record(request, body, key, auth, status, {**answer, "replayed": True})
        status, answer = self._apply(operation, body, key)
        if key is not None:
            self._answers[key] = (status, answer)
        if late:
            await asyncio.sleep(late)
        return self._record(request, body, key, auth, status, answer)

    def _apply(
        self, operation: str, body: dict[str, Any], key: str | None
    ) -> tuple[int, dict[str, Any]]:
        service = str(body["service"])
        self.applied.append((operation, dict(body)))
        self.applied_keys.append(key)
        answer: dict[str, Any] = {"status": "ok", "id": f"op-{next(self._ids)}", "service": service}
        if operation == "deploys":
            self.versions[service] = str(body.get("version") or "v1.1.0")
            answer["version"] = self.versions[service]
        elif operation == "restarts":
            return 202, answer
        elif operation == "scale":
            self.replicas[service] = int(body.get("replicas", 0))
            answer["replicas"] = self.replicas[service]
            return 200, answer
        return 201, answer

    async def _status(self, request: web.Request) -> web.Response:
        service = request.match_info["service"]
        fault = await self._fault()
        if fault is not None:
            return self._record(
                request,
                {},
                None,
                request.headers.get("Authorization"),
                fault.status,
                {"error": "injected"},
                retry_after=fault.retry_after,
            )
        answer = {
            "status": "ok",
            "service": service,
            "version": self.versions[service],
            "replicas": self.replicas[service],
            "healthy": True,
            **self.status_extra,
        }
        return self._record(request, {}, None, request.headers.get("Authorization"), 200, answer)

    def _record(
        self,
        request: web.Request,
        body: dict[str, Any],
        key: str | None,
        auth: str | None,
        status: int,
        answer: dict[str, Any],
        *,
        retry_after: int | None = None,
    ) -> web.Response:
        self.requests.append(DeployRequest(request.method, request.path, body, key, auth, status))
        headers = {"Retry-After": str(retry_after)} if retry_after is not None else None
        return web.json_response(answer, status=status, headers=headers)
