"""``examples/mcp.yaml`` (docs/connect.md's worked example) passes ``switchboard config check``
as written: its server starts, its tools get their policies, its agents their scopes."""

from __future__ import annotations

import io
import os
import sys
from pathlib import Path

import pytest

from bot.cli.config import check_command

EXAMPLE = Path(__file__).parents[3] / "examples" / "mcp.yaml"


def test_the_mcp_example_passes_config_check(monkeypatch: pytest.MonkeyPatch) -> None:
    # `python3` as the file says: this interpreter's (the venv's), as with the venv active.
    venv_bin = str(Path(sys.executable).parent)
    monkeypatch.setenv("PATH", venv_bin + os.pathsep + os.environ.get("PATH", ""))
    out = io.StringIO()
    assert check_command(EXAMPLE, out=out, environ={}) == 0, out.getvalue()
    assert out.getvalue().splitlines() == [
        "mcp ops: 2 tools exposed",
        "  cluster_health -> action ops_cluster_health: risk read, agent (none: by scope "
        "only), runs at once",
        "  failover -> action ops_failover: risk dangerous, agent (none: by scope only), "
        "needs approval (quorum 2)",
        "scope dba: ops_cluster_health, ops_failover",
        "scope incident: ops_cluster_health",
        "ok: 2 actions",
    ]
