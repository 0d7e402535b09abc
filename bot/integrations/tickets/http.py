"""The one HTTP call both trackers make, with the failures translated once: a 4xx/5xx, a
host not reached (nothing was sent) and a connection lost or timed out after sending (a
create may have happened: ``maybe_created``)."""

from __future__ import annotations

from typing import Any

import aiohttp

from agents.incidents.ports import TicketFailure

__all__ = ["tracker_call"]


async def tracker_call(
    session: aiohttp.ClientSession,
    method: str,
    url: str,
    *,
    tracker: str,
    sent_may_apply: bool,
    headers: dict[str, str],
    timeout: aiohttp.ClientTimeout,
    params: dict[str, str] | None = None,
    json: dict[str, Any] | None = None,
) -> Any:
    """The JSON ``tracker`` answered (its name goes in failures; no header ever does).

    Raises:
        TicketFailure: it refused, failed, or could not be reached.
    """
    try:
        async with session.request(
            method, url, params=params, json=json, headers=headers, timeout=timeout
        ) as response:
            if response.status >= 400:
                raise TicketFailure(f"{tracker} answered HTTP {response.status}")
            return await response.json(content_type=None)
    except aiohttp.ClientConnectorError as exc:  # no connection was made: nothing was sent
        raise TicketFailure(f"{tracker} could not be reached ({type(exc).__name__})") from exc
    except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
        raise TicketFailure(
            f"{tracker} could not be reached ({type(exc).__name__})",
            maybe_created=sent_may_apply,
        ) from exc
