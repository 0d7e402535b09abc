"""What leaves for Slack links only where it may: one guard over every message the bot sends.

Text the bot posts can carry links it never chose: a model's answer, a quoted runbook, a
person's reject reason, a parameter shown on a card. A link there can carry a secret out in
its query, and Slack would fetch and preview (unfurl) it. So every message's arguments pass
:meth:`LinkPolicy.guard` on their way out (the Web API client applies it to every call, the
response_url poster to its posts):

* a link to a host that is not allowed is replaced by its host, defanged, and a note
  (``evil[.]example (link removed)``; a labelled link keeps its label): the path and query,
  where a secret would ride, are dropped. Slack's ``<url|label>``, Markdown's
  ``[label](url)`` and ``![alt](url)``, bare URLs, ``www.`` names and bare domains Slack
  would turn into links are all recognised (inside code, where Slack links nothing bare,
  only ``<url|label>``); a URL-valued field (a button's ``url``, an image) to such a host is
  dropped;
* ``chat.postMessage`` and ``chat.scheduleMessage`` go with ``unfurl_links`` and
  ``unfurl_media`` off, whatever the caller asked.

Allowed: each configured host and its subdomains (``SWITCHBOARD_LINK_ALLOWLIST``), Slack's own
``slack.com``, and the runbooks' site (``knowledge.base_url``), which citations link to.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

__all__ = ["SLACK_HOSTS", "LinkPolicy", "host_of"]

SLACK_HOSTS = ("slack.com",)
"""Always allowed: Slack's own pages (permalinks, the workspace)."""
_POSTS = frozenset({"chat.postMessage", "chat.scheduleMessage"})
_NOT_SHOWN = frozenset(
    {
        "metadata",
        "value",
        "action_id",
        "block_id",
        "callback_id",
        "private_metadata",
        "channel",
        "ts",
        "thread_ts",
        "user",
        "trigger_id",
        "view_id",
        "external_id",
        "recipient_user_id",
        "recipient_team_id",
        "response_type",
        "type",
    }
)
"""Argument keys Slack shows nobody (ids, button values, metadata): left as they are."""
_URL_FIELDS = frozenset(
    {"url", "image_url", "thumb_url", "icon_url", "author_link", "author_icon", "title_link"}
)
_SCHEME = r"[a-z][a-z0-9+.-]*://"
_SLACK_LINK = re.compile(rf"<((?:{_SCHEME}|www\.)[^|>\s]*)(?:\|([^>]*))?>", re.IGNORECASE)
_MARKDOWN_LINK = re.compile(rf"!?\[([^\]]*)\]\(\s*((?:{_SCHEME}|www\.)[^)\s]*)[^)]*\)", re.I)
_URL = re.compile(rf"<?(?:\b{_SCHEME}|\bwww\.)[^\s<>|\"'`()\[\]{{}}\\]+", re.IGNORECASE)
_TLDS = (
    "com|net|org|io|co|dev|app|ai|me|ly|sh|gg|xyz|info|biz|top|link|site|online|example|test"
    "|ru|cn|uk|de|fr|nl|eu|us|ca|au|in|jp|br|tk|ml|ga|cf|ws|cc|tv|to|so|zip|mov|click|live"
)
_BARE = re.compile(
    rf"(?<![@\w./:\[-])((?:[a-z0-9-]+\.)+(?:{_TLDS}))\b(?!\.?[\w\[-])([/?#][^\s<>|\"'`]*)?",
    re.IGNORECASE,
)
_DOT_TLD = re.compile(rf"\.(?:{_TLDS})\b", re.IGNORECASE)
_WWW = frozenset({"www", "wwW", "wWw", "wWW", "Www", "WwW", "WWw", "WWW"})
"""The letters a regex ignoring case takes for ``www`` (only ``w`` and ``W`` match ``w``)."""


def _may_hold_link(text: str) -> bool:
    """Whether ``text`` holds what every link the patterns above find holds: a scheme
    (``://``), ``www.`` or a dot and a known top-level domain (matched with the patterns'
    flags). Each is looked for at the dots only (a scheme aside), so prose with a few
    sentences costs a few lookups instead of a regex tried at every character (about 9 µs
    for a ``help`` answer's 580 characters; benchmarks/README.md, issue 19, fourth pass)."""
    if "://" in text:
        return True
    at = text.find(".")
    while at >= 0:
        if at >= 3 and text[at - 3 : at] in _WWW:
            return True
        # A top-level domain starts with a letter (its case twins beyond ASCII are letters).
        if text[at + 1 : at + 2].isalpha() and _DOT_TLD.match(text, at):
            return True
        at = text.find(".", at + 1)
    return False


_TRAILING = ".,;:!?*_~"
_CODE = re.compile(r"```.*?```|`[^`\n]+`", re.DOTALL)


def host_of(link: str) -> str:
    """The host a link points to, lower-cased (``""`` when it has none)."""
    target = link if "://" in link else f"http://{link}"
    try:
        return (urlsplit(target).hostname or "").lower()
    except ValueError:
        return ""


def _defanged(host: str) -> str:
    return host.replace(".", "[.]") if host else "a link"


@dataclass(frozen=True, slots=True)
class LinkPolicy:
    """The hosts the bot may link to (each with its subdomains)."""

    hosts: frozenset[str]

    @classmethod
    def of(cls, *groups: Iterable[str | None]) -> LinkPolicy:
        """Slack's hosts and the given hosts or URLs (a URL counts for its host)."""
        hosts = {h for h in SLACK_HOSTS}
        for group in groups:
            for item in group:
                host = host_of(item.strip()) if item and item.strip() else ""
                if host:
                    hosts.add(host)
        return cls(frozenset(hosts))

    def allows(self, link: str) -> bool:
        """Whether ``link`` points to an allowed host."""
        host = host_of(link)
        return bool(host) and any(host == h or host.endswith(f".{h}") for h in self.hosts)

    def defuse(self, text: str) -> str:
        """``text`` with every link to a host that is not allowed made plain text.

        Inside code (`` `…` `` and fenced blocks) Slack and Markdown make no link of a bare
        URL, so only Slack's ``<url|label>`` is defused there: a card's target stays exactly
        as it will be called."""
        if "." not in text or not _may_hold_link(text):
            return text  # no host, no link (most status lines, ids and answers)
        parts, last = [], 0
        for code in _CODE.finditer(text):
            parts += [self._prose(text[last : code.start()]), self._slack_links(code.group(0))]
            last = code.end()
        return "".join([*parts, self._prose(text[last:])])

    def _prose(self, text: str) -> str:
        text = self._slack_links(text)
        text = _MARKDOWN_LINK.sub(
            lambda m: self._labelled(m.group(0), m.group(2), m.group(1)), text
        )
        text = _URL.sub(self._bare_url, text)
        return _BARE.sub(self._bare_domain, text)

    def _slack_links(self, text: str) -> str:
        return _SLACK_LINK.sub(lambda m: self._labelled(m.group(0), m.group(1), m.group(2)), text)

    def guard(self, method: str, arguments: Mapping[str, Any]) -> dict[str, Any]:
        """A copy of a Web API call's ``arguments`` fit to send (see the module docstring)."""
        guarded = {key: self._value(key, value) for key, value in arguments.items()}
        if method in _POSTS:
            guarded["unfurl_links"] = False
            guarded["unfurl_media"] = False
        return guarded

    def _value(self, key: str, value: Any) -> Any:
        if key in _NOT_SHOWN:
            return value
        if isinstance(value, str):
            return self.defuse(value)
        # dict first: what a payload is made of, and cheaper to test than Mapping.
        if isinstance(value, dict | Mapping):
            return self._mapping(value)
        if isinstance(value, list | tuple):
            return [self._value(key, item) for item in value]
        return value

    def _mapping(self, value: Mapping[str, Any]) -> dict[str, Any]:
        # As _value on each item, its strings handled here: a message's blocks are mostly
        # small mappings of strings, and a call per string was half of the guard's time.
        guarded = {}
        for k, v in value.items():
            if k in _NOT_SHOWN:
                guarded[k] = v
            elif isinstance(v, str):
                if k in _URL_FIELDS and not self.allows(v):
                    continue  # a URL-valued field to a host that is not allowed: dropped
                guarded[k] = self.defuse(v)
            else:
                guarded[k] = self._value(k, v)
        return guarded

    def _labelled(self, whole: str, link: str, label: str | None) -> str:
        if self.allows(link):
            return whole
        host = _defanged(host_of(link))
        shown = self.defuse(label.strip()) if label and label.strip() else ""
        return f"{shown} (link to {host} removed)" if shown else f"{host} (link removed)"

    def _bare_url(self, match: re.Match[str]) -> str:
        found = match.group(0)
        # A "<" before it is a Slack link cut off mid-stream: it goes with the link.
        link = found.removeprefix("<")
        kept = link.rstrip(_TRAILING)
        if self.allows(kept):
            return found
        return f"{_defanged(host_of(kept))} (link removed){link[len(kept) :]}"

    def _bare_domain(self, match: re.Match[str]) -> str:
        host = match.group(1).lower()
        if any(host == h or host.endswith(f".{h}") for h in self.hosts):
            return match.group(0)
        return f"{_defanged(host)} (link removed)"
