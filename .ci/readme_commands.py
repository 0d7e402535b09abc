"""The README's two set-up commands, so CI runs exactly what a new user is told to run.

README.md carries one fenced ``bash`` block per set-up command, each a single line under its
heading: the demo under "## Try it", the tests under "## Run the tests", and no other ``bash``
block. ``python3 .ci/readme_commands.py demo|tests`` prints that line; anything else about
the README (a missing, extra or multi-line block) is an error naming what is wrong, exit 1.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"
SECTIONS = {"demo": "## Try it", "tests": "## Run the tests"}
_FENCE = re.compile(r"^```bash\n(.*?)^```$", re.MULTILINE | re.DOTALL)


class ReadmeError(ValueError):
    """The README does not carry its two set-up commands the way CI reads them."""


def commands(text: str) -> dict[str, str]:
    """The command of each section (``demo``, ``tests``) in the README ``text``."""
    found: dict[str, str] = {}
    for match in _FENCE.finditer(text):
        headings = re.findall(r"^## .*$", text[: match.start()], re.MULTILINE)
        heading = headings[-1] if headings else "(no heading)"
        name = next((n for n, h in SECTIONS.items() if heading.startswith(h)), None)
        if name is None:
            raise ReadmeError(f"a bash block under {heading!r}; only {list(SECTIONS.values())}")
        if name in found:
            raise ReadmeError(f"more than one bash block under {heading!r}")
        lines = [line for line in match.group(1).splitlines() if line.strip()]
        if len(lines) != 1:
            raise ReadmeError(f"the bash block under {heading!r} is not one command line")
        found[name] = lines[0].strip()
    missing = [SECTIONS[n] for n in SECTIONS if n not in found]
    if missing:
        raise ReadmeError(f"no bash block under {missing}")
    return found


def main(argv: list[str]) -> int:
    if len(argv) != 1 or argv[0] not in SECTIONS:
        print(f"usage: readme_commands.py {'|'.join(SECTIONS)}", file=sys.stderr)
        return 2
    try:
        print(commands(README.read_text(encoding="utf-8"))[argv[0]])
    except ReadmeError as exc:
        print(f"readme_commands.py: README.md: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
