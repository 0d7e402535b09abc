"""Playing one streamed answer on an open HTTP response: the pace between pieces, the fault
mid-stream, and how the stream ended (:data:`~sandbox.llm_records.StreamOutcome`).

The frames come from :mod:`sandbox.llm_events`. A fault fires just before the piece it
names (``after=2``: before the third), or after the last piece when there are fewer.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence

from aiohttp import web

from sandbox.faults import HangGate
from sandbox.llm_events import Frame, error_frame
from sandbox.llm_records import StreamOutcome
from sandbox.llm_steps import Drop, ErrorEvent, Hang, Streaming
from sandbox.llm_wire import Flavour

__all__ = ["EVENT_STREAM", "StreamPlayer"]

EVENT_STREAM = "text/event-stream"


class StreamPlayer:
    """Sends one stream's frames (see the module docstring).

    Args:
        gate: where a hung stream waits to be released, and paces its pieces.
        closing: set when the server shuts down.
        on_hang: told when the stream starts to hang.
    """

    def __init__(
        self, *, gate: HangGate, closing: asyncio.Event, on_hang: Callable[[], None]
    ) -> None:
        self._gate = gate
        self._closing = closing
        self._on_hang = on_hang
        self.pieces = 0
        self.first_piece_at: float | None = None

    async def play(
        self,
        request: web.Request,
        response: web.StreamResponse,
        frames: Sequence[Frame],
        *,
        flavour: Flavour,
        stream: Streaming,
    ) -> StreamOutcome:
        """Send ``frames`` on ``response`` (prepared), pacing pieces by ``stream.interval``."""
        fault = stream.fault
        fire_at = _fault_index(frames, fault.after) if fault is not None else None
        for index, frame in enumerate(frames):
            if index == fire_at and fault is not None:
                outcome = await self._fault(request, response, fault, flavour)
                if outcome is not None:
                    return outcome
            if frame.piece:
                if self.pieces and stream.interval:
                    await self._gate.sleep(stream.interval)
                self.pieces += 1
            if self._closing.is_set():
                return "closed"
            if frame.piece and self.first_piece_at is None:
                self.first_piece_at = time.monotonic()
            await response.write(frame.data)
        await response.write_eof()
        return "completed"

    async def _fault(
        self,
        request: web.Request,
        response: web.StreamResponse,
        fault: Drop | Hang | ErrorEvent,
        flavour: Flavour,
    ) -> StreamOutcome | None:
        if isinstance(fault, Drop):
            if request.transport is not None:
                request.transport.abort()
            return "dropped"
        if isinstance(fault, ErrorEvent):
            await response.write(error_frame(flavour, fault.status, fault.message).data)
            await response.write_eof()
            return "error_event"
        self._on_hang()
        await self._gate.hold()
        return "closed" if self._closing.is_set() else None


def _fault_index(frames: Sequence[Frame], after: int) -> int:
    """The frame a fault fires before: the piece after ``after`` pieces, else the frame after
    the last piece (after the first frame when there is no piece)."""
    pieces = [index for index, frame in enumerate(frames) if frame.piece]
    if after < len(pieces):
        return pieces[after]
    return pieces[-1] + 1 if pieces else 1
