"""The domain core: models, errors, ports, router and the facade handlers call."""

from agents.core.agent import Agent, TurnContext
from agents.core.facade import Stores, Switchboard
from agents.core.models import (
    AgentInfo,
    ConversationKey,
    Inbound,
    Outbound,
    Reply,
    ReplyItem,
    Route,
    StoredMessage,
    Trace,
)
from agents.core.router import route

__all__ = [
    "Agent",
    "AgentInfo",
    "ConversationKey",
    "Inbound",
    "Outbound",
    "Reply",
    "ReplyItem",
    "Route",
    "StoredMessage",
    "Stores",
    "Switchboard",
    "Trace",
    "TurnContext",
    "route",
]
