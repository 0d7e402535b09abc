"""README's two set-up commands (.ci/readme_commands.py) and CI running exactly them."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.scripts import load_script

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / ".ci" / "readme_commands.py"


rc = load_script(SCRIPT)


def _readme(*blocks: tuple[str, str]) -> str:
    return "# Title\n\n" + "".join(f"{h}\n\n```bash\n{c}\n```\n\nText.\n\n" for h, c in blocks)


def test_readme_carries_exactly_the_two_commands_each_in_its_own_virtual_environment() -> None:
    found = rc.commands((ROOT / "README.md").read_text(encoding="utf-8"))
    assert found == {
        "demo": "python3 -m venv .venv && .venv/bin/pip install -e '.[openai]' && "
        ".venv/bin/switchboard demo",
        "tests": "python3 -m venv .venv && .venv/bin/pip install -e '.[dev]' && .venv/bin/pytest",
    }


def test_ci_runs_the_readme_commands_and_no_test_command_of_its_own() -> None:
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert 'tests_command="$(python3 .ci/readme_commands.py tests)"' in ci
    assert 'demo_command="$(python3 .ci/readme_commands.py demo)"' in ci
    assert 'bash -c "$tests_command"' in ci
    assert 'timeout 300 bash -c "$demo_command"' in ci
    steps = [line.strip() for line in ci.splitlines() if not line.strip().startswith("#")]
    assert not [s for s in steps if "pytest" in s or "pip install" in s]


def test_the_script_prints_the_command_ci_runs() -> None:
    for name in ("demo", "tests"):
        done = subprocess.run(
            [sys.executable, str(SCRIPT), name], capture_output=True, text=True, check=True
        )
        readme = rc.commands((ROOT / "README.md").read_text(encoding="utf-8"))
        assert done.stdout == readme[name] + "\n"
    wrong = subprocess.run([sys.executable, str(SCRIPT), "lint"], capture_output=True, text=True)
    assert wrong.returncode == 2 and "usage" in wrong.stderr


def test_plain_fences_elsewhere_are_not_commands() -> None:
    text = _readme(("## Try it (x)", "demo-cmd"), ("## Run the tests", "test-cmd"))
    text += "## Layout\n\n```\nbot/  the bot\n```\n"
    assert rc.commands(text) == {"demo": "demo-cmd", "tests": "test-cmd"}


@pytest.mark.parametrize(
    ("text", "error"),
    [
        (_readme(("## Try it", "demo-cmd")), "no bash block under ['## Run the tests']"),
        (
            _readme(("## Try it", "a"), ("## Run the tests", "b"), ("## Scale out", "c")),
            "a bash block under '## Scale out'",
        ),
        (
            _readme(("## Try it", "a"), ("## Try it", "b"), ("## Run the tests", "c")),
            "more than one bash block under '## Try it'",
        ),
        (
            _readme(("## Try it", "a\nb"), ("## Run the tests", "c")),
            "the bash block under '## Try it' is not one command line",
        ),
        ("```bash\nx\n```\n", "a bash block under '(no heading)'"),
    ],
)
def test_a_readme_off_the_rule_is_an_error_naming_what_is_wrong(text: str, error: str) -> None:
    with pytest.raises(rc.ReadmeError) as caught:
        rc.commands(text)
    assert error in str(caught.value)
