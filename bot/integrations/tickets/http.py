"""The HTTP calls both trackers make, with the failures translated once: a 4xx/5xx, a
host not reached (nothing was sent) and a connection lost or timed out after sending (a
create may have happened: ``maybe_created``)."""

from __future__ import annotations

from dataclasses import KW_ONLY, dataclass
from typing import Any

import aiohttp

from agents.incidents.ports import TicketFailure

__all__ = ["TrackerApi"]


@dataclass(frozen=True, slots=True)
class TrackerApi:
    """One tracker's REST API: its base URL, headers (the credentials) and timeout, set once.

    ``tracker`` is the name failures give; no header ever goes in one.
    """

    session: aiohttp.ClientSession
    url: str
    _: KW_ONLY
    tracker: str
    headers: dict[str, str]
    timeout: float

    async def call(
        self,
        method: str,
        path: str = "",
        *,
        sent_may_apply: bool,
        params: dict[str, str] | None = None,
        json: dict[str, Any] | None = None,
    ) -> Any:
        """The JSON the tracker answered ``method`` on the base URL plus ``path``.

        Raises:
            TicketFailure: it refused, failed, or could not be reached.
        """
        tracker = self.tracker
        try:
            async with self.session.request(
                method,
                self.url + path,
                params=params,
                json=json,
                headers=self.headers,
                timeout=aiohttp.ClientTimeout(total=self.timeout),
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
