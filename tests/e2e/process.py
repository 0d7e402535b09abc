"""The bot as a real OS process (``python -m bot run``), for crash and restart scenarios."""

from __future__ import annotations

import sys

from bot.server import SLACK_EVENTS_PATH
from sandbox import SlackSandbox
from sandbox.app_process import AppProcess

BOT_COMMAND = (sys.executable, "-m", "bot", "run", "--host", "127.0.0.1", "--port", "0")
"""``switchboard run`` on 127.0.0.1, on a port the system picks."""


class BotProcess(AppProcess):
    """``switchboard run`` in a subprocess, with its JSON log lines parsed as they come."""

    def __init__(
        self, sandbox: SlackSandbox, database_url: str, *, env: dict[str, str] | None = None
    ) -> None:
        super().__init__(
            sandbox, database_url, command=BOT_COMMAND, events_path=SLACK_EVENTS_PATH, env=env
        )
