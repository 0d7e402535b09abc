"""``switchboard demo``: the sandbox, the bot, the worker and SQLite in one process.

One of the two places the app starts the sandbox (the other is ``switchboard sandbox``); the
import contract "The app never imports the sandbox" names both.

You are ``alice`` in ``#general``, talking to @switchboard; ``bob`` and ``carol`` (the
``@sre`` group) approve. The example actions (``examples/switchboard.yaml``) run against the
sandbox's fake deploy API; a ``dba`` agent's two actions are tools of the sandbox's local MCP
server, started over stdio (:mod:`.tools`: ``health of db1`` runs at once, ``failover db1 to
eu`` needs @sre). The deploy agent plans with a scripted model (:mod:`.tour`) unless
``--model PROVIDER:MODEL`` names a real one (:mod:`.model`). Lines:

- text: starts (or continues) a thread with the bot, e.g. ``deploy api to prod``
- ``/ops …``: the slash command (``/ops help``, ``/ops approvals``)
- ``/as bob``: speak and click as another person (alice, bob, carol)
- ``/approve``, ``/reject REASON``: click on the latest approval card
- ``/up``, ``/down WHAT WENT WRONG``: 👍 / 👎 the latest answer (👎 fills in its form)
- ``/stop``: click Stop while the bot works in the thread
- ``/home``: open the bot's App Home tab (KPIs and the review queue for carol, a reviewer)
- ``/new``: start a new thread; ``/quit``: leave

The terminal shows what the channel would (:mod:`.screen`): the status line, answers as
they stream in, approval cards with their plan ticking over. With ``--script FILE`` the lines
of FILE are played, each once the bot is done with the one before, and the transcript printed.
"""

from bot.cli.demo.run import DEMO_DATABASE_URL, add_parser, command, run_demo

__all__ = ["DEMO_DATABASE_URL", "add_parser", "command", "run_demo"]
