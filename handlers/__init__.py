"""The inbound Slack edge: Bolt middleware and listeners, Block Kit rendering, delivery."""

from handlers.delivery import Delivery
from handlers.listeners import OPS_COMMAND, register
from handlers.turns import TurnRunner

__all__ = ["OPS_COMMAND", "Delivery", "TurnRunner", "register"]
