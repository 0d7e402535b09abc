"""The call log: every Web API call in order, indexed by method, and awaitable."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from dataclasses import dataclass

from sandbox.records import ApiCall

__all__ = ["CallLog"]

Predicate = Callable[[ApiCall], bool]

_SHOWN = 10  # calls listed in a timeout message


def _ordinal(count: int) -> str:
    suffix = "th" if 10 <= count % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(count % 10, "th")
    return f"{count}{suffix}"


def _describe(call: ApiCall) -> str:
    args = json.dumps(dict(call.args), default=str, sort_keys=True)
    if len(args) > 200:
        args = args[:197] + "..."
    error = call.response.get("error")
    outcome = f"status={call.status}" + (f" error={error!r}" if error else "")
    return f"  {outcome} args={args}"


@dataclass(slots=True, eq=False)
class _Waiter:
    where: Predicate | None
    remaining: int
    future: asyncio.Future[ApiCall]


class CallLog:
    """Records calls in arrival order; answers and awaits questions about them.

    Lookups by method are O(1); a waiter is checked only against calls of its method.
    """

    def __init__(self) -> None:
        self._calls: list[ApiCall] = []
        self._by_method: dict[str, list[ApiCall]] = {}
        self._waiters: dict[str, list[_Waiter]] = {}

    def __len__(self) -> int:
        return len(self._calls)

    def record(self, call: ApiCall) -> None:
        """Append ``call`` and wake any waiter it completes."""
        self._calls.append(call)
        self._by_method.setdefault(call.method, []).append(call)
        waiters = self._waiters.get(call.method)
        if not waiters:
            return
        for waiter in list(waiters):
            if waiter.future.done():
                waiters.remove(waiter)
                continue
            try:
                matched = waiter.where is None or waiter.where(call)
            except Exception as exc:  # a broken predicate fails its own wait, not the server
                waiter.future.set_exception(exc)
                waiters.remove(waiter)
                continue
            if matched:
                waiter.remaining -= 1
                if waiter.remaining == 0:
                    waiter.future.set_result(call)
                    waiters.remove(waiter)

    def all(self) -> list[ApiCall]:
        """Every call so far (a copy of the list)."""
        return list(self._calls)

    def for_method(self, method: str) -> list[ApiCall]:
        """The calls of one method so far (a copy of the list)."""
        return list(self._by_method.get(method, ()))

    def count(self, method: str) -> int:
        """How many calls of ``method`` so far (without copying them)."""
        return len(self._by_method.get(method, ()))

    async def wait_for(
        self,
        method: str,
        *,
        where: Predicate | None = None,
        timeout: float = 5.0,
        count: int = 1,
    ) -> ApiCall:
        """The ``count``-th call of ``method`` matching ``where``, recorded or still to come.

        Raises:
            TimeoutError: fewer than ``count`` matching calls within ``timeout`` seconds; the
                message lists the calls of ``method`` that were seen.
            ValueError: ``count`` is below 1.
        """
        if count < 1:
            raise ValueError(f"count must be at least 1, got {count}")
        remaining = count
        for call in self._by_method.get(method, ()):
            if where is None or where(call):
                remaining -= 1
                if remaining == 0:
                    return call
        future: asyncio.Future[ApiCall] = asyncio.get_running_loop().create_future()
        waiter = _Waiter(where, remaining, future)
        self._waiters.setdefault(method, []).append(waiter)
        try:
            async with asyncio.timeout(timeout):
                return await future
        except TimeoutError:
            raise TimeoutError(self._timeout_message(method, where, timeout, count)) from None
        finally:
            if not future.done():
                future.cancel()
            pending = self._waiters.get(method, [])
            if waiter in pending:
                pending.remove(waiter)

    def _timeout_message(
        self, method: str, where: Predicate | None, timeout: float, count: int
    ) -> str:
        seen = self._by_method.get(method, [])
        condition = " matching `where`" if where is not None else ""
        head = (
            f"no {_ordinal(count)} {method!r} call{condition} within {timeout}s; "
            f"saw {len(seen)} {method!r} call(s)"
        )
        if not seen:
            others = sorted(self._by_method)
            return head + (f"; other methods called: {others}" if others else "; no calls at all")
        lines = [_describe(call) for call in seen[-_SHOWN:]]
        if len(seen) > _SHOWN:
            lines.insert(0, f"  ... {len(seen) - _SHOWN} earlier call(s) not shown")
        return head + ":\n" + "\n".join(lines)
