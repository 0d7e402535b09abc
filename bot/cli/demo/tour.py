"""The scripted model of the demo's tour: what a newcomer sees the agents do with a model,
without an account or a download.

It answers the deploy agent's requests by looking at the person's last message, the way a
model with the agent's tools would: a service's status is a call of the read-only ``status``
tool (the bot runs it at once, shows its result in the thread and hands it back; the model
then answers with what it read), a deploy or restart is a call of that tool (an approval
card, then a plan that ticks over), and anything else is an answer streamed word by word.
``explain …`` streams a long answer slowly, so that ``/stop`` has something to stop.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from sandbox.llm_steps import Step, Streaming, reply, tool_call

__all__ = ["LONG_ANSWER", "SHORT_ANSWER", "read_answer", "tour_step"]

SHORT_ANSWER = (
    "I am the demo's scripted model, standing in for a real one. Ask me for the *status of "
    "api*, to *deploy web to prod* or to *restart worker*, and I will call the action for "
    "you; *explain the deploy process* gives a long answer you can `/stop`. Run `switchboard demo "
    "--model openai:gpt-4o-mini` (or `ollama:llama3.1`) to plan with a real model."
)
LONG_ANSWER = (
    "A deploy here goes through four steps. First, the deploy agent reads your request and "
    "proposes one action with typed parameters: the service, the environment and, when you "
    "name one, the release tag. Second, policy decides who must approve: a write action "
    "needs one of the approvers, a dangerous one always needs someone other than you, and "
    "every request expires if nobody decides in time. Third, once approved, the worker runs "
    "the action exactly once, with an idempotency key, retrying only what is safe to retry; "
    "the card in the thread shows the plan ticking over from the decision to the run. "
    "Fourth, the result is posted in the thread and recorded in the audit trail with the "
    "turn's trace id, so that a reviewer can follow what happened, who asked, who approved "
    "and what it cost."
)

_SERVICE = r"(?P<service>api|web|worker)"
_ENV = r"(?P<env>staging|prod)"
_STATUS = re.compile(r"\b(status|health|running)\b")
_SERVICE_ANYWHERE = re.compile(rf"\b{_SERVICE}\b")
_DEPLOY = re.compile(
    rf"\b(?P<verb>deploy|restart)\s+{_SERVICE}(\s+(?P<version>v\d+\.\d+\.\d+))?"
    rf"(\s+(to|in)\s+{_ENV})?"
)
_ENV_ANYWHERE = re.compile(rf"\b{_ENV}\b")
_WORDS = Streaming(interval=0.05)
_SLOW_WORDS = Streaming(interval=0.25)


def tour_step(body: Mapping[str, Any]) -> Step:
    """The scripted model's answer to one chat request (OpenAI's or Anthropic's shape)."""
    result = _last_tool_output(body.get("messages") or [])
    if result is not None:
        return reply(read_answer(result), stream=_WORDS)
    text = _last_user_text(body.get("messages") or [])
    if text is None:
        return reply("That did not work; tell me what you would like to do.", stream=_WORDS)
    tools = _tool_names(body.get("tools") or [])
    lowered = text.lower()
    deploy = _DEPLOY.search(lowered)
    if deploy is not None and deploy["verb"] in tools:
        arguments = {"service": deploy["service"], "env": deploy["env"] or "staging"}
        if deploy["version"] and deploy["verb"] == "deploy":
            arguments["version"] = deploy["version"]
        return tool_call(deploy["verb"], arguments)
    service = _SERVICE_ANYWHERE.search(lowered)
    if _STATUS.search(lowered) and service is not None and "status" in tools:
        env = _ENV_ANYWHERE.search(lowered)
        arguments = {"service": service["service"], "env": env["env"] if env else "staging"}
        return tool_call("status", arguments)
    if lowered.startswith("explain") or " explain " in f" {lowered} ":
        return reply(LONG_ANSWER, stream=_SLOW_WORDS)
    return reply(SHORT_ANSWER, stream=_WORDS)


def read_answer(tool_output: str) -> str:
    """What the scripted model says once a read's result came back: the output's lines, or
    that the read did not go through."""
    lines = tool_output.splitlines()
    status = next((ln.removeprefix("status: ") for ln in lines if ln.startswith("status: ")), "")
    if status != "succeeded" or "output:" not in lines:
        return f"The status check did not go through ({status or 'no result'}); see the thread."
    output = lines[lines.index("output:") + 1 :]
    found = "; ".join(ln for ln in output if ln and not ln.startswith("</tool_output"))
    return f"The status check says: {found}. Ask me to deploy or restart if something needs it."


def _last_tool_output(messages: Sequence[Any]) -> str | None:
    """The text of the last message when it is a tool's ``<tool_output …>`` result (OpenAI's
    tool message, or Anthropic's tool_result block)."""
    if not messages or not isinstance(messages[-1], Mapping):
        return None
    content = messages[-1].get("content")
    texts = [content] if isinstance(content, str) else []
    if isinstance(content, list):
        for block in content:
            if isinstance(block, Mapping) and block.get("type") == "tool_result":
                inner = block.get("content")
                texts.append(inner if isinstance(inner, str) else "")
    found = [text for text in texts if text.startswith("<tool_output")]
    return found[-1] if found else None


def _last_user_text(messages: Sequence[Any]) -> str | None:
    """The text of the last message when it is the person's (None after a tool's result)."""
    if not messages or not isinstance(messages[-1], Mapping):
        return None
    last = messages[-1]
    if last.get("role") != "user":
        return None
    content = last.get("content")
    if isinstance(content, str):
        return content
    if isinstance(content, list):  # Anthropic's blocks; a tool_result is not the person's
        if any(isinstance(b, Mapping) and b.get("type") == "tool_result" for b in content):
            return None
        parts = [b.get("text", "") for b in content if isinstance(b, Mapping)]
        return " ".join(str(p) for p in parts)
    return None


def _tool_names(tools: Sequence[Any]) -> set[str]:
    names = set()
    for tool in tools:
        if not isinstance(tool, Mapping):
            continue
        function = tool.get("function")
        name = function.get("name") if isinstance(function, Mapping) else tool.get("name")
        if isinstance(name, str):
            names.add(name)
    return names
